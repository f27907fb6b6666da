// orders.hpp - making signed SHARE offers and REQUESTs, one by one or from
// a CSV profile (a day's forecast becoming 48 or 96 orders).
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "keyfile.hpp"
#include "records.hpp"
#include "rules.hpp"

namespace setm {

// What a participant says about one order, in user units already parsed.
struct OrderTerms {
    std::int64_t slot = 0;
    std::uint32_t slot_minutes = 30;
    std::int64_t energy_wh = 0;
    std::int64_t price = 0;              // offer: floor; request: ceiling
    std::optional<std::int64_t> opening; // default: the price
    std::string zone;
    std::optional<std::int64_t> expires; // default: the slot's start
    std::uint64_t nonce = 0;
    std::vector<std::string> from; // requests only
};

Signed<Offer> make_offer(const SecretKey& key, const Hash32& chain, const OrderTerms& t);
Signed<Request> make_request(const SecretKey& key, const Hash32& chain, const OrderTerms& t);
// The same with the key prepared once (`signer` made from key.seed), for a
// profile of many orders: the same bytes, without deriving the public key
// again for every signature (half the cost of each).
Signed<Offer> make_offer(const SecretKey& key, const Ed25519Signer& signer, const Hash32& chain,
                         const OrderTerms& t);
Signed<Request> make_request(const SecretKey& key, const Ed25519Signer& signer, const Hash32& chain,
                             const OrderTerms& t);

// The chain's own rules for an order placed at `now` (role, credential valid,
// zone, limit per slot, slot length and alignment, slot not begun, not
// expired, prices ordered), so a refusal comes when the order is made.
Status check_order(const StateReader& st, const Record& order, std::int64_t now);

// The owner's withdrawal of what is left of `order` (an offer's or a
// request's id), signed at `now`.
Signed<Cancel> make_cancel(const SecretKey& key, const Hash32& chain, const Hash32& order,
                           std::int64_t now);

// The chain's rules for a cancel made at `now` (the signer's credential,
// the order on the chain, its owner, not filled, not cancelled, not expired,
// its book open), and that the order is on `side` (the tool that cancels
// it: setm-offer withdraws offers, setm-request requests), else
// Exit::usage "not an offer" or "not a request".
Status check_cancel(const StateReader& st, const Signed<Cancel>& cancel, Side side,
                    std::int64_t now);

// What can be checked without a chain: slot length 15, 30 or 60 and the
// slot's start aligned to it, energy above zero, opening and limit ordered.
Status check_order_alone(const Record& order);

// A profile: CSV with a header naming the columns slot, energy, price and
// optionally opening (any order); '#' comments and blank lines are skipped.
// Each row parses like the command-line options. Errors name the line.
struct ProfileRow {
    std::int64_t slot = 0;
    std::int64_t energy_wh = 0;
    std::int64_t price = 0;
    std::optional<std::int64_t> opening;
    std::size_t line = 0;
};
Result<std::vector<ProfileRow>> read_profile_csv(std::istream& in);

// A meter reading of one slot: what the participant's meter delivered to
// the grid and consumed from it (records.hpp, Reading); signed with
// `prepared` (made from key.seed) when given.
Signed<Reading> make_reading(const SecretKey& key, const Hash32& chain, const std::string& meter,
                             std::int64_t slot, std::uint32_t slot_minutes,
                             std::int64_t delivered_wh, std::int64_t consumed_wh,
                             const Ed25519Signer* prepared = nullptr);

// Readings as a CSV file: a header naming the columns slot, delivered and
// consumed, and optionally meter (any order; without it the meter is the
// credential's); '#' comments and blank lines are skipped. Energies parse
// like --energy (5kWh, 800Wh). Errors name the line.
struct ReadingRow {
    std::int64_t slot = 0;
    std::int64_t delivered_wh = 0, consumed_wh = 0;
    std::string meter; // empty: the credential's
    std::size_t line = 0;
};
Result<std::vector<ReadingRow>> read_readings_csv(std::istream& in);

// What can be checked of a reading without a chain: slot length and
// alignment, the bounds of limits.hpp, a meter named.
Status check_reading_alone(const Signed<Reading>& r);

} // namespace setm
