// chart.hpp - text charts of a cleared slot, for a person (setm-negotiate
// --explain): the stepped supply and demand curves and each negotiation's
// rounds. Plain ASCII, at most 80 columns; nothing here changes a result.
#pragma once

#include <string>

#include "market.hpp"

namespace setm {

// One slot's summary, its stepped supply and demand curves as an ASCII chart
// (price up, cumulative energy across, at most 80 columns), the clearing
// point marked 'X', and for negotiate the rounds of each pair, bid 'b' and
// ask 'a' converging (the first 40 pairs).
std::string explain_slot(const SlotReport& s);

// The curves alone: 'S' supply, 'D' demand, '*' both, 'X' the clearing point
// with '-' leading to it; "  (no orders)\n" when the slot has no prices.
std::string curves_chart(const SlotReport& s);

// One pair's rounds: bid less fee 'b' and ask 'a' on a strip, meeting at
// agreement ('*' where they fall on the same column).
std::string rounds_chart(const Negotiation& n);

} // namespace setm
