// block_records.hpp - a block with its records: the form the chain stores
// and the one JSON line a tool prints for it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <cereal/types/variant.hpp>

#include "block.hpp"
#include "records.hpp"

namespace setm {

inline constexpr std::int32_t kBlockVersion = 1;

struct Block {
    BlockHeader header;
    std::vector<Record> records;
};

// As stored in LMDB: the 80 header bytes and the records.
struct StoredBlock {
    std::array<std::uint8_t, kHeaderSize> header{};
    std::vector<Record> records;
    template <class A>
    void serialize(A& ar) {
        ar(header, records);
    }
};

// The merkle root over the records' ids, in block order.
Hash32 merkle_root_of(const std::vector<Record>& records);

// One JSON line: header fields, header hex, hash, height and the records.
std::string block_to_json(const Block& b, std::uint64_t height);

// The same line without the records: "record_count" in their place
// (setm-mine --summary).
std::string block_summary_json(const Block& b, std::uint64_t height);

} // namespace setm
