// make_seeds.cpp - writes the generated part of the seed corpora in
// testdata/fuzz/: records signed on the fixed chain of fuzz_chain.hpp (for
// the batch, record and identity targets), stored values encoded as the
// store encodes them, mined block headers and key files, plain and
// encrypted with the fixed passphrase "fuzz passphrase".
//
//   setm_fuzz_seeds OUTDIR     writes OUTDIR/<target>/gen-*.
//
// Deterministic except for the key files' salt and nonce. Not a test: run it
// by hand when a record format changes, and commit what it wrote.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "canonical.hpp"
#include "fuzz_chain.hpp"

namespace {

using namespace setm;
using fuzz::kDay;
using fuzz::kHour;
using fuzz::kT0;
namespace fs = std::filesystem;

struct Out {
    fs::path root;
    void write(const std::string& target, const std::string& name, const std::string& bytes) const {
        fs::create_directories(root / target);
        std::ofstream(root / target / ("gen-" + name), std::ios::binary) << bytes;
    }
    void write(const std::string& target, const std::string& name, const Bytes& b) const {
        write(target, name, std::string(b.begin(), b.end()));
    }
};

std::string lines(const std::vector<Record>& rs) {
    std::string s;
    for (const auto& r : rs) s += to_json(r) + "\n";
    return s;
}

Credential credential(const fuzz::FuzzChain& c, const SecretKey& who, std::uint8_t roles,
                      std::uint64_t serial) {
    Credential k;
    k.serial = serial;
    k.participant = who.id();
    k.name = who.name;
    k.ed25519 = who.ed25519;
    k.x25519 = who.x25519;
    k.roles = roles;
    k.zone = "north";
    k.meter = "meter-" + std::to_string(serial);
    k.valid_from = kT0 - kDay;
    k.valid_until = kT0 + 365 * kDay;
    k.authority = c.authority.id();
    return k;
}

Offer offer(const SecretKey& p, std::int64_t energy, std::uint64_t nonce) {
    Offer o;
    o.producer = p.id();
    o.slot = kT0 + 2 * kHour;
    o.energy_wh = energy;
    o.floor_price = 4000;
    o.opening_price = 6000;
    o.zone = "north";
    o.expires = kT0 + kHour;
    o.nonce = nonce;
    return o;
}

Request request(const SecretKey& c, std::int64_t energy, std::uint64_t nonce) {
    Request r;
    r.consumer = c.id();
    r.slot = kT0 + 2 * kHour;
    r.energy_wh = energy;
    r.ceiling_price = 7000;
    r.opening_price = 3000;
    r.zone = "north";
    r.expires = kT0 + kHour;
    r.nonce = nonce;
    return r;
}

Trade trade(const fuzz::FuzzChain& c, const Signed<Offer>& o, const Signed<Request>& r,
            std::int64_t energy, std::int64_t price) {
    Trade t;
    t.agent = c.agent.id();
    t.slot = o.body.slot;
    t.slot_minutes = o.body.slot_minutes;
    t.offer = o.id();
    t.request = r.id();
    t.seller = o.body.producer;
    t.buyer = r.body.consumer;
    t.energy_wh = energy;
    t.price = price;
    t.amount = energy * price;
    t.mechanism = "pay-as-bid";
    t.round = 1;
    t.time = kT0;
    return t;
}

void write_chain_seeds(const Out& out, const fuzz::FuzzChain& c) {
    const Hash32& id = c.id;
    const auto cp = sign_record(credential(c, c.producer, role_producer, 1), id, c.authority.seed);
    const auto cc = sign_record(credential(c, c.consumer, role_consumer, 2), id, c.authority.seed);
    const auto ca = sign_record(credential(c, c.agent, role_agent, 3), id, c.authority.seed);
    const auto o1 = sign_record(offer(c.producer, 5000, 1), id, c.producer.seed);
    const auto o2 = sign_record(offer(c.producer, 3000, 2), id, c.producer.seed);
    const auto r1 = sign_record(request(c.consumer, 5000, 1), id, c.consumer.seed);
    const auto t1 = sign_record(trade(c, o1, r1, 3000, 5000), id, c.agent.seed);
    const auto t2 = sign_record(trade(c, o1, r1, 2000, 5500), id, c.agent.seed);
    const auto t3 = sign_record(trade(c, o2, r1, 3000, 5000), id, c.agent.seed);
    const auto rev =
        sign_record(Revocation{1, c.producer.id(), kT0, "meter removed", c.authority.id()}, id,
                    c.authority.seed);
    const auto cancel = sign_record(Cancel{c.producer.id(), o1.id(), kT0}, id, c.producer.seed);
    const auto foreign = sign_record(Cancel{c.consumer.id(), o1.id(), kT0}, id, c.consumer.seed);
    const SecretKey successor = key_from_seed(fuzz::seed_of(6), "authority-2");
    Authority hand{c.authority.id(), successor.name, successor.ed25519, successor.x25519, {}, kT0,
                   "hand-over"};
    const auto rotation = sign_record(hand, id, c.authority.seed);
    Credential late_body = credential(c, c.consumer, role_consumer, 2);
    late_body.authority = successor.id();
    const auto late = sign_record(late_body, id, successor.seed);
    // A hand-over of the producer to a fresh key, then that key's credential.
    const SecretKey next = key_from_seed(fuzz::seed_of(7), "producer");
    const auto handover =
        sign_record(Handover{c.producer.id(), next.id(), kT0, "key lost", c.authority.id()}, id,
                    c.authority.seed);
    Credential nc = credential(c, next, role_producer, 4);
    nc.valid_from = kT0;
    const auto cn = sign_record(nc, id, c.authority.seed);
    const std::vector<Record> admit{cp, cc, ca};

    out.write("batch", "admit", lines(admit));
    out.write("batch", "market", lines({cp, cc, ca, o1, r1, o2, t1, t2}));
    out.write("batch", "overfill", lines({cp, cc, ca, o1, r1, o2, t1, t2, t3}));
    out.write("batch", "revoked", lines({cp, cc, ca, rev, o1, r1, t1}));
    out.write("batch", "order-first", lines({o1, cp, cc, ca, r1, t1}));
    out.write("batch", "twice", lines({cp, cc, ca, o1, o1, r1, t1, t1}));
    out.write("batch", "genesis-again", lines({c.genesis, cp}));
    out.write("batch", "cancel", lines({cp, cc, ca, o1, r1, o2, cancel, t3}));
    out.write("batch", "cancel-after-trade", lines({cp, cc, ca, o1, r1, t1, cancel}));
    out.write("batch", "cancel-foreign", lines({cp, cc, ca, o1, r1, foreign}));
    out.write("batch", "rotation", lines({cp, rotation, late, cc, ca, o1, r1, t1}));
    out.write("batch", "handover", lines({cp, cc, ca, handover, cn, o1}));
    out.write("batch", "handover-alone", lines({cp, cc, ca, handover}));

    const std::vector<std::pair<std::string, Record>> one{
        {"genesis", c.genesis}, {"credential", cp},      {"revocation", rev},
        {"offer", o1},          {"request", r1},         {"trade", t1},
        {"cancel", cancel},     {"authority", rotation}, {"handover", handover}};
    for (const auto& [name, r] : one) out.write("json_record", name, to_json(r));

    for (const auto* k : {&c.authority, &c.producer, &c.consumer})
        out.write("identity", k->name, to_json(identity_of(*k)));

    // Stored values: selector byte, then the value as encode_binary wrote
    // it (the store keeps SHA-256 of it in front; the target skips that).
    auto stored = [&](std::uint8_t kind, const std::string& name, const Bytes& v) {
        Bytes b{kind};
        b.insert(b.end(), v.begin(), v.end());
        out.write("stored_value", name, b);
    };
    auto block = [&](const Block& b) { return StoredBlock{serialize_header(b.header), b.records}; };
    stored(0, "block-genesis", encode_binary(block(c.genesis_block)));
    auto b1 = mine_block({cp, cc, ca, o1, r1, t1}, block_hash(c.genesis_block.header),
                         static_cast<std::uint32_t>(kT0), c.genesis.body.bits, 1);
    if (b1) stored(0, "block-market", encode_binary(block(b1.value())));
    stored(1, "registry", encode_binary(RegistryEntry{cp, false, 0, 0, 1}));
    stored(1, "registry-revoked", encode_binary(RegistryEntry{cp, true, kT0, kT0 + 60, 1}));
    stored(2, "order-offer", encode_binary(OrderEntry{o1, 3000, 1}));
    stored(2, "order-request", encode_binary(OrderEntry{r1, 0, 1}));
    stored(3, "cancelled", encode_binary(CancelEntry{cancel.id(), 2000, 2}));
    AuthorityState after = genesis_authority(c.genesis.body);
    after.terms.push_back(
        AuthorityTerm{successor.name, successor.ed25519, successor.x25519, 2, rotation.id()});
    stored(4, "authority", encode_binary(after));
    stored(5, "key-link", encode_binary(KeyLink{c.producer.id(), {}, next.id(), 0, 0, 2, kT0}));

    auto header = [&](const std::string& name, const BlockHeader& h) {
        const auto raw = serialize_header(h);
        out.write("block_header", name, std::string(raw.begin(), raw.end()));
    };
    header("genesis", c.genesis_block.header);
    if (b1) header("block1", b1->header);
}

void write_key_seeds(const Out& out) {
    const fs::path dir = fs::temp_directory_path() / "setm-fuzz-seeds";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const SecretKey k = key_from_seed(fuzz::seed_of(5), "fuzz key");
    const std::pair<std::string, std::optional<std::string>> files[] = {
        {"plain", std::nullopt}, {"scrypt", std::string("fuzz passphrase")}};
    for (const auto& [name, pass] : files) {
        const std::string path = (dir / name).string();
        if (auto s = write_key_file(path, k, pass, ScryptCost{10, 1, 1}); !s) {
            std::cerr << s.error().message() << "\n";
            continue;
        }
        std::ifstream in(path, std::ios::binary);
        out.write("key_file", name, std::string(std::istreambuf_iterator<char>(in), {}));
    }
    fs::remove_all(dir);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: setm_fuzz_seeds OUTDIR\n";
        return 64;
    }
    const fuzz::FuzzChain chain;
    if (!chain.ok) {
        std::cerr << "setm_fuzz_seeds: the fixed chain does not build\n";
        return 70;
    }
    const Out out{argv[1]};
    write_chain_seeds(out, chain);
    write_key_seeds(out);
    return 0;
}
