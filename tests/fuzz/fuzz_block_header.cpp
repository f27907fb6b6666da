// fuzz_block_header.cpp - the 80-byte block header and proof-of-work checks.
// Invariants: exactly 80 bytes parse, and serialize back to themselves;
// a compact target that decodes is exactly representable, so encoding it
// again gives the same target; checking the work never crashes and agrees
// with comparing the hash to the decoded target.
#include <algorithm>

#include "block.hpp"
#include "fuzz.hpp"
#include "pow.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto h = setm::parse_header(data, size);
    FUZZ_CHECK(h.ok() == (size == setm::kHeaderSize));
    if (size < setm::kHeaderSize) return 0;
    if (!h) h = setm::parse_header(data, setm::kHeaderSize);
    FUZZ_CHECK(h.ok());
    const auto raw = setm::serialize_header(h.value());
    FUZZ_CHECK(std::equal(raw.begin(), raw.end(), data));

    const setm::Hash32 hash = setm::block_hash(h.value());
    const bool work = setm::check_proof_of_work(hash, h->bits);
    auto target = setm::decode_compact(h->bits);
    if (!target) {
        FUZZ_CHECK(!work);
    } else {
        FUZZ_CHECK(work == setm::hash_meets_target(hash, target.value()));
        const std::uint32_t bits = setm::encode_compact(target.value());
        auto again = setm::decode_compact(bits);
        FUZZ_CHECK(again.ok());
        FUZZ_CHECK(again.value() == target.value());
    }
    // The hash in display order reads back; shifts by any amount stay in range.
    auto back = setm::hash_from_hex(setm::hash_to_hex(hash));
    FUZZ_CHECK(back.ok() && back.value() == hash);
    const setm::U256 x = setm::u256_from_hash(hash);
    FUZZ_CHECK(setm::u256_to_hash(x) == hash);
    const unsigned n = data[size - 1] + (size > setm::kHeaderSize ? 256u : 0u);
    FUZZ_CHECK(setm::bit_length(setm::shift_right(x, n)) <= (n >= 256 ? 0 : 256 - n));
    if (n >= 256) FUZZ_CHECK(setm::bit_length(setm::shift_left(x, n)) == 0);
    return 0;
}
