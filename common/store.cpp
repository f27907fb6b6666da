#include "store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "canonical.hpp"
#include "units.hpp"

namespace setm {

namespace {

using lmdb::as_val;

Result<std::uint64_t> read_be64(const Bytes& b, const char* what) {
    if (b.size() != 8)
        return make_error(Exit::io, "store unreadable", std::string(what) + " is not 8 bytes");
    std::uint64_t v = 0;
    for (auto c : b) v = v << 8 | c;
    return v;
}

template <class T>
Bytes seal(const T& value) {
    const Bytes body = encode_binary(value);
    const Hash32 h = sha256(body);
    Bytes out(h.begin(), h.end());
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

template <class T>
Result<T> unseal(const Bytes& v, const std::string& what) {
    if (v.size() < 32 ||
        sha256(v.data() + 32, v.size() - 32) != *reinterpret_cast<const Hash32*>(v.data()))
        return make_error(Exit::io, "store damaged",
                          what + ": stored value does not match its checksum");
    return decode_binary<T>(v.data() + 32, v.size() - 32);
}

Status put_sealed_be(lmdb::Txn& txn, lmdb::Dbi db, std::uint64_t k, const Bytes& v,
                     unsigned flags = 0) {
    const auto key = be64(k);
    return lmdb::put(txn, db, as_val(key.data(), key.size()), as_val(v), flags);
}

template <std::size_t N>
MDB_val key_of(const std::array<std::uint8_t, N>& a) {
    return as_val(a.data(), N);
}

Result<StoreDbs> open_dbs(lmdb::Txn& txn, bool create) {
    StoreDbs d;
    const std::pair<lmdb::Dbi*, const char*> all[] = {{&d.meta, "meta"},
                                                      {&d.blocks, "blocks"},
                                                      {&d.headers, "headers"},
                                                      {&d.block_index, "block_index"},
                                                      {&d.records, "records"},
                                                      {&d.credentials, "credentials"},
                                                      {&d.participants, "participants"},
                                                      {&d.holders, "holders"},
                                                      {&d.meters, "meters"},
                                                      {&d.orders, "orders"},
                                                      {&d.slot_orders, "slot_orders"},
                                                      {&d.cleared, "cleared"},
                                                      {&d.cancelled, "cancelled"},
                                                      {&d.readings, "readings"},
                                                      {&d.keys, "keys"}};
    for (const auto& [dbi, name] : all) {
        SETM_TRY(*dbi, lmdb::Dbi::open(txn, name, create));
    }
    return d;
}

// Slots sort as signed numbers: big-endian with the sign bit flipped.
std::array<std::uint8_t, 8> slot_key(std::int64_t slot) {
    return be64(static_cast<std::uint64_t>(slot) ^ (std::uint64_t{1} << 63));
}

// readings: the slot first, then the meter id (any length).
std::string reading_key(const std::string& meter, std::int64_t slot) {
    const auto s = slot_key(slot);
    return std::string(s.begin(), s.end()) + meter;
}

constexpr std::size_t kSlotOrderKeySize = 8 + 1 + 16 + 32;

std::array<std::uint8_t, kSlotOrderKeySize> slot_order_key(const SlotOrderKey& k) {
    std::array<std::uint8_t, kSlotOrderKeySize> b{};
    const auto s = slot_key(k.slot);
    std::copy(s.begin(), s.end(), b.begin());
    b[8] = static_cast<std::uint8_t>(k.side);
    std::copy(k.owner.begin(), k.owner.end(), b.begin() + 9);
    std::copy(k.id.begin(), k.id.end(), b.begin() + 25);
    return b;
}

constexpr std::size_t kHolderKeySize = 16 + 8;

std::array<std::uint8_t, kHolderKeySize> holder_key(const ParticipantId& p, std::uint64_t serial) {
    std::array<std::uint8_t, kHolderKeySize> b{};
    std::copy(p.begin(), p.end(), b.begin());
    const auto s = be64(serial);
    std::copy(s.begin(), s.end(), b.begin() + 16);
    return b;
}

Result<SlotOrder> read_slot_order(std::string_view k, std::string_view v) {
    if (k.size() != kSlotOrderKeySize || v.size() != 8 || static_cast<std::uint8_t>(k[8]) > 1)
        return make_error(Exit::io, "store damaged", "slot_orders holds a malformed entry");
    const auto* p = reinterpret_cast<const std::uint8_t*>(k.data());
    SlotOrder o;
    std::uint64_t slot = 0, energy = 0;
    for (int i = 0; i < 8; ++i) slot = slot << 8 | p[i];
    for (char c : v) energy = energy << 8 | static_cast<std::uint8_t>(c);
    o.key.slot = static_cast<std::int64_t>(slot ^ (std::uint64_t{1} << 63));
    o.key.side = static_cast<Side>(p[8]);
    std::copy(p + 9, p + 25, o.key.owner.begin());
    std::copy(p + 25, p + 57, o.key.id.begin());
    o.energy_wh = static_cast<std::int64_t>(energy);
    return o;
}

Result<std::string> meta_get(lmdb::Txn& txn, const StoreDbs& d, const char* key) {
    SETM_TRY(auto v, lmdb::get(txn, d.meta, as_val(std::string_view(key))));
    if (!v) return make_error(Exit::io, "not a setm store", std::string("no ") + key + " in meta");
    return std::string(v->begin(), v->end());
}

Status meta_put(lmdb::Txn& txn, const StoreDbs& d, const char* key, std::string_view value) {
    return lmdb::put(txn, d.meta, as_val(std::string_view(key)), as_val(value));
}

Result<Hash32> to_hash32(const std::string& s, const char* what) {
    if (s.size() != 32)
        return make_error(Exit::io, "store unreadable", std::string(what) + " is not 32 bytes");
    Hash32 h{};
    std::memcpy(h.data(), s.data(), 32);
    return h;
}

// Writes block `height` and every index change of `delta` in txn (the
// records' ids are delta's: apply_record put each there). Heights only grow:
// blocks and headers are appended at the end of their databases. The meta
// tip is set_tip's.
Status write_block(lmdb::Txn& txn, const StoreDbs& d, const Block& b, std::uint64_t height,
                   const StateDelta& delta) {
    StoredBlock sb{serialize_header(b.header), b.records};
    const auto hkey = be64(height);
    SETM_CHECK(put_sealed_be(txn, d.blocks, height, seal(sb), MDB_APPEND));
    SETM_CHECK(lmdb::put(txn, d.headers, as_val(hkey.data(), 8),
                         as_val(sb.header.data(), sb.header.size()), MDB_APPEND));
    SETM_CHECK(lmdb::put(txn, d.block_index, key_of(block_hash(b.header)), as_val(hkey.data(), 8),
                         MDB_NOOVERWRITE));
    for (const auto& [id, h] : delta.records)
        SETM_CHECK(lmdb::put(txn, d.records, key_of(id), as_val(hkey.data(), 8), MDB_NOOVERWRITE));
    for (const auto& [serial, entry] : delta.credentials)
        SETM_CHECK(put_sealed_be(txn, d.credentials, serial, seal(entry)));
    for (const auto& [p, serial] : delta.participants) {
        const auto v = be64(serial);
        SETM_CHECK(lmdb::put(txn, d.participants, key_of(p), as_val(v.data(), 8)));
    }
    for (const auto& [p, serial] : delta.holders) {
        const auto k = holder_key(p, serial);
        SETM_CHECK(lmdb::put(txn, d.holders, key_of(k), as_val(std::string_view())));
    }
    for (const auto& [m, serial] : delta.meters) {
        const auto v = be64(serial);
        SETM_CHECK(lmdb::put(txn, d.meters, as_val(std::string_view(m)), as_val(v.data(), 8)));
    }
    for (const auto& [id, entry] : delta.orders)
        SETM_CHECK(lmdb::put(txn, d.orders, key_of(id), as_val(seal(entry))));
    for (const auto& [k, energy] : delta.slot_orders) {
        const auto key = slot_order_key(k);
        const auto v = be64(static_cast<std::uint64_t>(energy));
        SETM_CHECK(lmdb::put(txn, d.slot_orders, key_of(key), as_val(v.data(), 8)));
    }
    for (const auto& [slot, h] : delta.cleared_slots) {
        const auto key = slot_key(slot);
        const auto v = be64(h);
        SETM_CHECK(lmdb::put(txn, d.cleared, key_of(key), as_val(v.data(), 8)));
    }
    for (const auto& [id, entry] : delta.cancelled)
        SETM_CHECK(lmdb::put(txn, d.cancelled, key_of(id), as_val(seal(entry))));
    if (delta.authority_state)
        SETM_CHECK(lmdb::put(txn, d.meta, as_val(std::string_view("authority")),
                             as_val(seal(*delta.authority_state))));
    for (const auto& [k, id] : delta.readings) {
        const std::string key = reading_key(k.first, k.second);
        SETM_CHECK(lmdb::put(txn, d.readings, as_val(std::string_view(key)), key_of(id)));
    }
    for (const auto& [key, link] : delta.key_links)
        SETM_CHECK(lmdb::put(txn, d.keys, key_of(key), as_val(seal(link))));
    return ok_status();
}

// The meta tip: the height and hash of the last block written.
Status set_tip(lmdb::Txn& txn, const StoreDbs& d, std::uint64_t height, const Hash32& hash) {
    const auto hkey = be64(height);
    SETM_CHECK(meta_put(txn, d, "height",
                        std::string_view(reinterpret_cast<const char*>(hkey.data()), 8)));
    return meta_put(txn, d, "tip",
                    std::string_view(reinterpret_cast<const char*>(hash.data()), 32));
}

// Genesis of an opened store: block 0, checked on its own.
Result<Genesis> read_genesis(TxnState& st) {
    SETM_TRY(Block b, st.block(0));
    if (b.records.empty() || !std::holds_alternative<Signed<Genesis>>(b.records[0]))
        return make_error(Exit::io, "not a setm store", "block 0 holds no genesis record");
    return std::get<Signed<Genesis>>(b.records[0]).body;
}

bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// Whether the environment holds nothing at all: what a process killed
// inside Store::create leaves behind (LMDB writes data.mdb's meta pages when
// it opens the file; the store's databases appear only with the first commit).
Result<bool> env_is_empty(lmdb::Txn& txn) {
    SETM_TRY(lmdb::Dbi main, lmdb::Dbi::open(txn, nullptr, false));
    SETM_TRY(lmdb::Cursor c, lmdb::Cursor::open(txn, main));
    SETM_TRY(bool any, c.first());
    return !any;
}

} // namespace

// ---- TxnState --------------------------------------------------------------------

Result<std::optional<RegistryEntry>> TxnState::credential(std::uint64_t serial) const {
    const auto k = be64(serial);
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.credentials, as_val(k.data(), 8)));
    if (!v) return std::optional<RegistryEntry>{};
    SETM_TRY(RegistryEntry e, unseal<RegistryEntry>(*v, "credential " + std::to_string(serial)));
    return std::optional<RegistryEntry>(std::move(e));
}

Result<std::optional<std::uint64_t>> TxnState::serial_of(const ParticipantId& p) const {
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.participants, key_of(p)));
    if (!v) return std::optional<std::uint64_t>{};
    SETM_TRY(std::uint64_t s, read_be64(*v, "participant serial"));
    return std::optional<std::uint64_t>(s);
}

Result<std::vector<std::uint64_t>> TxnState::serials_of_holder(const ParticipantId& p) const {
    SETM_TRY(lmdb::Cursor c, lmdb::Cursor::open(txn_, dbs_.holders));
    const auto start = holder_key(p, 0);
    const std::string_view prefix(reinterpret_cast<const char*>(start.data()), 16);
    std::vector<std::uint64_t> out;
    SETM_TRY(bool more, c.seek(key_of(start)));
    while (more && c.key().substr(0, 16) == prefix) {
        const std::string_view k = c.key();
        if (k.size() != kHolderKeySize)
            return make_error(Exit::io, "store damaged", "holders holds a malformed entry");
        SETM_TRY(std::uint64_t s, read_be64(Bytes(k.begin() + 16, k.end()), "holder serial"));
        out.push_back(s);
        SETM_TRY(more, c.next());
    }
    return out;
}

Result<std::optional<std::uint64_t>> TxnState::serial_of_meter(const std::string& m) const {
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.meters, as_val(std::string_view(m))));
    if (!v) return std::optional<std::uint64_t>{};
    SETM_TRY(std::uint64_t s, read_be64(*v, "meter serial"));
    return std::optional<std::uint64_t>(s);
}

Result<std::optional<OrderEntry>> TxnState::order(const Hash32& id) const {
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.orders, key_of(id)));
    if (!v) return std::optional<OrderEntry>{};
    SETM_TRY(OrderEntry e, unseal<OrderEntry>(*v, "order " + to_hex(id)));
    return std::optional<OrderEntry>(std::move(e));
}

Result<bool> TxnState::has_record(const Hash32& id) const {
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.records, key_of(id)));
    return v.has_value();
}

Status TxnState::each_slot_order(std::int64_t first, std::int64_t last,
                                 const SlotOrderFn& fn) const {
    SETM_TRY(lmdb::Cursor c, lmdb::Cursor::open(txn_, dbs_.slot_orders));
    const auto start = slot_key(first);
    SETM_TRY(bool more, c.seek(key_of(start)));
    while (more) {
        SETM_TRY(SlotOrder o, read_slot_order(c.key(), c.value()));
        if (o.key.slot > last) break;
        SETM_CHECK(fn(o));
        SETM_TRY(more, c.next());
    }
    return ok_status();
}

Result<std::int64_t> TxnState::slot_energy(std::int64_t slot, Side side,
                                           const ParticipantId& owner) const {
    SETM_TRY(lmdb::Cursor c, lmdb::Cursor::open(txn_, dbs_.slot_orders));
    const auto start = slot_order_key(SlotOrderKey{slot, side, owner, {}});
    const std::string_view prefix(reinterpret_cast<const char*>(start.data()), 25);
    std::int64_t sum = 0;
    SETM_TRY(bool more, c.seek(key_of(start)));
    while (more && c.key().substr(0, 25) == prefix) {
        SETM_TRY(SlotOrder o, read_slot_order(c.key(), c.value()));
        SETM_TRY(sum, checked_add(sum, o.energy_wh));
        SETM_TRY(more, c.next());
    }
    return sum;
}

Result<std::optional<std::uint64_t>> TxnState::cleared(std::int64_t slot) const {
    const auto k = slot_key(slot);
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.cleared, key_of(k)));
    if (!v) return std::optional<std::uint64_t>{};
    SETM_TRY(std::uint64_t h, read_be64(*v, "cleared height"));
    return std::optional<std::uint64_t>(h);
}

Result<std::optional<CancelEntry>> TxnState::cancellation(const Hash32& order) const {
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.cancelled, key_of(order)));
    if (!v) return std::optional<CancelEntry>{};
    SETM_TRY(CancelEntry e, unseal<CancelEntry>(*v, "cancel of order " + to_hex(order)));
    return std::optional<CancelEntry>(e);
}

Result<AuthorityState> TxnState::authority() const {
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.meta, as_val(std::string_view("authority"))));
    if (!v) return genesis_authority(genesis_);
    return unseal<AuthorityState>(*v, "the authority");
}

Result<std::optional<Hash32>> TxnState::reading(const std::string& meter, std::int64_t slot) const {
    const std::string key = reading_key(meter, slot);
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.readings, as_val(std::string_view(key))));
    if (!v) return std::optional<Hash32>{};
    SETM_TRY(Hash32 id, to_hash32(std::string(v->begin(), v->end()), "reading id"));
    return std::optional<Hash32>(id);
}

Result<std::optional<KeyLink>> TxnState::key_link(const ParticipantId& key) const {
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.keys, key_of(key)));
    if (!v) return std::optional<KeyLink>{};
    SETM_TRY(KeyLink l, unseal<KeyLink>(*v, "key link of " + participant_hex(key)));
    return std::optional<KeyLink>(l);
}

Result<std::optional<std::uint64_t>> TxnState::record_height(const Hash32& id) const {
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.records, key_of(id)));
    if (!v) return std::optional<std::uint64_t>{};
    SETM_TRY(std::uint64_t h, read_be64(*v, "record height"));
    return std::optional<std::uint64_t>(h);
}

Result<std::optional<std::uint64_t>> TxnState::block_height(const Hash32& id) const {
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.block_index, key_of(id)));
    if (!v) return std::optional<std::uint64_t>{};
    SETM_TRY(std::uint64_t h, read_be64(*v, "block height"));
    return std::optional<std::uint64_t>(h);
}

Status TxnState::each_credential(const std::function<Status(const RegistryEntry&)>& fn) const {
    return each(dbs_.credentials, [&](std::string_view k, std::string_view) -> Status {
        SETM_TRY(std::uint64_t serial, read_be64(Bytes(k.begin(), k.end()), "credential serial"));
        SETM_TRY(auto e, credential(serial));
        if (!e)
            return make_error(Exit::io, "store unreadable", "credential " + std::to_string(serial));
        return fn(*e);
    });
}

Result<std::uint64_t> TxnState::next_serial() const {
    // Keys are big-endian serials: the last key is the highest.
    SETM_TRY(lmdb::Cursor c, lmdb::Cursor::open(txn_, dbs_.credentials));
    SETM_TRY(bool any, c.last());
    if (!any) return std::uint64_t{1};
    const std::string_view k = c.key();
    SETM_TRY(std::uint64_t max, read_be64(Bytes(k.begin(), k.end()), "credential serial"));
    return max + 1;
}

Result<std::uint64_t> TxnState::first_unreserved_serial() const {
    SETM_TRY(std::uint64_t first, next_serial());
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.meta, as_val(std::string_view("serials_reserved"))));
    if (v) {
        SETM_TRY(std::uint64_t reserved, read_be64(*v, "serials_reserved"));
        if (reserved == UINT64_MAX)
            return make_error(Exit::bad_input, "no serial left", "serials are exhausted");
        first = std::max(first, reserved + 1);
    }
    return first;
}

Result<std::uint64_t> TxnState::height() const {
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.meta, as_val(std::string_view("height"))));
    if (!v) return make_error(Exit::io, "not a setm store", "no height in meta");
    return read_be64(*v, "height");
}

Result<BlockHeader> TxnState::header(std::uint64_t height) const {
    const auto k = be64(height);
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.headers, as_val(k.data(), 8)));
    if (!v)
        return make_error(Exit::io, "store damaged",
                          "no header at height " + std::to_string(height));
    return parse_header(v->data(), v->size());
}

Result<Block> TxnState::block(std::uint64_t height) const {
    const auto k = be64(height);
    SETM_TRY(auto v, lmdb::get(txn_, dbs_.blocks, as_val(k.data(), 8)));
    if (!v)
        return make_error(Exit::io, "store damaged",
                          "no block at height " + std::to_string(height));
    SETM_TRY(StoredBlock sb, unseal<StoredBlock>(*v, "block " + std::to_string(height)));
    SETM_TRY(BlockHeader h, parse_header(sb.header.data(), sb.header.size()));
    return Block{h, std::move(sb.records)};
}

Result<Tip> TxnState::tip() const {
    Tip t;
    SETM_TRY(t.height, height());
    SETM_TRY(BlockHeader h, header(t.height));
    t.hash = block_hash(h);
    const std::uint64_t first = t.height + 1 > kMedianTimeSpan ? t.height + 1 - kMedianTimeSpan : 0;
    for (std::uint64_t i = first; i <= t.height; ++i) {
        SETM_TRY(BlockHeader hi, header(i));
        t.last_times.push_back(hi.time);
    }
    return t;
}

namespace {

using EachFn = std::function<Status(std::string_view k, std::string_view v)>;

Status each_entry(lmdb::Txn& txn, lmdb::Dbi db, const EachFn& fn) {
    SETM_TRY(lmdb::Cursor c, lmdb::Cursor::open(txn, db));
    SETM_TRY(bool more, c.first());
    while (more) {
        SETM_CHECK(fn(c.key(), c.value()));
        SETM_TRY(more, c.next());
    }
    return ok_status();
}

} // namespace

Status TxnState::each(lmdb::Dbi db, const EachFn& fn) const { return each_entry(txn_, db, fn); }

// ---- Store -----------------------------------------------------------------------

Result<Store> Store::create(const std::string& dir, const Block& genesis, bool adopt_empty) {
    if (!adopt_empty && file_exists(dir + "/data.mdb"))
        return make_error(Exit::io, "store exists",
                          dir + " already holds a store; setm-auth init never touches one")
            .of_kind(ErrorKind::store_exists)
            .with_hint("choose a new --store directory");
    SETM_TRY(Hash32 chain, check_genesis_block(genesis));
    lmdb::Env::Options opt;
    opt.create = true;
    SETM_TRY(lmdb::Env env, lmdb::Env::open(dir, opt));
    Store s;
    s.dir_ = dir;
    s.env_ = std::make_unique<lmdb::Env>(std::move(env));
    s.chain_id_ = chain;
    s.genesis_ = std::get<Signed<Genesis>>(genesis.records[0]).body;
    Status st = lmdb::write_txn(*s.env_, [&](lmdb::Txn& txn) -> Status {
        SETM_TRY(bool empty, env_is_empty(txn));
        if (!empty)
            return make_error(Exit::io, "store exists", dir + " already holds data")
                .of_kind(ErrorKind::store_exists);
        SETM_TRY(StoreDbs d, open_dbs(txn, true));
        SETM_CHECK(meta_put(txn, d, "format", kStoreFormat));
        SETM_CHECK(meta_put(txn, d, "version", kStoreVersion));
        SETM_CHECK(meta_put(txn, d, "chain",
                            std::string_view(reinterpret_cast<const char*>(chain.data()), 32)));
        TxnState base(txn, d, s.genesis_, s.chain_id_);
        StateDelta delta(base);
        SETM_CHECK(apply_genesis_records(delta, genesis));
        SETM_CHECK(write_block(txn, d, genesis, 0, delta));
        SETM_CHECK(set_tip(txn, d, 0, chain));
        s.dbs_ = d;
        return ok_status();
    });
    if (!st) return st.error();
    return s;
}

namespace {

// Older stores lack tables: version 2 the holders index, derived from the
// credentials table (each entry names its participant); versions 2 and 3
// the cancelled table, empty in them (no setm that wrote them knew the
// cancel record); versions 2 to 4 the readings and keys tables, empty
// likewise (no reading or hand-over record). Both in one write transaction that also sets the
// version, so a store is either upgraded or left as it was. A read-only
// open cannot write: it is refused with the way out.
Result<std::string> old_version(lmdb::Env& env) {
    SETM_TRY(lmdb::Txn txn, lmdb::Txn::begin(env, false));
    auto meta = lmdb::Dbi::open(txn, "meta", false);
    if (!meta) return std::string(); // not a store: open() says so
    SETM_TRY(auto v, lmdb::get(txn, *meta, as_val(std::string_view("version"))));
    const std::string version = v ? std::string(v->begin(), v->end()) : "";
    return version == "2" || version == "3" || version == "4" ? version : std::string();
}

Status derive_holders(lmdb::Txn& txn, const StoreDbs& d) {
    return each_entry(txn, d.credentials, [&](std::string_view k, std::string_view v) -> Status {
        SETM_TRY(auto e, unseal<RegistryEntry>(Bytes(v.begin(), v.end()),
                                               "credential " + to_hex(Bytes(k.begin(), k.end()))));
        const auto key = holder_key(e.credential.body.participant, e.credential.body.serial);
        return lmdb::put(txn, d.holders, key_of(key), as_val(std::string_view()));
    });
}

Status upgrade_old(lmdb::Env& env, const std::string& dir, bool read_only) {
    SETM_TRY(std::string old, old_version(env));
    if (old.empty()) return ok_status();
    if (read_only)
        return make_error(Exit::io, "store version",
                          dir + " is version " + old + "; this setm reads " + kStoreVersion)
            .with_hint(
                "any tool that writes the store (setm-mine, setm-settle) upgrades it in "
                "place: it adds the index of each participant's credentials and the tables "
                "of cancelled orders, meter readings and handed-over keys");
    return lmdb::write_txn(env, [&](lmdb::Txn& txn) -> Status {
        SETM_TRY(StoreDbs d, open_dbs(txn, true)); // creates the missing tables
        SETM_TRY(std::string version, meta_get(txn, d, "version"));
        if (version != "2" && version != "3" && version != "4")
            return ok_status(); // upgraded by another process
        if (version == "2") SETM_CHECK(derive_holders(txn, d));
        return meta_put(txn, d, "version", kStoreVersion);
    });
}

} // namespace

Result<Store> Store::open(const std::string& dir, bool read_only) {
    lmdb::Env::Options opt;
    opt.read_only = read_only;
    SETM_TRY(lmdb::Env env, lmdb::Env::open(dir, opt));
    Store s;
    s.dir_ = dir;
    s.env_ = std::make_unique<lmdb::Env>(std::move(env));
    SETM_CHECK(upgrade_old(*s.env_, dir, read_only));
    SETM_TRY(lmdb::Txn txn, lmdb::Txn::begin(*s.env_, false));
    auto d = open_dbs(txn, false);
    if (!d) {
        SETM_TRY(bool empty, env_is_empty(txn));
        if (empty)
            return make_error(Exit::io, "no store",
                              dir +
                                  ": an empty LMDB environment (a store's creation was "
                                  "interrupted)")
                .of_kind(ErrorKind::no_store);
        return make_error(Exit::io, "not a setm store", dir + ": " + d.error().detail);
    }
    SETM_TRY(std::string format, meta_get(txn, d.value(), "format"));
    if (format != kStoreFormat)
        return make_error(Exit::io, "not a setm store", dir + ": format \"" + format + "\"");
    SETM_TRY(std::string version, meta_get(txn, d.value(), "version"));
    if (version != kStoreVersion)
        return make_error(Exit::io, "store version",
                          dir + " is version " + version + "; this setm reads " + kStoreVersion);
    SETM_TRY(std::string chain, meta_get(txn, d.value(), "chain"));
    SETM_TRY(s.chain_id_, to_hash32(chain, "chain id"));
    s.dbs_ = d.value();
    TxnState st(txn, s.dbs_, s.genesis_, s.chain_id_);
    SETM_TRY(s.genesis_, read_genesis(st));
    SETM_CHECK(txn.commit()); // makes the database handles usable by later transactions
    return s;
}

Result<std::unique_ptr<Snapshot>> Store::snapshot() {
    SETM_TRY(lmdb::Txn txn, lmdb::Txn::begin(*env_, false));
    return std::unique_ptr<Snapshot>(new Snapshot(std::move(txn), dbs_, genesis_, chain_id_));
}

Status Store::copy_compact_to(int fd) { return lmdb::copy_compact(*env_, fd, dir_); }

Result<std::uint64_t> Store::reserve_serials(std::uint64_t count) {
    std::uint64_t first = 0;
    SETM_CHECK(lmdb::write_txn(*env_, [&](lmdb::Txn& txn) -> Status {
        TxnState st(txn, dbs_, genesis_, chain_id_);
        SETM_TRY(first, st.first_unreserved_serial());
        if (count == 0 || first > UINT64_MAX - count)
            return make_error(Exit::bad_input, "no serial left", "serials are exhausted");
        const auto last = be64(first + count - 1);
        return lmdb::put(txn, dbs_.meta, as_val(std::string_view("serials_reserved")),
                         as_val(last.data(), last.size()));
    }));
    return first;
}

Status Store::append_if_tip(const Block& block, const Hash32& expected_tip, std::int64_t now,
                            unsigned threads, CheckedSignatures* checked) {
    Status done = lmdb::write_txn(*env_, [&](lmdb::Txn& txn) -> Status {
        TxnState st(txn, dbs_, genesis_, chain_id_);
        SETM_TRY(Tip tip, st.tip());
        if (tip.hash != expected_tip)
            return make_error(
                       Exit::busy, "tip moved",
                       "another writer appended block " + std::to_string(tip.height) + " first")
                .of_kind(ErrorKind::tip_moved);
        SETM_CHECK(check_header(block, tip.hash, genesis_.bits, tip.last_times, now));
        SETM_TRY(StateDelta delta, apply_records(st, block.records, block.header.time,
                                                 tip.height + 1, threads, nullptr, checked));
        SETM_CHECK(write_block(txn, dbs_, block, tip.height + 1, delta));
        return set_tip(txn, dbs_, tip.height + 1, block_hash(block.header));
    });
    // The pages read to validate and write the block need not stay resident:
    // a day's blocks would keep most of the data file mapped.
    env_->release_pages();
    return done;
}

namespace {

Error refuse_at(Error e, std::uint64_t height) {
    e.code = Exit::verify_failed;
    e.detail = "block " + std::to_string(height) + ": " + e.detail;
    return e;
}

// Moves the tip of a run past the block just written above it.
void advance(Tip& tip, const Block& b) {
    ++tip.height;
    tip.hash = block_hash(b.header);
    tip.last_times.push_back(b.header.time);
    if (tip.last_times.size() > kMedianTimeSpan) tip.last_times.erase(tip.last_times.begin());
}

// Block b of a run at `height`, before its records: true when it is the
// next block and its header holds (validate its records); false when the
// store holds it already (skipped) or it is refused (`refused`: another
// block there, a gap, a bad header).
Result<bool> placed(const TxnState& st, const Tip& tip, const Block& b, std::uint64_t height,
                    std::int64_t now, std::optional<Error>& refused) {
    if (height <= tip.height) {
        SETM_TRY(BlockHeader have, st.header(height));
        if (block_hash(have) == block_hash(b.header)) return false;
        refused = refuse_at(make_error(Exit::verify_failed, "diverged",
                                       "the store holds block " + hash_to_hex(block_hash(have)) +
                                           ", the network " + hash_to_hex(block_hash(b.header))),
                            height);
        return false;
    }
    if (height != tip.height + 1) {
        refused = refuse_at(make_error(Exit::verify_failed, "gap",
                                       "the store's tip is block " + std::to_string(tip.height)),
                            height);
        return false;
    }
    Status hs = check_header(b, tip.hash, st.genesis().bits, tip.last_times, now);
    if (!hs) {
        refused = refuse_at(hs.error(), height);
        return false;
    }
    return true;
}

// One block of a run at `height`: skipped if the store holds it already,
// refused if it holds another, else validated on the tip and written.
Result<bool> append_one(lmdb::Txn& txn, const StoreDbs& d, TxnState& st, Tip& tip, const Block& b,
                        std::uint64_t height, std::int64_t now, unsigned threads,
                        std::optional<Error>& refused) {
    SETM_TRY(bool next, placed(st, tip, b, height, now, refused));
    if (!next) return false;
    auto delta = apply_records(st, b.records, b.header.time, height, threads);
    if (!delta) {
        refused = refuse_at(delta.error(), height);
        return false;
    }
    SETM_CHECK(write_block(txn, d, b, height, delta.value()));
    advance(tip, b);
    return true;
}

// The signatures of one block of a run, tagged with its position there.
class BlockSignatures : public SignatureSink {
public:
    BlockSignatures(SignaturePool& pool, std::size_t block) : pool_(pool), block_(block) {}
    void add(std::size_t, const Record& r, const PublicKey& key) override {
        pool_.add(block_, r, key);
    }

private:
    SignaturePool& pool_;
    std::size_t block_;
};

// A run on several threads: each block's header and rules checked in order
// on this thread and written, while `threads` others verify the signatures
// of the blocks before it. Returns the position of the first block that
// failed anything (header, rule, signature, place), the blocks written then
// being worthless; nullopt when every block was appended or skipped.
Result<std::optional<std::size_t>> append_pooled(lmdb::Txn& txn, const StoreDbs& d, TxnState& st,
                                                 const std::vector<Block>& blocks,
                                                 std::uint64_t first, std::int64_t now,
                                                 unsigned threads, std::size_t& appended) {
    SETM_TRY(Tip tip, st.tip());
    SignaturePool pool(threads);
    std::optional<std::size_t> failed;
    for (std::size_t i = 0; i < blocks.size() && !failed; ++i) {
        const Block& b = blocks[i];
        std::optional<Error> refused;
        SETM_TRY(bool next, placed(st, tip, b, first + i, now, refused));
        if (refused) failed = i;
        if (!next) continue;
        BlockSignatures sigs(pool, i);
        auto delta = apply_rules(st, b.records, b.header.time, first + i, sigs);
        if (!delta) {
            failed = i;
            continue;
        }
        SETM_CHECK(write_block(txn, d, b, first + i, delta.value()));
        advance(tip, b);
        ++appended;
    }
    if (auto bad = pool.first_bad(); bad && (!failed || *bad < *failed)) failed = *bad;
    if (!failed && appended > 0) SETM_CHECK(set_tip(txn, d, tip.height, tip.hash));
    return failed;
}

} // namespace

Result<Store::Run> Store::append_run(const std::vector<Block>& blocks, std::uint64_t first,
                                     std::int64_t now, unsigned threads) {
    Run run;
    if (threads > 1 && blocks.size() > 1) {
        std::optional<std::size_t> failed;
        Status st = lmdb::write_txn(*env_, [&](lmdb::Txn& txn) -> Status {
            run = Run{}; // write_txn runs this again after growing the map
            failed.reset();
            TxnState state(txn, dbs_, genesis_, chain_id_);
            SETM_TRY(failed,
                     append_pooled(txn, dbs_, state, blocks, first, now, threads, run.appended));
            if (failed) return make_error(Exit::verify_failed, "rolled back");
            return ok_status();
        });
        if (!failed) {
            SETM_CHECK(st);
            return run;
        }
        // Nothing of it was committed. The run below, checking signatures
        // block by block, appends the good blocks before the failure and
        // names it exactly as it always has.
    }
    SETM_CHECK(lmdb::write_txn(*env_, [&](lmdb::Txn& txn) -> Status {
        run = Run{}; // write_txn runs this again after growing the map
        TxnState st(txn, dbs_, genesis_, chain_id_);
        SETM_TRY(Tip tip, st.tip());
        for (std::size_t i = 0; i < blocks.size() && !run.refused; ++i) {
            SETM_TRY(bool added, append_one(txn, dbs_, st, tip, blocks[i], first + i, now, threads,
                                            run.refused));
            if (added) ++run.appended;
        }
        // The meta tip once, after the run's last block.
        if (run.appended > 0) SETM_CHECK(set_tip(txn, dbs_, tip.height, tip.hash));
        return ok_status();
    }));
    return run;
}

// ---- index check (setm-verify) ---------------------------------------------------

namespace {

using Entries = std::map<std::string, std::string>;

std::string str_of(const void* p, std::size_t n) {
    return std::string(static_cast<const char*>(p), n);
}
template <std::size_t N>
std::string str_of(const std::array<std::uint8_t, N>& a) {
    return str_of(a.data(), N);
}
std::string str_of(const Bytes& b) { return str_of(b.data(), b.size()); }

Status compare_db(lmdb::Txn& txn, lmdb::Dbi db, const char* name, const Entries& want) {
    std::size_t seen = 0;
    SETM_CHECK(each_entry(txn, db, [&](std::string_view k, std::string_view v) -> Status {
        auto it = want.find(std::string(k));
        if (it == want.end())
            return make_error(
                Exit::verify_failed, "bad index",
                std::string(name) + " holds an entry the chain does not explain: " +
                    to_hex(reinterpret_cast<const std::uint8_t*>(k.data()), k.size()));
        if (it->second != v)
            return make_error(
                Exit::verify_failed, "bad index",
                std::string(name) + " entry " +
                    to_hex(reinterpret_cast<const std::uint8_t*>(k.data()), k.size()) +
                    " differs from the replay");
        ++seen;
        return ok_status();
    }));
    if (seen != want.size())
        return make_error(Exit::verify_failed, "bad index",
                          std::string(name) + " lacks " + std::to_string(want.size() - seen) +
                              " entr" + (want.size() - seen == 1 ? "y" : "ies") + " of the replay");
    return ok_status();
}

} // namespace

Status Store::check_indexes(const TxnState& st, const MemoryState& replay,
                            const std::vector<BlockHeader>& headers) {
    const StoreDbs& d = st.dbs_;
    Entries hdr, idx, recs, creds, parts, holders, meters, orders, slots, cleared, cancelled,
        readings, keys;
    for (std::size_t h = 0; h < headers.size(); ++h) {
        const auto key = str_of(be64(h));
        hdr[key] = str_of(serialize_header(headers[h]));
        idx[str_of(block_hash(headers[h]))] = key;
    }
    for (const auto& [id, h] : replay.records) recs[str_of(id)] = str_of(be64(h));
    for (const auto& [serial, e] : replay.credentials)
        creds[str_of(be64(serial))] = str_of(seal(e));
    for (const auto& [p, serial] : replay.participants) parts[str_of(p)] = str_of(be64(serial));
    for (const auto& [p, serial] : replay.holders) holders[str_of(holder_key(p, serial))] = "";
    for (const auto& [m, serial] : replay.meters) meters[m] = str_of(be64(serial));
    for (const auto& [id, e] : replay.orders) orders[str_of(id)] = str_of(seal(e));
    for (const auto& [k, energy] : replay.slot_orders)
        slots[str_of(slot_order_key(k))] = str_of(be64(static_cast<std::uint64_t>(energy)));
    for (const auto& [slot, h] : replay.cleared_slots)
        cleared[str_of(slot_key(slot))] = str_of(be64(h));
    for (const auto& [id, e] : replay.cancelled) cancelled[str_of(id)] = str_of(seal(e));
    for (const auto& [k, id] : replay.readings)
        readings[reading_key(k.first, k.second)] = str_of(id);
    for (const auto& [k, l] : replay.key_links) keys[str_of(k)] = str_of(seal(l));
    std::size_t blocks = 0;
    SETM_CHECK(st.each(d.blocks, [&](std::string_view k, std::string_view) -> Status {
        if (!hdr.count(std::string(k)))
            return make_error(Exit::verify_failed, "bad index",
                              "blocks holds a block beyond the tip");
        ++blocks;
        return ok_status();
    }));
    if (blocks != headers.size())
        return make_error(Exit::verify_failed, "bad index", "blocks lacks a block");
    SETM_CHECK(compare_db(st.txn_, d.headers, "headers", hdr));
    SETM_CHECK(compare_db(st.txn_, d.block_index, "block_index", idx));
    SETM_CHECK(compare_db(st.txn_, d.records, "records", recs));
    SETM_CHECK(compare_db(st.txn_, d.credentials, "credentials", creds));
    SETM_CHECK(compare_db(st.txn_, d.participants, "participants", parts));
    SETM_CHECK(compare_db(st.txn_, d.holders, "holders", holders));
    SETM_CHECK(compare_db(st.txn_, d.meters, "meters", meters));
    SETM_CHECK(compare_db(st.txn_, d.orders, "orders", orders));
    SETM_CHECK(compare_db(st.txn_, d.slot_orders, "slot_orders", slots));
    SETM_CHECK(compare_db(st.txn_, d.cleared, "cleared", cleared));
    SETM_CHECK(compare_db(st.txn_, d.cancelled, "cancelled", cancelled));
    SETM_TRY(auto auth, lmdb::get(st.txn_, d.meta, as_val(std::string_view("authority"))));
    if (auth.has_value() != replay.authority_state.has_value() ||
        (auth && str_of(*auth) != str_of(seal(*replay.authority_state))))
        return make_error(Exit::verify_failed, "bad index",
                          "meta authority differs from the replay");
    SETM_CHECK(compare_db(st.txn_, d.readings, "readings", readings));
    SETM_CHECK(compare_db(st.txn_, d.keys, "keys", keys));
    SETM_TRY(std::uint64_t height, st.height());
    if (headers.empty() || height != headers.size() - 1)
        return make_error(Exit::verify_failed, "bad index",
                          "meta height " + std::to_string(height) + " differs from the replay");
    SETM_TRY(auto tip, lmdb::get(st.txn_, d.meta, as_val(std::string_view("tip"))));
    if (!tip || str_of(*tip) != str_of(block_hash(headers.back())))
        return make_error(Exit::verify_failed, "bad index", "meta tip differs from the replay");
    return ok_status();
}

} // namespace setm
