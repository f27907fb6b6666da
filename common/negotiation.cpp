#include "negotiation.hpp"

#include <algorithm>
#include <map>

#include "limits.hpp"
#include "slot_totals.hpp"
#include "units.hpp"

namespace setm {

namespace {

Status check_agent(const StateReader& st, const SecretKey& agent, std::int64_t now) {
    SETM_TRY(auto serial, st.serial_of(agent.id()));
    if (!serial)
        return make_error(
            Exit::rejected, "wrong user",
            participant_hex(agent.id()) + " (" + agent.name + ") is not registered on this chain");
    SETM_TRY(auto e, st.credential(*serial));
    if (!e) return make_error(Exit::io, "store damaged", "the registry names a missing credential");
    const Credential& c = e->credential.body;
    if (!(c.roles & role_agent))
        return make_error(Exit::rejected, "wrong user", c.name + " does not hold the agent role");
    if (e->revoked_for(now) || now < c.valid_from || now >= c.valid_until)
        return make_error(Exit::rejected, "wrong user",
                          c.name + "'s agent credential is not valid at " + format_utc(now));
    return ok_status();
}

MarketOrder market_order(const Record& r, std::int64_t remaining) {
    MarketOrder m;
    m.id = record_id(r);
    m.energy_wh = remaining;
    if (auto* o = std::get_if<Signed<Offer>>(&r)) {
        m.is_offer = true;
        m.owner = o->body.producer;
        m.slot = o->body.slot;
        m.limit_price = o->body.floor_price;
        m.opening_price = o->body.opening_price;
        m.zone = o->body.zone;
    } else {
        const auto& q = std::get<Signed<Request>>(r);
        m.owner = q.body.consumer;
        m.slot = q.body.slot;
        m.limit_price = q.body.ceiling_price;
        m.opening_price = q.body.opening_price;
        m.zone = q.body.zone;
        m.from = q.body.from;
    }
    return m;
}

std::int64_t order_slot(const Record& r) {
    if (auto* o = std::get_if<Signed<Offer>>(&r)) return o->body.slot;
    return std::get<Signed<Request>>(r).body.slot;
}
std::int64_t order_expires(const Record& r) {
    if (auto* o = std::get_if<Signed<Offer>>(&r)) return o->body.expires;
    return std::get<Signed<Request>>(r).body.expires;
}
std::int64_t order_energy(const Record& r) {
    if (auto* o = std::get_if<Signed<Offer>>(&r)) return o->body.energy_wh;
    return std::get<Signed<Request>>(r).body.energy_wh;
}

struct Candidate {
    const LineRecord* in = nullptr;
    bool on_chain = false;
    std::int64_t remaining = 0;
};

// Identifies, authenticates and checks every order. Orders already on the
// chain keep their place and bring what is left of them; new ones must pass
// every rule the chain will apply when they are mined.
Result<std::vector<Candidate>> admit(const StateReader& chain, const std::vector<LineRecord>& input,
                                     const BatchOptions& opt, std::vector<Rejected>& rejected) {
    StateDelta st(chain);
    DeferredSignatures sigs;
    std::vector<Candidate> out;
    std::map<Hash32, bool> seen;
    std::vector<std::optional<Error>> failure(input.size());
    for (std::size_t i = 0; i < input.size(); ++i) {
        const Record& r = input[i].record;
        if (!std::holds_alternative<Signed<Offer>>(r) &&
            !std::holds_alternative<Signed<Request>>(r)) {
            failure[i] = make_error(Exit::bad_input, "not an order",
                                    std::string("a ") + record_type(r) + " record");
            continue;
        }
        const Hash32 id = record_id(r);
        if (seen.count(id)) continue; // the same order twice: once is enough
        seen[id] = true;
        SETM_TRY(auto entry, chain.order(id));
        if (entry) {
            if (order_slot(r) <= opt.now || order_expires(r) <= opt.now) {
                failure[i] = make_error(Exit::bad_input, "slot begun",
                                        "the order's slot " + format_utc(order_slot(r)) +
                                            " has begun or the order expired");
                continue;
            }
            Status auth = authenticate(chain, r, opt.now, &sigs, i);
            if (auth) auth = check_record_limits(r); // mined before the bounds existed
            if (!auth) {
                failure[i] = auth.error();
                continue;
            }
            out.push_back({&input[i], true, order_energy(r) - entry->filled_wh});
            continue;
        }
        Status s = apply_record(st, r, opt.now, 0, &sigs, i);
        if (!s) {
            failure[i] = s.error();
            continue;
        }
        out.push_back({&input[i], false, order_energy(r)});
    }
    if (auto bad = sigs.verify(opt.threads)) {
        // Several may be bad: find them all (rare path, checked one by one).
        (void)bad;
        for (std::size_t i = 0; i < input.size(); ++i) {
            if (failure[i]) continue;
            const Record& r = input[i].record;
            SETM_TRY(auto serial, chain.serial_of(record_signer(r)));
            std::optional<RegistryEntry> e;
            if (serial) {
                SETM_TRY(e, st.credential(*serial));
            }
            if (e && !record_signature_valid(r, e->credential.body.ed25519))
                failure[i] = make_error(Exit::rejected, "wrong user",
                                        "bad signature by " + participant_hex(record_signer(r)));
        }
    }
    for (std::size_t i = 0; i < input.size(); ++i) {
        if (!failure[i]) continue;
        Error e = *failure[i];
        const Record& r = input[i].record;
        e.detail = std::string(record_type(r)) + " " + to_hex(record_id(r)) + ": " + e.detail;
        e.at_line(input[i].line);
        if (!opt.skip_invalid) return e;
        rejected.push_back({input[i].line, record_id(r), record_type(r), e});
    }
    std::vector<Candidate> kept;
    for (const auto& c : out) {
        const std::size_t i = static_cast<std::size_t>(c.in - input.data());
        if (!failure[i] && c.remaining > 0) kept.push_back(c);
    }
    return kept;
}

// An order that would carry its slot's total energy beyond int64 is
// rejected by name like any invalid order (or stops the batch without
// --skip-invalid), instead of failing the market for everyone.
Status drop_slot_overflow(std::vector<MarketOrder>& orders,
                          std::map<Hash32, const Candidate*>& by_id, const BatchOptions& opt,
                          std::vector<Rejected>& rejected) {
    const std::vector<std::size_t> over = orders_beyond_slot_totals(orders);
    for (std::size_t i : over) {
        const MarketOrder& o = orders[i];
        const LineRecord& in = *by_id.at(o.id)->in;
        Error e = make_error(Exit::bad_input, "overflow",
                             std::string(record_type(in.record)) + " " + to_hex(o.id) + ": " +
                                 format_energy(o.energy_wh) + " would carry the energy " +
                                 (o.is_offer ? "offered" : "asked for") + " in " +
                                 format_utc(o.slot) + " beyond 2^63-1 Wh");
        e.at_line(in.line);
        if (!opt.skip_invalid) return e;
        rejected.push_back({in.line, o.id, record_type(in.record), e});
        by_id.erase(o.id);
    }
    for (auto it = over.rbegin(); it != over.rend(); ++it)
        orders.erase(orders.begin() + static_cast<std::ptrdiff_t>(*it));
    return ok_status();
}

} // namespace

Result<BatchResult> run_batch(const StateReader& chain, const SecretKey& agent,
                              const std::vector<LineRecord>& input, const BatchOptions& opt) {
    SETM_CHECK(check_agent(chain, agent, opt.now));
    if (!price_within_limits(opt.market.network_fee))
        return make_error(Exit::usage, "bad fee",
                          "network fee " + format_price(opt.market.network_fee) +
                              " EUR/MWh is beyond the bound of " + format_price(kMaxRecordPrice));
    BatchResult res;
    SETM_TRY(std::vector<Candidate> cands, admit(chain, input, opt, res.rejected));
    std::vector<MarketOrder> orders;
    std::map<Hash32, const Candidate*> by_id;
    for (const auto& c : cands) {
        orders.push_back(market_order(c.in->record, c.remaining));
        by_id[orders.back().id] = &c;
    }
    SETM_CHECK(drop_slot_overflow(orders, by_id, opt, res.rejected));
    SETM_TRY(res.market, clear_market(std::move(orders), opt.market));
    std::map<Hash32, bool> traded;
    for (const Match& m : res.market.matches) {
        Trade t;
        t.agent = agent.id();
        t.slot = m.slot;
        t.slot_minutes = chain.genesis().slot_minutes;
        t.offer = m.offer;
        t.request = m.request;
        t.seller = m.seller;
        t.buyer = m.buyer;
        t.energy_wh = m.energy_wh;
        t.price = m.price;
        t.fee_price = m.fee_price;
        SETM_TRY(t.amount, money_for(m.energy_wh, m.price));
        SETM_TRY(t.fee, money_for(m.energy_wh, m.fee_price));
        t.mechanism = mechanism_name(opt.market.mechanism);
        t.round = m.round;
        t.time = opt.now;
        res.trades.push_back(sign_record(t, chain.chain_id(), agent.seed));
        traded[m.offer] = traded[m.request] = true;
    }
    // Matched orders that the chain has not seen go first, so one block
    // holds them before the trades that name them; sorted by id.
    for (const auto& [id, c] : by_id)
        if (traded.count(id) && !c->on_chain) res.new_orders.push_back(c->in->record);
    for (const MarketOrder& left : res.market.leftovers) {
        res.unmatched.push_back(by_id.at(left.id)->in->record);
        res.unmatched_remaining_wh.push_back(left.energy_wh);
    }
    return res;
}

Result<std::map<Hash32, std::string>> order_names(const StateReader& chain,
                                                  const std::vector<LineRecord>& orders) {
    std::map<Hash32, std::string> names;
    for (const auto& o : orders) {
        SETM_TRY(auto serial, chain.serial_of(record_signer(o.record)));
        if (!serial) continue;
        SETM_TRY(auto entry, chain.credential(*serial));
        if (entry) names[record_id(o.record)] = entry->credential.body.name;
    }
    return names;
}

} // namespace setm
