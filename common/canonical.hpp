// canonical.hpp - the exact bytes that are signed and hashed.
//
// Every record type has one cereal `serialize` function. Its portable
// binary archive (one flag byte, then fields in the order of `serialize`,
// integers fixed-width little-endian, strings and vectors as a uint64
// length followed by the bytes, fixed arrays as raw bytes) defines both
//   - the canonical bytes: archive(domain tag, chain id, body), and
//   - the value stored in LMDB.
// The domain tag names the record type and format version
// ("setm/offer/v1"), so bytes of one type never verify as another, and the
// chain id (the genesis block hash) keeps a record from replaying on another
// chain. The layout is documented in setm(7).
#pragma once

#include <sstream>
#include <string>
#include <string_view>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "bounded_archive.hpp"
#include "bytes.hpp"
#include "crypto.hpp"
#include "error.hpp"

namespace setm {

// cereal's default is the host's byte order (its flag byte says which);
// the canonical bytes must be the same on every host: always little-endian.
inline cereal::PortableBinaryOutputArchive::Options canonical_byte_order() {
    return cereal::PortableBinaryOutputArchive::Options::LittleEndian();
}

template <class T>
Bytes encode_binary(const T& value) {
    std::ostringstream os(std::ios::binary);
    {
        cereal::PortableBinaryOutputArchive ar(os, canonical_byte_order());
        ar(value);
    }
    const std::string s = os.str();
    return Bytes(s.begin(), s.end());
}

// Reads a value this program stored (a record whose hash was checked, a
// value in our own store). Length fields are checked against the bytes that
// remain before anything is allocated (bounded_archive.hpp), so a forged
// length is refused, not allocated.
template <class T>
Result<T> decode_binary(const void* p, std::size_t n) {
    try {
        BoundedBinaryInputArchive ar(static_cast<const std::uint8_t*>(p), n);
        T value{};
        ar(value);
        if (ar.remaining() != 0)
            return make_error(Exit::io, "store unreadable", "trailing bytes after a stored value");
        return value;
    } catch (const std::exception& e) {
        return make_error(Exit::io, "store unreadable", e.what());
    }
}

template <class Body>
Bytes canonical_bytes(std::string_view domain_tag, const Hash32& chain_id, const Body& body) {
    std::ostringstream os(std::ios::binary);
    {
        cereal::PortableBinaryOutputArchive ar(os, canonical_byte_order());
        ar(std::string(domain_tag), chain_id, body);
    }
    const std::string s = os.str();
    return Bytes(s.begin(), s.end());
}

} // namespace setm
