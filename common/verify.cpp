#include "verify.hpp"

namespace setm {

namespace {

// The reason stays as the rule named it; the block goes into the detail
// (unless the detail already begins with it, as a stored block's does).
Error at_height(Error e, std::uint64_t h) {
    e.code = Exit::verify_failed;
    const std::string block = "block " + std::to_string(h) + ":";
    if (e.detail.rfind(block, 0) != 0) e.detail = block + (e.detail.empty() ? "" : " ") + e.detail;
    return e;
}

} // namespace

Result<VerifiedChain> verify_chain(const TxnState& snap, std::int64_t now, unsigned threads,
                                   const BlockObserver& observer) {
    auto height = snap.height();
    if (!height) return at_height(height.error(), 0);
    auto genesis_block = snap.block(0);
    if (!genesis_block) return at_height(genesis_block.error(), 0);
    auto chain = check_genesis_block(genesis_block.value());
    if (!chain) return at_height(chain.error(), 0);
    if (chain.value() != snap.chain_id())
        return at_height(make_error(Exit::verify_failed, "bad chain id",
                                    "the store's chain id is not the genesis block's hash"),
                         0);

    VerifiedChain out;
    VerifyReport& rep = out.report;
    rep.chain = chain.value();
    const Genesis& g = std::get<Signed<Genesis>>(genesis_block->records[0]).body;
    out.state = std::make_unique<MemoryState>(g, chain.value());
    MemoryState& state = *out.state;
    StateDelta genesis_delta(state);
    if (Status s = apply_genesis_records(genesis_delta, genesis_block.value()); !s)
        return at_height(s.error(), 0);
    state.merge(genesis_delta, 0);
    for (const auto& r : genesis_block->records) ++rep.by_type[record_type(r)];
    rep.records = genesis_block->records.size();
    rep.signatures = genesis_block->records.size();
    if (observer) observer(genesis_block.value(), 0, state);

    std::vector<BlockHeader> headers{genesis_block->header};
    std::vector<std::uint32_t> times{genesis_block->header.time};
    // One signature thread fewer than `threads`: this one runs the rules
    // meanwhile, and helps with what is left at the end of each block.
    SignaturePool pool(threads > 1 ? threads - 1 : 0);
    for (std::uint64_t h = 1; h <= height.value(); ++h) {
        auto b = snap.block(h);
        if (!b) return at_height(b.error(), h);
        const std::vector<Hash32> ids = record_ids(b->records, threads);
        Status hs = check_header(b.value(), block_hash(headers.back()), g.bits, times, now, &ids);
        if (!hs) return at_height(hs.error(), h);
        auto delta = apply_records(state, b->records, ids, b->header.time, h, pool);
        if (!delta) return at_height(delta.error(), h);
        state.merge(std::move(delta.value()), h);
        for (const auto& r : b->records) ++rep.by_type[record_type(r)];
        rep.records += b->records.size();
        rep.signatures += b->records.size();
        headers.push_back(b->header);
        times.push_back(b->header.time);
        if (times.size() > kMedianTimeSpan) times.erase(times.begin());
        if (observer) observer(b.value(), h, state);
    }
    Status idx = Store::check_indexes(snap, state, headers);
    if (!idx) return at_height(idx.error(), height.value());
    rep.height = height.value();
    rep.tip = block_hash(headers.back());
    return out;
}

} // namespace setm
