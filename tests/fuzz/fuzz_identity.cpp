// fuzz_identity.cpp - a participant's public identity (what setm-keygen
// --identity writes and setm-auth admit reads). Invariants: an identity that
// parses writes back to the same identity, and checking its self-signature
// (strict Ed25519, which must refuse small-order and non-canonical keys)
// never crashes.
#include "fuzz.hpp"
#include "json.hpp"
#include "records.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto doc = setm::parse_json_object(setm::fuzz::as_text(data, size));
    if (!doc) return 0;
    auto id = setm::identity_from_json(doc.value());
    if (!id) return 0;
    (void)setm::signature_valid(id.value(), id->body.ed25519);
    const std::string text = setm::to_json(id.value());
    auto doc2 = setm::parse_json_object(text);
    FUZZ_CHECK(doc2.ok());
    auto again = setm::identity_from_json(doc2.value());
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->id() == id->id());
    FUZZ_CHECK(setm::to_json(again.value()) == text);
    return 0;
}
