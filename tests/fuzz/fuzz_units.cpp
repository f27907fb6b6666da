// fuzz_units.cpp - the parsers of command-line quantities: energy ("5kWh"),
// price ("40.5" EUR/MWh) and UTC time ("2026-11-25T10:00Z"), and the
// formatting and checked arithmetic the tools apply to any int64 a record
// may carry.
//
// Input: the whole input is the text given to each parser; its first 16
// bytes (zero-padded) are also read as two int64 for the arithmetic.
// Invariants: what parses formats back to text that parses to the same
// value; checked arithmetic agrees with the compiler's overflow builtins.
#include <cstring>

#include "fuzz.hpp"
#include "units.hpp"

namespace {

void parsers(std::string_view s) {
    if (auto e = setm::parse_energy(s)) {
        FUZZ_CHECK(e.value() >= 0);
        auto back = setm::parse_energy(setm::format_energy(e.value()));
        FUZZ_CHECK(back.ok() && back.value() == e.value());
    }
    if (auto p = setm::parse_price(s)) {
        auto back = setm::parse_price(setm::format_price(p.value()));
        FUZZ_CHECK(back.ok() && back.value() == p.value());
    }
    if (auto t = setm::parse_utc(s)) {
        FUZZ_CHECK(t.value() >= 0);
        auto back = setm::parse_utc(setm::format_utc(t.value()));
        FUZZ_CHECK(back.ok() && back.value() == t.value());
        for (int m : {15, 30, 60})
            FUZZ_CHECK(setm::check_slot_start(t.value(), m).ok() == (t.value() % (m * 60) == 0));
    }
}

void arithmetic(std::int64_t a, std::int64_t b) {
    std::int64_t want = 0;
    auto add = setm::checked_add(a, b);
    FUZZ_CHECK(add.ok() == !__builtin_add_overflow(a, b, &want));
    if (add) FUZZ_CHECK(add.value() == want);
    auto sub = setm::checked_sub(a, b);
    FUZZ_CHECK(sub.ok() == !__builtin_sub_overflow(a, b, &want));
    if (sub) FUZZ_CHECK(sub.value() == want);
    auto mul = setm::checked_mul(a, b);
    FUZZ_CHECK(mul.ok() == !__builtin_mul_overflow(a, b, &want));
    if (mul) FUZZ_CHECK(mul.value() == want);
    (void)setm::format_energy(a);
    (void)setm::format_price(a);
    (void)setm::format_money(b);
    (void)setm::format_utc(a);
    (void)setm::check_slot_start(b, static_cast<int>(a % 61));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    parsers(setm::fuzz::as_text(data, size));
    std::uint8_t raw[16] = {};
    if (size > 0) std::memcpy(raw, data, size < sizeof raw ? size : sizeof raw);
    std::int64_t a = 0, b = 0;
    std::memcpy(&a, raw, 8);
    std::memcpy(&b, raw + 8, 8);
    arithmetic(a, b);
    return 0;
}
