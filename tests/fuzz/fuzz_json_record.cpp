// fuzz_json_record.cpp - one JSON line read as a record of any kind
// (genesis, credential, revocation, offer, request, trade), as every tool
// reads its input. Invariant: a record that parses writes back as JSON that
// parses to the same record (same id, same text).
#include "fuzz.hpp"
#include "records.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto r = setm::parse_record(setm::fuzz::as_text(data, size));
    if (!r) {
        FUZZ_CHECK(!r.error().reason.empty());
        return 0;
    }
    const std::string text = setm::to_json(r.value());
    auto again = setm::parse_record(text);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(setm::record_id(again.value()) == setm::record_id(r.value()));
    FUZZ_CHECK(setm::to_json(again.value()) == text);
    FUZZ_CHECK(std::string(setm::record_type(again.value())) == setm::record_type(r.value()));
    return 0;
}
