#include "rules.hpp"

#include <algorithm>
#include <functional>

#include "clearing.hpp"
#include "crypto.hpp"
#include "limits.hpp"
#include "merkle.hpp"
#include "parallel.hpp"
#include "units.hpp"

namespace setm {

// ---- header ----------------------------------------------------------------------

std::uint32_t median_time(const std::vector<std::uint32_t>& last_times) {
    if (last_times.empty()) return 0;
    std::vector<std::uint32_t> t(last_times.end() - std::min(last_times.size(), kMedianTimeSpan),
                                 last_times.end());
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

Status check_header(const Block& b, const Hash32& prev_hash, std::uint32_t bits,
                    const std::vector<std::uint32_t>& prev_times, std::int64_t now,
                    const std::vector<Hash32>* ids) {
    auto fail = [](const std::string& reason, const std::string& detail) {
        return make_error(Exit::verify_failed, reason, detail);
    };
    const BlockHeader& h = b.header;
    if (h.version != kBlockVersion)
        return fail("bad version", "block version " + std::to_string(h.version));
    if (h.prev != prev_hash)
        return fail("bad link", "previous hash " + hash_to_hex(h.prev) + " is not the tip " +
                                    hash_to_hex(prev_hash));
    if (h.bits != bits)
        return fail("bad target", "bits " + std::to_string(h.bits) + " differ from the chain's " +
                                      std::to_string(bits));
    if (!check_proof_of_work(block_hash(h), h.bits))
        return fail("bad proof of work",
                    "hash " + hash_to_hex(block_hash(h)) + " is above the target");
    if ((ids ? merkle_root(*ids) : merkle_root_of(b.records)) != h.merkle_root)
        return fail("bad merkle root", "the records do not hash to " + hash_to_hex(h.merkle_root));
    if (!prev_times.empty() && h.time <= median_time(prev_times))
        return fail("bad time", format_utc(h.time) + " is not after the median of the last " +
                                    std::to_string(kMedianTimeSpan) + " blocks, " +
                                    format_utc(median_time(prev_times)));
    if (static_cast<std::int64_t>(h.time) > now + kMaxFutureSeconds)
        return fail("bad time",
                    format_utc(h.time) + " is more than 2 hours after " + format_utc(now));
    return ok_status();
}

// ---- authentication (Algorithm 1) -------------------------------------------------

namespace {

Error wrong_user(const std::string& why) { return make_error(Exit::rejected, "wrong user", why); }

// The authority's records (credential, revocation, authority): signed by
// the authority in office, or for an authority record by the recovery key.
// A former authority's key is named as such.
Status authenticate_authority(const AuthorityState& a, const Record& r, const ParticipantId& signer,
                              const std::function<bool(const PublicKey&)>& check_sig) {
    const std::string who = participant_hex(signer);
    const bool may_recover = record_signer_role(r) == kAuthorityOrRecovery;
    const bool is_recovery = a.recovery != PublicKey{} && signer == participant_id(a.recovery);
    if (signer == participant_id(a.current().ed25519)) {
        if (!check_sig(a.current().ed25519)) return wrong_user("bad signature by the authority");
        return ok_status();
    }
    if (is_recovery && may_recover) {
        if (!check_sig(a.recovery)) return wrong_user("bad signature by the recovery key");
        return ok_status();
    }
    for (std::size_t i = 0; i + 1 < a.terms.size(); ++i)
        if (signer == participant_id(a.terms[i].ed25519))
            return wrong_user("signed by a former authority: " + who + " (" + a.terms[i].name +
                              ") handed over to " + a.terms[i + 1].name + " in block " +
                              std::to_string(a.terms[i + 1].from_height));
    if (is_recovery)
        return wrong_user(who + " is the chain's recovery key, which signs authority records only");
    if (may_recover && a.recovery == PublicKey{})
        return wrong_user(who +
                          " is not this chain's authority, and the chain has no recovery key");
    return wrong_user(who + " is not this chain's authority");
}

} // namespace

Status authenticate(const StateReader& st, const Record& r, std::int64_t t, SignatureSink* deferred,
                    std::size_t index) {
    auto check_sig = [&](const PublicKey& key) {
        if (deferred) {
            deferred->add(index, r, key);
            return true;
        }
        return record_signature_valid(r, key);
    };
    const ParticipantId signer = record_signer(r);
    const std::string who = participant_hex(signer);
    if (record_chain(r) != st.chain_id())
        return make_error(Exit::rejected, "wrong chain",
                          std::string(record_type(r)) + " is signed for chain " +
                              hash_to_hex(record_chain(r)) + ", not this chain");
    if (std::holds_alternative<Signed<Genesis>>(r))
        return make_error(Exit::rejected, "misplaced genesis", "a genesis record outside block 0");
    const std::uint8_t need = record_signer_role(r);
    if (need == kAuthoritySigns || need == kAuthorityOrRecovery) {
        SETM_TRY(const AuthorityState a, st.authority());
        return authenticate_authority(a, r, signer, check_sig);
    }
    SETM_TRY(const Credential c, active_credential(st, signer, t));
    if (need != kOrderOwner && need != kMeterHolder && (c.roles & need) != need)
        return wrong_user(who + " (" + c.name + ") may not sign " +
                          (need == role_producer ? "an " : "a ") + record_type(r) + ": no " +
                          role_names(need).front() + " role");
    if (!check_sig(c.ed25519)) return wrong_user("bad signature by " + who + " (" + c.name + ")");
    return ok_status();
}

// ---- record rules -------------------------------------------------------------------

namespace {

Error invalid(const std::string& reason, const std::string& detail) {
    return make_error(Exit::bad_input, reason, detail);
}

// What a record's rule knows beside the state: its id, the block's time and
// height.
struct RecordContext {
    Hash32 id;
    std::int64_t t = 0;
    std::uint64_t height = 0;
};

// The rule of each kind of record: one apply_kind overload per alternative
// of Record (a kind without one does not compile).
Status apply_kind(StateDelta&, const Signed<Genesis>&, const RecordContext&) {
    return make_error(Exit::rejected, "misplaced genesis", "a genesis record outside block 0");
}

// A participant's credentials on the chain (ascending serials).
Result<std::vector<RegistryEntry>> holder_entries(const StateReader& st, const ParticipantId& p) {
    SETM_TRY(const auto serials, st.serials_of_holder(p));
    std::vector<RegistryEntry> out;
    for (std::uint64_t s : serials) {
        SETM_TRY(auto e, st.credential(s));
        if (!e)
            return make_error(Exit::io, "store unreadable", "registry names a missing credential");
        out.push_back(std::move(*e));
    }
    return out;
}

// One active credential per key, with renewals: every credential of the
// participant that is not revoked and lasts past the new one's start must
// be renewed by it, i.e. start before it and end before it (setm(7),
// RENEWALS). The latest start then decides at every time, so at most one
// credential speaks for a key.
Status check_renewal(const StateReader& st, const Credential& c) {
    SETM_TRY(const auto held, holder_entries(st, c.participant));
    for (const RegistryEntry& e : held) {
        const Credential& old = e.credential.body;
        if (e.revoked || old.valid_until <= c.valid_from) continue;
        if (old.valid_from < c.valid_from && old.valid_until < c.valid_until) continue;
        return invalid("already registered",
                       participant_hex(c.participant) + " holds active credential serial " +
                           std::to_string(old.serial) + " (" + format_utc(old.valid_from) + " to " +
                           format_utc(old.valid_until) +
                           "); a renewal must start after it starts and end after it ends");
    }
    return ok_status();
}

// Whether credential `e`'s holder has moved on from it by time t: a later
// credential of the same key, not revoked, that starts after it and by t
// (a renewal decides from its start, setm(7) RENEWALS).
Result<bool> superseded_by(const StateReader& st, const RegistryEntry& e, std::int64_t t) {
    const Credential& old = e.credential.body;
    SETM_TRY(const auto held, holder_entries(st, old.participant));
    for (const RegistryEntry& r : held) {
        const Credential& c = r.credential.body;
        if (!r.revoked && c.valid_from > old.valid_from && c.valid_from <= t) return true;
    }
    return false;
}

// One participant per meter: a meter is taken while its credential lasts,
// unless the new credential is its holder's renewal. A meter is free from
// the time its credential is revoked (a hand-over revokes the old key
// first), ends, or is superseded by its holder's renewal with another meter
// (a replaced meter, setm(7) HAND-OVERS).
Status check_meter(const StateReader& st, const Credential& c) {
    if (c.meter.empty()) return ok_status();
    SETM_TRY(auto m, st.serial_of_meter(c.meter));
    if (!m) return ok_status();
    SETM_TRY(auto old, st.credential(*m));
    if (!old || old->revoked || old->credential.body.valid_until <= c.valid_from ||
        old->credential.body.participant == c.participant)
        return ok_status();
    SETM_TRY(bool moved_on, superseded_by(st, *old, c.valid_from));
    if (moved_on) return ok_status();
    return invalid("meter taken", "meter " + c.meter + " belongs to serial " + std::to_string(*m));
}

// Keys and hand-overs (setm(7), HAND-OVERS): a key a hand-over replaced is
// never admitted again; the first credential of a key a hand-over named as
// its successor is in the hand-over's block and starts at its time (the
// new key takes over when the old one is revoked, without a gap). Later
// credentials of that key (renewals) follow the ordinary rules.
Status check_key_history(const StateReader& st, const Credential& c, const RecordContext& ctx) {
    SETM_TRY(auto link, st.key_link(c.participant));
    if (link && link->next != ParticipantId{})
        return invalid("replaced key", participant_hex(c.participant) + " was handed over to " +
                                           participant_hex(link->next) + " in block " +
                                           std::to_string(link->replaced) +
                                           " and is never admitted again");
    if (!link || link->previous == ParticipantId{}) return ok_status();
    SETM_TRY(const auto serials, st.serials_of_holder(c.participant));
    if (!serials.empty()) return ok_status();
    const std::string who = participant_hex(c.participant);
    if (link->since != ctx.height)
        return invalid("stale hand-over", who + " was handed over to in block " +
                                              std::to_string(link->since) +
                                              "; its credential must be in that block");
    if (c.valid_from != link->since_time)
        return invalid("gap in hand-over",
                       who + "'s credential starts at " + format_utc(c.valid_from) +
                           ", the hand-over at " + format_utc(link->since_time) +
                           ": the new key takes over when the old one is revoked");
    return ok_status();
}

// The authority's keys, past and present, and the recovery key sign for the
// chain, never in its market: no credential names them (as no authority
// record names a participant's key, check_new_key).
Status check_not_authority_key(const StateReader& st, const PublicKey& key) {
    SETM_TRY(const AuthorityState a, st.authority());
    if (a.recovery != PublicKey{} && key == a.recovery)
        return invalid("key in use", "the credential's key is the chain's recovery key");
    for (const AuthorityTerm& t : a.terms)
        if (key == t.ed25519)
            return invalid("key in use", "the credential's key is the authority " + t.name + "'s");
    return ok_status();
}

Status apply_kind(StateDelta& st, const Signed<Credential>& s, const RecordContext& ctx) {
    const Credential& c = s.body;
    if (c.participant != participant_id(c.ed25519))
        return invalid("bad credential", "participant id does not belong to its key");
    if (!ed25519_public_key_acceptable(c.ed25519))
        return invalid("weak key",
                       "the credential's Ed25519 key is of small order or not canonical");
    if (c.roles == 0 || (c.roles & ~kAllRoles)) return invalid("bad credential", "no valid role");
    if ((c.roles & role_operator) && c.participant != st.genesis().grid_operator)
        return invalid("not the grid operator",
                       participant_hex(c.participant) +
                           " may not hold the operator role: the genesis block names " +
                           (st.genesis().grid_operator == ParticipantId{}
                                ? std::string("no grid operator")
                                : participant_hex(st.genesis().grid_operator)));
    if (c.valid_until <= c.valid_from) return invalid("bad credential", "empty validity window");
    SETM_CHECK(check_not_authority_key(st, c.ed25519));
    SETM_TRY(auto same_serial, st.credential(c.serial));
    if (same_serial)
        return invalid("duplicate serial", "serial " + std::to_string(c.serial) + " is taken");
    SETM_CHECK(check_renewal(st, c));
    SETM_CHECK(check_key_history(st, c, ctx));
    SETM_CHECK(check_meter(st, c));
    if (!c.meter.empty()) st.meters[c.meter] = c.serial;
    st.credentials[c.serial] = RegistryEntry{s, false, 0, 0, ctx.height};
    st.participants[c.participant] = c.serial;
    st.holders.insert({c.participant, c.serial});
    return ok_status();
}

// Revokes every credential of `p` that is not revoked yet, from `time`,
// in a block of time `block_t` (a revocation, a hand-over).
Status revoke_key(StateDelta& st, const ParticipantId& p, std::int64_t time, std::int64_t block_t) {
    SETM_TRY(auto held, holder_entries(st, p));
    for (RegistryEntry& e : held) {
        if (e.revoked) continue;
        e.revoked = true;
        e.revoked_at = time;
        e.revoked_block_time = block_t;
        st.credentials[e.credential.body.serial] = e;
    }
    return ok_status();
}

// A revocation names one serial but revokes the key: that credential and
// every other one of its participant on the chain (a renewal carries the
// same key), from the revocation's time. A credential admitted later
// admits the participant again.
Status apply_kind(StateDelta& st, const Signed<Revocation>& s, const RecordContext& ctx) {
    const Revocation& v = s.body;
    SETM_TRY(auto entry, st.credential(v.serial));
    if (!entry)
        return invalid("unknown serial", "no credential with serial " + std::to_string(v.serial));
    if (entry->credential.body.participant != v.participant)
        return invalid("bad revocation",
                       "serial " + std::to_string(v.serial) + " belongs to another participant");
    if (entry->revoked) return invalid("already revoked", "serial " + std::to_string(v.serial));
    SETM_CHECK(revoke_key(st, v.participant, v.time, ctx.t));
    return ok_status();
}

// Who may be handed over: a key on the chain that no hand-over has
// replaced, and not a key handed over to in this very block (hand over
// once, to the last key).
Status check_handover_from(const StateReader& st, const Handover& h, const RecordContext& ctx,
                           const std::optional<KeyLink>& link) {
    const std::string old = participant_hex(h.participant);
    if (link && link->next != ParticipantId{})
        return invalid("already replaced", old + " was handed over to " +
                                               participant_hex(link->next) + " in block " +
                                               std::to_string(link->replaced));
    if (link && link->previous != ParticipantId{} && link->since == ctx.height)
        return invalid("chain of replacements",
                       old + " itself takes over from " + participant_hex(link->previous) +
                           " in this block; hand the participant over once, to its last key");
    SETM_TRY(const auto serials, st.serials_of_holder(h.participant));
    if (serials.empty())
        return invalid("unknown participant", old + " holds no credential on this chain");
    return ok_status();
}

// A hand-over: the old key is revoked from its time, and the new key, never
// seen on the chain, continues the participant's history; its credential
// follows in the same block (check_successor, check_block_handovers).
Status apply_kind(StateDelta& st, const Signed<Handover>& s, const RecordContext& ctx) {
    const Handover& h = s.body;
    if (h.participant == h.successor)
        return invalid("bad hand-over",
                       "a key cannot take over from itself; a new meter for "
                       "the same key is a renewal with that meter");
    SETM_TRY(auto link, st.key_link(h.participant));
    SETM_CHECK(check_handover_from(st, h, ctx, link));
    SETM_TRY(auto next_link, st.key_link(h.successor));
    SETM_TRY(const auto next_serials, st.serials_of_holder(h.successor));
    if (next_link || !next_serials.empty())
        return invalid("already registered", participant_hex(h.successor) +
                                                 " is already a key on this chain; a "
                                                 "hand-over is to a new key");
    SETM_CHECK(revoke_key(st, h.participant, h.time, ctx.t));
    KeyLink from = link.value_or(KeyLink{h.participant, {}, {}, 0, 0, 0, 0});
    from.next = h.successor;
    from.replaced = ctx.height;
    from.replaced_at = h.time;
    st.key_links[h.participant] = from;
    st.key_links[h.successor] = KeyLink{from.holder, h.participant, {}, ctx.height, h.time, 0, 0};
    return ok_status();
}

template <class Order>
Status check_order_common(const StateReader& st, const Order& o, const Credential& c,
                          std::int64_t t, const char* what) {
    const Genesis& g = st.genesis();
    if (o.slot_minutes != g.slot_minutes)
        return invalid("bad slot", std::string(what) + " for " + std::to_string(o.slot_minutes) +
                                       "-minute slots on a chain of " +
                                       std::to_string(g.slot_minutes));
    SETM_CHECK(check_slot_start(o.slot, static_cast<int>(o.slot_minutes)));
    if (o.slot <= t)
        return invalid("slot begun", std::string(what) + " for " + format_utc(o.slot) +
                                         ", which has begun at " + format_utc(t));
    if (o.expires <= t)
        return invalid("expired", std::string(what) + " expired at " + format_utc(o.expires));
    if (o.energy_wh <= 0) return invalid("bad energy", std::string(what) + " of no energy");
    if (o.zone != c.zone)
        return invalid("bad zone", std::string(what) + " in zone \"" + o.zone + "\" but " + c.name +
                                       " is registered in \"" + c.zone + "\"");
    if (has_gate(g)) {
        SETM_TRY(auto cleared, st.cleared(o.slot));
        if (t >= gate_closure(g, o.slot) || cleared)
            return invalid("book closed", std::string(what) + " for " + format_utc(o.slot) +
                                              ", whose book closed at " +
                                              format_utc(gate_closure(g, o.slot)));
    }
    return ok_status();
}

// A credential's max_energy_wh bounds the sum of its holder's orders on one
// side of a slot, over every block.
Status check_slot_limit(const StateReader& st, const Record& order, const Credential& c) {
    const OrderFacts f = order_facts(order);
    if (c.max_energy_wh == 0) return ok_status();
    SETM_TRY(std::int64_t before, st.slot_energy(f.slot, f.side, f.owner));
    SETM_TRY(std::int64_t total, checked_add(before, f.energy_wh));
    if (total <= c.max_energy_wh) return ok_status();
    const char* side = f.side == Side::offer ? "offered" : "requested";
    const std::string earlier =
        before > 0 ? " (" + format_energy(before) + " of it in earlier orders)" : "";
    return invalid("over limit", format_energy(total) + " " + side + " by " + c.name + " for " +
                                     format_utc(f.slot) + earlier + " is above its limit of " +
                                     format_energy(c.max_energy_wh) + " per slot");
}

// Applies an order that passed its rules: its entry and its slot index entry.
void add_order(StateDelta& st, const Record& order, const RecordContext& ctx) {
    const OrderFacts f = order_facts(order);
    st.orders[ctx.id] = OrderEntry{as_order_record(order), 0, ctx.height};
    st.slot_orders[SlotOrderKey{f.slot, f.side, f.owner, ctx.id}] = f.energy_wh;
}

Status apply_kind(StateDelta& st, const Signed<Offer>& s, const RecordContext& ctx) {
    SETM_TRY(Credential c, active_credential(st, s.body.producer, ctx.t));
    SETM_CHECK(check_order_common(st, s.body, c, ctx.t, "offer"));
    if (s.body.opening_price < s.body.floor_price)
        return invalid("bad price", "opening price below the floor");
    SETM_CHECK(check_slot_limit(st, s, c));
    add_order(st, s, ctx);
    return ok_status();
}

Status apply_kind(StateDelta& st, const Signed<Request>& s, const RecordContext& ctx) {
    SETM_TRY(Credential c, active_credential(st, s.body.consumer, ctx.t));
    SETM_CHECK(check_order_common(st, s.body, c, ctx.t, "request"));
    if (s.body.opening_price > s.body.ceiling_price)
        return invalid("bad price", "opening price above the ceiling");
    // Trades match these against lower-case hex ids: anything else could
    // never match, and the request would silently never fill.
    for (const auto& f : s.body.from)
        if ((f.size() != 32 && f.size() != 64) ||
            f.find_first_not_of("0123456789abcdef") != std::string::npos)
            return invalid(
                "bad from",
                "\"" + f + "\" is neither a participant id nor an offer id (lower-case hex)");
    SETM_CHECK(check_slot_limit(st, s, c));
    add_order(st, s, ctx);
    return ok_status();
}

bool request_allows(const Request& rq, const Hash32& offer_id, const ParticipantId& seller) {
    if (rq.from.empty()) return true;
    const std::string oid = to_hex(offer_id), sid = participant_hex(seller);
    return std::find(rq.from.begin(), rq.from.end(), oid) != rq.from.end() ||
           std::find(rq.from.begin(), rq.from.end(), sid) != rq.from.end();
}

// A trade never names an order its owner has withdrawn (the clearing
// leaves it out too; this names the reason).
Status check_not_cancelled(const StateReader& st, const Hash32& id, const char* what) {
    SETM_TRY(auto c, st.cancellation(id));
    if (!c) return ok_status();
    return invalid("cancelled order", std::string(what) + " " + to_hex(id) +
                                          " was withdrawn by its owner in block " +
                                          std::to_string(c->height));
}

Status apply_kind(StateDelta& st, const Signed<Trade>& s, const RecordContext& ctx) {
    const Trade& tr = s.body;
    const std::int64_t t = ctx.t;
    if (tr.slot <= t)
        return invalid("slot begun", "a trade for " + format_utc(tr.slot) +
                                         ", which has begun at " + format_utc(t));
    if (const Genesis& g = st.genesis(); has_gate(g)) {
        if (t < gate_closure(g, tr.slot))
            return invalid("book open", "a trade for " + format_utc(tr.slot) +
                                            " before its book closes at " +
                                            format_utc(gate_closure(g, tr.slot)));
        SETM_TRY(auto cleared, st.cleared(tr.slot));
        if (cleared)
            return invalid("already cleared", format_utc(tr.slot) + " was cleared in block " +
                                                  std::to_string(*cleared));
    }
    if (tr.time > t + kMaxFutureSeconds)
        return invalid("bad time",
                       "a trade made at " + format_utc(tr.time) + ", after its block's time");
    SETM_TRY(auto oe, st.order(tr.offer));
    SETM_TRY(auto re, st.order(tr.request));
    if (!oe || !std::holds_alternative<Signed<Offer>>(oe->order))
        return invalid("unknown offer", to_hex(tr.offer) + " is not an offer on the chain");
    if (!re || !std::holds_alternative<Signed<Request>>(re->order))
        return invalid("unknown request", to_hex(tr.request) + " is not a request on the chain");
    SETM_CHECK(check_not_cancelled(st, tr.offer, "offer"));
    SETM_CHECK(check_not_cancelled(st, tr.request, "request"));
    const Offer& of = std::get<Signed<Offer>>(oe->order).body;
    const Request& rq = std::get<Signed<Request>>(re->order).body;
    if (tr.seller != of.producer || tr.buyer != rq.consumer)
        return invalid("bad parties",
                       "seller and buyer must be the offer's producer and the request's consumer");
    if (tr.seller == tr.buyer)
        return invalid("self trade", participant_hex(tr.seller) + " trades with itself");
    if (tr.slot != of.slot || tr.slot != rq.slot || tr.slot_minutes != of.slot_minutes ||
        tr.slot_minutes != rq.slot_minutes)
        return invalid("bad slot", "the trade's slot differs from its orders'");
    if (!request_allows(rq, tr.offer, tr.seller))
        return invalid("not chosen", "the request accepts only offers or producers it names");
    if (tr.energy_wh <= 0) return invalid("bad energy", "a trade of no energy");
    if (tr.price < of.floor_price)
        return invalid(
            "price out of limits",
            format_price(tr.price) + " is below the offer's floor " + format_price(of.floor_price));
    const Genesis& g = st.genesis();
    if (const std::int64_t fee = zone_fee(g.zone_fees, g.network_fee, of.zone, rq.zone);
        tr.fee_price != fee)
        return invalid("bad fee", "the chain's fee from zone \"" + of.zone + "\" to \"" + rq.zone +
                                      "\" is " + format_price(fee) + " EUR/MWh, not " +
                                      format_price(tr.fee_price));
    SETM_TRY(std::int64_t paid, checked_add(tr.price, tr.fee_price));
    if (paid > rq.ceiling_price)
        return invalid("price out of limits",
                       format_price(paid) + " (price plus fee) is above the request's ceiling " +
                           format_price(rq.ceiling_price));
    SETM_TRY(std::int64_t amount, money_for(tr.energy_wh, tr.price));
    SETM_TRY(std::int64_t fee, money_for(tr.energy_wh, tr.fee_price));
    if (amount != tr.amount || fee != tr.fee)
        return invalid("bad amount",
                       "amount and fee must be energy times price and fee price exactly");
    if (tr.mechanism != "pay-as-clear" && tr.mechanism != "pay-as-bid" &&
        tr.mechanism != "negotiate")
        return invalid("bad mechanism", "\"" + tr.mechanism + "\"");
    SETM_TRY(std::int64_t of_filled, checked_add(oe->filled_wh, tr.energy_wh));
    SETM_TRY(std::int64_t rq_filled, checked_add(re->filled_wh, tr.energy_wh));
    if (of_filled > of.energy_wh)
        return invalid("double selling", "offer " + to_hex(tr.offer) + " would sell " +
                                             format_energy(of_filled) + " of " +
                                             format_energy(of.energy_wh));
    if (rq_filled > rq.energy_wh)
        return invalid("over filled", "request " + to_hex(tr.request) + " would buy " +
                                          format_energy(rq_filled) + " of " +
                                          format_energy(rq.energy_wh));
    oe->filled_wh = of_filled;
    re->filled_wh = rq_filled;
    st.orders[tr.offer] = *oe;
    st.orders[tr.request] = *re;
    return ok_status();
}

// Why an order can no longer be withdrawn at a block of time t, if it
// cannot: its slot has begun, it has expired, or its book is closed (the
// gate has passed or the slot is cleared: the book the clearing runs on is
// fixed at the gate).
Status check_withdrawable(const StateReader& st, const OrderFacts& f, const std::string& which,
                          std::int64_t t) {
    if (f.slot <= t)
        return invalid("slot begun", which + " is for " + format_utc(f.slot) +
                                         ", which has begun at " + format_utc(t));
    if (f.expires <= t)
        return invalid("expired", which + " expired at " + format_utc(f.expires) +
                                      ": nothing of it can trade any more");
    if (const Genesis& g = st.genesis(); has_gate(g)) {
        SETM_TRY(auto cleared, st.cleared(f.slot));
        if (t >= gate_closure(g, f.slot) || cleared)
            return invalid("book closed", which + " is in the book of " + format_utc(f.slot) +
                                              ", which closed at " +
                                              format_utc(gate_closure(g, f.slot)));
    }
    return ok_status();
}

// The owner of an order withdraws what is left of it.
Status apply_kind(StateDelta& st, const Signed<Cancel>& s, const RecordContext& ctx) {
    const Cancel& c = s.body;
    const std::string which = "order " + to_hex(c.order);
    if (c.time > ctx.t + kMaxFutureSeconds)
        return invalid("bad time",
                       "a cancel signed at " + format_utc(c.time) + ", after its block's time");
    SETM_TRY(auto e, st.order(c.order));
    if (!e) return invalid("unknown order", which + " is not an offer or a request on the chain");
    const OrderFacts f = order_facts(e->order);
    if (f.owner != c.owner)
        return invalid("not the owner", which + " belongs to " + participant_hex(f.owner) +
                                            ", not to " + participant_hex(c.owner));
    SETM_TRY(auto done, st.cancellation(c.order));
    if (done)
        return invalid("already cancelled",
                       which + " was withdrawn in block " + std::to_string(done->height));
    if (e->filled_wh >= f.energy_wh)
        return invalid("filled", which + " is filled: all " + format_energy(f.energy_wh) +
                                     " of it has traded, nothing is left to withdraw");
    SETM_CHECK(check_withdrawable(st, f, which, ctx.t));
    st.cancelled[c.order] = CancelEntry{ctx.id, f.energy_wh - e->filled_wh, ctx.height};
    return ok_status();
}

// Whether a key is in use on the chain: the authority's (in office or
// former), the recovery key, or a participant's. Names whose, else "".
Result<std::string> key_in_use(const StateReader& st, const AuthorityState& a,
                               const PublicKey& key) {
    for (std::size_t i = 0; i < a.terms.size(); ++i)
        if (a.terms[i].ed25519 == key)
            return std::string(i + 1 == a.terms.size() ? "the authority in office"
                                                       : "a former authority") +
                   " (" + a.terms[i].name + ")";
    if (a.recovery != PublicKey{} && a.recovery == key) return std::string("the recovery key");
    SETM_TRY(const auto serials, st.serials_of_holder(participant_id(key)));
    if (!serials.empty())
        return "participant " + participant_hex(participant_id(key)) + " (credential serial " +
               std::to_string(serials.back()) + ")";
    return std::string();
}

// A key an authority record names is acceptable and new to the chain.
Status check_new_key(const StateReader& st, const AuthorityState& a, const PublicKey& key,
                     const char* what) {
    if (!ed25519_public_key_acceptable(key))
        return invalid("weak key", std::string("the ") + what +
                                       " Ed25519 key is of small order or not canonical");
    SETM_TRY(const std::string used, key_in_use(st, a, key));
    if (!used.empty())
        return invalid("key in use", std::string("the ") + what + " key is " + used +
                                         "'s: a new authority key is one the chain has never seen");
    return ok_status();
}

// The hand-over (setm(7), AUTHORITY ROTATION): the authority in office
// names its successor and keeps the recovery key; the recovery key names a
// successor and may name a new recovery key, never none.
Status apply_kind(StateDelta& st, const Signed<Authority>& s, const RecordContext& ctx) {
    const Authority& b = s.body;
    SETM_TRY(AuthorityState a, st.authority());
    const bool by_recovery = b.signed_by != participant_id(a.current().ed25519);
    if (b.time > ctx.t + kMaxFutureSeconds)
        return invalid("bad time", "an authority record signed at " + format_utc(b.time) +
                                       ", after its block's time");
    SETM_CHECK(check_new_key(st, a, b.ed25519, "new authority's"));
    std::array<std::uint8_t, 32> probe{};
    probe[0] = 1;
    if (!x25519_agree(probe, b.x25519))
        return invalid("weak key", "the new authority's X25519 key is of small order");
    if (!by_recovery && b.recovery != a.recovery)
        return invalid("recovery key kept",
                       "the authority in office may not change the recovery key; only the "
                       "recovery key itself can");
    if (by_recovery && b.recovery != a.recovery) {
        if (b.recovery == PublicKey{})
            return invalid("recovery key kept",
                           "a chain started with a recovery key keeps one: name a new one");
        if (b.recovery == b.ed25519)
            return invalid("key in use", "the new recovery key is the new authority's key");
        SETM_CHECK(check_new_key(st, a, b.recovery, "new recovery"));
    }
    a.terms.push_back(AuthorityTerm{b.name, b.ed25519, b.x25519, ctx.height, ctx.id});
    a.recovery = b.recovery;
    st.authority_state = std::move(a);
    return ok_status();
}

// Whose meter a reading names, when it is not the signer's: "unknown
// meter" (no credential ever named it) or "foreign meter".
Error not_your_meter(const StateReader& st, const Reading& r, const Credential& c) {
    auto holder = st.serial_of_meter(r.meter);
    if (!holder) return holder.error();
    if (!holder.value())
        return invalid("unknown meter",
                       "no credential on the chain names meter \"" + r.meter + "\"");
    return invalid("foreign meter", "meter \"" + r.meter + "\" is not on the credential of " +
                                        participant_hex(r.participant) + " (" + c.name +
                                        ", serial " + std::to_string(c.serial) + ", meter \"" +
                                        c.meter + "\")");
}

// What a meter measured in a slot that is over, by the holder of the meter.
Status apply_kind(StateDelta& st, const Signed<Reading>& s, const RecordContext& ctx) {
    const Reading& r = s.body;
    const Genesis& g = st.genesis();
    if (r.slot_minutes != g.slot_minutes)
        return invalid("bad slot", "a reading of " + std::to_string(r.slot_minutes) +
                                       "-minute slots on a chain of " +
                                       std::to_string(g.slot_minutes));
    SETM_CHECK(check_slot_start(r.slot, static_cast<int>(r.slot_minutes)));
    if (const std::int64_t end = r.slot + std::int64_t{r.slot_minutes} * 60; end > ctx.t)
        return invalid("slot not over", "a reading of " + format_utc(r.slot) + ", which ends at " +
                                            format_utc(end) + ", in a block of " +
                                            format_utc(ctx.t));
    if (r.delivered_wh < 0 || r.consumed_wh < 0)
        return invalid("bad energy", "a reading of negative energy");
    SETM_TRY(const Credential c, active_credential(st, r.participant, ctx.t));
    if (r.meter.empty() || r.meter != c.meter) return not_your_meter(st, r, c);
    if (const std::int64_t most = std::max(r.delivered_wh, r.consumed_wh);
        c.max_energy_wh != 0 && most > c.max_energy_wh)
        return invalid("over rating", "meter \"" + r.meter + "\" read " + format_energy(most) +
                                          " in one slot; its rating (the credential's "
                                          "max_energy_wh) is " +
                                          format_energy(c.max_energy_wh));
    SETM_TRY(auto earlier, st.reading(r.meter, r.slot));
    if (earlier)
        return invalid("duplicate reading", "meter \"" + r.meter + "\" was read for " +
                                                format_utc(r.slot) + " by reading " +
                                                to_hex(*earlier));
    st.readings[{r.meter, r.slot}] = ctx.id;
    return ok_status();
}

// The authority's imbalance price, from a slot on; never retroactive.
Status apply_kind(StateDelta&, const Signed<Tariff>& s, const RecordContext& ctx) {
    const Tariff& f = s.body;
    if (f.time > ctx.t + kMaxFutureSeconds)
        return invalid("bad time",
                       "a tariff signed at " + format_utc(f.time) + ", after its block's time");
    if (f.valid_from < ctx.t)
        return invalid("retroactive tariff", "a tariff valid from " + format_utc(f.valid_from) +
                                                 " in a block of " + format_utc(ctx.t) +
                                                 ": it may only price slots to come");
    return ok_status();
}

} // namespace

Status apply_record(StateDelta& st, const Record& r, std::int64_t t, std::uint64_t height,
                    SignatureSink* deferred, std::size_t index) {
    return apply_record(st, r, record_id(r), t, height, deferred, index);
}

Status apply_record(StateDelta& st, const Record& r, const Hash32& id, std::int64_t t,
                    std::uint64_t height, SignatureSink* deferred, std::size_t index) {
    SETM_TRY(bool seen, st.has_record(id));
    if (seen) return invalid("duplicate record", "already on the chain or earlier in this block");
    SETM_CHECK(authenticate(st, r, t, deferred, index));
    SETM_CHECK(check_record_limits(r));
    const RecordContext ctx{id, t, height};
    SETM_CHECK(std::visit([&](const auto& kind) { return apply_kind(st, kind, ctx); }, r));
    st.records[id] = height;
    return ok_status();
}

static Error bad_signature(const Record& r) {
    return make_error(Exit::rejected, "wrong user",
                      "bad signature by " + participant_hex(record_signer(r)));
}

std::vector<Hash32> record_ids(const std::vector<Record>& records, unsigned threads) {
    std::vector<Hash32> ids(records.size());
    parallel_for(records.size(), threads, [&](std::size_t i) { ids[i] = record_id(records[i]); });
    return ids;
}

namespace {

// Every hand-over in a block is followed, in the block, by the new key's
// credential (a hand-over alone would leave its participant without a key).
Status check_block_handovers(const StateReader& st, const std::vector<Record>& records,
                             std::size_t* at) {
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto* h = std::get_if<Signed<Handover>>(&records[i]);
        if (!h) continue;
        SETM_TRY(const auto serials, st.serials_of_holder(h->body.successor));
        if (!serials.empty()) continue;
        *at = i;
        return invalid("incomplete hand-over",
                       participant_hex(h->body.successor) +
                           " gets no credential in this block: the hand-over and the new "
                           "key's credential go in one block, the hand-over first");
    }
    return ok_status();
}

// A block of more records than the chain allows.
Status check_block_size(const StateReader& base, const std::vector<Record>& records) {
    const std::uint32_t max = base.genesis().max_records;
    if (max != 0 && records.size() > max)
        return invalid("block too large", std::to_string(records.size()) +
                                              " records, the chain allows " + std::to_string(max));
    return ok_status();
}

// apply_records and apply_rules: the rules in order (the records' ids
// given), each signature handed to `sigs`; first_bad() checks those added
// so far (nullopt: all valid).
template <class FirstBad>
Result<StateDelta> apply_in_order(const StateReader& base, const std::vector<Record>& records,
                                  const std::vector<Hash32>& ids, std::int64_t t,
                                  std::uint64_t height, SignatureSink& sigs, FirstBad first_bad,
                                  std::size_t* bad_index) {
    auto name = [&](std::size_t i, Error e) {
        e.detail = std::string(record_type(records[i])) + " " + to_hex(ids[i]) + ": " + e.detail;
        if (bad_index) *bad_index = i;
        return e;
    };
    StateDelta st(base);
    for (std::size_t i = 0; i < records.size(); ++i) {
        Status s = apply_record(st, records[i], ids[i], t, height, &sigs, i);
        if (!s) {
            // A rule failed; a bad signature before it is the first failure.
            if (auto bad = first_bad(); bad && *bad < i)
                return name(*bad, bad_signature(records[*bad]));
            return name(i, s.error());
        }
    }
    std::size_t at = 0;
    Status clearing = check_block_handovers(st, records, &at);
    if (clearing) clearing = check_block_clearings(st, records, t, height, &at);
    if (auto bad = first_bad()) return name(*bad, bad_signature(records[*bad]));
    if (!clearing) return name(at, clearing.error());
    return st;
}

} // namespace

Result<StateDelta> apply_records(const StateReader& base, const std::vector<Record>& records,
                                 std::int64_t t, std::uint64_t height, unsigned threads,
                                 std::size_t* bad_index, CheckedSignatures* checked) {
    SETM_CHECK(check_block_size(base, records));
    DeferredSignatures deferred;
    return apply_in_order(
        base, records, record_ids(records, threads), t, height, deferred,
        [&] { return deferred.verify(threads, checked); }, bad_index);
}

Result<StateDelta> apply_records(const StateReader& base, const std::vector<Record>& records,
                                 const std::vector<Hash32>& ids, std::int64_t t,
                                 std::uint64_t height, SignaturePool& pool) {
    SETM_CHECK(check_block_size(base, records));
    return apply_in_order(
        base, records, ids, t, height, pool, [&] { return pool.first_bad(); }, nullptr);
}

Result<StateDelta> apply_rules(const StateReader& base, const std::vector<Record>& records,
                               std::int64_t t, std::uint64_t height, SignatureSink& sigs) {
    return apply_rules(base, records, record_ids(records, 1), t, height, sigs);
}

Result<StateDelta> apply_rules(const StateReader& base, const std::vector<Record>& records,
                               const std::vector<Hash32>& ids, std::int64_t t, std::uint64_t height,
                               SignatureSink& sigs) {
    SETM_CHECK(check_block_size(base, records));
    return apply_in_order(
        base, records, ids, t, height, sigs, [] { return std::optional<std::size_t>{}; }, nullptr);
}

// ---- genesis --------------------------------------------------------------------

namespace {

// The authority record of block 0 after the genesis: the genesis authority
// names its own keys and sets the chain's recovery key.
Status check_genesis_recovery(const Genesis& g, const Record& r) {
    auto fail = [](const std::string& why) {
        return make_error(Exit::verify_failed, "bad genesis", why);
    };
    const auto* s = std::get_if<Signed<Authority>>(&r);
    if (!s) return fail("block 0 holds the genesis record and at most one authority record");
    const Authority& a = s->body;
    if (s->chain != kNoChain) return fail("block 0's authority record is bound to a chain");
    if (a.signed_by != g.signer() || a.name != g.authority_name ||
        a.ed25519 != g.authority_ed25519 || a.x25519 != g.authority_x25519 || a.time != g.created)
        return fail("block 0's authority record must name the genesis authority and its time");
    if (a.recovery == PublicKey{} || a.recovery == g.authority_ed25519 ||
        !ed25519_public_key_acceptable(a.recovery))
        return fail("block 0's recovery key is none, the authority's own or weak");
    if (!signature_valid(*s, g.authority_ed25519))
        return fail("the authority's signature on the recovery key does not verify");
    return ok_status();
}

} // namespace

Result<Hash32> check_genesis_block(const Block& b) {
    if (b.records.empty() || b.records.size() > 2 ||
        !std::holds_alternative<Signed<Genesis>>(b.records[0]))
        return make_error(Exit::verify_failed, "bad genesis",
                          "block 0 must hold the genesis record first");
    const auto& g = std::get<Signed<Genesis>>(b.records[0]);
    if (g.chain != kNoChain)
        return make_error(Exit::verify_failed, "bad genesis", "genesis bound to a chain");
    if (!signature_valid(g, g.body.authority_ed25519))
        return make_error(Exit::verify_failed, "bad genesis",
                          "the authority's signature does not verify");
    if (b.records.size() == 2) SETM_CHECK(check_genesis_recovery(g.body, b.records[1]));
    if (!valid_slot_minutes(static_cast<int>(g.body.slot_minutes)))
        return make_error(Exit::verify_failed, "bad genesis",
                          "slot length must be 15, 30 or 60 minutes");
    if (Status m = check_market_genesis(g.body); !m)
        return make_error(Exit::verify_failed, "bad genesis", m.error().message());
    auto target = decode_compact(g.body.bits);
    if (!target) return make_error(Exit::verify_failed, "bad genesis", target.error().message());
    SETM_CHECK(
        check_header(b, Hash32{}, g.body.bits, {}, static_cast<std::int64_t>(b.header.time)));
    return block_hash(b.header);
}

Status apply_genesis_records(StateDelta& st, const Block& genesis) {
    SETM_CHECK(check_genesis_block(genesis));
    for (const Record& r : genesis.records) st.records[record_id(r)] = 0;
    if (genesis.records.size() == 2) {
        AuthorityState a = genesis_authority(st.genesis());
        a.recovery = std::get<Signed<Authority>>(genesis.records[1]).body.recovery;
        st.authority_state = std::move(a);
    }
    return ok_status();
}

} // namespace setm
