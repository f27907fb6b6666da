// bench_clearing - what re-running the market inside setm-verify costs.
//
// A day of a community: `people` participants (half producers, half
// consumers, in two zones) each place one order per slot for `slots` slots
// (one block of orders), and the agent's clearing of every slot is the next
// block. Reference: strict ed25519_verify (raw Crypto++) of every record of
// those two blocks, over canonical bytes already in memory, on one core.
// Under test: check_block_clearings on the trades block (each slot's book
// read from the state, cleared again, compared trade by trade), on one core.
//
// Ratio (issue's target): clearing / signature checks of the same blocks
// <= 0.5. Nothing passes or fails on speed.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "clearing.hpp"
#include "crypto.hpp"
#include "harness.hpp"
#include "rules.hpp"

namespace {

constexpr std::int64_t kDayStart = 1795651200; // 2026-11-26T00:00:00Z
constexpr std::int64_t kNow = kDayStart - 3 * 3600;

void must(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "bench_clearing: %s\n", what);
        std::exit(70);
    }
}

template <class T>
T must(setm::Result<T> r, const char* what) {
    if (!r) must(false, (std::string(what) + ": " + r.error().message()).c_str());
    return std::move(r).value();
}

std::array<std::uint8_t, 32> seed_of(std::size_t n) {
    std::array<std::uint8_t, 32> s{};
    for (std::size_t i = 0; i < 32; ++i) s[i] = static_cast<std::uint8_t>(i * 7 + 3);
    for (std::size_t i = 0; i < 4; ++i) s[i] ^= static_cast<std::uint8_t>(n >> (8 * i)); // distinct
    return s;
}

struct Day {
    setm::MemoryState st;
    std::vector<setm::Record> orders, trades;
    std::vector<setm::PublicKey> order_keys;
    setm::PublicKey agent_key{};
};

setm::Genesis genesis_of(const setm::PublicKey& authority) {
    setm::Genesis g;
    g.chain_name = "bench";
    g.authority_ed25519 = authority;
    g.slot_minutes = 30;
    g.mechanism = "pay-as-clear";
    g.network_fee = 500;
    return g;
}

setm::Credential credential_of(const setm::PublicKey& k, std::size_t serial, std::uint8_t roles,
                               const setm::ParticipantId& authority) {
    setm::Credential c;
    c.serial = serial;
    c.participant = setm::participant_id(k);
    c.name = "p" + std::to_string(serial);
    c.ed25519 = k;
    c.roles = roles;
    c.zone = serial % 2 ? "south" : "north";
    c.valid_from = kNow - 86400;
    c.valid_until = kNow + 30 * 86400;
    c.authority = authority;
    return c;
}

setm::Record order_of(std::size_t who, const setm::PublicKey& k, std::int64_t slot,
                      const setm::Hash32& chain, std::size_t n) {
    const std::int64_t price = 3000 + static_cast<std::int64_t>((n * 7919) % 3000);
    const std::int64_t energy = 500 + static_cast<std::int64_t>((n * 104729) % 4500);
    const std::string zone = who % 2 ? "south" : "north";
    if (who % 2 == 0) {
        setm::Offer o{setm::participant_id(k), slot, 30, energy, price, price + 200, zone, slot, n};
        return setm::sign_record(o, chain, seed_of(who));
    }
    setm::Request r{
        setm::participant_id(k), slot, 30, energy, price + 1000, price, zone, {}, slot, n};
    return setm::sign_record(r, chain, seed_of(who));
}

Day make_day(std::size_t people, std::size_t slots) {
    const auto auth_seed = seed_of(100000), agent_seed = seed_of(100001);
    const setm::PublicKey authority = setm::ed25519_public(auth_seed);
    const setm::Hash32 chain = setm::sha256(setm::Bytes{'c', 'l', 'e', 'a', 'r'});
    Day d{setm::MemoryState(genesis_of(authority), chain), {}, {}, {}, {}};
    d.agent_key = setm::ed25519_public(agent_seed);
    std::vector<setm::Record> creds;
    std::vector<setm::PublicKey> keys;
    const setm::ParticipantId auth_id = setm::participant_id(authority);
    creds.push_back(setm::sign_record(credential_of(d.agent_key, 1, setm::role_agent, auth_id),
                                      chain, auth_seed));
    for (std::size_t p = 0; p < people; ++p) {
        keys.push_back(setm::ed25519_public(seed_of(p)));
        const std::uint8_t role = p % 2 == 0 ? setm::role_producer : setm::role_consumer;
        creds.push_back(
            setm::sign_record(credential_of(keys.back(), p + 2, role, auth_id), chain, auth_seed));
    }
    d.st.merge(must(setm::apply_records(d.st, creds, kNow - 600, 1), "credentials"), 1);
    for (std::size_t s = 0; s < slots; ++s)
        for (std::size_t p = 0; p < people; ++p) {
            const std::int64_t slot = kDayStart + static_cast<std::int64_t>(s) * 1800;
            d.orders.push_back(order_of(p, keys[p], slot, chain, s * people + p));
            d.order_keys.push_back(keys[p]);
        }
    d.st.merge(must(setm::apply_records(d.st, d.orders, kNow - 300, 2), "orders"), 2);
    const setm::StateDelta view(d.st);
    const setm::ParticipantId agent = setm::participant_id(d.agent_key);
    for (std::size_t s = 0; s < slots; ++s) {
        const std::int64_t slot = kDayStart + static_cast<std::int64_t>(s) * 1800;
        for (const setm::Trade& t : must(setm::clearing_trades(view, slot, kNow, agent), "clear"))
            d.trades.push_back(setm::sign_record(t, chain, agent_seed));
    }
    return d;
}

} // namespace

int main(int argc, char** argv) {
    bench::Options opt("bench_clearing", {{"people", 400}, {"slots", 48}});
    opt.parse(argc, argv);
    const auto people = static_cast<std::size_t>(opt.smoke() ? 20 : opt.num("people"));
    const auto slots = static_cast<std::size_t>(opt.smoke() ? 4 : opt.num("slots"));
    const Day d = make_day(people, slots);

    // The trades block applied by its own rules (signatures left out).
    setm::StateDelta block(d.st);
    setm::DeferredSignatures unchecked;
    for (std::size_t i = 0; i < d.trades.size(); ++i)
        must(setm::apply_record(block, d.trades[i], kNow, 3, &unchecked, i).ok(), "trade rules");
    std::vector<setm::Bytes> messages;
    std::vector<setm::PublicKey> keys = d.order_keys;
    std::vector<setm::Signature> sigs;
    for (const auto& r : d.orders)
        messages.push_back(std::visit([](const auto& s) { return s.signed_bytes(); }, r));
    for (const auto& r : d.trades)
        messages.push_back(std::visit([](const auto& s) { return s.signed_bytes(); }, r));
    for (const auto& r : d.orders)
        sigs.push_back(std::visit([](const auto& s) { return s.signature; }, r));
    for (const auto& r : d.trades)
        sigs.push_back(std::visit([](const auto& s) { return s.signature; }, r));
    keys.insert(keys.end(), d.trades.size(), d.agent_key);

    auto verify_all = [&] {
        std::size_t good = 0;
        for (std::size_t i = 0; i < messages.size(); ++i)
            good += setm::ed25519_verify(keys[i], messages[i], sigs[i]) ? 1 : 0;
        must(good == messages.size(), "a signature does not verify");
    };
    auto clear_again = [&] {
        must(setm::check_block_clearings(block, d.trades, kNow, 3).ok(), "not the clearing");
    };
    std::printf(
        "bench_clearing: %zu people, %zu slots: %zu orders, %zu trades; %d repetitions, "
        "one core, medians\n",
        people, slots, d.orders.size(), d.trades.size(), opt.reps());
    verify_all();
    clear_again();
    bench::Series sig_s, clear_s, ratio;
    bench::interleave(opt.reps(), {[&] { sig_s.add(bench::lap(verify_all).cpu); },
                                   [&] { clear_s.add(bench::lap(clear_again).cpu); }});
    for (std::size_t i = 0; i < sig_s.values.size(); ++i)
        ratio.add(clear_s.values[i] / sig_s.values[i]);
    std::printf("%-58s %14.4f s\n", "reference: strict ed25519_verify of both blocks", sig_s.med());
    std::printf("%-58s %14.4f s\n", "check_block_clearings of the trades block", clear_s.med());
    std::printf("%-58s %14.3f  (min %.3f, max %.3f; target <= 0.50: %s)\n",
                "ratio clearing / signature checks", ratio.med(), ratio.lo(), ratio.hi(),
                ratio.med() <= 0.5 ? "met" : "MISSED");
    bench::Json("clearing")
        .flag("smoke", opt.smoke())
        .num("people", static_cast<double>(people))
        .num("slots", static_cast<double>(slots))
        .num("orders", static_cast<double>(d.orders.size()))
        .num("trades", static_cast<double>(d.trades.size()))
        .num("signature_seconds", sig_s.med())
        .num("clearing_seconds", clear_s.med())
        .num("ratio_clearing_vs_signatures", ratio.med())
        .num("target_at_most", 0.5)
        .print();
    return 0;
}
