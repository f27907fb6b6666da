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

} // namespace setm
