// bench_ed25519 - the raw limit the tool benchmarks compare against: strict
// ed25519_verify (Crypto++'s verifier plus setm's length, S < L and key
// checks) of 64-byte signatures over 120-byte messages already in memory,
// on one core, and the same on every core at once (what the machine gives
// at that moment). tests/bench/bench-tools.sh runs it between the tools, in
// the same minutes, and divides their rates by cores x the 1-core figure.
// Also the raw signing rates on one core, by CPU time: ed25519_sign from the
// seed (each call derives the public key again, as sign_record(seed) does)
// and Ed25519Signer (the key prepared once); day.sh's floor uses the latter.
//
// Prints one line per figure, then {"type":"bench","name":"ed25519",...}.
#include <array>
#include <cstdint>
#include <thread>
#include <vector>

#include "crypto.hpp"
#include "harness.hpp"

namespace {

struct Batch {
    std::vector<setm::PublicKey> keys;
    std::vector<setm::Bytes> messages;
    std::vector<setm::Signature> signatures;
};

Batch make_batch(std::size_t n) {
    Batch b;
    for (std::size_t i = 0; i < n; ++i) {
        std::array<std::uint8_t, 32> seed{};
        for (std::size_t k = 0; k < seed.size(); ++k)
            seed[k] = static_cast<std::uint8_t>((i % 64) * 29 + k * 13 + 5);
        setm::Bytes msg(120);
        for (std::size_t k = 0; k < msg.size(); ++k)
            msg[k] = static_cast<std::uint8_t>(i * 7 + k * 3);
        b.keys.push_back(setm::ed25519_public(seed));
        b.signatures.push_back(setm::ed25519_sign(seed, msg));
        b.messages.push_back(std::move(msg));
    }
    return b;
}

std::size_t verify_some(const Batch& b, std::size_t from, std::size_t step) {
    std::size_t good = 0;
    for (std::size_t i = from; i < b.keys.size(); i += step)
        good += setm::ed25519_verify(b.keys[i], b.messages[i], b.signatures[i]) ? 1 : 0;
    return good;
}

std::size_t verify_parallel(const Batch& b, unsigned threads) {
    std::vector<std::size_t> good(threads, 0);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t] { good[t] = verify_some(b, t, threads); });
    for (auto& th : pool) th.join();
    std::size_t all = 0;
    for (std::size_t g : good) all += g;
    return all;
}

// Signs every message of the batch with one key; returns a byte of the
// signatures so that the work is kept.
std::uint8_t sign_all(const Batch& b, bool prepared) {
    const std::array<std::uint8_t, 32> seed{7, 1, 2, 3};
    const setm::Ed25519Signer signer(seed);
    std::uint8_t x = 0;
    for (const auto& m : b.messages)
        x ^= (prepared ? signer.sign(m) : setm::ed25519_sign(seed, m))[5];
    return x;
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "bench_ed25519: %s\n", what);
    std::exit(70);
}

} // namespace

int main(int argc, char** argv) {
    bench::Options opt("bench_ed25519", {{"signatures", 4000}});
    opt.parse(argc, argv);
    const unsigned cores = bench::cores();
    const std::size_t n = opt.smoke() ? 64 : opt.count("signatures");
    const Batch b = make_batch(n);
    if (verify_some(b, 0, 1) != n) die("a signature does not verify"); // and warm-up
    Batch bad = make_batch(1);
    bad.messages[0][0] ^= 1;
    if (verify_some(bad, 0, 1) != 0) die("a changed message verifies");

    bench::Series one, one_cpu, all, sign_seed_cpu, sign_prepared_cpu;
    const double dn = static_cast<double>(n);
    bench::interleave(opt.reps(),
                      {[&] {
                           const auto l = bench::lap([&] {
                               if (verify_some(b, 0, 1) != n) die("verify");
                           });
                           one.add(dn / l.wall);
                           one_cpu.add(dn / l.cpu);
                       },
                       [&] {
                           all.add(dn / bench::seconds([&] {
                                       if (verify_parallel(b, cores) != n) die("verify");
                                   }));
                       },
                       [&] {
                           const auto l = bench::lap([&] { bench::keep(sign_all(b, false)); });
                           sign_seed_cpu.add(dn / l.cpu);
                       },
                       [&] {
                           const auto l = bench::lap([&] { bench::keep(sign_all(b, true)); });
                           sign_prepared_cpu.add(dn / l.cpu);
                       }});
    const bench::Series machine = bench::ratios(all, one, cores);
    const std::string c = std::to_string(cores);
    bench::print_rate("strict ed25519_verify, 1 core", one, "verify");
    bench::print_rate("strict ed25519_verify, 1 core, by CPU time", one_cpu, "verify");
    bench::print_rate(("strict ed25519_verify, " + c + " threads at once").c_str(), all, "verify");
    bench::print_rate("ed25519_sign from the seed, 1 core, by CPU time", sign_seed_cpu, "sign");
    bench::print_rate("Ed25519Signer (key prepared once), 1 core, by CPU time", sign_prepared_cpu,
                      "sign");
    bench::print_ratio(("machine: " + c + " threads / (" + c + " x 1 core)").c_str(), machine, 0);
    bench::Json("ed25519")
        .flag("smoke", opt.smoke())
        .num("cores", cores)
        .num("reps", opt.reps())
        .num("signatures", dn)
        .num("limit_1core_ops", one.med())
        .num("limit_1core_cpu_ops", one_cpu.med())
        .num("limit_ncores_measured_ops", all.med())
        .num("machine_parallel_efficiency", machine.med())
        .num("sign_seed_1core_cpu_ops", sign_seed_cpu.med())
        .num("sign_prepared_1core_cpu_ops", sign_prepared_cpu.med())
        .print();
    return 0;
}
