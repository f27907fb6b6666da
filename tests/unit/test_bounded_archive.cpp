// Decoding stored values is bounded by the bytes there are: a forged length
// or count (checksum recomputed) is refused before anything is allocated.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <string>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "canonical.hpp"
#include "fixtures.hpp"
#include "lmdb.hpp"
#include "store.hpp"
#include "verify.hpp"

using namespace setm;
using namespace setm::test;

namespace {

constexpr std::uint64_t kForged = std::uint64_t{1} << 40;

void put_u64_le(Bytes& b, std::size_t at, std::uint64_t v) {
    REQUIRE(at + 8 <= b.size());
    for (std::size_t i = 0; i < 8; ++i, v >>= 8) b[at + i] = static_cast<std::uint8_t>(v);
}

// A stored block of genesis + one offer; the records count follows the flag
// byte and the 80 raw header bytes.
Bytes stored_block(const TestChain& c) {
    StoredBlock sb;
    sb.records = {c.sign(c.offer_body(c.producer), c.producer)};
    return encode_binary(sb);
}
constexpr std::size_t kCountAt = 1 + kHeaderSize;

template <class T>
double seconds_to_fail(const Bytes& b, Error& out) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = decode_binary<T>(b.data(), b.size());
    const auto t1 = std::chrono::steady_clock::now();
    REQUIRE_FALSE(r.ok());
    out = r.error();
    return std::chrono::duration<double>(t1 - t0).count();
}

} // namespace

TEST_CASE("bounded archive: reads what cereal's portable archive wrote", "[cereal]") {
    TestChain c;
    const Bytes b = stored_block(c);
    const StoredBlock back = must(decode_binary<StoredBlock>(b.data(), b.size()));
    REQUIRE(back.records.size() == 1);
    CHECK(encode_binary(back) == b);
    const std::string s = "zone";
    const Bytes sb = encode_binary(s);
    CHECK(must(decode_binary<std::string>(sb.data(), sb.size())) == s);
    const std::vector<std::uint64_t> v{1, 2, 0xffffffffffffffffull};
    const Bytes vb = encode_binary(v);
    CHECK(must(decode_binary<std::vector<std::uint64_t>>(vb.data(), vb.size())) == v);
}

TEST_CASE("bounded archive: a forged record count of 2^40 is refused at once", "[cereal]") {
    TestChain c;
    Bytes b = stored_block(c);
    put_u64_le(b, kCountAt, kForged);
    Error e;
    CHECK(seconds_to_fail<StoredBlock>(b, e) < 1.0);
    CHECK(e.code == Exit::io);
    CHECK(e.reason == "store unreadable");
    CHECK(e.detail == "length field 1099511627776 exceeds the " +
                          std::to_string(b.size() - kCountAt - 8) + " bytes left");
    // One more than the bytes left is refused too; the true count reads.
    put_u64_le(b, kCountAt, b.size() - kCountAt - 8 + 1);
    CHECK(seconds_to_fail<StoredBlock>(b, e) < 1.0);
    CHECK(e.detail.rfind("length field ", 0) == 0);
    put_u64_le(b, kCountAt, 1);
    CHECK(decode_binary<StoredBlock>(b.data(), b.size()).ok());
}

TEST_CASE("bounded archive: a forged string length is refused before allocation", "[cereal]") {
    // An offer's zone: the last string of the body, before the expiry and nonce.
    TestChain c;
    auto offer = c.offer_body(c.producer);
    offer.zone = "ZONEZONE";
    const Bytes b0 = encode_binary(Record(c.sign(offer, c.producer)));
    const std::string needle = "ZONEZONE";
    const auto it = std::search(b0.begin(), b0.end(), needle.begin(), needle.end());
    REQUIRE(it != b0.end());
    const std::size_t len_at = static_cast<std::size_t>(it - b0.begin()) - 8;
    for (std::uint64_t forged : {kForged, std::uint64_t{1} << 33, ~std::uint64_t{0}}) {
        Bytes b = b0;
        put_u64_le(b, len_at, forged);
        Error e;
        CHECK(seconds_to_fail<Record>(b, e) < 1.0);
        CHECK(e.detail == "length field " + std::to_string(forged) + " exceeds the " +
                              std::to_string(b.size() - len_at - 8) + " bytes left");
    }
}

TEST_CASE("bounded archive: only the little-endian flag byte is read", "[cereal]") {
    TestChain c;
    Bytes b = stored_block(c);
    for (std::uint8_t flag : {0, 2, 255}) {
        b[0] = flag;
        Error e;
        seconds_to_fail<StoredBlock>(b, e);
        CHECK(e.detail == "not a little-endian portable binary value");
    }
}

#if !defined(__SANITIZE_ADDRESS__)
TEST_CASE("bounded archive: a forged 8 GiB string decodes under a 256 MiB address-space limit",
          "[cereal]") {
    // In a child: with RLIMIT_AS at 256 MiB a resize to 8 GiB would throw
    // std::bad_alloc; the bound refuses the length first. (Not under ASan,
    // whose shadow memory needs far more address space.)
    TestChain c;
    auto offer = c.offer_body(c.producer);
    offer.zone = "ZONEZONE";
    Bytes b = encode_binary(Record(c.sign(offer, c.producer)));
    const std::string needle = "ZONEZONE";
    const std::size_t len_at =
        static_cast<std::size_t>(std::search(b.begin(), b.end(), needle.begin(), needle.end()) -
                                 b.begin()) -
        8;
    put_u64_le(b, len_at, std::uint64_t{8} << 30);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        rlimit lim{256u << 20, 256u << 20};
        if (::setrlimit(RLIMIT_AS, &lim) != 0) ::_exit(3);
        auto r = decode_binary<Record>(b.data(), b.size());
        ::_exit(!r.ok() && r.error().detail.rfind("length field ", 0) == 0 ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
#endif

TEST_CASE("bounded archive: a stored block with a forged count and a recomputed checksum",
          "[cereal][store]") {
    TestChain c;
    TempDir dir;
    const std::string path = dir / "store";
    {
        Store s = must(Store::create(path, c.genesis_block));
        auto snap = must(s.snapshot());
        const Tip t = must(snap->state().tip());
        snap.reset();
        const Block b = must(mine_block(c.admit_all(), t.hash, next_block_time(t.last_times, kT0),
                                        c.genesis.body.bits, 1));
        REQUIRE(s.append_if_tip(b, t.hash, kT0, 1));
    }
    {
        lmdb::Env::Options o;
        lmdb::Env env = must(lmdb::Env::open(path, o));
        REQUIRE(lmdb::write_txn(env, [&](lmdb::Txn& txn) -> Status {
            SETM_TRY(lmdb::Dbi d, lmdb::Dbi::open(txn, "blocks", false));
            const std::array<std::uint8_t, 8> k{0, 0, 0, 0, 0, 0, 0, 1};
            SETM_TRY(auto v, lmdb::get(txn, d, lmdb::as_val(k.data(), 8)));
            if (!v) return make_error(Exit::internal, "test", "no block 1");
            Bytes forged(v->begin() + 32, v->end());
            put_u64_le(forged, kCountAt, kForged);
            const Hash32 h = sha256(forged);
            forged.insert(forged.begin(), h.begin(), h.end());
            return lmdb::put(txn, d, lmdb::as_val(k.data(), 8), lmdb::as_val(forged));
        }));
    }
    Store s = must(Store::open(path, true));
    auto snap = must(s.snapshot());
    const auto t0 = std::chrono::steady_clock::now();
    const Error direct = must_fail(snap->state().block(1));
    CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 1.0);
    CHECK(direct.code == Exit::io);
    CHECK(direct.detail.find("length field 1099511627776 exceeds") != std::string::npos);
    const Error e = must_fail(verify_chain(snap->state(), kT0 + kHour, 1));
    CHECK(e.code == Exit::verify_failed);
}
