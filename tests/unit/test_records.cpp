// Records: canonical bytes, ids, signatures, strict JSON, cereal.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/writer.h>

#include "canonical.hpp"
#include "fixtures.hpp"
#include "record_stream.hpp"
#include "records.hpp"
#include "rules.hpp"

using namespace setm;
using namespace setm::test;

namespace {

// One signed record of every block type, on `c`.
std::vector<Record> one_of_each(const TestChain& c) {
    const auto offer = c.sign(c.offer_body(c.producer), c.producer);
    auto rq = c.request_body(c.consumer);
    rq.from = {participant_hex(c.producer.id())};
    const auto request = c.sign(rq, c.consumer);
    auto tb = c.trade_body(offer, request, 2000, 5000);
    tb.time += 7; // a time with seconds
    const auto trade = c.sign(tb, c.agent);
    auto cred = c.credential_body(c.producer, role_producer | role_consumer, 7);
    cred.meter = "meter-7";
    cred.max_energy_wh = 10000;
    return {c.genesis, c.admit(cred), c.revoke(c.producer, 7, kT0), offer, request, trade};
}

Bytes signed_bytes_of(const Record& r) {
    return std::visit([](const auto& s) { return s.signed_bytes(); }, r);
}
Signature signature_of(const Record& r) {
    return std::visit([](const auto& s) { return s.signature; }, r);
}

std::string render(const rapidjson::Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
}

// Parses `text`, lets `edit` change the document, and renders it again.
std::string edit_json(const std::string& text,
                      const std::function<void(rapidjson::Document&)>& edit) {
    rapidjson::Document d = must(parse_json_object(text));
    edit(d);
    return render(d);
}

// The same object with its keys in reverse order, pretty-printed with
// spaces, tabs and CRLF line ends.
std::string reformat(const std::string& text) {
    rapidjson::Document d = must(parse_json_object(text));
    std::vector<std::string> members;
    for (auto m = d.MemberBegin(); m != d.MemberEnd(); ++m)
        members.push_back("  \"" + std::string(m->name.GetString()) + "\" :\t" + render(m->value));
    std::string out = "{\r\n";
    for (std::size_t i = members.size(); i-- > 0;) out += members[i] + (i ? " ,\r\n" : "\r\n");
    return out + "}\r\n";
}

template <class Body>
void expect_field_sensitive(const Signed<Body>& s, const PublicKey& key,
                            const std::vector<std::function<void(Body&)>>& changes) {
    REQUIRE(signature_valid(s, key));
    for (std::size_t i = 0; i < changes.size(); ++i) {
        INFO("change " << i << " of " << Body::type);
        Signed<Body> t = s;
        changes[i](t.body);
        CHECK(t.signed_bytes() != s.signed_bytes());
        CHECK(t.id() != s.id());
        CHECK_FALSE(signature_valid(t, key));
    }
    Signed<Body> other_chain = s;
    other_chain.chain[0] ^= 1;
    CHECK(other_chain.id() != s.id());
    CHECK_FALSE(signature_valid(other_chain, key));
}

Error parse_error(const std::string& text) { return must_fail(parse_record(text)); }

} // namespace

TEST_CASE("canonical bytes: flag byte, domain tag, chain id, then the body", "[records]") {
    TestChain c;
    const Offer o = c.offer_body(c.producer);
    const Bytes a = canonical_bytes(Offer::tag, c.id, o);
    CHECK(a == canonical_bytes(Offer::tag, c.id, o));
    const std::string tag = Offer::tag;
    REQUIRE(a.size() > 1 + 8 + tag.size() + 32 + 16 + 8);
    CHECK(a[0] == 1); // cereal's flag: little-endian data
    std::uint64_t len = 0;
    for (int i = 8; i >= 1; --i) len = len << 8 | a[static_cast<std::size_t>(i)];
    CHECK(len == tag.size());
    CHECK(std::string(a.begin() + 9, a.begin() + 9 + static_cast<long>(tag.size())) == tag);
    std::size_t p = 9 + tag.size();
    CHECK(std::equal(c.id.begin(), c.id.end(), a.begin() + static_cast<long>(p)));
    p += 32;
    CHECK(std::equal(o.producer.begin(), o.producer.end(), a.begin() + static_cast<long>(p)));
    p += 16;
    // slot: int64 little-endian
    std::uint64_t slot = 0;
    for (int i = 7; i >= 0; --i) slot = slot << 8 | a[p + static_cast<std::size_t>(i)];
    CHECK(static_cast<std::int64_t>(slot) == o.slot);
    // Another type's tag gives other bytes for the same fields.
    CHECK(canonical_bytes(Request::tag, c.id, o) != a);
    const Signed<Offer> s = c.sign(o, c.producer);
    CHECK(s.signed_bytes() == a);
    CHECK(s.id() == sha256(a));
}

TEST_CASE("records: every body field and the chain id are signed", "[records]") {
    TestChain c;
    const auto offer = c.sign(c.offer_body(c.producer), c.producer);
    expect_field_sensitive<Offer>(
        offer, c.producer.ed25519,
        {[](Offer& b) { b.producer[0] ^= 1; }, [](Offer& b) { b.slot += 1800; },
         [](Offer& b) { b.slot_minutes = 15; }, [](Offer& b) { b.energy_wh += 1; },
         [](Offer& b) { b.floor_price -= 1; }, [](Offer& b) { b.opening_price += 1; },
         [](Offer& b) { b.zone = "south"; }, [](Offer& b) { b.expires += 1; },
         [](Offer& b) { b.nonce += 1; }});

    const auto request = c.sign(c.request_body(c.consumer), c.consumer);
    expect_field_sensitive<Request>(
        request, c.consumer.ed25519,
        {[](Request& b) { b.consumer[15] ^= 1; }, [](Request& b) { b.slot += 1800; },
         [](Request& b) { b.slot_minutes = 60; }, [](Request& b) { b.energy_wh -= 1; },
         [](Request& b) { b.ceiling_price += 1; }, [](Request& b) { b.opening_price += 1; },
         [](Request& b) { b.zone.clear(); }, [](Request& b) { b.from.push_back("ab"); },
         [](Request& b) { b.expires -= 1; }, [](Request& b) { b.nonce = 99; }});

    const auto trade = c.sign(c.trade_body(offer, request, 1000, 5000), c.agent);
    expect_field_sensitive<Trade>(
        trade, c.agent.ed25519,
        {[](Trade& b) { b.agent[1] ^= 1; }, [](Trade& b) { b.slot += 1; },
         [](Trade& b) { b.slot_minutes = 15; }, [](Trade& b) { b.offer[0] ^= 1; },
         [](Trade& b) { b.request[31] ^= 1; }, [](Trade& b) { b.seller[0] ^= 1; },
         [](Trade& b) { b.buyer[0] ^= 1; }, [](Trade& b) { b.energy_wh += 1; },
         [](Trade& b) { b.price += 1; }, [](Trade& b) { b.fee_price += 1; },
         [](Trade& b) { b.amount += 1; }, [](Trade& b) { b.fee += 1; },
         [](Trade& b) { b.mechanism = "negotiate"; }, [](Trade& b) { b.round += 1; },
         [](Trade& b) { b.time += 1; }});

    const auto cred = c.admit(c.producer, role_producer, 1);
    expect_field_sensitive<Credential>(
        cred, c.authority.ed25519,
        {[](Credential& b) { b.serial += 1; }, [](Credential& b) { b.participant[0] ^= 1; },
         [](Credential& b) { b.name += "x"; }, [](Credential& b) { b.ed25519[0] ^= 1; },
         [](Credential& b) { b.x25519[0] ^= 1; }, [](Credential& b) { b.roles |= role_consumer; },
         [](Credential& b) { b.zone = "south"; }, [](Credential& b) { b.meter = "m"; },
         [](Credential& b) { b.max_energy_wh = 1; }, [](Credential& b) { b.valid_from += 1; },
         [](Credential& b) { b.valid_until -= 1; }, [](Credential& b) { b.authority[0] ^= 1; }});

    const auto rev = c.revoke(c.producer, 1, kT0);
    expect_field_sensitive<Revocation>(
        rev, c.authority.ed25519,
        {[](Revocation& b) { b.serial += 1; }, [](Revocation& b) { b.participant[2] ^= 1; },
         [](Revocation& b) { b.time += 1; }, [](Revocation& b) { b.reason = "other"; },
         [](Revocation& b) { b.authority[3] ^= 1; }});

    expect_field_sensitive<Genesis>(
        c.genesis, c.authority.ed25519,
        {[](Genesis& b) { b.chain_name = "x"; }, [](Genesis& b) { b.authority_name = "x"; },
         [](Genesis& b) { b.authority_ed25519[0] ^= 1; },
         [](Genesis& b) { b.authority_x25519[0] ^= 1; }, [](Genesis& b) { b.bits += 1; },
         [](Genesis& b) { b.slot_minutes = 60; }, [](Genesis& b) { b.max_records = 5; },
         [](Genesis& b) { b.energy_unit = "kWh"; }, [](Genesis& b) { b.price_unit = "EUR"; },
         [](Genesis& b) { b.money_unit = "EUR"; }, [](Genesis& b) { b.created += 1; }});

    const auto ident = identity_of(c.producer);
    expect_field_sensitive<Identity>(
        ident, c.producer.ed25519,
        {[](Identity& b) { b.name = "mallory"; }, [](Identity& b) { b.x25519[5] ^= 1; }});
}

TEST_CASE("records: the id does not depend on the signature", "[records]") {
    TestChain c;
    auto s = c.sign(c.offer_body(c.producer), c.producer);
    const Hash32 id = s.id();
    s.signature[0] ^= 0x80;
    CHECK(s.id() == id);
    CHECK_FALSE(signature_valid(s, c.producer.ed25519));
    s.signature = Signature{};
    CHECK(s.id() == id);
    // Signing is deterministic (Ed25519): the same body signs the same way.
    CHECK(c.sign(c.offer_body(c.producer), c.producer).signature ==
          c.sign(c.offer_body(c.producer), c.producer).signature);
}

TEST_CASE("records: signed by the wrong key does not verify", "[records]") {
    TestChain c;
    const auto s = c.sign(c.offer_body(c.producer), c.consumer);
    CHECK_FALSE(signature_valid(s, c.producer.ed25519));
    CHECK(signature_valid(s, c.consumer.ed25519));
}

TEST_CASE("records: JSON round trip of every record type", "[records][json]") {
    TestChain c;
    for (const Record& r : one_of_each(c)) {
        INFO(record_type(r));
        const std::string text = to_json(r);
        CHECK(text.find('\n') == std::string::npos);
        const Record back = must(parse_record(text));
        CHECK(back.index() == r.index());
        CHECK(signed_bytes_of(back) == signed_bytes_of(r));
        CHECK(signature_of(back) == signature_of(r));
        CHECK(record_id(back) == record_id(r));
        CHECK(record_chain(back) == record_chain(r));
        CHECK(record_signer(back) == record_signer(r));
        CHECK(to_json(back) == text);
    }
}

TEST_CASE("records: JSON shows type, id and chain in display order", "[records][json]") {
    TestChain c;
    const auto s = c.sign(c.offer_body(c.producer), c.producer);
    rapidjson::Document d = must(parse_json_object(to_json(s)));
    CHECK(std::string(d["type"].GetString()) == "offer");
    CHECK(std::string(d["id"].GetString()) == to_hex(s.id()));
    CHECK(std::string(d["chain"].GetString()) == hash_to_hex(c.id));
    CHECK(std::string(d["slot"].GetString()) == "2026-11-25T12:00:00Z");
    CHECK(d["energy_wh"].GetInt64() == 5000);
}

TEST_CASE("records: reformatted JSON parses to the same id", "[records][json]") {
    TestChain c;
    for (const Record& r : one_of_each(c)) {
        INFO(record_type(r));
        const std::string pretty = reformat(to_json(r));
        REQUIRE(pretty.find('\n') != std::string::npos);
        REQUIRE(pretty != to_json(r));
        const Record back = must(parse_record(pretty));
        CHECK(record_id(back) == record_id(r));
        CHECK(signature_of(back) == signature_of(r));
    }
    // Upper-case hex reads as the same bytes.
    const auto s = c.sign(c.offer_body(c.producer), c.producer);
    const std::string upper = edit_json(to_json(s), [](rapidjson::Document& d) {
        std::string sig = d["signature"].GetString();
        for (auto& ch : sig) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        d["signature"].SetString(sig.c_str(), static_cast<rapidjson::SizeType>(sig.size()),
                                 d.GetAllocator());
    });
    const Record back = must(parse_record(upper));
    CHECK(signature_of(back) == s.signature);
}

TEST_CASE("records: a changed value is an id mismatch", "[records][json]") {
    TestChain c;
    const std::string text = to_json(c.sign(c.offer_body(c.producer), c.producer));
    auto changed = [&](const char* key, auto value) {
        return edit_json(text, [&](rapidjson::Document& d) { d[key] = value; });
    };
    for (const std::string& bad :
         {changed("energy_wh", 5001), changed("nonce", 2), changed("floor_price", 1)}) {
        const Error e = parse_error(bad);
        CHECK(e.code == Exit::bad_input);
        CHECK(e.reason == "id mismatch");
    }
    // A changed chain is also a changed id.
    const std::string other_chain = edit_json(text, [](rapidjson::Document& d) {
        d["chain"].SetString(std::string(64, '1').c_str(), 64, d.GetAllocator());
    });
    CHECK(parse_error(other_chain).reason == "id mismatch");
    // The signature is not covered by the id: a changed one still parses
    // (and is caught by the signature check).
    const std::string other_sig = edit_json(text, [](rapidjson::Document& d) {
        d["signature"].SetString(std::string(128, 'a').c_str(), 128, d.GetAllocator());
    });
    const Record r = must(parse_record(other_sig));
    CHECK_FALSE(record_signature_valid(r, c.producer.ed25519));
}

TEST_CASE("records: strict JSON reading", "[records][json]") {
    TestChain c;
    const std::string text = to_json(c.sign(c.offer_body(c.producer), c.producer));
    REQUIRE(parse_record(text));

    SECTION("unknown field") {
        const Error e = parse_error(edit_json(
            text, [](rapidjson::Document& d) { d.AddMember("extra", 1, d.GetAllocator()); }));
        CHECK(e.code == Exit::bad_input);
        CHECK(e.reason == "unknown field");
        CHECK(e.detail == "extra");
    }
    SECTION("missing field") {
        const Error e =
            parse_error(edit_json(text, [](rapidjson::Document& d) { d.RemoveMember("nonce"); }));
        CHECK(e.reason == "missing field");
        CHECK(e.detail == "nonce");
        CHECK(parse_error(edit_json(text, [](rapidjson::Document& d) {
                  d.RemoveMember("signature");
              })).reason == "missing field");
        CHECK(parse_error(edit_json(text, [](rapidjson::Document& d) {
                  d.RemoveMember("type");
              })).reason == "missing field");
    }
    SECTION("wrong type") {
        const Error e = parse_error(
            edit_json(text, [](rapidjson::Document& d) { d["energy_wh"].SetString("5000"); }));
        CHECK(e.code == Exit::bad_input);
        CHECK(e.reason == "wrong type");
        CHECK(parse_error(edit_json(text, [](rapidjson::Document& d) { d["zone"] = 3; })).reason ==
              "wrong type");
        CHECK(parse_error(edit_json(text, [](rapidjson::Document& d) {
                  d["energy_wh"] = 5000.5;
              })).reason == "bad integer");
        CHECK(parse_error(edit_json(text, [](rapidjson::Document& d) {
                  d["energy_wh"] = -5;
              })).reason == "bad value");
        CHECK(parse_error(edit_json(text, [](rapidjson::Document& d) {
                  d["slot"].SetString("tomorrow");
              })).reason == "bad value");
    }
    SECTION("bad hex") {
        for (const char* key : {"producer", "signature", "id", "chain"}) {
            INFO(key);
            const Error e = parse_error(edit_json(text, [&](rapidjson::Document& d) {
                std::string v = d[key].GetString();
                v[3] = 'z';
                d[key].SetString(v.c_str(), static_cast<rapidjson::SizeType>(v.size()),
                                 d.GetAllocator());
            }));
            CHECK(e.code == Exit::bad_input);
            CHECK(e.reason == "bad value");
            CHECK(e.detail.find("hex digit") != std::string::npos);
        }
        const Error short_sig = parse_error(
            edit_json(text, [](rapidjson::Document& d) { d["signature"].SetString("abcd"); }));
        CHECK(short_sig.reason == "bad value");
        CHECK(short_sig.detail.find("128 hex digits") != std::string::npos);
    }
    SECTION("unknown or wrong type") {
        CHECK(parse_error(edit_json(text, [](rapidjson::Document& d) {
                  d["type"].SetString("offers");
              })).reason == "unknown record type");
        CHECK(parse_error(edit_json(text, [](rapidjson::Document& d) {
                  d["type"].SetString("identity");
              })).reason == "unknown record type");
        CHECK(parse_error(edit_json(text, [](rapidjson::Document& d) { d["type"] = 1; })).reason ==
              "missing field");
    }
    SECTION("not JSON, not an object, duplicate key") {
        CHECK(parse_error("").code == Exit::bad_input);
        CHECK(parse_error("[1]").reason == "bad JSON");
        CHECK(parse_error(text.substr(0, text.size() - 1)).reason == "bad JSON");
        const std::string dup = "{\"nonce\":1," + text.substr(1);
        CHECK(parse_error(dup).reason == "duplicate key");
    }
}

TEST_CASE("records: credential roles must be canonical in JSON", "[records][json]") {
    TestChain c;
    const std::string text = to_json(c.admit(c.producer, role_producer | role_consumer, 1));
    REQUIRE(parse_record(text));
    auto with_roles = [&](std::vector<const char*> roles) {
        return edit_json(text, [&](rapidjson::Document& d) {
            rapidjson::Value a(rapidjson::kArrayType);
            for (const char* r : roles) a.PushBack(rapidjson::StringRef(r), d.GetAllocator());
            d["roles"] = a;
        });
    };
    CHECK(parse_error(with_roles({"consumer", "producer"})).reason == "bad value");
    CHECK(parse_error(with_roles({"producer", "producer", "consumer"})).reason == "bad value");
    CHECK(parse_error(with_roles({"landlord"})).reason == "bad value");
    // "prosumer" is not a canonical spelling inside a record.
    CHECK(parse_error(with_roles({"prosumer"})).reason == "bad value");
}

TEST_CASE("records: identity JSON and its participant field", "[records][json]") {
    const SecretKey k = key_of(9, "alice");
    const auto ident = identity_of(k);
    const std::string text = to_json(ident);
    rapidjson::Document d = must(parse_json_object(text));
    CHECK(std::string(d["participant"].GetString()) == participant_hex(k.id()));
    const auto back = must(identity_from_json(d));
    CHECK(back.signed_bytes() == ident.signed_bytes());
    CHECK(back.signature == ident.signature);

    // Another participant id is refused, even though the id covers no such field.
    const std::string other = edit_json(text, [](rapidjson::Document& e) {
        e["participant"].SetString(std::string(32, '0').c_str(), 32, e.GetAllocator());
    });
    rapidjson::Document od = must(parse_json_object(other));
    const Error err = must_fail(identity_from_json(od));
    CHECK(err.code == Exit::bad_input);
    CHECK(err.reason == "bad value");
    CHECK(err.detail.find("participant") != std::string::npos);

    // An identity is not a block record, and a record is not an identity.
    CHECK(parse_error(text).reason == "unknown record type");
    TestChain c;
    rapidjson::Document od2 =
        must(parse_json_object(to_json(c.sign(c.offer_body(c.producer), c.producer))));
    CHECK(must_fail(identity_from_json(od2)).reason == "bad value");
}

TEST_CASE("records: cereal round trip of every Record alternative", "[records][cereal]") {
    TestChain c;
    for (const Record& r : one_of_each(c)) {
        INFO(record_type(r));
        const Bytes b = encode_binary(r);
        const Record back = must(decode_binary<Record>(b.data(), b.size()));
        CHECK(back.index() == r.index());
        CHECK(signed_bytes_of(back) == signed_bytes_of(r));
        CHECK(signature_of(back) == signature_of(r));
        CHECK(encode_binary(back) == b);
    }
    const std::vector<Record> all = one_of_each(c);
    const Bytes b = encode_binary(all);
    const auto back = must(decode_binary<std::vector<Record>>(b.data(), b.size()));
    REQUIRE(back.size() == all.size());
    for (std::size_t i = 0; i < all.size(); ++i) CHECK(record_id(back[i]) == record_id(all[i]));
}

TEST_CASE("records: cereal refuses truncated, trailing and unknown-variant bytes",
          "[records][cereal]") {
    TestChain c;
    const Record r = c.sign(c.offer_body(c.producer), c.producer);
    const Bytes b = encode_binary(r);
    for (std::size_t n :
         {std::size_t{0}, std::size_t{1}, std::size_t{5}, b.size() / 2, b.size() - 1}) {
        INFO(n);
        const Error e = must_fail(decode_binary<Record>(b.data(), n));
        CHECK(e.reason == "store unreadable");
    }
    Bytes longer = b;
    longer.push_back(0);
    CHECK(must_fail(decode_binary<Record>(longer.data(), longer.size())).reason ==
          "store unreadable");
    Bytes bad_index = b;
    bad_index[1] = 6; // the variant index (int32 after the flag byte): only 0..5 exist
    CHECK(must_fail(decode_binary<Record>(bad_index.data(), bad_index.size())).reason ==
          "store unreadable");
    bad_index[1] = 0xff;
    bad_index[2] = bad_index[3] = bad_index[4] = 0xff; // -1
    CHECK(must_fail(decode_binary<Record>(bad_index.data(), bad_index.size())).reason ==
          "store unreadable");
}

TEST_CASE("record stream: records by line, the first bad one named", "[records][stream]") {
    TestChain c;
    const auto recs = one_of_each(c);
    std::stringstream good;
    for (const auto& r : recs) good << to_json(r) << "\n";
    const auto read = must(read_records(good));
    REQUIRE(read.size() == recs.size());
    for (std::size_t i = 0; i < recs.size(); ++i) {
        CHECK(read[i].line == i + 1);
        CHECK(record_id(read[i].record) == record_id(recs[i]));
    }

    // The same as two lists (setm-mine), and batch by batch, in order.
    std::stringstream again;
    for (const auto& r : recs) again << to_json(r) << "\n";
    const RecordList list = must(read_record_list(again, 2));
    REQUIRE(list.records.size() == recs.size());
    REQUIRE(list.lines.size() == recs.size());
    for (std::size_t i = 0; i < recs.size(); ++i) {
        CHECK(list.lines[i] == i + 1);
        CHECK(record_id(list.records[i]) == record_id(recs[i]));
    }
    std::stringstream third;
    for (const auto& r : recs) third << to_json(r) << "\n";
    std::size_t seen = 0;
    REQUIRE(each_record_batch(third, 2, [&](std::vector<LineRecord>&& b) {
        for (const auto& lr : b) CHECK(lr.line == ++seen);
        return ok_status();
    }));
    CHECK(seen == recs.size());

    std::stringstream bad;
    bad << to_json(recs[3]) << "\n\n"
        << edit_json(to_json(recs[4]), [](rapidjson::Document& d) { d["energy_wh"] = 1; }) << "\n";
    const Error e = must_fail(read_records(bad));
    CHECK(e.reason == "id mismatch");
    REQUIRE(e.line);
    CHECK(*e.line == 3);
    std::stringstream bad2(bad.str());
    const Error e2 = must_fail(read_record_list(bad2));
    CHECK(e2.reason == "id mismatch");
    REQUIRE(e2.line);
    CHECK(*e2.line == 3);
}

TEST_CASE("records: roles and participant ids", "[records]") {
    CHECK(must(parse_role("prosumer")) == (role_producer | role_consumer));
    CHECK(must_fail(parse_role("Producer")).reason == "bad role");
    CHECK(role_names(role_producer | role_agent) == std::vector<std::string>{"producer", "agent"});
    const SecretKey k = key_of(5, "k");
    CHECK(must(participant_from_hex(participant_hex(k.id()))) == k.id());
    CHECK(must_fail(participant_from_hex("abc")).reason == "bad participant id");
    // The participant id is bound to the key and a domain prefix, not a bare hash.
    const Hash32 bare = sha256(Bytes(k.ed25519.begin(), k.ed25519.end()));
    const ParticipantId id = k.id(); // one object: begin() and end() of the same array
    CHECK_FALSE(std::equal(id.begin(), id.end(), bare.begin()));
}
