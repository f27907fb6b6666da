// open_book.hpp - the open book: the orders on the chain that a new order
// could still meet, for a consumer choosing offers or producers (--from).
//
// An order on the chain is open at time `now` when
//   - its slot has not begun (slot > now: no block at or after the slot's
//     start may trade in it),
//   - it has not expired (expires > now),
//   - something of it is left: its energy less the energy of every trade
//     on the chain that names it (the filled amount the clearing uses),
//   - its owner has not withdrawn it (a cancel record on the chain),
//   - its owner's credential is valid at `now` and not revoked (the
//     clearing leaves out the orders of anyone else),
//   - on a chain with a gate, its slot has not been cleared (the one
//     clearing of a gated slot is final; what it left is never traded).
// Its slot's gate may have closed without the slot being cleared yet: the
// order is then still in the book the clearing will run on, but no new
// order may join it (gate_closed).
//
// This is a pure function of the chain's state, as the clearing reads it
// (clearing.hpp), not of any index the store keeps besides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"
#include "records.hpp"
#include "state.hpp"

namespace setm {

struct OpenOrder {
    Hash32 id{};
    Side side = Side::offer;
    ParticipantId owner{};
    std::string name; // the owner's, from its credential
    std::string zone;
    std::int64_t slot = 0;
    std::int64_t energy_wh = 0;     // as signed
    std::int64_t remaining_wh = 0;  // energy_wh less its trades so far
    std::int64_t limit_price = 0;   // the offer's floor or the request's ceiling
    std::int64_t opening_price = 0; // cEUR/MWh
    std::int64_t expires = 0;
    std::uint64_t height = 0;         // the block that holds it
    std::optional<std::int64_t> gate; // when its slot's book closes (chains with a gate)
    bool gate_closed = false;         // gate && now >= *gate
    std::vector<std::string> from;    // a request's chosen offers or producers
};

struct OpenBookQuery {
    std::int64_t now = 0;
    std::optional<std::int64_t> slot; // one slot, or every slot not begun
    std::optional<Side> side;         // one side, or both
};

// q.slot, if given, starts a slot of the chain; else Exit::usage "bad slot".
Status check_open_book_query(const Genesis& g, const OpenBookQuery& q);

// The open orders at q.now, in the order a buyer reads a book: by slot,
// offers before requests, offers cheapest floor first, requests dearest
// ceiling first, then by height and id. A q.slot that does not start a slot
// of the chain is Exit::usage "bad slot" (check_open_book_query).
Result<std::vector<OpenOrder>> open_book(const StateReader& st, const OpenBookQuery& q);

} // namespace setm
