#include "negotiation.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>

#include "clearing.hpp"
#include "limits.hpp"
#include "parallel.hpp"
#include "units.hpp"

namespace setm {

namespace {

Status check_agent(const StateReader& st, const SecretKey& agent, std::int64_t now) {
    auto c = active_credential(st, agent.id(), now);
    if (!c) {
        Error e = c.error();
        e.detail = "the agent's key: " + e.detail;
        return e;
    }
    if (!(c->roles & role_agent))
        return make_error(Exit::rejected, "wrong user", c->name + " does not hold the agent role");
    return ok_status();
}

// A what-if fee must fit in a trade record, as the chain's does.
Status check_fee(const MarketParams& p) {
    if (price_within_limits(p.network_fee)) return ok_status();
    return make_error(Exit::usage, "bad fee",
                      "network fee " + format_price(p.network_fee) +
                          " EUR/MWh is beyond the bound of " + format_price(kMaxRecordPrice));
}

// The orders of a batch that are new to the chain, applied (rules, limits
// per slot, gate) over the chain as the block that carries them will be.
struct Admitted {
    StateDelta block;
    std::vector<const LineRecord*> fresh; // in input order: orders and readings
    std::vector<Hash32> fresh_ids;        // their ids
    std::vector<const LineRecord*> early; // readings whose slot is not over yet
};

bool is_order(const Record& r) {
    return std::holds_alternative<Signed<Offer>>(r) || std::holds_alternative<Signed<Request>>(r);
}

// A reading whose slot ends after `now`: the block of this batch would
// refuse it ("slot not over"), so it waits for a later batch, like an
// order whose slot is not cleared yet.
bool reading_early(const Record& r, std::int64_t now) {
    const auto* s = std::get_if<Signed<Reading>>(&r);
    return s && s->body.slot + std::int64_t{s->body.slot_minutes} * 60 > now;
}

// Why each input line fails, if it does (neither an order nor a reading,
// or a rule: a new order or reading against the chain and the batch before
// it; an order already on the chain, which its book brings anyway, only if
// its slot is over; a reading already on the chain never), and the new
// records applied in input order. Bad signatures are found after the
// rules, on every core.
struct Checked {
    std::vector<std::optional<Error>> failure;
    std::vector<std::size_t> applied; // the lines applied to the block, in order
    std::vector<bool> early;          // readings whose slot is not over: not applied
};

// Whether a record was given earlier (the same record twice: once is
// enough). A whole input is checked against the ids seen in it; a stream
// read a batch at a time also against what the batches before left: the
// records applied to the block and the early readings (without
// --skip-invalid any other line that fails stops the batch).
struct Seen {
    const StateDelta* block = nullptr;       // set: the batches before applied theirs here
    const std::set<Hash32>* early = nullptr; // and carried these early readings
    std::set<Hash32> ids;
    bool before(const Hash32& id) {
        if (!ids.insert(id).second) return true;
        return (block && block->records.count(id)) || (early && early->count(id));
    }
};

// A reading already on the chain is skipped (given again, or carried by a
// batch that mined it); one whose slot is not over waits; any other is
// applied like a new order.
std::optional<Error> check_reading(const StateReader& chain, StateDelta& block, Checked& c,
                                   std::size_t i, const LineRecord& in, const Hash32& id,
                                   std::int64_t now, DeferredSignatures& sigs) {
    auto known = chain.has_record(id);
    if (!known) return known.error();
    if (*known) return std::nullopt;
    if (reading_early(in.record, now)) {
        c.early[i] = true;
        return std::nullopt;
    }
    if (Status s = apply_record(block, in.record, id, now, 0, &sigs, i); !s) return s.error();
    c.applied.push_back(i);
    return std::nullopt;
}

// The rules of every line; the signatures of those applied go to SIGS.
Checked check_rules(const StateReader& chain, StateDelta& block,
                    const std::vector<LineRecord>& input, const std::vector<Hash32>& ids,
                    const BatchOptions& opt, Seen seen, DeferredSignatures& sigs) {
    Checked c{std::vector<std::optional<Error>>(input.size()), {}, std::vector<bool>(input.size())};
    for (std::size_t i = 0; i < input.size(); ++i) {
        const Record& r = input[i].record;
        const bool reading = std::holds_alternative<Signed<Reading>>(r);
        if (!is_order(r) && !reading) {
            c.failure[i] = make_error(Exit::bad_input, "not an order",
                                      std::string("a ") + record_type(r) + " record");
            continue;
        }
        if (seen.before(ids[i])) continue;
        if (reading) {
            c.failure[i] = check_reading(chain, block, c, i, input[i], ids[i], opt.now, sigs);
            continue;
        }
        auto entry = chain.order(ids[i]);
        if (!entry) {
            c.failure[i] = entry.error();
        } else if (*entry) {
            const OrderFacts f = order_facts(r);
            if (f.slot <= opt.now || f.expires <= opt.now)
                c.failure[i] = make_error(
                    Exit::bad_input, "slot begun",
                    "the order's slot " + format_utc(f.slot) + " has begun or the order expired");
        } else if (Status s = apply_record(block, r, ids[i], opt.now, 0, &sigs, i); !s) {
            c.failure[i] = s.error();
        } else {
            c.applied.push_back(i);
        }
    }
    return c;
}

Error bad_signature(const Record& r) {
    return make_error(Exit::rejected, "wrong user",
                      "bad signature by " + participant_hex(record_signer(r)));
}

// Marks every line whose signature fails (several may: the rare path,
// checked one by one).
void mark_bad_signatures(const StateDelta& block, const std::vector<LineRecord>& input,
                         Checked& c) {
    for (std::size_t i = 0; i < input.size(); ++i) {
        if (c.failure[i] || c.early[i]) continue; // not checked, or refused by a rule
        const Record& r = input[i].record;
        auto serial = block.serial_of(record_signer(r));
        if (!serial || !*serial) continue;
        auto e = block.credential(**serial);
        if (e && *e && !record_signature_valid(r, (*e)->credential.body.ed25519))
            c.failure[i] = bad_signature(r);
    }
}

// Why each line fails, if it does: the rules, then the signatures of the
// lines they applied, on every core.
Checked check_input(const StateReader& chain, StateDelta& block,
                    const std::vector<LineRecord>& input, const std::vector<Hash32>& ids,
                    const BatchOptions& opt, Seen seen) {
    DeferredSignatures sigs;
    Checked c = check_rules(chain, block, input, ids, opt, std::move(seen), sigs);
    if (sigs.verify(opt.threads)) mark_bad_signatures(block, input, c);
    return c;
}

// Each line's id, computed once, on every core.
std::vector<Hash32> input_ids(const std::vector<LineRecord>& input, unsigned threads) {
    std::vector<Hash32> ids(input.size());
    parallel_for(input.size(), threads,
                 [&](std::size_t i) { ids[i] = record_id(input[i].record); });
    return ids;
}

// A line's failure as the batch names it: its type, id and line.
Error named_failure(const LineRecord& in, const Hash32& id, Error e) {
    e.detail = std::string(record_type(in.record)) + " " + to_hex(id) + ": " + e.detail;
    e.at_line(in.line);
    return e;
}

// Names each failing line (or stops at the first without --skip-invalid).
// When every line passed, the block check_input built is the batch's;
// otherwise the good new orders are applied again, so that it holds only them.
Result<Admitted> admit(const StateReader& chain, const std::vector<LineRecord>& input,
                       const BatchOptions& opt, std::vector<Rejected>& rejected) {
    const std::vector<Hash32> ids = input_ids(input, opt.threads);
    StateDelta block(chain);
    Checked c = check_input(chain, block, input, ids, opt, Seen{});
    bool all_good = true;
    for (std::size_t i = 0; i < input.size(); ++i) {
        if (!c.failure[i]) continue;
        all_good = false;
        Error e = named_failure(input[i], ids[i], *c.failure[i]);
        if (!opt.skip_invalid) return e;
        rejected.push_back({input[i].line, ids[i], record_type(input[i].record), e});
    }
    Admitted a{all_good ? std::move(block) : StateDelta(chain), {}, {}, {}};
    for (std::size_t i = 0; i < input.size(); ++i)
        if (c.early[i]) a.early.push_back(&input[i]);
    if (all_good) {
        for (std::size_t i : c.applied) {
            a.fresh.push_back(&input[i]);
            a.fresh_ids.push_back(ids[i]);
        }
        return a;
    }
    DeferredSignatures verified; // checked above: never verified again
    for (std::size_t i = 0; i < input.size(); ++i) {
        if (c.failure[i] || c.early[i]) continue;
        SETM_TRY(bool known, a.block.has_record(ids[i]));
        if (known) continue; // on the chain, or given twice
        SETM_CHECK(apply_record(a.block, input[i].record, ids[i], opt.now, 0, &verified, i));
        a.fresh.push_back(&input[i]);
        a.fresh_ids.push_back(ids[i]);
    }
    return a;
}

// The slots the agent clears now: those of the new orders and of the open
// orders on the chain, not begun, and, with a gate, closed and not cleared.
Result<std::set<std::int64_t>> slots_to_clear(const StateDelta& block, std::int64_t now) {
    std::set<std::int64_t> all, out;
    for (const auto& [id, e] : block.orders) all.insert(order_facts(e.order).slot); // the new ones
    SETM_CHECK(block.base()->each_slot_order(now + 1, INT64_MAX, [&](const SlotOrder& o) {
        all.insert(o.key.slot);
        return ok_status();
    }));
    const Genesis& g = block.genesis();
    for (std::int64_t slot : all) {
        if (slot <= now) continue;
        if (has_gate(g)) {
            SETM_TRY(auto cleared, block.cleared(slot));
            if (now < gate_closure(g, slot) || cleared) continue;
        }
        out.insert(slot);
    }
    return out;
}

// The trades of the matches, in their order, signed on every core with the
// agent's key prepared once per thread.
Result<std::vector<Signed<Trade>>> sign_trades(const StateReader& chain, const SecretKey& agent,
                                               const std::vector<Match>& matches,
                                               const BatchOptions& opt) {
    Genesis g = chain.genesis(); // its market, or the what-if the options put in its place
    g.mechanism = mechanism_name(opt.market.mechanism);
    const ParticipantId id = agent.id();
    const unsigned threads = std::max(opt.threads, 1u);
    std::vector<std::unique_ptr<Ed25519Signer>> keys(threads);
    std::vector<Signed<Trade>> trades(matches.size());
    std::vector<char> bad(matches.size(),
                          0); // trade_for refused it: its error is found again below
    parallel_for_workers(
        matches.size(), threads,
        [&](unsigned w, std::size_t i) {
            if (!keys[w]) keys[w] = std::make_unique<Ed25519Signer>(agent.seed);
            auto t = trade_for(matches[i], g, id, opt.now);
            if (t)
                trades[i] = sign_record(*t, chain.chain_id(), *keys[w]);
            else
                bad[i] = 1;
        },
        16);
    for (std::size_t i = 0; i < matches.size(); ++i)
        if (bad[i]) return trade_for(matches[i], g, id, opt.now).error();
    return trades;
}

// One slot cleared on its book as the chain holds it with this batch's
// orders, and what that clearing achieved.
struct SlotClearing {
    MarketResult result;
    std::vector<ClearingFigures> figures;
};

Result<SlotClearing> clear_with_figures(const StateDelta& block, std::int64_t slot,
                                        std::int64_t now, const MarketParams& p) {
    SETM_TRY(std::vector<MarketOrder> book, slot_book(block, slot, now));
    SETM_TRY(MarketResult r, clear_book(book, slot, p));
    SETM_TRY(std::vector<ClearingFigures> f, slot_figures(book, r));
    return SlotClearing{std::move(r), std::move(f)};
}

// Clears each slot, and adds its matches, report, leftovers and figures.
Status clear_slots(const StateDelta& block, const std::set<std::int64_t>& slots,
                   const BatchOptions& opt, BatchResult& res) {
    for (std::int64_t slot : slots) {
        SETM_TRY(SlotClearing c, clear_with_figures(block, slot, opt.now, opt.market));
        for (auto& m : c.result.matches) res.market.matches.push_back(m);
        for (auto& s : c.result.slots) res.market.slots.push_back(std::move(s));
        for (auto& o : c.result.leftovers) res.market.leftovers.push_back(std::move(o));
        for (auto& f : c.figures) res.figures.push_back(f);
    }
    return ok_status();
}

// The input read a batch of lines at a time (without --skip-invalid, where
// the first bad line stops the whole batch, so that no line need be kept to
// apply the good ones again): each batch's new orders and readings applied
// to the block, the readings it must print copied, then the lines freed.
// The block, the failure named and the order of the records are those of
// the whole input checked at once.
struct StreamAdmitted {
    StateDelta block;
    std::map<Hash32, Record> readings; // the new readings, by id
    std::vector<Record> early;         // readings whose slot is not over, in input order
    std::set<Hash32> early_ids;
};

// The batch of lines before the one being read, kept while a pool verifies
// its signatures: they overlap the next batch's reading, decoding and rules.
// At most one batch waits, so memory stays that of two batches.
struct PendingLines {
    std::vector<LineRecord> lines;
    std::vector<Hash32> ids;
};

// Waits for the pending batch's signatures (the calling thread checks too);
// the first bad one names its line, which comes before any line after.
Status settle_pending(SignaturePool& pool, PendingLines& p) {
    if (const std::optional<std::size_t> bad = pool.first_bad())
        return named_failure(p.lines[*bad], p.ids[*bad], bad_signature(p.lines[*bad].record));
    std::vector<LineRecord>().swap(p.lines);
    std::vector<Hash32>().swap(p.ids);
    return ok_status();
}

// One batch of the stream: its rules while the batch before verifies, then
// that batch settled; a line of this one that fails is named once the lines
// before it are known good (its own signatures checked then, here), so the
// line named is the first that fails, as for the whole input at once.
Status admit_lines(const StateReader& chain, std::vector<LineRecord>&& input,
                   const BatchOptions& opt, StreamAdmitted& a, SignaturePool& pool,
                   PendingLines& pending) {
    std::vector<Hash32> ids = input_ids(input, opt.threads);
    DeferredSignatures sigs;
    Checked c =
        check_rules(chain, a.block, input, ids, opt, Seen{&a.block, &a.early_ids, {}}, sigs);
    SETM_CHECK(settle_pending(pool, pending));
    const auto failed = [&](const std::optional<Error>& f) { return f.has_value(); };
    if (std::any_of(c.failure.begin(), c.failure.end(), failed)) {
        if (sigs.verify(opt.threads)) mark_bad_signatures(a.block, input, c);
        for (std::size_t i = 0; i < input.size(); ++i)
            if (c.failure[i]) return named_failure(input[i], ids[i], *c.failure[i]);
    }
    for (std::size_t i = 0; i < input.size(); ++i)
        if (c.early[i]) {
            a.early.push_back(input[i].record);
            a.early_ids.insert(ids[i]);
        }
    for (std::size_t i : c.applied)
        if (!is_order(input[i].record)) a.readings.emplace(ids[i], input[i].record);
    // Moving the vectors keeps the records where the tasks point.
    pending.lines = std::move(input);
    pending.ids = std::move(ids);
    for (const SignatureTask& t : sigs.tasks()) pool.add(t.index, *t.record, t.key);
    return ok_status();
}

// With the batch's block in res: clears the slots, signs the trades and
// lists the orders left over.
Status clear_and_sign(const StateReader& chain, const SecretKey& agent, const BatchOptions& opt,
                      BatchResult& res) {
    SETM_TRY(std::set<std::int64_t> slots, slots_to_clear(*res.block, opt.now));
    SETM_CHECK(clear_slots(*res.block, slots, opt, res));
    SETM_TRY(res.trades, sign_trades(chain, agent, res.market.matches, opt));
    // Every new order goes first, so that the chain holds the book the
    // trades come from (and the orders not matched yet, for later
    // clearings), then the new readings; each sorted by id.
    for (const MarketOrder& left : res.market.leftovers) {
        res.unmatched.push_back(left.id);
        res.unmatched_remaining_wh.push_back(left.energy_wh);
    }
    // New orders of slots not cleared now wait on the chain, whole.
    for (const auto& [id, e] : res.block->orders) {
        const OrderFacts f = order_facts(e.order);
        if (!slots.count(f.slot)) {
            res.unmatched.push_back(id);
            res.unmatched_remaining_wh.push_back(f.energy_wh);
        }
    }
    return ok_status();
}

} // namespace

Result<BatchResult> run_batch(const StateReader& chain, const SecretKey& agent,
                              std::vector<LineRecord> input, const BatchOptions& opt) {
    SETM_CHECK(check_agent(chain, agent, opt.now));
    SETM_CHECK(check_fee(opt.market));
    BatchResult res;
    SETM_TRY(Admitted a, admit(chain, input, opt, res.rejected));
    // Every new order is in the block now: keep only the new readings (sorted
    // by id) and the early ones, and free the input.
    std::map<Hash32, const LineRecord*> readings;
    for (std::size_t k = 0; k < a.fresh.size(); ++k)
        if (!is_order(a.fresh[k]->record)) readings[a.fresh_ids[k]] = a.fresh[k];
    for (const auto& [id, in] : readings) res.readings.push_back(in->record);
    for (const LineRecord* in : a.early) res.early_readings.push_back(in->record);
    readings.clear();
    a.fresh.clear();
    a.early.clear();
    std::vector<LineRecord>().swap(input);
    res.block = std::make_unique<StateDelta>(std::move(a.block));
    SETM_CHECK(clear_and_sign(chain, agent, opt, res));
    return res;
}

Result<BatchResult> run_batch(const StateReader& chain, const SecretKey& agent, std::istream& in,
                              const BatchOptions& opt) {
    if (opt.skip_invalid) { // the good lines are applied again once all are checked
        SETM_TRY(std::vector<LineRecord> input, read_records(in, opt.threads));
        return run_batch(chain, agent, std::move(input), opt);
    }
    SETM_CHECK(check_agent(chain, agent, opt.now));
    SETM_CHECK(check_fee(opt.market));
    StreamAdmitted a{StateDelta(chain), {}, {}, {}};
    PendingLines pending;                                      // outlives the pool's tasks
    SignaturePool pool(opt.threads > 1 ? opt.threads - 1 : 0); // the caller checks too
    const Status read = each_record_batch(
        in, opt.threads,
        [&](std::vector<LineRecord>&& lines) {
            return admit_lines(chain, std::move(lines), opt, a, pool, pending);
        },
        opt.stream_batch_lines);
    // Lines read before one that cannot be (bad JSON, not a record) come first.
    SETM_CHECK(settle_pending(pool, pending));
    SETM_CHECK(read);
    BatchResult res;
    for (auto& [id, r] : a.readings) res.readings.push_back(std::move(r));
    res.early_readings = std::move(a.early);
    a.readings.clear();
    a.early_ids.clear();
    res.block = std::make_unique<StateDelta>(std::move(a.block));
    SETM_CHECK(clear_and_sign(chain, agent, opt, res));
    return res;
}

std::size_t BatchResult::new_order_count() const { return block ? block->orders.size() : 0; }

Status BatchResult::each_new_order(const std::function<Status(const Record&)>& fn) const {
    if (block)
        for (const auto& [id, e] : block->orders) SETM_CHECK(fn(as_record(e.order)));
    return ok_status();
}

std::vector<Record> BatchResult::new_orders() const {
    std::vector<Record> out;
    out.reserve(new_order_count());
    (void)each_new_order([&](const Record& r) {
        out.push_back(r);
        return ok_status();
    });
    return out;
}

Status BatchResult::each_unmatched(const std::function<Status(const Record&)>& fn) const {
    for (const Hash32& id : unmatched) {
        SETM_TRY(auto e, block->order(id));
        if (!e) return make_error(Exit::io, "store damaged", "book names a missing order");
        SETM_CHECK(fn(as_record(e->order)));
    }
    return ok_status();
}

Result<std::vector<MechanismFigures>> compare_mechanisms(const StateReader& chain,
                                                         const std::vector<LineRecord>& input,
                                                         const BatchOptions& opt,
                                                         std::vector<Rejected>& rejected) {
    SETM_CHECK(check_fee(opt.market));
    SETM_TRY(Admitted a, admit(chain, input, opt, rejected));
    SETM_TRY(std::set<std::int64_t> slots, slots_to_clear(a.block, opt.now));
    std::vector<MechanismFigures> out;
    for (Mechanism m : {Mechanism::pay_as_clear, Mechanism::pay_as_bid, Mechanism::negotiate}) {
        MarketParams p = opt.market;
        p.mechanism = m;
        MechanismFigures mf{m, {}, {}};
        for (std::int64_t slot : slots) {
            SETM_TRY(SlotClearing c, clear_with_figures(a.block, slot, opt.now, p));
            for (auto& f : c.figures) mf.slots.push_back(f);
        }
        SETM_TRY(mf.total, total_figures(mf.slots));
        out.push_back(std::move(mf));
    }
    return out;
}

Result<std::map<Hash32, std::string>> order_names(const StateReader& chain,
                                                  const MarketResult& market) {
    std::map<ParticipantId, std::string> known;
    auto name_of = [&](const ParticipantId& p) -> Result<std::string> {
        if (auto it = known.find(p); it != known.end()) return it->second;
        SETM_TRY(auto serial, chain.serial_of(p));
        std::string name;
        if (serial) {
            SETM_TRY(auto entry, chain.credential(*serial));
            if (entry) name = entry->credential.body.name;
        }
        return known[p] = name;
    };
    std::map<Hash32, std::string> names;
    auto add = [&](const Hash32& id, const ParticipantId& p) -> Status {
        SETM_TRY(std::string n, name_of(p));
        if (!n.empty()) names[id] = n;
        return ok_status();
    };
    for (const Match& m : market.matches) {
        SETM_CHECK(add(m.offer, m.seller));
        SETM_CHECK(add(m.request, m.buyer));
    }
    for (const MarketOrder& o : market.leftovers) SETM_CHECK(add(o.id, o.owner));
    return names;
}

} // namespace setm
