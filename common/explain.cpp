#include "explain.hpp"

#include <map>
#include <variant>

#include "units.hpp"

namespace setm {

namespace {

// The credential of a participant, if the chain holds one.
Result<std::optional<Credential>> credential_of(const StateReader& st, const ParticipantId& p) {
    auto serial = st.serial_of(p);
    if (!serial) return serial.error();
    if (!serial.value()) return std::optional<Credential>{};
    auto e = st.credential(*serial.value());
    if (!e) return e.error();
    if (!e.value()) return std::optional<Credential>{};
    return std::optional<Credential>{e.value()->credential.body};
}

// A participant's name, or its id when the chain names nobody.
Result<std::string> name_of(const StateReader& st, const ParticipantId& p) {
    SETM_TRY(std::string name, participant_name(st, p));
    return name.empty() ? participant_hex(p) : name;
}

// The authority's records: which of its keys signed (the authority valid
// at the record's place in the chain).
Result<std::string> authority_signer_words(const Record& r, const StateReader& st) {
    SETM_TRY(const AuthorityState a, st.authority());
    const ParticipantId p = record_signer(r);
    if (a.recovery != PublicKey{} && p == participant_id(a.recovery) &&
        record_signer_role(r) == kAuthorityOrRecovery)
        return std::string("signed by the recovery key: signature valid");
    for (const AuthorityTerm& t : a.terms)
        if (p == participant_id(t.ed25519))
            return "signed by the authority " + t.name + ": signature valid";
    return "signed by " + participant_hex(p);
}

// Algorithm 1 for one record: who signed it and what was checked.
Result<std::string> signer_words(const Record& r, const StateReader& st) {
    const std::uint8_t role = record_signer_role(r);
    if (role == kAuthoritySigns || role == kAuthorityOrRecovery)
        return authority_signer_words(r, st);
    const ParticipantId p = record_signer(r);
    auto got = credential_of(st, p);
    if (!got) return got.error();
    if (!got.value()) return "signer " + participant_hex(p);
    const Credential& c = *got.value();
    std::string roles;
    for (const auto& n : role_names(c.roles)) roles += (roles.empty() ? "" : "+") + n;
    SETM_TRY(auto link, st.key_link(p));
    std::string history;
    if (link && link->previous != ParticipantId{})
        history = "; participant " + participant_hex(link->holder) +
                  ", its key since the hand-over in block " + std::to_string(link->since);
    return "identified " + c.name + " (uI: credential serial " + std::to_string(c.serial) + ", " +
           roles + history +
           "), authenticated (uA: valid at the block's time, not revoked, role allowed, signature "
           "valid)";
}

// What a hand-over does, under its record line.
Result<std::string> handover_words(const Handover& h, const StateReader& st) {
    SETM_TRY(const std::string old, name_of(st, h.participant));
    SETM_TRY(const ParticipantId holder, holder_of(st, h.successor));
    return "     " + old + " hands over to a new key: " + participant_hex(h.participant) +
           " revoked from " + format_utc(h.time) + ", " + participant_hex(h.successor) +
           " carries on participant " + participant_hex(holder) + " (its credential follows " +
           "in this block; \"" + h.reason + "\")";
}

std::string verdict(bool ok) { return ok ? "ok" : "NOT MET"; }

std::string plural(std::size_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// "g1's offer of 2.859 kWh: 1.536 kWh filled after this trade, 1.323 kWh left"
std::string fill_words(const std::string& who, const char* order, std::int64_t energy,
                       std::int64_t filled) {
    const std::int64_t left = energy - filled;
    return "     " + who + "'s " + order + " of " + format_energy(energy) + ": " +
           format_energy(filled) + " filled after this trade, " +
           (left > 0 ? format_energy(left) + " left" : std::string("nothing left"));
}

// The lines of the block's header checks.
std::vector<std::string> header_lines(const Block& b, std::uint64_t h, const StateReader& st) {
    std::vector<std::string> out;
    out.push_back("block " + std::to_string(h) + " " + hash_to_hex(block_hash(b.header)) + " at " +
                  format_utc(b.header.time));
    if (h == 0)
        out.push_back("  genesis: chain \"" + st.genesis().chain_name + "\", authority " +
                      st.genesis().authority_name +
                      ", its hash is the chain id every record signs");
    else
        out.push_back("  proof of work: hash below the target " + std::to_string(b.header.bits) +
                      " (compact); links to block " + std::to_string(h - 1) +
                      "; time after the median of the last 11");
    out.push_back("  merkle root over " + std::to_string(b.records.size()) +
                  " record id(s) matches the header");
    return out;
}

// The energy of the block's trades per order id.
std::map<Hash32, std::int64_t> traded_in_block(const Block& b) {
    std::map<Hash32, std::int64_t> sum;
    for (const Record& r : b.records)
        if (const auto* t = std::get_if<Signed<Trade>>(&r)) {
            sum[t->body.offer] += t->body.energy_wh;
            sum[t->body.request] += t->body.energy_wh;
        }
    return sum;
}

// Walks the block's trades in order: what each order had filled before the
// block, then trade by trade.
struct FillWalk {
    const StateReader& st;
    std::map<Hash32, std::int64_t> in_block;
    std::map<Hash32, std::int64_t> filled; // running, per order id

    // The order `id` and its fill after adding `energy`.
    Result<std::pair<Record, std::int64_t>> take(const Hash32& id, std::int64_t energy) {
        auto e = st.order(id);
        if (!e) return e.error();
        if (!e.value())
            return make_error(Exit::verify_failed, "unknown order",
                              "a trade names " + to_hex(id) + ", which the chain lacks");
        auto it = filled.find(id);
        if (it == filled.end()) it = filled.emplace(id, e.value()->filled_wh - in_block[id]).first;
        it->second += energy;
        return std::make_pair(as_record(e.value()->order), it->second);
    }
};

Result<TradeStory> story_of(const Trade& t, FillWalk& walk) {
    TradeStory s;
    s.trade = t;
    auto offer = walk.take(t.offer, t.energy_wh);
    if (!offer) return offer.error();
    auto request = walk.take(t.request, t.energy_wh);
    if (!request) return request.error();
    const auto* o = std::get_if<Signed<Offer>>(&offer.value().first);
    const auto* r = std::get_if<Signed<Request>>(&request.value().first);
    if (!o || !r)
        return make_error(Exit::verify_failed, "unknown order",
                          "a trade's offer or request is another kind of record");
    s.floor_price = o->body.floor_price;
    s.ceiling_price = r->body.ceiling_price;
    s.offer_wh = o->body.energy_wh;
    s.request_wh = r->body.energy_wh;
    s.offer_filled = offer.value().second;
    s.request_filled = request.value().second;
    s.seller_zone = o->body.zone;
    s.buyer_zone = r->body.zone;
    auto seller = name_of(walk.st, t.seller);
    if (!seller) return seller.error();
    auto buyer = name_of(walk.st, t.buyer);
    if (!buyer) return buyer.error();
    s.seller = seller.value();
    s.buyer = buyer.value();
    return s;
}

// What the records past the cap hold, in one line.
struct Rest {
    std::size_t records = 0;
    std::map<std::string, std::size_t> by_type;
    std::int64_t energy = 0, amount = 0, fee = 0;

    Status add(const Record& r) {
        ++records;
        ++by_type[record_type(r)];
        const auto* t = std::get_if<Signed<Trade>>(&r);
        if (!t) return Ok{};
        for (auto [sum, x] : {std::pair{&energy, t->body.energy_wh},
                              std::pair{&amount, t->body.amount}, std::pair{&fee, t->body.fee}}) {
            auto s = checked_add(*sum, x);
            if (!s) return s.error();
            *sum = s.value();
        }
        return Ok{};
    }
    std::string line() const {
        std::string kinds;
        for (const auto& [type, n] : by_type)
            kinds += (kinds.empty() ? "" : ", ") + plural(n, type);
        std::string out = "  … and " + std::to_string(records) +
                          " more record(s), each checked the same way: " + kinds;
        if (by_type.count("trade"))
            out += "; their trades: " + format_energy(energy) + ", " + format_money(amount) +
                   " EUR to sellers, " + format_money(fee) + " EUR in fees";
        return out;
    }
};

// An authority record: the hand-over it made (or block 0's recovery key).
Result<std::vector<std::string>> authority_lines(const Signed<Authority>& s, const Hash32& id,
                                                 const StateReader& st) {
    SETM_TRY(const AuthorityState a, st.authority());
    const std::string recovery =
        s.body.recovery == PublicKey{}
            ? std::string("no recovery key")
            : "recovery key " + participant_hex(participant_id(s.body.recovery));
    for (std::size_t i = 1; i < a.terms.size(); ++i)
        if (a.terms[i].record == id)
            return std::vector<std::string>{
                "     the authority hands over from " + a.terms[i - 1].name + " to " +
                a.terms[i].name + " (" + participant_hex(participant_id(a.terms[i].ed25519)) +
                "): from this record on only its key signs credentials and revocations, " +
                a.terms[i - 1].name + "'s are refused; " + recovery +
                (s.body.reason.empty() ? std::string() : "; reason: " + s.body.reason)};
    return std::vector<std::string>{"     the genesis authority " + s.body.name + " sets the " +
                                    recovery +
                                    ", which alone may sign a hand-over when the "
                                    "authority's key is lost or leaked"};
}

} // namespace

std::vector<std::string> explain_trade(const TradeStory& s) {
    const Trade& t = s.trade;
    const std::int64_t pays = t.price + t.fee_price;
    std::vector<std::string> out;
    std::string how = t.mechanism;
    if (t.mechanism == "negotiate") how += ", agreed in round " + std::to_string(t.round);
    out.push_back("     " + s.seller + " sells " + format_energy(t.energy_wh) + " to " + s.buyer +
                  " for the slot " + format_utc(t.slot) + " at " + format_price(t.price) +
                  " EUR/MWh (" + how + "; the chain's own clearing of the slot makes this trade)");
    out.push_back("     the seller's floor " + format_price(s.floor_price) + " <= the price " +
                  format_price(t.price) + ": " + verdict(s.floor_price <= t.price));
    out.push_back("     the buyer's ceiling " + format_price(s.ceiling_price) + " >= the price " +
                  format_price(t.price) + " + the network fee " + format_price(t.fee_price) +
                  " = " + format_price(pays) + ": " + verdict(pays <= s.ceiling_price));
    out.push_back(fill_words(s.seller, "offer", s.offer_wh, s.offer_filled));
    out.push_back(fill_words(s.buyer, "request", s.request_wh, s.request_filled));
    std::string fee = "no network fee (both in " + s.seller_zone + ")";
    if (t.fee_price != 0 || s.seller_zone != s.buyer_zone)
        fee = "network fee " + format_energy(t.energy_wh) + " x " + format_price(t.fee_price) +
              " EUR/MWh = " + format_money(t.fee) + " EUR (" + s.seller_zone + " to " +
              s.buyer_zone + ")";
    out.push_back("     " + s.buyer + " pays " + format_energy(t.energy_wh) + " x " +
                  format_price(t.price) + " EUR/MWh = " + format_money(t.amount) + " EUR to " +
                  s.seller + "; " + fee);
    return out;
}

Result<std::vector<std::string>> explain_block(const Block& b, std::uint64_t height,
                                               const StateReader& after, std::size_t max_records) {
    std::vector<std::string> out = header_lines(b, height, after);
    FillWalk walk{after, traded_in_block(b), {}};
    Rest rest;
    for (std::size_t i = 0; i < b.records.size(); ++i) {
        const Record& r = b.records[i];
        const auto* t = std::get_if<Signed<Trade>>(&r);
        if (i >= max_records) { // summed up in one line
            if (auto s = rest.add(r); !s) return s.error();
            continue;
        }
        auto who = signer_words(r, after);
        if (!who) return who.error();
        out.push_back("  " + std::to_string(i + 1) + ". " + record_type(r) + " " +
                      to_hex(record_id(r)).substr(0, 16) + "…: " + who.value());
        if (const auto* a = std::get_if<Signed<Authority>>(&r)) {
            auto lines = authority_lines(*a, record_id(r), after);
            if (!lines) return lines.error();
            for (auto& line : lines.value()) out.push_back(std::move(line));
        }
        if (const auto* h = std::get_if<Signed<Handover>>(&r)) {
            SETM_TRY(std::string words, handover_words(h->body, after));
            out.push_back(std::move(words));
        }
        if (!t) continue;
        auto story = story_of(t->body, walk);
        if (!story) return story.error();
        for (auto& line : explain_trade(story.value())) out.push_back(std::move(line));
    }
    if (rest.records) out.push_back(rest.line());
    return out;
}

void mark_signatures_assumed(std::vector<std::string>& lines) {
    constexpr std::string_view kChecked = "signature valid", kAssumed = "signature assumed valid";
    for (std::string& line : lines)
        for (auto at = line.find(kChecked); at != std::string::npos;
             at = line.find(kChecked, at + kAssumed.size()))
            line.replace(at, kChecked.size(), kAssumed);
}

} // namespace setm
