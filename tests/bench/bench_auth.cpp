// bench_auth - authenticating orders as the market agent does, against the
// bare verify limit.
//
// State: an in-memory chain (MemoryState) holding `participants` credentials
// (half producers, half consumers), admitted through apply_records like any
// block. Under test: apply_records(state, orders, t, height, cores) over
// `orders` signed orders (half offers, half requests): for each order the
// duplicate check, Algorithm 1 (signer registered, credential valid, role),
// the order rules, then every signature on all cores. Limit: strict
// ed25519_verify of the same orders' canonical bytes, computed beforehand,
// on one core, times the number of cores.
//
// Ratios (issue's target): apply_records(cores) / (cores x limit) >= 0.80.
// Also: apply_records(1) / limit, the rules alone (apply_record with the
// signatures deferred and never checked: the serial part that no thread
// count speeds up), and the limit run on all cores at once.
#include <array>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "crypto.hpp"
#include "harness.hpp"
#include "records.hpp"
#include "rules.hpp"

namespace {

using Seed = std::array<std::uint8_t, 32>;

constexpr std::int64_t kNow = 1795600800; // 2026-11-25T10:00Z, a slot boundary
const char* const kZone = "north-west";

Seed seed_of(std::size_t k) {
    Seed s{};
    for (std::size_t i = 0; i < s.size(); ++i)
        s[i] = static_cast<std::uint8_t>(k * 131 + i * 17 + 3);
    return s;
}

struct Participant {
    Seed seed{};
    setm::PublicKey pub{};
    setm::ParticipantId id{};
};

struct World {
    std::unique_ptr<setm::MemoryState> state;
    std::vector<setm::Record> orders;
    std::vector<setm::PublicKey> keys; // signer of orders[i]
    std::vector<setm::Bytes> messages; // canonical bytes of orders[i]
    std::vector<setm::Signature> signatures;
};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "bench_auth: %s\n", what.c_str());
    std::exit(70);
}

World make_world(std::size_t participants, std::size_t n_orders, unsigned threads) {
    const Seed authority_seed = seed_of(1000003);
    setm::Genesis g;
    g.chain_name = "bench";
    g.authority_name = "bench authority";
    g.authority_ed25519 = setm::ed25519_public(authority_seed);
    g.bits = 0x207fffff;
    g.slot_minutes = 30;
    g.created = kNow - 86400;
    const setm::Hash32 chain = setm::sha256(setm::Bytes{'c', 'h', 'a', 'i', 'n'});
    World w;
    w.state = std::make_unique<setm::MemoryState>(g, chain);

    // Admit everyone in one block, as setm-auth and setm-mine would.
    std::vector<Participant> people(participants);
    std::vector<setm::Record> creds;
    for (std::size_t k = 0; k < participants; ++k) {
        Participant& p = people[k];
        p.seed = seed_of(k);
        p.pub = setm::ed25519_public(p.seed);
        p.id = setm::participant_id(p.pub);
        setm::Credential c;
        c.serial = k + 1;
        c.participant = p.id;
        c.name = "participant " + std::to_string(k);
        c.ed25519 = p.pub;
        c.roles = k % 2 == 0 ? setm::role_producer : setm::role_consumer;
        c.zone = kZone;
        c.meter = "meter-" + std::to_string(k);
        c.valid_from = kNow - 86400;
        c.valid_until = kNow + 365 * 86400;
        c.authority = setm::participant_id(g.authority_ed25519);
        creds.emplace_back(setm::sign_record(c, chain, authority_seed));
    }
    auto delta = setm::apply_records(*w.state, creds, kNow - 3600, 1, threads);
    if (!delta) die("credentials refused: " + delta.error().message());
    w.state->merge(*delta, 1);

    // Orders for the next 96 slots, alternating offers and requests.
    for (std::size_t i = 0; i < n_orders; ++i) {
        const bool offer = i % 2 == 0;
        // producers are the even participants, consumers the odd ones
        const Participant& p = people[(i / 2 % (participants / 2)) * 2 + (offer ? 0 : 1)];
        const std::int64_t slot = kNow + 1800 * (1 + static_cast<std::int64_t>(i % 96));
        const std::int64_t energy = 500 + static_cast<std::int64_t>(i * 37 % 49500);
        const std::int64_t price = 3000 + static_cast<std::int64_t>(i * 11 % 3000);
        if (offer) {
            setm::Offer o;
            o.producer = p.id;
            o.slot = slot;
            o.energy_wh = energy;
            o.floor_price = price;
            o.opening_price = price + 500;
            o.zone = kZone;
            o.expires = slot;
            o.nonce = i;
            auto s = setm::sign_record(o, chain, p.seed);
            w.messages.push_back(s.signed_bytes());
            w.signatures.push_back(s.signature);
            w.orders.emplace_back(std::move(s));
        } else {
            setm::Request r;
            r.consumer = p.id;
            r.slot = slot;
            r.energy_wh = energy;
            r.ceiling_price = price;
            r.opening_price = price - 500;
            r.zone = kZone;
            r.expires = slot;
            r.nonce = i;
            auto s = setm::sign_record(r, chain, p.seed);
            w.messages.push_back(s.signed_bytes());
            w.signatures.push_back(s.signature);
            w.orders.emplace_back(std::move(s));
        }
        w.keys.push_back(p.pub);
    }
    return w;
}

std::size_t bare_verify(const World& w, std::size_t from, std::size_t step) {
    std::size_t good = 0;
    for (std::size_t i = from; i < w.orders.size(); i += step)
        good += setm::ed25519_verify(w.keys[i], w.messages[i], w.signatures[i]) ? 1 : 0;
    return good;
}

std::size_t bare_parallel(const World& w, unsigned threads) {
    std::vector<std::size_t> good(threads, 0);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] { good[t] = bare_verify(w, t, threads); });
    for (auto& th : pool) th.join();
    std::size_t all = 0;
    for (std::size_t g : good) all += g;
    return all;
}

// apply_records, the result kept until after the clock stops.
bench::Lap time_apply(const World& w, unsigned threads) {
    std::optional<setm::Result<setm::StateDelta>> out;
    const bench::Lap t =
        bench::lap([&] { out.emplace(setm::apply_records(*w.state, w.orders, kNow, 2, threads)); });
    if (!*out) die("orders refused: " + out->error().message());
    return t;
}

// The serial part alone: every rule, signatures queued and never checked.
bench::Lap time_rules(const World& w) {
    std::optional<setm::StateDelta> st;
    setm::DeferredSignatures deferred;
    const bench::Lap t = bench::lap([&] {
        st.emplace(*w.state);
        for (std::size_t i = 0; i < w.orders.size(); ++i)
            if (!setm::apply_record(*st, w.orders[i], kNow, 2, &deferred, i))
                die("rules refused an order");
    });
    if (deferred.size() != w.orders.size()) die("not every signature was queued");
    return t;
}

} // namespace

int main(int argc, char** argv) {
    bench::Options opt("bench_auth", {{"orders", 20000}, {"participants", 200}});
    opt.parse(argc, argv);
    const unsigned cores = bench::cores();
    const std::size_t n = opt.smoke() ? 100 : opt.count("orders");
    const std::size_t people =
        opt.smoke() ? 20 : std::max<std::size_t>(2, opt.count("participants"));

    const World w = make_world(people, n, cores);
    std::printf("bench_auth: %zu orders by %zu participants, %d repetitions, %u cores, medians\n",
                n, people, opt.reps(), cores);

    // Warm-up, and the checks that make the figures mean something.
    if (bare_verify(w, 0, 1) != n) die("a signature does not verify");
    (void)time_apply(w, cores);

    bench::Series bare1, bare_n, app1, app_n, rules, bare1_cpu, app1_cpu, rules_cpu;
    const double dn = static_cast<double>(n);
    bench::interleave(opt.reps(), {
                                      [&] {
                                          const auto l = bench::lap([&] {
                                              if (bare_verify(w, 0, 1) != n) die("bare");
                                          });
                                          bare1.add(dn / l.wall);
                                          bare1_cpu.add(dn / l.cpu);
                                      },
                                      [&] {
                                          const auto l = time_apply(w, 1);
                                          app1.add(dn / l.wall);
                                          app1_cpu.add(dn / l.cpu);
                                      },
                                      [&] {
                                          bare_n.add(dn / bench::seconds([&] {
                                                         if (bare_parallel(w, cores) != n)
                                                             die("bare");
                                                     }));
                                      },
                                      [&] { app_n.add(dn / time_apply(w, cores).wall); },
                                      [&] {
                                          const auto l = time_rules(w);
                                          rules.add(dn / l.wall);
                                          rules_cpu.add(dn / l.cpu);
                                      },
                                  });

    const bench::Series r_n = bench::ratios(app_n, bare1, cores);
    const bench::Series r_1 = bench::ratios(app1, bare1);
    const bench::Series r_1_cpu = bench::ratios(app1_cpu, bare1_cpu);
    const bench::Series r_measured = bench::ratios(app_n, bare_n);
    const bench::Series machine = bench::ratios(bare_n, bare1, cores);
    // What cores x limit leaves after the serial rules (Amdahl), from the
    // single-thread CPU times of each repetition: (V/N) / (R + V'/N), V the
    // limit's time per verify, R the rules', V' apply_records(1)'s less R.
    bench::Series amdahl;
    for (std::size_t i = 0; i < rules_cpu.values.size(); ++i) {
        const double v = 1 / bare1_cpu.values[i], r = 1 / rules_cpu.values[i];
        const double v1 = 1 / app1_cpu.values[i] - r;
        amdahl.add((v / cores) / (r + v1 / cores));
    }
    const std::string c = std::to_string(cores);
    bench::print_rate("limit: strict ed25519_verify, 1 core", bare1, "order");
    bench::print_rate("apply_records, 1 thread", app1, "order");
    bench::print_ratio("ratio apply_records(1) / limit", r_1, 0, &r_1_cpu);
    bench::print_rate("rules alone (apply_record, signatures deferred)", rules, "order");
    std::printf("%-58s %14.2f us/order (limit %.2f us/verify), by CPU time\n",
                "  serial cost of the rules", 1e6 / rules_cpu.med(), 1e6 / bare1_cpu.med());
    bench::print_rate(("limit on " + c + " threads at once (measured)").c_str(), bare_n, "order");
    bench::print_rate(("apply_records, " + c + " threads").c_str(), app_n, "order");
    bench::print_ratio(("ratio apply_records(" + c + ") / (" + c + " x limit)").c_str(), r_n, 0.80);
    bench::print_ratio(("ratio apply_records(" + c + ") / limit on " + c + " threads").c_str(),
                       r_measured, 0);
    bench::print_ratio(("machine: limit on " + c + " threads / (" + c + " x limit)").c_str(),
                       machine, 0);
    bench::print_ratio(("expected ratio on " + c + " idle cores (Amdahl, CPU times)").c_str(),
                       amdahl, 0.80);

    bench::Json("auth")
        .flag("smoke", opt.smoke())
        .num("cores", cores)
        .num("reps", opt.reps())
        .num("orders", dn)
        .num("participants", static_cast<double>(people))
        .num("limit_1core_ops", bare1.med())
        .num("apply_1thread_ops", app1.med())
        .num("ratio_1thread", r_1.med())
        .num("ratio_1thread_cpu_time", r_1_cpu.med())
        .num("rules_only_ops", rules.med())
        .num("rules_us_per_order_cpu_time", 1e6 / rules_cpu.med())
        .num("limit_us_per_verify_cpu_time", 1e6 / bare1_cpu.med())
        .num("limit_ncores_measured_ops", bare_n.med())
        .num("apply_ncores_ops", app_n.med())
        .num("ratio_ncores_vs_n_x_limit", r_n.med())
        .num("target_ncores", 0.80)
        .num("ratio_ncores_vs_measured_limit", r_measured.med())
        .num("machine_parallel_efficiency", machine.med())
        .num("amdahl_ratio_ncores", amdahl.med())
        .print();
    return 0;
}
