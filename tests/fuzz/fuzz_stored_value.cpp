// fuzz_stored_value.cpp - values as the store reads them back from LMDB:
// a block, a registry entry, an order entry, a cancel entry, the authority
// (meta "authority") or a key link, decoded by decode_binary as Store's
// unseal() does once the value's SHA-256 matched. The fuzzer cannot forge
// that checksum, but a person editing the store can recompute it, so every
// byte here is hostile (forged lengths and counts included).
//
// Input: first byte selects the kind (0 block, 1 registry entry, 2 order
// entry, 3 cancel entry, 4 authority, 5 key link, modulo 6), the rest is
// the value without its 32-byte checksum. Invariant: a value that decodes
// encodes to bytes that decode to the same encoding; when it was written
// little-endian (flag byte 1, as the store writes) the encoding is the
// input itself.
#include "canonical.hpp"
#include "fuzz.hpp"
#include "rules.hpp"

namespace {

template <class T>
void round_trip(const std::uint8_t* p, std::size_t n) {
    auto v = setm::decode_binary<T>(p, n);
    if (!v) return;
    const setm::Bytes enc = setm::encode_binary(v.value());
    auto again = setm::decode_binary<T>(enc.data(), enc.size());
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(setm::encode_binary(again.value()) == enc);
    if (n > 0 && p[0] == 1) FUZZ_CHECK(enc == setm::Bytes(p, p + n));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    switch (data[0] % 6) {
    case 0: round_trip<setm::StoredBlock>(data + 1, size - 1); break;
    case 1: round_trip<setm::RegistryEntry>(data + 1, size - 1); break;
    case 2: round_trip<setm::OrderEntry>(data + 1, size - 1); break;
    case 3: round_trip<setm::CancelEntry>(data + 1, size - 1); break;
    case 4: round_trip<setm::AuthorityState>(data + 1, size - 1); break;
    default: round_trip<setm::KeyLink>(data + 1, size - 1); break;
    }
    return 0;
}
