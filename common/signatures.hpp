// signatures.hpp - checking records' signatures, now or deferred to every
// core: validation records (record, key) pairs instead of verifying each on
// the spot, then verifies them all at once (DeferredSignatures), or hands
// them to worker threads that verify them while validation goes on
// (SignaturePool).
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "records.hpp"

namespace setm {

// Strict Ed25519 check of r's signature over its canonical bytes.
bool record_signature_valid(const Record& r, const PublicKey& key);

// Where validation puts the signatures it does not check on the spot: the
// record at `index` of its batch must verify under `key`.
class SignatureSink {
public:
    virtual void add(std::size_t index, const Record& r, const PublicKey& key) = 0;

protected:
    ~SignatureSink() = default;
};

struct SignatureTask {
    std::size_t index = 0; // position of the record in its batch
    const Record* record = nullptr;
    PublicKey key{};
};

// Signatures this process has found good, by (record id, key, signature):
// a record whose triple is here verified before, and the strict check is a
// function of exactly these (the id is the SHA-256 of the signed bytes), so
// it need not run again. setm-mine validates a block on a snapshot and again
// inside its write transaction: the second pass checks only what is new.
class CheckedSignatures {
public:
    bool contains(const Hash32& id, const PublicKey& key, const Signature& sig) const {
        return good_.count(triple(id, key, sig)) != 0;
    }
    void insert(const Hash32& id, const PublicKey& key, const Signature& sig) {
        good_.insert(triple(id, key, sig));
    }
    std::size_t size() const { return good_.size(); }

private:
    using Triple = std::array<std::uint8_t, 32 + 32 + 64>;
    static Triple triple(const Hash32& id, const PublicKey& key, const Signature& sig);
    std::set<Triple> good_;
};

class DeferredSignatures : public SignatureSink {
public:
    void add(std::size_t index, const Record& r, const PublicKey& key) override {
        tasks_.push_back({index, &r, key});
    }
    // Verifies every task on `threads` threads; returns the lowest batch
    // index whose signature fails, or nullopt when all verify. With
    // `checked`, a task found there passes without a check, and each one
    // that verifies is added to it.
    std::optional<std::size_t> verify(unsigned threads, CheckedSignatures* checked = nullptr) const;
    std::size_t size() const { return tasks_.size(); }
    const std::vector<SignatureTask>& tasks() const { return tasks_; }
    void clear() { tasks_.clear(); }

private:
    std::vector<SignatureTask> tasks_;
};

// Signatures verified on `threads` worker threads as they are added, while
// the caller goes on (a sync validates the rules of one block after another
// while the signatures of the blocks before verify). Each is the same strict
// single check as record_signature_valid, never batch verification. A task's
// index is the caller's tag (for example block and record position packed
// into one number); its record must outlive first_bad().
class SignaturePool : public SignatureSink {
public:
    explicit SignaturePool(unsigned threads);
    ~SignaturePool(); // stops the workers (tasks not yet taken are dropped)
    SignaturePool(const SignaturePool&) = delete;
    SignaturePool& operator=(const SignaturePool&) = delete;

    void add(std::size_t tag, const Record& r, const PublicKey& key) override;
    // Waits until every task added so far is verified (the calling thread
    // verifies too) and returns the lowest tag whose signature fails, or
    // nullopt when all verify; the pool is then empty and can take more.
    std::optional<std::size_t> first_bad();

private:
    void work();
    // Takes up to kChunk tasks not yet taken (under lock_); none when empty.
    std::size_t take(std::vector<SignatureTask>& out);
    void done(const std::vector<SignatureTask>& tasks, const std::vector<char>& ok);
    static constexpr std::size_t kChunk = 8;

    std::mutex mu_;
    std::condition_variable more_, finished_;
    std::vector<SignatureTask> tasks_;
    std::size_t taken_ = 0, checked_ = 0;
    unsigned idle_ = 0;
    bool stop_ = false;
    std::optional<std::size_t> bad_;
    std::vector<std::thread> workers_;
};

} // namespace setm
