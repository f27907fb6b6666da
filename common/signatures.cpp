#include "signatures.hpp"

#include <algorithm>

#include "parallel.hpp"

namespace setm {

bool record_signature_valid(const Record& r, const PublicKey& key) {
    return std::visit([&](const auto& s) { return signature_valid(s, key); }, r);
}

CheckedSignatures::Triple CheckedSignatures::triple(const Hash32& id, const PublicKey& key,
                                                    const Signature& sig) {
    Triple t{};
    std::copy(id.begin(), id.end(), t.begin());
    std::copy(key.begin(), key.end(), t.begin() + 32);
    std::copy(sig.begin(), sig.end(), t.begin() + 64);
    return t;
}

namespace {

struct Checked {
    bool ok = false;
    Hash32 id{}; // set when `checked` is in use
};

// One task: its signed bytes, then the memo or the strict check.
Checked check_one(const Record& r, const PublicKey& key, const CheckedSignatures* checked) {
    return std::visit(
        [&](const auto& s) {
            if (!checked) return Checked{signature_valid(s, key), {}};
            const Bytes msg = s.signed_bytes();
            const Hash32 id = sha256(msg);
            const bool ok =
                checked->contains(id, key, s.signature) || ed25519_verify(key, msg, s.signature);
            return Checked{ok, id};
        },
        r);
}

const Signature& signature_of(const Record& r) {
    return std::visit([](const auto& s) -> const Signature& { return s.signature; }, r);
}

} // namespace

std::optional<std::size_t> DeferredSignatures::verify(unsigned threads,
                                                      CheckedSignatures* checked) const {
    const std::size_t n = tasks_.size();
    std::vector<Checked> out(n);
    parallel_for(
        n, threads,
        [&](std::size_t i) { out[i] = check_one(*tasks_[i].record, tasks_[i].key, checked); }, 16);
    std::optional<std::size_t> worst;
    for (std::size_t i = 0; i < n; ++i) {
        if (!out[i].ok && (!worst || tasks_[i].index < *worst)) worst = tasks_[i].index;
        if (out[i].ok && checked)
            checked->insert(out[i].id, tasks_[i].key, signature_of(*tasks_[i].record));
    }
    return worst;
}

// ---- SignaturePool -------------------------------------------------------------------

SignaturePool::SignaturePool(unsigned threads) {
    for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

SignaturePool::~SignaturePool() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    more_.notify_all();
    for (auto& w : workers_) w.join();
}

void SignaturePool::add(std::size_t tag, const Record& r, const PublicKey& key) {
    bool wake = false;
    {
        std::lock_guard<std::mutex> lock(mu_);
        tasks_.push_back({tag, &r, key});
        // Idle workers are woken a chunk at a time, not once per signature.
        wake = idle_ > 0 && tasks_.size() - taken_ >= kChunk;
    }
    if (wake) more_.notify_one();
}

std::size_t SignaturePool::take(std::vector<SignatureTask>& out) {
    const std::size_t n = std::min(kChunk, tasks_.size() - taken_);
    out.assign(tasks_.begin() + static_cast<std::ptrdiff_t>(taken_),
               tasks_.begin() + static_cast<std::ptrdiff_t>(taken_ + n));
    taken_ += n;
    return n;
}

void SignaturePool::done(const std::vector<SignatureTask>& tasks, const std::vector<char>& ok) {
    for (std::size_t i = 0; i < tasks.size(); ++i)
        if (!ok[i] && (!bad_ || tasks[i].index < *bad_)) bad_ = tasks[i].index;
    checked_ += tasks.size();
    if (checked_ == tasks_.size()) finished_.notify_all();
}

namespace {

void check_all(const std::vector<SignatureTask>& tasks, std::vector<char>& ok) {
    ok.resize(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i)
        ok[i] = record_signature_valid(*tasks[i].record, tasks[i].key) ? 1 : 0;
}

} // namespace

void SignaturePool::work() {
    std::vector<SignatureTask> mine;
    std::vector<char> ok;
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
        if (take(mine) == 0) {
            ++idle_;
            more_.wait(lock);
            --idle_;
            continue;
        }
        lock.unlock();
        check_all(mine, ok);
        lock.lock();
        done(mine, ok);
    }
}

std::optional<std::size_t> SignaturePool::first_bad() {
    std::vector<SignatureTask> mine;
    std::vector<char> ok;
    std::unique_lock<std::mutex> lock(mu_);
    while (checked_ < tasks_.size()) {
        if (take(mine) == 0) {
            finished_.wait(lock);
            continue;
        }
        lock.unlock();
        check_all(mine, ok);
        lock.lock();
        done(mine, ok);
    }
    const std::optional<std::size_t> out = bad_;
    tasks_.clear();
    taken_ = checked_ = 0;
    bad_.reset();
    return out;
}

} // namespace setm
