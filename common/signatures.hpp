// signatures.hpp - checking records' signatures, now or deferred to every
// core: validation records (record, key) pairs instead of verifying each on
// the spot, then verifies them all at once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "records.hpp"

namespace setm {

// Strict Ed25519 check of r's signature over its canonical bytes.
bool record_signature_valid(const Record& r, const PublicKey& key);

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

class DeferredSignatures {
public:
    void add(std::size_t index, const Record& r, const PublicKey& key) {
        tasks_.push_back({index, &r, key});
    }
    // Verifies every task on `threads` threads; returns the lowest batch
    // index whose signature fails, or nullopt when all verify. With
    // `checked`, a task found there passes without a check, and each one
    // that verifies is added to it.
    std::optional<std::size_t> verify(unsigned threads, CheckedSignatures* checked = nullptr) const;
    std::size_t size() const { return tasks_.size(); }
    void clear() { tasks_.clear(); }

private:
    std::vector<SignatureTask> tasks_;
};

} // namespace setm
