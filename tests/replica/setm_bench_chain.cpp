// setm_bench_chain STORE N [URLS] - for tests/bench/bench-replica.sh: makes
// a chain of N + 2 blocks in STORE (genesis, a producer's credential, then
// N blocks of one signed offer each) at an easy difficulty, in-process.
// With URLS the chain is started on that network and every block goes
// through the replication path of setm-mine --nats (published with the
// expected last sequence, then appended). Prints one JSON line: the blocks
// appended after genesis and their rate.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "keyfile.hpp"
#include "miner.hpp"
#include "replica.hpp"

using namespace setm;

namespace {

Seed seed_of(std::uint8_t n) {
    Seed s{};
    s.fill(n);
    return s;
}

Signed<Genesis> genesis_of(const SecretKey& a, std::int64_t now) {
    Genesis g;
    g.chain_name = "bench";
    g.authority_name = a.name;
    g.authority_ed25519 = a.ed25519;
    g.authority_x25519 = a.x25519;
    g.bits = bits_for_leading_zero_bits(8).value();
    g.slot_minutes = 30;
    g.max_records = 10000;
    g.created = now;
    return sign_record(g, kNoChain, a.seed);
}

Signed<Credential> credential_of(const SecretKey& a, const SecretKey& p, const Hash32& chain,
                                 std::int64_t now) {
    Credential c;
    c.serial = 1;
    c.participant = p.id();
    c.name = p.name;
    c.ed25519 = p.ed25519;
    c.x25519 = p.x25519;
    c.roles = role_producer;
    c.zone = "north";
    c.valid_from = now - 3600;
    c.valid_until = now + 86400 * 30;
    c.authority = a.id();
    return sign_record(c, chain, a.seed);
}

Signed<Offer> offer_of(const SecretKey& p, const Hash32& chain, std::int64_t now,
                       std::uint64_t nonce) {
    Offer o;
    o.producer = p.id();
    o.slot = (now / 1800 + 48) * 1800;
    o.energy_wh = 1000;
    o.floor_price = 4000;
    o.opening_price = 4000;
    o.zone = "north";
    o.expires = o.slot;
    o.nonce = nonce;
    return sign_record(o, chain, p.seed);
}

Status run(const std::string& dir, std::uint64_t n, const std::string& urls, double& seconds) {
    const std::int64_t now = std::time(nullptr);
    const SecretKey authority = key_from_seed(seed_of(1), "authority");
    const SecretKey producer = key_from_seed(seed_of(3), "solar");
    SETM_TRY(Block genesis, make_genesis_block(genesis_of(authority, now - 600), now - 600, 1));
    std::optional<replica::Link> link;
    if (!urls.empty()) {
        replica::Options o;
        o.urls = urls;
        SETM_TRY(link, replica::Link::connect(o));
        SETM_CHECK(replica::publish_genesis(*link, genesis));
    }
    SETM_TRY(Store store, Store::create(dir, genesis));
    AppendOptions ao;
    if (link) replica::replicate(ao, *link, store, now);
    const auto start = std::chrono::steady_clock::now();
    SETM_CHECK(mine_and_append(store, {credential_of(authority, producer, store.chain_id(), now)},
                               now, ao));
    for (std::uint64_t i = 1; i <= n; ++i)
        SETM_CHECK(mine_and_append(store, {offer_of(producer, store.chain_id(), now, i)}, now, ao));
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return ok_status();
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4) {
        std::fprintf(stderr, "usage: setm_bench_chain STORE N [URLS]\n");
        return 64;
    }
    const std::uint64_t n = std::stoull(argv[2]);
    double seconds = 0;
    Status st = run(argv[1], n, argc == 4 ? argv[3] : "", seconds);
    if (!st) {
        std::fprintf(stderr, "setm_bench_chain: %s\n", st.error().message().c_str());
        return static_cast<int>(st.error().code);
    }
    std::printf("{\"blocks\":%llu,\"seconds\":%.3f,\"per_second\":%.1f}\n",
                static_cast<unsigned long long>(n + 1), seconds,
                static_cast<double>(n + 1) / seconds);
    return 0;
}
