#include "signatures.hpp"

#include <thread>

namespace setm {

bool record_signature_valid(const Record& r, const PublicKey& key) {
    return std::visit([&](const auto& s) { return signature_valid(s, key); }, r);
}

std::optional<std::size_t> DeferredSignatures::verify(unsigned threads) const {
    const std::size_t n = tasks_.size();
    std::vector<char> ok(n, 1);
    auto work = [&](std::size_t from) {
        for (std::size_t i = from; i < n; i += threads)
            ok[i] = record_signature_valid(*tasks_[i].record, tasks_[i].key) ? 1 : 0;
    };
    if (threads <= 1 || n < 2 * threads) {
        threads = 1;
        work(0);
    } else {
        std::vector<std::thread> pool;
        for (unsigned k = 0; k < threads; ++k) pool.emplace_back(work, k);
        for (auto& th : pool) th.join();
    }
    std::optional<std::size_t> worst;
    for (std::size_t i = 0; i < n; ++i)
        if (!ok[i] && (!worst || tasks_[i].index < *worst)) worst = tasks_[i].index;
    return worst;
}

} // namespace setm
