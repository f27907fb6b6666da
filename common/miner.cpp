#include "miner.hpp"

namespace setm {

std::uint32_t next_block_time(const std::vector<std::uint32_t>& last_times, std::int64_t now) {
    const std::int64_t floor = last_times.empty() ? 0 : std::int64_t{median_time(last_times)} + 1;
    return static_cast<std::uint32_t>(std::max(now, floor));
}

Result<Block> mine_block(std::vector<Record> records, const Hash32& prev, std::uint32_t time,
                         std::uint32_t bits, unsigned threads, const MineProgress& progress) {
    SETM_TRY(U256 target, decode_compact(bits));
    Block b;
    b.records = std::move(records);
    b.header.version = kBlockVersion;
    b.header.prev = prev;
    b.header.merkle_root = merkle_root_of(b.records);
    b.header.time = time;
    b.header.bits = bits;
    for (;;) {
        MineResult m = mine(b.header, target, threads, nullptr, progress);
        if (m.found) {
            b.header = m.header;
            return b;
        }
        ++b.header.time; // nonce space exhausted
    }
}

} // namespace setm
