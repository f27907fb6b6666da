// chart.hpp - text charts of a cleared slot, for a person (setm-negotiate
// --explain): the stepped supply and demand curves and each negotiation's
// rounds. Plain ASCII, at most 80 columns; nothing here changes a result.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "market.hpp"

namespace setm {

// One slot's summary, its stepped supply and demand curves as an ASCII chart
// (price up, cumulative energy across, at most 80 columns), the clearing
// point marked 'X', and for negotiate the rounds of each pair, bid 'b' and
// ask 'a' converging (the first 40 pairs).
// Who placed each order (order id -> participant name), so that charts name
// participants; an order missing here is shown by its id alone.
using OrderNames = std::map<Hash32, std::string>;

std::string explain_slot(const SlotReport& s, const OrderNames& names = {});

// --explain over a whole market: every slot of SLOTS (only those in ONLY when
// it is not empty) that traded is drawn by explain_slot; those that did not
// are summarised in one line, their times as ranges of consecutive slots of
// SLOT_MINUTES.
std::string explain_market(const std::vector<SlotReport>& slots,
                           const std::vector<std::int64_t>& only, const OrderNames& names,
                           int slot_minutes);

// The curves alone: 'S' supply, 'D' demand, '*' both, 'X' the clearing point
// with '-' leading to it; "  (no orders)\n" when the slot has no prices.
std::string curves_chart(const SlotReport& s);

// One pair's rounds: bid less fee 'b' and ask 'a' on a strip, meeting at
// agreement ('*' where they fall on the same column).
std::string rounds_chart(const Negotiation& n, const OrderNames& names = {});

} // namespace setm
