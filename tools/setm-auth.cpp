// setm-auth - the trusted authority: start a chain, admit and revoke
// participants, check who signed what (Algorithm 1), and the mutual key.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "authority.hpp"
#include "clearing.hpp"
#include "miner.hpp"
#include "nats_flags.hpp"
#include "record_stream.hpp"
#include "store.hpp"
#include "tool.hpp"

using namespace setm;

namespace {

const char* kTool = "setm-auth";

struct Options {
    std::string store, key, passphrase_file, now, input = "-";
    // init
    std::string chain_name = "setm";
    unsigned difficulty = 16;
    unsigned slot_minutes = 30;
    unsigned max_records = 10000;
    unsigned threads = tool::default_threads();
    std::string mechanism = "pay-as-clear", network_fee = "0";
    unsigned rounds = 10, gate_minutes = 0, auction_minutes = 0;
    std::vector<std::string> zone_fees;
    std::string grid_operator;
    std::string recovery_key;
    // rotate
    std::string new_key, new_recovery_key, rotate_reason = "hand-over";
    bool recovery = false;
    // register
    std::vector<std::string> roles;
    std::string zone, meter, max_energy, valid_from, valid_until;
    unsigned days = 365;
    bool renew = false;
    std::string replaces; // a hand-over: the old key's participant id, identity file or name
    std::uint64_t serial = 0;
    // revoke
    std::string reason = "revoked by the authority";
    // tariff
    std::string imbalance_price, tariff_from;
    // mutual, seal, open
    std::string peer, context;
    std::string note;
    tool::NatsFlags nats;
};

Result<SecretKey> load_key(const Options& o) {
    std::optional<std::string> file;
    if (!o.passphrase_file.empty()) file = o.passphrase_file;
    SETM_TRY(auto pass, load_passphrase(file, std::getenv("SETM_PASSPHRASE")));
    return read_key_file(o.key, pass);
}

Result<std::unique_ptr<Input>> open_input(const std::string& path) { return Input::open(path); }

// The one identity (setm-keygen's output) in FILE, its proof of
// possession checked: the public half of a key another tool is given.
Result<Signed<Identity>> read_identity_file(const std::string& path, const char* flag) {
    SETM_TRY(auto in, open_input(path));
    std::optional<Signed<Identity>> id;
    SETM_CHECK(each_object(in->stream(), [&](const rapidjson::Value& obj, std::size_t) -> Status {
        if (id)
            return make_error(Exit::bad_input, std::string("bad ") + flag,
                              path + " holds more than one identity");
        auto got = identity_from_json(obj);
        if (!got)
            return got.error().with_hint(std::string(flag) +
                                         " takes the identity setm-keygen prints (setm-keygen "
                                         "--show KEYFILE prints it again), not the key file");
        id = std::move(got.value());
        return ok_status();
    }));
    if (!id) return make_error(Exit::bad_input, std::string("bad ") + flag, path + " is empty");
    SETM_CHECK(check_identity(*id));
    return *id;
}

// ---- init -------------------------------------------------------------------------

// --nats: the network's stream for the chain, with the genesis as its first
// message, before the store exists (a chain the network refused leaves none).
Status publish_genesis(const Options& o, const Block& genesis) {
    if (!o.nats.on()) return ok_status();
    SETM_TRY(replica::Link link, replica::Link::connect(o.nats.options()));
    SETM_TRY(int replicas, replica::publish_genesis(link, genesis));
    if (tool::person_watching())
        std::cerr << kTool << ": published the genesis block to the network (stream "
                  << replica::stream_name(block_hash(genesis.header)) << ", " << replicas
                  << " replica" << (replicas == 1 ? "" : "s") << ")\n";
    return ok_status();
}

// The market the genesis block fixes, from init's options.
Status set_market(const Options& o, Genesis& g) {
    g.mechanism = o.mechanism;
    g.rounds = o.rounds;
    SETM_TRY(g.network_fee, tool::price_arg(o.network_fee, "--network-fee"));
    SETM_TRY(g.zone_fees, parse_zone_fees(o.zone_fees));
    if (!o.grid_operator.empty()) {
        auto op = participant_from_hex(o.grid_operator);
        if (!op) return make_error(Exit::usage, "bad --grid-operator", op.error().detail);
        if (*op == ParticipantId{})
            return make_error(Exit::usage, "bad --grid-operator", "the zero id names nobody");
        g.grid_operator = *op;
    }
    g.gate_minutes = o.gate_minutes;
    g.auction_minutes = o.auction_minutes;
    if (Status m = check_market_genesis(g); !m)
        return make_error(Exit::usage, "bad market", m.error().detail);
    return ok_status();
}

Status cmd_init(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    if (!valid_slot_minutes(static_cast<int>(o.slot_minutes)))
        return make_error(Exit::usage, "bad --slot-minutes", "use 15, 30 or 60");
    SETM_TRY(std::uint32_t bits, bits_for_leading_zero_bits(o.difficulty));
    if (::access((o.store + "/data.mdb").c_str(), F_OK) == 0) // refuse before mining, not after
        return make_error(Exit::io, "store exists",
                          o.store + " already holds a store; setm-auth init never touches one")
            .with_hint("choose a new --store directory");
    SETM_TRY(SecretKey key, load_key(o));
    Genesis g;
    g.chain_name = o.chain_name;
    g.authority_name = key.name;
    g.authority_ed25519 = key.ed25519;
    g.authority_x25519 = key.x25519;
    g.bits = bits;
    g.slot_minutes = o.slot_minutes;
    g.max_records = o.max_records;
    g.created = now;
    SETM_CHECK(set_market(o, g));
    std::vector<Record> records{sign_record(g, kNoChain, key.seed)};
    if (!o.recovery_key.empty()) { // block 0's second record: the recovery key
        SETM_TRY(Signed<Identity> r, read_identity_file(o.recovery_key, "--recovery-key"));
        if (r.body.ed25519 == key.ed25519)
            return make_error(Exit::usage, "bad --recovery-key",
                              "the recovery key is the authority's own key")
                .with_hint("make a second key with setm-keygen and keep it offline");
        records.push_back(genesis_recovery(g, key, r.body.ed25519));
    }
    // make_genesis_block's proof of work, with progress on a terminal
    const auto meter = tool::mining_meter(kTool);
    auto mined = mine_block(std::move(records), Hash32{}, static_cast<std::uint32_t>(now), g.bits,
                            o.threads, meter.tick);
    meter.done();
    SETM_TRY(Block b, std::move(mined));
    SETM_CHECK(publish_genesis(o, b));
    auto created = Store::create(o.store, b);
    if (!created && !created.error().is(ErrorKind::store_exists) &&
        ::access((o.store + "/data.mdb").c_str(), F_OK) == 0)
        return created.error().with_hint("no genesis block was committed; remove " + o.store +
                                         " before running init again");
    SETM_TRY(Store s, std::move(created));
    SETM_CHECK(tool::print(block_to_json(b, 0) + "\n"));
    if (tool::person_watching())
        std::cerr << kTool << ": started chain \"" << g.chain_name << "\" in " << o.store << "\n"
                  << kTool << ": chain id " << hash_to_hex(s.chain_id())
                  << " (the genesis block's hash; every record signs it)\n";
    return ok_status();
}

// ---- register -----------------------------------------------------------------------
Result<CredentialTerms> terms_of(const Options& o, std::int64_t now) {
    CredentialTerms t;
    if (o.roles.empty() && o.replaces.empty()) // a hand-over keeps the old roles
        return make_error(Exit::usage, "missing --role", "give at least one --role");
    for (const auto& r : o.roles) {
        auto bit = parse_role(r);
        if (!bit) return make_error(Exit::usage, "bad --role", bit.error().detail);
        t.roles |= bit.value();
    }
    t.zone = o.zone;
    t.meter = o.meter;
    t.renew = o.renew;
    if (!o.max_energy.empty()) {
        auto e = parse_energy(o.max_energy);
        if (!e) return make_error(Exit::usage, "bad --max-energy", e.error().detail);
        t.max_energy_wh = e.value();
    }
    t.valid_from = now;
    if (!o.valid_from.empty()) {
        auto v = parse_utc(o.valid_from);
        if (!v) return make_error(Exit::usage, "bad --valid-from", v.error().detail);
        t.valid_from = v.value();
    }
    t.valid_until = t.valid_from + static_cast<std::int64_t>(o.days) * 86400;
    if (!o.valid_until.empty()) {
        auto v = parse_utc(o.valid_until);
        if (!v) return make_error(Exit::usage, "bad --valid-until", v.error().detail);
        t.valid_until = v.value();
    }
    if (t.valid_until <= t.valid_from)
        return make_error(Exit::usage, "bad validity", "--valid-until must be after --valid-from");
    return t;
}

struct InputIdentity {
    Signed<Identity> id;
    std::size_t line = 0;
};

// The identities of the input, in order, with their lines.
Result<std::vector<InputIdentity>> read_identities(const Options& o) {
    SETM_TRY(auto in, open_input(o.input));
    std::vector<InputIdentity> ids;
    SETM_CHECK(
        each_object(in->stream(), [&](const rapidjson::Value& obj, std::size_t line) -> Status {
            SETM_TRY(Signed<Identity> id, identity_from_json(obj));
            ids.push_back({std::move(id), line});
            return ok_status();
        }));
    return ids;
}

// The credentials for IDS, serials counting up from FIRST, each checked by
// the chain's rules against the registry and the identities before it.
Result<std::string> issue_all(const TxnState& st, const SecretKey& key,
                              const std::vector<InputIdentity>& ids, const CredentialTerms& terms,
                              std::uint64_t first) {
    StateDelta batch(st); // identities earlier in the input count too
    std::string out;
    // issue_credential has just checked each credential's signature on a
    // trial of `batch` (the same bytes, the same authority key): applying it
    // to `batch` runs every rule again but queues that signature here,
    // unchecked a second time.
    DeferredSignatures checked_above;
    for (const auto& [id, line] : ids) {
        auto at_line = [line = line](Error e) { return e.at_line(line); };
        auto c = issue_credential(batch, key, id, terms, first++);
        if (!c) return at_line(c.error());
        Status applied = apply_record(batch, c.value(), terms.valid_from, 0, &checked_above);
        checked_above.clear();
        if (!applied) return at_line(applied.error());
        out += to_json(Record(c.value())) + "\n";
    }
    return out;
}

// --replaces OLD: a participant id (32 hex digits), a file holding the old
// key's identity or credential, or the name on the credential of a key on
// the chain that no hand-over has replaced (one such participant).
Result<ParticipantId> resolve_old(const TxnState& st, const std::string& old) {
    if (auto id = participant_from_hex(old)) return *id;
    if (::access(old.c_str(), F_OK) == 0) {
        SETM_TRY(auto in, open_input(old));
        std::optional<ParticipantId> found;
        SETM_CHECK(
            each_object(in->stream(), [&](const rapidjson::Value& obj, std::size_t) -> Status {
                if (found) return ok_status();
                if (auto i = identity_from_json(obj)) {
                    found = i->body.signer();
                    return ok_status();
                }
                SETM_TRY(Record r, record_from_json(obj));
                if (const auto* c = std::get_if<Signed<Credential>>(&r))
                    found = c->body.participant;
                return ok_status();
            }));
        if (found) return *found;
        return make_error(Exit::usage, "bad --replaces", old + " holds no identity or credential");
    }
    std::set<ParticipantId> named;
    SETM_CHECK(st.each_credential([&](const RegistryEntry& e) -> Status {
        if (e.credential.body.name != old) return ok_status();
        SETM_TRY(auto link, st.key_link(e.credential.body.participant));
        if (!link || link->next == ParticipantId{}) named.insert(e.credential.body.participant);
        return ok_status();
    }));
    if (named.size() == 1) return *named.begin();
    return make_error(Exit::usage, "bad --replaces",
                      named.empty() ? "no key on the chain is named \"" + old + "\""
                                    : "more than one participant is named \"" + old + "\"")
        .with_hint("give the old key's participant id, or its identity or credential file");
}

Result<std::string> issue_handover_lines(const TxnState& st, const SecretKey& key,
                                         const InputIdentity& id, const CredentialTerms& terms,
                                         const std::string& replaces, std::uint64_t serial) {
    SETM_TRY(ParticipantId old, resolve_old(st, replaces));
    auto records = issue_handover(st, key, old, id.id, terms, serial, "key handed over");
    if (!records) return records.error().at_line(id.line);
    std::string out;
    for (const Record& r : *records) out += to_json(r) + "\n";
    return out;
}

// register --replaces OLD: one new key takes over from OLD; serials as below.
Status cmd_handover(const Options& o, const CredentialTerms& terms, const SecretKey& key) {
    const bool reserve = o.serial == 0;
    SETM_TRY(Store store, Store::open(o.store, !reserve));
    SETM_TRY(auto ids, read_identities(o));
    if (ids.size() != 1)
        return make_error(
            Exit::usage, "one new key",
            "--replaces with " + std::to_string(ids.size()) + " identities on the input; give one");
    SETM_TRY(auto snap, store.snapshot());
    std::uint64_t serial = o.serial;
    if (reserve) {
        SETM_TRY(serial, snap->state().next_serial());
    }
    SETM_TRY(std::string out,
             issue_handover_lines(snap->state(), key, ids[0], terms, o.replaces, serial));
    if (reserve) {
        SETM_TRY(serial, store.reserve_serials(1));
        snap.reset();
        SETM_TRY(snap, store.snapshot());
        SETM_TRY(out, issue_handover_lines(snap->state(), key, ids[0], terms, o.replaces, serial));
    }
    SETM_CHECK(tool::print(out));
    if (tool::person_watching())
        std::cerr << kTool << ": issued a hand-over and the new key's credential; mine them "
                  << "together, in this order, with setm-mine\n";
    return ok_status();
}

// Without --serial the serials are reserved in the store (Store::
// reserve_serials), but only once every credential passed with provisional
// ones: a refused register reserves nothing.
Status cmd_register(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    SETM_TRY(CredentialTerms terms, terms_of(o, now));
    SETM_TRY(SecretKey key, load_key(o));
    if (!o.replaces.empty()) return cmd_handover(o, terms, key);
    const bool reserve = o.serial == 0;
    SETM_TRY(Store store, Store::open(o.store, !reserve));
    SETM_TRY(auto ids, read_identities(o));
    if (ids.size() > 1 && !terms.meter.empty())
        return make_error(Exit::usage, "one meter, one participant",
                          "--meter with more than one identity");
    SETM_TRY(auto snap, store.snapshot());
    std::uint64_t first = o.serial;
    if (reserve) {
        SETM_TRY(first, snap->state().first_unreserved_serial());
    }
    SETM_TRY(const Tip before, snap->state().tip());
    auto issued = issue_all(snap->state(), key, ids, terms, first);
    if (!issued && reserve) { // refused: word it as ever, with serials from the chain's next
        SETM_TRY(const std::uint64_t next, snap->state().next_serial());
        if (next != first) SETM_CHECK(issue_all(snap->state(), key, ids, terms, next));
    }
    SETM_TRY(std::string out, std::move(issued));
    if (reserve && !ids.empty()) {
        SETM_TRY(const std::uint64_t reserved, store.reserve_serials(ids.size()));
        snap.reset();
        SETM_TRY(snap, store.snapshot());
        SETM_TRY(const Tip after, snap->state().tip());
        // The same serials on the same chain: the same credentials, already
        // checked; else (another register or a block came between) again.
        if (reserved != first || after.hash != before.hash) {
            SETM_TRY(out, issue_all(snap->state(), key, ids, terms, reserved));
        }
    }
    SETM_CHECK(tool::print(out)); // all or nothing
    if (tool::person_watching())
        std::cerr << kTool << ": issued " << ids.size()
                  << " credential(s); mine them with setm-mine to admit them\n";
    return ok_status();
}

// ---- revoke -------------------------------------------------------------------------
Status cmd_revoke(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    SETM_TRY(SecretKey key, load_key(o));
    SETM_TRY(Store store, Store::open(o.store, true));
    SETM_TRY(auto snap, store.snapshot());
    SETM_TRY(Signed<Revocation> r, issue_revocation(snap->state(), key, o.serial, now, o.reason));
    SETM_CHECK(tool::print(to_json(Record(r)) + "\n"));
    return ok_status();
}

// ---- rotate ---------------------------------------------------------------------------
Status cmd_rotate(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    SETM_TRY(SecretKey key, load_key(o));
    SETM_TRY(Signed<Identity> successor, read_identity_file(o.new_key, "--new-key"));
    RotationTerms terms;
    terms.recovery = o.recovery;
    terms.time = now;
    terms.reason = o.rotate_reason;
    if (!o.new_recovery_key.empty()) {
        SETM_TRY(terms.new_recovery, read_identity_file(o.new_recovery_key, "--new-recovery-key"));
    }
    SETM_TRY(Store store, Store::open(o.store, true));
    SETM_TRY(auto snap, store.snapshot());
    SETM_TRY(Signed<Authority> r, issue_rotation(snap->state(), key, successor, terms));
    SETM_CHECK(tool::print(to_json(Record(r)) + "\n"));
    if (tool::person_watching())
        std::cerr << kTool << ": signed the hand-over to " << successor.body.name
                  << "; mine it with setm-mine, then sign with the new key\n";
    return ok_status();
}

// ---- tariff --------------------------------------------------------------------------
Status cmd_tariff(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    SETM_TRY(std::int64_t price, tool::price_arg(o.imbalance_price, "--imbalance-price"));
    std::int64_t from = now;
    if (!o.tariff_from.empty()) {
        auto t = parse_utc(o.tariff_from);
        if (!t) return make_error(Exit::usage, "bad --from", t.error().detail);
        from = t.value();
    }
    SETM_TRY(SecretKey key, load_key(o));
    SETM_TRY(Store store, Store::open(o.store, true));
    SETM_TRY(auto snap, store.snapshot());
    SETM_TRY(Signed<Tariff> t, issue_tariff(snap->state(), key, price, from, now));
    SETM_CHECK(tool::print(to_json(Record(t)) + "\n"));
    if (tool::person_watching())
        std::cerr << kTool << ": imbalance price " << format_price(price)
                  << " EUR/MWh for the slots from " << format_utc(from)
                  << "; mine it with setm-mine\n";
    return ok_status();
}

// ---- check (Algorithm 1) -------------------------------------------------------------
Status cmd_check(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    SETM_TRY(Store store, Store::open(o.store, true));
    SETM_TRY(auto snap, store.snapshot());
    SETM_TRY(auto in, open_input(o.input));
    std::size_t bad = 0, good = 0;
    std::string out;
    SETM_CHECK(
        each_object(in->stream(), [&](const rapidjson::Value& obj, std::size_t line) -> Status {
            SETM_TRY(Record r, record_from_json(obj));
            Status s = authenticate(snap->state(), r, now);
            if (s) {
                ++good;
                out += to_json(r) + "\n";
            } else {
                ++bad;
                std::cerr << kTool << ": error: " << s.error().reason << ": " << record_type(r)
                          << " " << to_hex(record_id(r)) << ": " << s.error().detail << " (line "
                          << line << ")\n";
            }
            return ok_status();
        }));
    SETM_CHECK(tool::print(out));
    if (tool::person_watching())
        std::cerr << kTool << ": " << good << " record(s) authenticated, " << bad << " rejected\n";
    if (bad)
        return make_error(Exit::rejected, "wrong user",
                          std::to_string(bad) + " record(s) rejected");
    return ok_status();
}

// ---- list -------------------------------------------------------------------------------
Status cmd_list(const Options& o) {
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    SETM_TRY(Store store, Store::open(o.store, true));
    SETM_TRY(auto snap, store.snapshot());
    const TxnState& st = snap->state();
    std::string out;
    SETM_CHECK(st.each_credential([&](const RegistryEntry& e) -> Status {
        const Credential& c = e.credential.body;
        JsonOut j;
        j.begin_object().field("type", "registry-entry").field("serial", c.serial);
        j.field("participant", participant_hex(c.participant)).field("name", c.name);
        j.key("roles").begin_array();
        for (const auto& r : role_names(c.roles)) j.str(r);
        j.end_array();
        j.field("zone", c.zone).field("meter", c.meter).field("max_energy_wh", c.max_energy_wh);
        j.field("valid_from", format_utc(c.valid_from))
            .field("valid_until", format_utc(c.valid_until));
        SETM_TRY(CredentialStatus status, registry_status(st, e, now));
        j.field("status", status_name(status));
        if (e.revoked) j.field("revoked_at", format_utc(e.revoked_at));
        SETM_TRY(auto link, st.key_link(c.participant)); // a key a hand-over named
        if (link) j.field("holder", participant_hex(link->holder));
        if (link && link->next != ParticipantId{})
            j.field("replaced_by", participant_hex(link->next));
        j.field("height", static_cast<std::uint64_t>(e.height));
        j.end_object();
        out += j.str() + "\n";
        return ok_status();
    }));
    SETM_CHECK(tool::print(out));
    return ok_status();
}

// ---- mutual, seal, open ---------------------------------------------------------------
Result<PublicKey> peer_x25519(const std::string& path, ParticipantId* id) {
    SETM_TRY(auto in, open_input(path));
    std::optional<PublicKey> key;
    SETM_CHECK(each_object(in->stream(), [&](const rapidjson::Value& obj, std::size_t) -> Status {
        if (key)
            return make_error(Exit::bad_input, "bad peer", path + " holds more than one record");
        auto t = obj.FindMember("type");
        if (t != obj.MemberEnd() && t->value.IsString() &&
            std::string(t->value.GetString()) == "identity") {
            SETM_TRY(Signed<Identity> i, identity_from_json(obj));
            SETM_CHECK(check_identity(i));
            *id = i.body.signer();
            key = i.body.x25519;
            return ok_status();
        }
        SETM_TRY(Record r, record_from_json(obj));
        auto* c = std::get_if<Signed<Credential>>(&r);
        if (!c)
            return make_error(Exit::bad_input, "bad peer", "expected an identity or a credential");
        *id = c->body.participant;
        key = c->body.x25519;
        return ok_status();
    }));
    if (!key) return make_error(Exit::bad_input, "bad peer", path + " is empty");
    return *key;
}

// The peer's X25519 key, once the chain says the peer is an active
// participant at --now (Figure 4: the mutual key vouches for the other
// party) and holds that very key.
Result<PublicKey> registered_peer(const Options& o, Store& store, ParticipantId* peer) {
    SETM_TRY(PublicKey px, peer_x25519(o.peer, peer));
    SETM_TRY(std::int64_t now, tool::now_or(o.now));
    SETM_TRY(auto snap, store.snapshot());
    auto c = active_credential(snap->state(), *peer, now);
    if (!c) {
        Error e = c.error();
        e.with_hint("mutual keys are only for participants the chain admits");
        return e;
    }
    if (c->x25519 != px)
        return make_error(
            Exit::rejected, "wrong user",
            o.peer + ": its X25519 key is not the one " + c->name + "'s credential holds");
    return px;
}

Result<std::array<std::uint8_t, 32>> derive(const Options& o, const SecretKey& me,
                                            ParticipantId* peer) {
    SETM_TRY(Store store, Store::open(o.store, true));
    SETM_TRY(PublicKey px, registered_peer(o, store, peer));
    return mutual_key(me, px, store.chain_id(), o.context);
}

Status cmd_mutual(const Options& o) {
    SETM_TRY(SecretKey me, load_key(o));
    ParticipantId peer{};
    SETM_TRY(auto k, derive(o, me, &peer));
    JsonOut j;
    j.begin_object().field("type", "mutual-key").field("me", participant_hex(me.id()));
    j.field("peer", participant_hex(peer))
        .field("context", o.context)
        .field("key", to_hex(k))
        .end_object();
    SETM_CHECK(tool::print(j.str() + "\n"));
    return ok_status();
}

Status cmd_seal(const Options& o) {
    SETM_TRY(SecretKey me, load_key(o));
    ParticipantId peer{};
    SETM_TRY(auto k, derive(o, me, &peer));
    std::string note = o.note;
    if (note.empty()) {
        std::ostringstream ss;
        ss << std::cin.rdbuf();
        note = ss.str();
    }
    // The same bound for --note as for stdin: a sealed note is a short message.
    if (note.size() > 4096)
        return make_error(Exit::bad_input, "note too long", "at most 4096 bytes");
    SETM_CHECK(tool::print(to_json(seal_note(k, me.id(), peer, o.context, note)) + "\n"));
    return ok_status();
}

Status cmd_open(const Options& o) {
    SETM_TRY(SecretKey me, load_key(o));
    ParticipantId peer{};
    SETM_TRY(Store store, Store::open(o.store, true));
    SETM_TRY(PublicKey px, registered_peer(o, store, &peer));
    SETM_TRY(auto in, open_input(o.input));
    std::string out;
    SETM_CHECK(each_object(in->stream(), [&](const rapidjson::Value& obj, std::size_t) -> Status {
        SETM_TRY(SealedNote n, sealed_note_from_json(obj));
        if (n.to != me.id() || n.from != peer)
            return make_error(
                Exit::rejected, "not for this key",
                "the note is from " + participant_hex(n.from) + " to " + participant_hex(n.to));
        SETM_TRY(auto k, mutual_key(me, px, store.chain_id(), n.context));
        SETM_TRY(std::string text, open_note(k, n));
        out += text;
        if (!text.empty() && text.back() != '\n') out += '\n'; // one note, one line at least
        return ok_status();
    }));
    SETM_CHECK(tool::print(out));
    return ok_status();
}

// ---- the command line -------------------------------------------------------------------
void store_opt(CLI::App* s, Options& o) {
    tool::store_option(s, o.store);
    tool::nats_flags(s, o.nats);
}

void key_opt(CLI::App* s, Options& o, const char* what) {
    s->add_option("-k,--key", o.key, what)->required()->option_text("FILE");
    s->add_option("--passphrase-file", o.passphrase_file,
                  "Passphrase of an encrypted key on FILE's first line (else SETM_PASSPHRASE)")
        ->option_text("FILE");
}

void now_opt(CLI::App* s, Options& o) {
    s->add_option("--now", o.now, "Use TIME (UTC, 2026-11-25T10:00:00Z) instead of the clock")
        ->option_text("TIME");
}

CLI::App* add_init(CLI::App& app, Options& o) {
    auto* init = app.add_subcommand(
        "init",
        "Create a new store whose genesis block commits the authority and the chain's parameters");
    store_opt(init, o);
    key_opt(init, o, "The authority's key");
    init->add_option("--chain-name", o.chain_name, "Name of the chain (default setm)")
        ->option_text("NAME");
    init->add_option("--difficulty", o.difficulty,
                     "Proof of work: leading zero bits of a block hash (default 16)")
        ->check(CLI::Range(1u, 64u))
        ->option_text("BITS");
    init->add_option("--slot-minutes", o.slot_minutes,
                     "Length of a delivery slot: 15, 30 or 60 (default 30)")
        ->option_text("N");
    init->add_option("--max-records", o.max_records,
                     "Most records in one block (default 10000; 0 = no limit)")
        ->option_text("N");
    init->add_option("-m,--mechanism", o.mechanism,
                     "The market the chain clears: pay-as-clear (default), pay-as-bid or negotiate")
        ->option_text("M");
    init->add_option("--rounds", o.rounds, "Negotiation rounds for negotiate (default 10)")
        ->option_text("N");
    init->add_option("--network-fee", o.network_fee,
                     "Fee in EUR/MWh on trades between zones, paid by the buyer (default 0)")
        ->option_text("EUR/MWH");
    init->add_option("--zone-fee", o.zone_fees,
                     "Fee in EUR/MWh on trades from a seller in zone SELLER to a buyer in zone "
                     "BUYER, within one zone too; overrides --network-fee for that pair "
                     "(repeatable)")
        ->option_text("SELLER:BUYER=EUR/MWH");
    init->add_option("--grid-operator", o.grid_operator,
                     "Participant id (32 hex digits, see setm-keygen --show) of the grid operator "
                     "that receives every network fee")
        ->option_text("ID");
    init->add_option("--gate-minutes", o.gate_minutes,
                     "A slot's book closes N minutes before its auction period (default 0: no "
                     "gate, any block may clear it)")
        ->option_text("N");
    init->add_option("--auction-minutes", o.auction_minutes,
                     "Auction period from UTC midnight that the gate counts from: 1440 for a "
                     "day-ahead market (default 0: each slot)")
        ->option_text("N");
    init->add_option("--recovery-key", o.recovery_key,
                     "Identity (setm-keygen's output) of a second key, kept offline, that may "
                     "hand the authority over when its key is lost or leaked (setm-auth rotate "
                     "--recovery)")
        ->option_text("FILE");
    init->add_option("--threads", o.threads,
                     "Threads mining the genesis block (default: every core)")
        ->check(CLI::Range(1u, 256u))
        ->option_text("N");
    now_opt(init, o);
    return init;
}

CLI::App* add_register(CLI::App& app, Options& o) {
    auto* reg = app.add_subcommand(
        "register",
        "Admit the participants whose identities are on the input: print their credentials");
    store_opt(reg, o);
    key_opt(reg, o, "The authority's key");
    reg->add_option("-r,--role", o.roles, "producer, consumer, prosumer or agent (repeatable)")
        ->option_text("ROLE");
    reg->add_option("--zone", o.zone, "Grid zone of the participant")->option_text("ZONE");
    reg->add_option("--meter", o.meter, "Meter id (one participant per meter)")->option_text("ID");
    reg->add_option("--max-energy", o.max_energy, "Most energy per slot and order (e.g. 5kWh)")
        ->option_text("ENERGY");
    reg->add_option("--valid-from", o.valid_from, "Start of validity (default: now)")
        ->option_text("TIME");
    reg->add_option("--valid-until", o.valid_until,
                    "End of validity (default: --days after the start)")
        ->option_text("TIME");
    reg->add_option("--days", o.days, "Days of validity (default 365)")->option_text("N");
    reg->add_flag("--renew", o.renew,
                  "Renew: each participant holds a credential lasting past --valid-from, which "
                  "this one takes over from then");
    reg->add_option("--replaces", o.replaces,
                    "Hand over: the one identity on the input is a new key that takes over from "
                    "the old key OLD (participant id, identity or credential file, or name) at "
                    "--valid-from; prints the hand-over, then the credential")
        ->excludes("--renew")
        ->option_text("OLD");
    reg->add_option("--serial", o.serial,
                    "First serial number (default: one above the highest on the chain or reserved "
                    "by an earlier register)")
        ->option_text("N");
    reg->add_option("-i,--input", o.input, "Identities to read (default - for stdin)")
        ->option_text("FILE");
    now_opt(reg, o);
    return reg;
}

CLI::App* add_revoke(CLI::App& app, Options& o) {
    auto* rev = app.add_subcommand(
        "revoke", "Print a signed revocation of the credential with a serial number");
    store_opt(rev, o);
    key_opt(rev, o, "The authority's key");
    rev->add_option("--serial", o.serial, "Serial number of the credential")
        ->required()
        ->option_text("N");
    rev->add_option("--reason", o.reason, "Why, in words")->option_text("TEXT");
    now_opt(rev, o);
    return rev;
}

CLI::App* add_rotate(CLI::App& app, Options& o) {
    auto* rot = app.add_subcommand(
        "rotate",
        "Print a signed hand-over of the authority to a new key (mine it with setm-mine)");
    store_opt(rot, o);
    key_opt(rot, o, "The authority's key in office (with --recovery: the recovery key)");
    rot->add_option("--new-key", o.new_key,
                    "Identity (setm-keygen's output) of the new authority key")
        ->required()
        ->option_text("FILE");
    rot->add_flag("--recovery", o.recovery,
                  "Emergency: --key is the chain's recovery key, set at init, for an authority "
                  "key that is lost or leaked");
    rot->add_option("--new-recovery-key", o.new_recovery_key,
                    "With --recovery: identity of a new recovery key (default: keep it)")
        ->option_text("FILE");
    rot->add_option("--reason", o.rotate_reason, "Why, in words (default hand-over)")
        ->option_text("TEXT");
    now_opt(rot, o);
    return rot;
}

CLI::App* add_tariff(CLI::App& app, Options& o) {
    auto* t = app.add_subcommand(
        "tariff", "Print the signed imbalance price of the metered settlement, from a slot on");
    store_opt(t, o);
    key_opt(t, o, "The authority's key");
    t->add_option("--imbalance-price", o.imbalance_price,
                  "EUR/MWh paid for energy drawn beyond the settled trades, and received for "
                  "energy delivered beyond them")
        ->required()
        ->option_text("EUR/MWH");
    t->add_option("--from", o.tariff_from, "The first slot it prices (default: --now)")
        ->option_text("TIME");
    now_opt(t, o);
    return t;
}

CLI::App* add_check(CLI::App& app, Options& o) {
    auto* check = app.add_subcommand(
        "check", "Identify and authenticate the signer of every record on the input (Algorithm 1)");
    store_opt(check, o);
    check->add_option("-i,--input", o.input, "Records to check (default - for stdin)")
        ->option_text("FILE");
    now_opt(check, o);
    return check;
}

CLI::App* add_list(CLI::App& app, Options& o) {
    auto* list =
        app.add_subcommand("list", "Print the registry at the tip: active, revoked, expired");
    store_opt(list, o);
    now_opt(list, o);
    return list;
}

// mutual, seal and open: your key and the peer's identity or credential.
CLI::App* add_peer_command(CLI::App& app, Options& o, const char* name, const char* what) {
    auto* s = app.add_subcommand(name, what);
    store_opt(s, o);
    key_opt(s, o, "Your own key");
    s->add_option("-p,--peer", o.peer,
                  "The other party's identity or credential (JSON); it must be an active "
                  "participant at --now")
        ->required()
        ->option_text("FILE");
    now_opt(s, o);
    return s;
}

using Command = Status (*)(const Options&);

// Every subcommand, in the order of --help, with the function that runs it.
std::vector<std::pair<CLI::App*, Command>> add_commands(CLI::App& app, Options& o) {
    std::vector<std::pair<CLI::App*, Command>> commands;
    commands.emplace_back(add_init(app, o), cmd_init);
    commands.emplace_back(add_register(app, o), cmd_register);
    commands.emplace_back(add_revoke(app, o), cmd_revoke);
    commands.emplace_back(add_rotate(app, o), cmd_rotate);
    commands.emplace_back(add_tariff(app, o), cmd_tariff);
    commands.emplace_back(add_check(app, o), cmd_check);
    commands.emplace_back(add_list(app, o), cmd_list);
    auto* mutual = add_peer_command(app, o, "mutual",
                                    "Print the mutual key you share with a peer for a context");
    mutual->add_option("-c,--context", o.context, "What the key is for, e.g. a trade id")
        ->required()
        ->option_text("ID");
    commands.emplace_back(mutual, cmd_mutual);
    auto* seal = add_peer_command(
        app, o, "seal", "Encrypt a short note (stdin or --note) for a peer under the mutual key");
    seal->add_option("-c,--context", o.context, "What the note is about, e.g. a trade id")
        ->required()
        ->option_text("ID");
    seal->add_option("--note", o.note, "The note (default: read stdin, at most 4096 bytes)")
        ->option_text("TEXT");
    commands.emplace_back(seal, cmd_seal);
    auto* open = add_peer_command(app, o, "open", "Decrypt sealed notes from a peer");
    open->add_option("-i,--input", o.input, "Sealed notes (default - for stdin)")
        ->option_text("FILE");
    commands.emplace_back(open, cmd_open);
    return commands;
}

} // namespace

static int tool_main(int argc, char** argv) {
    CLI::App app{"The setm authority: start a chain, admit and revoke participants, check signers.",
                 kTool};
    tool::version_flag(app);
    app.require_subcommand(1);
    Options o;
    const auto commands = add_commands(app, o);
    for (const auto& [sub, run] : commands) tool::quiet_flag(sub);
    app.footer(
        std::string("Examples:\n"
                    "  setm-auth init --store chain --key authority.key --difficulty 16\n"
                    "  setm-keygen --out alice.key --name alice | setm-auth register --store chain "
                    "--key authority.key --role producer | setm-mine --store chain\n"
                    "  setm-auth check --store chain < orders.jsonl\n\n") +
        tool::exit_codes_footer());
    if (auto rc = tool::parse(app, argc, argv)) return *rc;
    tool::report_damaged_store(kTool, Exit::io);
    for (const auto& [sub, run] : commands)
        if (*sub) {
            if (run != cmd_init && o.nats.on()) { // --nats: the store catches up first
                auto now = tool::now_or(o.now);
                if (!now) return tool::fail(kTool, now.error());
                auto r = replica::catch_up(o.nats.options(), o.store, now.value(), o.threads);
                if (!r) return tool::fail(kTool, r.error());
            }
            return tool::finish(kTool, run(o));
        }
    return tool::finish(kTool, ok_status());
}

int main(int argc, char** argv) {
    return setm::tool::run("setm-auth", [&] { return tool_main(argc, argv); });
}
