// signatures.hpp - checking records' signatures, now or deferred to every
// core: validation records (record, key) pairs instead of verifying each on
// the spot, then verifies them all at once.
#pragma once

#include <cstddef>
#include <optional>
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

class DeferredSignatures {
public:
    void add(std::size_t index, const Record& r, const PublicKey& key) {
        tasks_.push_back({index, &r, key});
    }
    // Verifies every task on `threads` threads; returns the lowest batch
    // index whose signature fails, or nullopt when all verify.
    std::optional<std::size_t> verify(unsigned threads) const;
    std::size_t size() const { return tasks_.size(); }
    void clear() { tasks_.clear(); }

private:
    std::vector<SignatureTask> tasks_;
};

} // namespace setm
