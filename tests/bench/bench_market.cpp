// bench_market - the market engine's throughput and memory per order.
//
// Input: `orders` synthetic orders (deterministic PRNG) over 96 slots,
// half offers and half requests, floors and ceilings 30-60 EUR/MWh, 0.5 to
// 50 kWh each, one zone, no `from` lists, 5,000 producers and 5,000
// consumers. Under test: clear_market() with pay-as-clear and pay-as-bid on
// `orders` orders, and negotiate on `negotiate` orders, on one core.
//
// Matching has no "raw library limit", so the ratio is to the issue's
// target (1,000,000 orders/s); as a same-run reference for the machine's
// speed, std::sort of as many 16-byte keys is timed in between.
//
// Memory: this binary (and only this one) replaces the global operator new
// and delete to count live heap bytes, so it can report the input's heap
// per order, the peak the engine adds during clear_market, and what the
// result keeps.
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <vector>

#include "harness.hpp"
#include "market.hpp"

// ---- heap accounting (usable sizes, so new and delete agree) ------------------

namespace {
std::atomic<std::int64_t> g_live{0};
std::atomic<std::int64_t> g_peak{0};

void note(std::int64_t delta) {
    const std::int64_t now = g_live.fetch_add(delta, std::memory_order_relaxed) + delta;
    std::int64_t peak = g_peak.load(std::memory_order_relaxed);
    while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
}

// Starts a new peak measurement from the current level.
std::int64_t reset_peak() {
    const std::int64_t now = g_live.load(std::memory_order_relaxed);
    g_peak.store(now, std::memory_order_relaxed);
    return now;
}
} // namespace

void* operator new(std::size_t n) {
    void* p = std::malloc(n != 0 ? n : 1);
    if (p == nullptr) throw std::bad_alloc();
    note(static_cast<std::int64_t>(malloc_usable_size(p)));
    return p;
}
void operator delete(void* p) noexcept {
    if (p == nullptr) return;
    note(-static_cast<std::int64_t>(malloc_usable_size(p)));
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

// ---- input ------------------------------------------------------------------------

namespace {

struct SplitMix64 {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::int64_t between(std::int64_t lo, std::int64_t hi) { // inclusive
        return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }
};

constexpr std::int64_t kDay = 1795564800; // 2026-11-25T00:00Z
constexpr std::uint64_t kPeople = 5000;   // per side

std::vector<setm::MarketOrder> make_orders(std::size_t n, std::uint64_t seed) {
    SplitMix64 rng{seed};
    std::vector<setm::MarketOrder> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        setm::MarketOrder& o = v[i];
        for (std::size_t k = 0; k < o.id.size(); k += 8) {
            const std::uint64_t x = rng.next();
            for (std::size_t b = 0; b < 8; ++b)
                o.id[k + b] = static_cast<std::uint8_t>(x >> (8 * b));
        }
        o.is_offer = i % 2 == 0;
        const std::uint64_t who = rng.next() % kPeople;
        o.owner[0] = o.is_offer ? 1 : 2; // producers and consumers never coincide
        for (std::size_t b = 0; b < 8; ++b)
            o.owner[8 + b] = static_cast<std::uint8_t>(who >> (8 * b));
        o.slot = kDay + rng.between(0, 95) * 900;
        o.energy_wh = rng.between(500, 50000);
        o.limit_price = rng.between(3000, 6000);
        o.opening_price = o.limit_price + (o.is_offer ? 1 : -1) * rng.between(0, 1000);
    }
    return v;
}

struct Key16 {
    std::uint64_t hi, lo;
    friend bool operator<(const Key16& a, const Key16& b) {
        return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
    }
};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "bench_market: %s\n", what.c_str());
    std::exit(70);
}

struct Run {
    double seconds = 0;
    double cpu_seconds = 0;       // of this thread, during the call
    std::int64_t engine_peak = 0; // heap the call adds to its input's, at the peak
    std::int64_t result_heap = 0; // heap the result holds (the input is consumed)
    long page_faults = 0;         // minor faults during the call (fresh memory)
    std::size_t matches = 0, leftovers = 0;
    std::int64_t traded_wh = 0;
};

// One clear_market call on a fresh copy of `input` (copied before the clock starts).
Run clear(const std::vector<setm::MarketOrder>& input, setm::Mechanism m) {
    const std::int64_t base = g_live.load(std::memory_order_relaxed);
    std::vector<setm::MarketOrder> orders = input;
    setm::MarketParams p;
    p.mechanism = m;
    std::optional<setm::Result<setm::MarketResult>> out;
    const std::int64_t before = reset_peak();
    Run run;
    rusage before_ru{}, after_ru{};
    getrusage(RUSAGE_SELF, &before_ru);
    const double cpu0 = bench::thread_cpu_seconds();
    run.seconds = bench::seconds([&] { out.emplace(setm::clear_market(std::move(orders), p)); });
    run.cpu_seconds = bench::thread_cpu_seconds() - cpu0;
    getrusage(RUSAGE_SELF, &after_ru);
    run.page_faults = after_ru.ru_minflt - before_ru.ru_minflt;
    run.engine_peak = g_peak.load(std::memory_order_relaxed) - before;
    run.result_heap = g_live.load(std::memory_order_relaxed) - base;
    if (!*out) die(std::string(setm::mechanism_name(m)) + ": " + out->error().message());
    const setm::MarketResult& r = **out;
    run.matches = r.matches.size();
    run.leftovers = r.leftovers.size();
    for (const auto& s : r.slots) run.traded_wh += s.traded_wh;
    return run;
}

double sort_keys(const std::vector<Key16>& keys) {
    std::vector<Key16> v = keys;
    const double t = bench::seconds([&] { std::sort(v.begin(), v.end()); });
    if (!std::is_sorted(v.begin(), v.end())) die("std::sort did not sort");
    return t;
}

} // namespace

int main(int argc, char** argv) {
    bench::Options opt("bench_market", {{"orders", 1000000}, {"negotiate", 100000}});
    opt.parse(argc, argv);
    const std::size_t n = opt.smoke() ? 10000 : opt.count("orders");
    const std::size_t n_neg = opt.smoke() ? 2000 : opt.count("negotiate");

    const std::int64_t heap0 = g_live.load();
    const std::vector<setm::MarketOrder> input = make_orders(n, 1);
    const double input_heap = static_cast<double>(g_live.load() - heap0) / static_cast<double>(n);
    const std::vector<setm::MarketOrder> input_neg = make_orders(n_neg, 2);
    std::vector<Key16> keys(n);
    {
        SplitMix64 rng{3};
        for (auto& k : keys) k = {rng.next(), rng.next()};
    }

    // Warm-up on a small slice.
    clear(std::vector<setm::MarketOrder>(input.begin(),
                                         input.begin() + static_cast<std::ptrdiff_t>(n / 20)),
          setm::Mechanism::pay_as_clear);

    bench::Series sort_rate, clear_rate, bid_rate, neg_rate, clear_cpu, bid_cpu;
    Run last_clear, last_bid, last_neg;
    const double dn = static_cast<double>(n);
    bench::interleave(opt.reps(),
                      {
                          [&] { sort_rate.add(dn / sort_keys(keys)); },
                          [&] {
                              last_clear = clear(input, setm::Mechanism::pay_as_clear);
                              clear_rate.add(dn / last_clear.seconds);
                              clear_cpu.add(dn / last_clear.cpu_seconds);
                          },
                          [&] {
                              last_bid = clear(input, setm::Mechanism::pay_as_bid);
                              bid_rate.add(dn / last_bid.seconds);
                              bid_cpu.add(dn / last_bid.cpu_seconds);
                          },
                          [&] {
                              last_neg = clear(input_neg, setm::Mechanism::negotiate);
                              neg_rate.add(static_cast<double>(n_neg) / last_neg.seconds);
                          },
                      });

    constexpr double kTarget = 1e6; // orders/s, the target
    bench::Series clear_ratio, bid_ratio;
    for (double v : clear_rate.values) clear_ratio.add(v / kTarget);
    for (double v : bid_rate.values) bid_ratio.add(v / kTarget);

    std::printf(
        "bench_market: %zu orders over 96 slots (negotiate: %zu), %d repetitions, 1 core, "
        "medians\n",
        n, n_neg, opt.reps());
    bench::print_rate("reference: std::sort of as many 16-byte keys", sort_rate, "key");
    bench::print_rate("clear_market pay-as-clear", clear_rate, "order");
    bench::print_ratio("ratio pay-as-clear / 1,000,000 orders/s", clear_ratio, 1.0);
    bench::print_rate("clear_market pay-as-bid", bid_rate, "order");
    bench::print_ratio("ratio pay-as-bid / 1,000,000 orders/s", bid_ratio, 1.0);
    bench::print_rate("clear_market negotiate (10 rounds)", neg_rate, "order");
    bench::print_rate("pay-as-clear per second of its thread's CPU time", clear_cpu, "order");
    bench::print_rate("pay-as-bid per second of its thread's CPU time", bid_cpu, "order");
    const double per = 1.0 / dn;
    std::printf("%-58s %14zu bytes\n", "memory: sizeof(MarketOrder)", sizeof(setm::MarketOrder));
    std::printf("%-58s %14.1f bytes/order\n", "memory: input vector on the heap", input_heap);
    std::printf("%-58s %14.1f / %.1f bytes/order\n",
                "memory: peak added by clear_market, clear / bid",
                static_cast<double>(last_clear.engine_peak) * per,
                static_cast<double>(last_bid.engine_peak) * per);
    std::printf("%-58s %14.1f / %.1f bytes/order\n", "memory: result (input consumed), clear / bid",
                static_cast<double>(last_clear.result_heap) * per,
                static_cast<double>(last_bid.result_heap) * per);
    std::printf("%-58s %14.1f bytes/order\n", "memory: peak added by clear_market, negotiate",
                static_cast<double>(last_neg.engine_peak) / static_cast<double>(n_neg));
    std::printf("%-58s %14.1f bytes/order\n", "memory: at the peak, input + added (pay-as-clear)",
                input_heap + static_cast<double>(last_clear.engine_peak) * per);
    std::printf("%-58s %14ld / %ld\n", "page faults during clear_market, clear / bid",
                last_clear.page_faults, last_bid.page_faults);
    std::printf("%-58s %zu / %zu / %zu matches, %zu / %zu / %zu leftovers\n",
                "output: clear / bid / negotiate", last_clear.matches, last_bid.matches,
                last_neg.matches, last_clear.leftovers, last_bid.leftovers, last_neg.leftovers);

    bench::Json("market")
        .flag("smoke", opt.smoke())
        .num("reps", opt.reps())
        .num("orders", dn)
        .num("negotiate_orders", static_cast<double>(n_neg))
        .num("sort16_keys_per_s", sort_rate.med())
        .num("pay_as_clear_orders_per_s", clear_rate.med())
        .num("ratio_pay_as_clear_vs_target", clear_ratio.med())
        .num("pay_as_bid_orders_per_s", bid_rate.med())
        .num("ratio_pay_as_bid_vs_target", bid_ratio.med())
        .num("target_orders_per_s", kTarget)
        .num("negotiate_orders_per_s", neg_rate.med())
        .num("pay_as_clear_orders_per_cpu_s", clear_cpu.med())
        .num("pay_as_bid_orders_per_cpu_s", bid_cpu.med())
        .num("pay_as_clear_vs_sort16", clear_rate.med() / sort_rate.med())
        .num("sizeof_market_order", sizeof(setm::MarketOrder))
        .num("input_heap_bytes_per_order", input_heap)
        .num("pay_as_clear_peak_bytes_per_order", static_cast<double>(last_clear.engine_peak) * per)
        .num("pay_as_bid_peak_bytes_per_order", static_cast<double>(last_bid.engine_peak) * per)
        .num("pay_as_clear_result_bytes_per_order",
             static_cast<double>(last_clear.result_heap) * per)
        .num("pay_as_clear_peak_total_bytes_per_order",
             input_heap + static_cast<double>(last_clear.engine_peak) * per)
        .num("pay_as_clear_page_faults", static_cast<double>(last_clear.page_faults))
        .num("negotiate_peak_bytes_per_order",
             static_cast<double>(last_neg.engine_peak) / static_cast<double>(n_neg))
        .print();
    return 0;
}
