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

// The signatures of an assumed block: dropped, not checked.
class AssumedSignatures : public SignatureSink {
public:
    void add(std::size_t, const Record&, const PublicKey&) override {}
};

// The block --assume-valid names, as the store's block index places it
// (nullopt: not on this chain). Only an index: the replay confirms it.
Result<std::optional<AssumedValid>> find_assumed(const TxnState& snap, const VerifyOptions& o,
                                                 std::uint64_t tip) {
    std::optional<AssumedValid> none;
    if (!o.assume_valid) return none;
    SETM_TRY(const auto h, snap.block_height(*o.assume_valid));
    if (!h || *h > tip) return none;
    AssumedValid a;
    a.height = *h;
    a.block = *o.assume_valid;
    return std::optional<AssumedValid>(a);
}

// Block 0 checked and applied: the replay's starting state (and *header
// block 0's header).
Result<VerifiedChain> verify_genesis(const TxnState& snap, const BlockObserver& observer,
                                     BlockHeader* header) {
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
    *header = genesis_block->header;
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
    return out;
}

// The replay found another block than HASH at the height the index gave.
Error assumed_elsewhere(const AssumedValid& a, const Block& b) {
    return make_error(Exit::verify_failed, "bad index",
                      "block_index puts block " + hash_to_hex(a.block) + " at height " +
                          std::to_string(a.height) + ", where the chain holds block " +
                          hash_to_hex(block_hash(b.header)));
}

} // namespace

Result<VerifiedChain> verify_chain(const TxnState& snap, std::int64_t now, unsigned threads,
                                   const BlockObserver& observer) {
    VerifyOptions o;
    o.now = now;
    o.threads = threads;
    return verify_chain(snap, o, observer);
}

Result<VerifiedChain> verify_chain(const TxnState& snap, const VerifyOptions& o,
                                   const BlockObserver& observer) {
    auto height = snap.height();
    if (!height) return at_height(height.error(), 0);
    auto assumed = find_assumed(snap, o, height.value());
    if (!assumed) return at_height(assumed.error(), 0);
    std::optional<AssumedValid>& av = assumed.value();
    if (o.assumed) o.assumed(av);
    BlockHeader genesis_header;
    SETM_TRY(VerifiedChain out, verify_genesis(snap, observer, &genesis_header));
    VerifyReport& rep = out.report;
    MemoryState& state = *out.state;
    const std::uint32_t bits = state.genesis().bits;
    Hash32 prev = block_hash(genesis_header);
    std::vector<BlockHeader> headers{genesis_header};
    std::vector<std::uint32_t> times{genesis_header.time};
    // One signature thread fewer than `threads`: this one runs the rules
    // meanwhile, and helps with what is left at the end of each block.
    SignaturePool pool(o.threads > 1 ? o.threads - 1 : 0);
    AssumedSignatures dropped;
    for (std::uint64_t h = 1; h <= height.value(); ++h) {
        auto b = snap.block(h);
        if (!b) return at_height(b.error(), h);
        const std::vector<Hash32> ids = record_ids(b->records, o.threads);
        Status hs = check_header(b.value(), prev, bits, times, o.now, &ids);
        if (!hs) return at_height(hs.error(), h);
        prev = block_hash(b->header);
        if (av && h == av->height && prev != av->block)
            return at_height(assumed_elsewhere(*av, b.value()), h);
        const bool assume = av && h <= av->height;
        auto delta = assume ? apply_rules(state, b->records, ids, b->header.time, h, dropped)
                            : apply_records(state, b->records, ids, b->header.time, h, pool);
        if (!delta) return at_height(delta.error(), h);
        state.merge(std::move(delta.value()), h);
        for (const auto& r : b->records) ++rep.by_type[record_type(r)];
        rep.records += b->records.size();
        (assume ? av->signatures : rep.signatures) += b->records.size();
        headers.push_back(b->header);
        times.push_back(b->header.time);
        if (times.size() > kMedianTimeSpan) times.erase(times.begin());
        if (observer) observer(b.value(), h, state);
    }
    Status idx = Store::check_indexes(snap, state, headers);
    if (!idx) return at_height(idx.error(), height.value());
    rep.height = height.value();
    rep.tip = block_hash(headers.back());
    rep.assumed = av;
    return out;
}

} // namespace setm
