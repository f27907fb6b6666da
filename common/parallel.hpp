// parallel.hpp - independent work on several threads: a small pool made for
// one call (no global state), items handed out in chunks from a shared
// counter, so that a thread slowed by other work on a shared core only
// delays its own chunk. Each item's result goes to its own slot, so the
// output never depends on the thread count or the schedule.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace setm {

// Calls fn(worker, i) for every i in [0, n) on up to `threads` threads (the
// caller's included, as worker 0; workers are numbered below `threads`),
// `chunk` consecutive items at a time. An exception thrown by fn
// (std::bad_alloc) is rethrown here after every thread has stopped.
template <class Fn>
void parallel_for_workers(std::size_t n, unsigned threads, Fn&& fn, std::size_t chunk = 64) {
    chunk = std::max<std::size_t>(chunk, 1);
    const std::size_t chunks = (n + chunk - 1) / chunk;
    const unsigned workers =
        static_cast<unsigned>(std::min<std::size_t>(std::max(threads, 1u), chunks));
    if (workers <= 1) {
        for (std::size_t i = 0; i < n; ++i) fn(0u, i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::exception_ptr> failed(workers);
    auto work = [&](unsigned w) {
        try {
            for (std::size_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;)
                for (std::size_t i = c * chunk, end = std::min(n, i + chunk); i < end; ++i)
                    fn(w, i);
        } catch (...) {
            failed[w] = std::current_exception();
            next.store(chunks, std::memory_order_relaxed); // the others stop early
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    for (unsigned w = 1; w < workers; ++w) {
        try {
            pool.emplace_back(work, w);
        } catch (...) { // no thread to be had: fewer do it all
            break;
        }
    }
    work(0);
    for (auto& t : pool) t.join();
    for (const auto& e : failed)
        if (e) std::rethrow_exception(e);
}

// The same, for work that does not care which thread runs it: fn(i).
template <class Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn, std::size_t chunk = 64) {
    parallel_for_workers(
        n, threads, [&](unsigned, std::size_t i) { fn(i); }, chunk);
}

} // namespace setm
