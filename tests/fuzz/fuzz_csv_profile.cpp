// fuzz_csv_profile.cpp - the CSV profile reader of setm-offer/setm-request
// --csv. Invariants: every row it returns has a non-negative energy, a
// line number inside the input in increasing order, and a slot that parses
// back from its UTC form.
#include <sstream>

#include "fuzz.hpp"
#include "orders.hpp"
#include "units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::istringstream in(std::string(setm::fuzz::as_text(data, size)), std::ios::binary);
    auto rows = setm::read_profile_csv(in);
    if (!rows) {
        FUZZ_CHECK(rows.error().line.has_value());
        return 0;
    }
    std::size_t last = 0;
    for (const auto& r : rows.value()) {
        FUZZ_CHECK(r.energy_wh >= 0);
        FUZZ_CHECK(r.line > last && r.line <= size);
        last = r.line;
        auto slot = setm::parse_utc(setm::format_utc(r.slot));
        FUZZ_CHECK(slot.ok() && slot.value() == r.slot);
    }
    return 0;
}
