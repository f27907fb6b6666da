#include "miner.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <string>

#include "rules.hpp"

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

Result<Block> make_genesis_block(const Signed<Genesis>& g, std::int64_t now, unsigned threads,
                                 const MineProgress& progress) {
    return mine_block({g}, Hash32{}, static_cast<std::uint32_t>(now), g.body.bits, threads,
                      progress);
}

namespace {

// One attempt: validate on a snapshot, mine outside any transaction, append
// if the tip has not moved.
// Signatures verified on the snapshot are not verified again inside the
// write transaction, nor in a later attempt (`checked`).
Result<Appended> attempt(Store& store, const std::vector<Record>& records, std::int64_t now,
                         const AppendOptions& o, std::size_t* bad_index,
                         CheckedSignatures& checked) {
    Tip tip;
    std::uint32_t t = 0;
    {
        SETM_TRY(auto snap, store.snapshot());
        SETM_TRY(tip, snap->state().tip());
        t = next_block_time(tip.last_times, now);
        auto delta = apply_records(snap->state(), records, t, tip.height + 1, o.threads, bad_index,
                                   &checked);
        if (!delta) return delta.error();
    } // the read transaction ends here: mining holds no lock
    SETM_TRY(Block b,
             mine_block(records, tip.hash, t, store.genesis().bits, o.threads, o.progress));
    if (o.searched) o.searched();
    if (o.commit)
        SETM_CHECK(o.commit(b, tip.height + 1));
    else
        SETM_CHECK(store.append_if_tip(b, tip.hash, now, o.threads, &checked));
    return Appended{std::move(b), tip.height + 1};
}

} // namespace

Result<Appended> mine_and_append(Store& store, const std::vector<Record>& records, std::int64_t now,
                                 const AppendOptions& o, std::size_t* bad_index) {
    CheckedSignatures checked;
    for (unsigned tries = 1;; ++tries) {
        auto done = attempt(store, records, now, o, bad_index, checked);
        if (done || !done.error().is(ErrorKind::tip_moved) || !o.retry || tries >= o.max_tries)
            return done;
        if (o.catch_up) SETM_CHECK(o.catch_up());
        if (o.retried) o.retried(tries + 1);
    }
}

namespace {

// Calls fn(position, record) for every record of the lists, in order, as one.
template <class Fn>
void each_position(const std::vector<const std::vector<Record>*>& lists, Fn&& fn) {
    std::size_t i = 0;
    for (const auto* b : lists)
        for (const Record& r : *b) fn(i++, r);
}

Result<std::vector<std::size_t>> split_lists(const std::vector<const std::vector<Record>*>& lists,
                                             std::uint32_t max, std::size_t* bad_index) {
    std::size_t n = 0;
    for (const auto* b : lists) n += b->size();
    if (max == 0 || n <= max) return std::vector<std::size_t>{n};
    // A cut before position k is barred when a slot has trades on both sides.
    std::map<std::int64_t, std::pair<std::size_t, std::size_t>> span; // slot: first, last
    each_position(lists, [&](std::size_t i, const Record& r) {
        if (auto* tr = std::get_if<Signed<Trade>>(&r)) {
            auto [it, fresh] = span.try_emplace(tr->body.slot, i, i);
            if (!fresh) it->second.second = i;
        }
    });
    std::vector<int> open(n + 1, 0); // open[k] > 0: no cut before k
    for (const auto& [slot, fl] : span) {
        ++open[fl.first + 1];
        --open[fl.second + 1];
    }
    for (std::size_t k = 1; k <= n; ++k) open[k] += open[k - 1];
    std::vector<std::size_t> ends;
    for (std::size_t start = 0; start < n;) {
        std::size_t k = std::min(n, start + max);
        while (k > start && k < n && open[k] > 0) --k;
        if (k == start) {
            if (bad_index) *bad_index = start;
            return make_error(Exit::bad_input, "block too large",
                              "the trades of one slot, from record " + std::to_string(start + 1) +
                                  " on, are more than the chain's max_records (" +
                                  std::to_string(max) + ") and cannot be split");
        }
        ends.push_back(k);
        start = k;
    }
    return ends;
}

} // namespace

Result<std::vector<std::size_t>> split_points(const std::vector<Record>& records, std::uint32_t max,
                                              std::size_t* bad_index) {
    return split_lists({&records}, max, bad_index);
}

Result<std::vector<std::size_t>> split_points(const std::vector<std::vector<Record>>& batches,
                                              std::uint32_t max, std::size_t* bad_index) {
    std::vector<const std::vector<Record>*> lists;
    for (const auto& b : batches) lists.push_back(&b);
    return split_lists(lists, max, bad_index);
}

Status mine_and_append_split(Store& store, std::vector<Record> records, std::int64_t now,
                             const AppendOptions& o,
                             const std::function<Status(const Appended&)>& appended,
                             std::size_t* bad_index) {
    std::vector<std::vector<Record>> one;
    one.push_back(std::move(records));
    return mine_and_append_split(store, std::move(one), now, o, appended, bad_index);
}

namespace {

// The next n records of the batches, from record `at` of batch `b` on, moved
// into a vector of their own; each batch is freed once its last record is out.
std::vector<Record> take_records(std::vector<std::vector<Record>>& batches, std::size_t& b,
                                 std::size_t& at, std::size_t n) {
    std::vector<Record> out;
    out.reserve(n);
    while (out.size() < n && b < batches.size()) {
        std::vector<Record>& from = batches[b];
        const std::size_t take = std::min(from.size() - at, n - out.size());
        std::move(from.begin() + static_cast<std::ptrdiff_t>(at),
                  from.begin() + static_cast<std::ptrdiff_t>(at + take), std::back_inserter(out));
        at += take;
        if (at == from.size()) {
            std::vector<Record>().swap(from);
            ++b;
            at = 0;
        }
    }
    return out;
}

} // namespace

Status mine_and_append_split(Store& store, std::vector<std::vector<Record>> batches,
                             std::int64_t now, const AppendOptions& o,
                             const std::function<Status(const Appended&)>& appended,
                             std::size_t* bad_index) {
    SETM_TRY(auto ends, split_points(batches, store.genesis().max_records, bad_index));
    // Each block's records moved into a vector of their own as it comes to be
    // mined, and freed once it is: the input is never held twice, and the
    // memory falls block by block.
    std::size_t start = 0, b = 0, at = 0;
    for (std::size_t k = 0; k < ends.size(); ++k) {
        const std::size_t end = ends[k];
        const std::vector<Record> block = take_records(batches, b, at, end - start);
        std::size_t bad = block.size();
        auto done = mine_and_append(store, block, now, o, &bad);
        if (!done) {
            if (bad_index && bad < block.size()) *bad_index = start + bad;
            return done.error();
        }
        SETM_CHECK(appended(done.value()));
        start = end;
    }
    return ok_status();
}

} // namespace setm
