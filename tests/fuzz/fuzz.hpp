// fuzz.hpp - what every fuzz target shares: the libFuzzer entry point and a
// check that turns a broken invariant into a crash the fuzzer (or the
// replay test) reports with the input that caused it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace setm::fuzz {

[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
    std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

} // namespace setm::fuzz

// Checked in every build (not an assert: NDEBUG must not turn it off).
#define FUZZ_CHECK(cond) \
    ((cond) ? void(0) : ::setm::fuzz::invariant_failed(#cond, __FILE__, __LINE__))
