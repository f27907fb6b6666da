// Key files: derivation, plain and encrypted files, modes, refusals.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "authority.hpp"
#include "fixtures.hpp"
#include "keyfile.hpp"

using namespace setm;
using namespace setm::test;

namespace {

constexpr ScryptCost kFast{10, 8, 1};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Writes `text` as a new 0600 file (replacing any old one).
void spit(const std::string& path, const std::string& text) {
    ::unlink(path.c_str());
    {
        std::ofstream out(path, std::ios::binary);
        out << text;
    }
    REQUIRE(::chmod(path.c_str(), 0600) == 0);
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

// The key file with one JSON field replaced.
std::string with_field(const std::string& text, const std::string& key, const std::string& value) {
    rapidjson::Document d = must(parse_json_object(text.substr(0, text.find('\n'))));
    d[key.c_str()].SetString(value.c_str(), static_cast<rapidjson::SizeType>(value.size()),
                             d.GetAllocator());
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    d.Accept(w);
    return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

void same_key(const SecretKey& a, const SecretKey& b) {
    CHECK(a.seed == b.seed);
    CHECK(a.name == b.name);
    CHECK(a.ed25519 == b.ed25519);
    CHECK(a.x25519 == b.x25519);
}

} // namespace

TEST_CASE("keyfile: RFC 8032 test 1 seed gives its public key", "[keyfile]") {
    const Seed seed = must(
        from_hex_fixed<32>("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    const SecretKey k = key_from_seed(seed, "rfc");
    CHECK(to_hex(k.ed25519) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    CHECK(k.x25519 == x25519_public(k.x25519_private()));
    CHECK(k.id() == participant_id(k.ed25519));
    // The X25519 key is derived, not the Ed25519 seed itself.
    CHECK(k.x25519_private() != seed);
    CHECK(key_from_seed(seed, "rfc").x25519 == k.x25519);
    CHECK(key_of(1, "a").ed25519 != key_of(2, "a").ed25519);
}

TEST_CASE("keyfile: plain file round trip, mode 0600", "[keyfile]") {
    TempDir dir;
    const SecretKey k = key_of(7, "alice");
    const std::string path = dir / "alice.key";
    const mode_t old = ::umask(0); // the file must be 0600 whatever the umask
    const Status w = write_key_file(path, k, std::nullopt);
    ::umask(old);
    REQUIRE(w);
    CHECK(mode_of(path) == 0600);
    const std::string text = slurp(path);
    CHECK(text.find("\"kdf\":\"none\"") != std::string::npos);
    CHECK(text.back() == '\n');
    same_key(must(read_key_file(path, std::nullopt)), k);
    // A passphrase given for a plain file is not needed, and not an error.
    same_key(must(read_key_file(path, std::string("unused"))), k);

    // A umask that takes everything away still gives 0600.
    const std::string tight = dir / "tight.key";
    const mode_t old2 = ::umask(0777);
    const Status w2 = write_key_file(tight, k, std::nullopt);
    ::umask(old2);
    REQUIRE(w2);
    CHECK(mode_of(tight) == 0600);
    same_key(must(read_key_file(tight, std::nullopt)), k);
}

TEST_CASE("keyfile: encrypted file round trip and wrong passphrase", "[keyfile]") {
    TempDir dir;
    const SecretKey k = key_of(8, "bob");
    const std::string path = dir / "bob.key";
    REQUIRE(write_key_file(path, k, std::string("correct horse"), kFast));
    const std::string text = slurp(path);
    CHECK(text.find("\"kdf\":\"scrypt\"") != std::string::npos);
    CHECK(text.find(to_hex(k.seed)) == std::string::npos); // the seed is not in the clear
    same_key(must(read_key_file(path, std::string("correct horse"))), k);

    const Error wrong = must_fail(read_key_file(path, std::string("correct horsf")));
    CHECK(wrong.code == Exit::key_file);
    CHECK(wrong.reason == "cannot decrypt key");

    const Error none = must_fail(read_key_file(path, std::nullopt));
    CHECK(none.code == Exit::key_file);
    CHECK(none.reason == "key is encrypted");
    CHECK_FALSE(none.hint.empty());

    // Costs outside the bounds are refused without running scrypt.
    const std::string costly = path + ".costly";
    spit(costly, [&] {
        rapidjson::Document d = must(parse_json_object(text.substr(0, text.find('\n'))));
        d["log2n"] = 40;
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> wr(buf);
        d.Accept(wr);
        return std::string(buf.GetString(), buf.GetSize());
    }());
    const Error cost = must_fail(read_key_file(costly, std::string("correct horse")));
    CHECK(cost.code == Exit::key_file);
    CHECK(cost.reason == "bad key file");

    // Bad scrypt parameters on writing: refused, and no file left behind.
    const std::string never = dir / "never.key";
    const Status bad = write_key_file(never, k, std::string("x"), ScryptCost{30, 8, 1});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == Exit::key_file);
    CHECK(::access(never.c_str(), F_OK) != 0);
}

TEST_CASE("keyfile: a file group or others can read is refused with a hint", "[keyfile]") {
    TempDir dir;
    const std::string path = dir / "k.key";
    REQUIRE(write_key_file(path, key_of(7, "k"), std::nullopt));
    for (mode_t m : {0644u, 0640u, 0604u, 0660u, 0601u}) {
        INFO(m);
        REQUIRE(::chmod(path.c_str(), m) == 0);
        const Error e = must_fail(read_key_file(path, std::nullopt));
        CHECK(e.code == Exit::key_file);
        CHECK(e.reason == "key file too open");
        CHECK(e.hint == "chmod 600 " + path);
    }
    REQUIRE(::chmod(path.c_str(), 0400) == 0);
    CHECK(read_key_file(path, std::nullopt));
}

TEST_CASE("keyfile: a passphrase file group or others can read is refused with a hint",
          "[keyfile]") {
    TempDir dir;
    const std::string f = dir / "pass";
    spit(f, "secret words\n");
    for (mode_t m : {0644u, 0640u, 0604u, 0620u, 0602u}) {
        INFO(m);
        REQUIRE(::chmod(f.c_str(), m) == 0);
        const Error e = must_fail(load_passphrase(f, nullptr));
        CHECK(e.code == Exit::key_file);
        CHECK(e.reason == "passphrase file too open");
        CHECK(e.hint == "chmod 600 " + f);
    }
    REQUIRE(::chmod(f.c_str(), 0400) == 0);
    CHECK(*must(load_passphrase(f, nullptr)) == "secret words");
}

TEST_CASE("keyfile: a key or passphrase file owned by another user is refused", "[keyfile]") {
    if (::geteuid() != 0) return; // only root can give a file away
    TempDir dir;
    const std::string key = dir / "k.key", pass = dir / "pass";
    REQUIRE(write_key_file(key, key_of(7, "k"), std::nullopt));
    spit(pass, "secret words\n");
    for (const std::string& path : {key, pass})
        REQUIRE(::chown(path.c_str(), 65534, 65534) == 0); // nobody
    const Error e = must_fail(read_key_file(key, std::nullopt));
    CHECK(e.code == Exit::key_file);
    CHECK(e.reason == "key file not ours");
    CHECK(e.detail == key + ": owned by uid 65534, not by uid 0 who runs this");
    CHECK(e.hint.find("chown 0 " + key) != std::string::npos);
    const Error p = must_fail(load_passphrase(pass, nullptr));
    CHECK(p.code == Exit::key_file);
    CHECK(p.reason == "passphrase file not ours");
    for (const std::string& path : {key, pass}) REQUIRE(::chown(path.c_str(), 0, 0) == 0);
    CHECK(read_key_file(key, std::nullopt));
    CHECK(load_passphrase(pass, nullptr));
}

TEST_CASE("keyfile: a number that is no integer is a bad key file, not a crash", "[keyfile]") {
    TempDir dir;
    const std::string path = dir / "k.key";
    REQUIRE(write_key_file(path, key_of(7, "k"), std::nullopt));
    std::string text = slurp(path);
    const std::string v = "\"version\":1";
    REQUIRE(text.find(v) != std::string::npos);
    text.replace(text.find(v), v.size(), "\"version\":1.00000000000000000000000000001e-330");
    spit(path, text);
    const Error e = must_fail(read_key_file(path, std::nullopt));
    CHECK(e.code == Exit::key_file);
    CHECK(e.reason == "bad key file");
    CHECK(e.detail ==
          path + ": bad integer: version: expected an integer without fraction or exponent");
}

TEST_CASE("keyfile: never overwrites, never follows a symlink", "[keyfile]") {
    TempDir dir;
    const std::string path = dir / "k.key";
    const SecretKey first = key_of(7, "first");
    REQUIRE(write_key_file(path, first, std::nullopt));
    const std::string before = slurp(path);

    const Status again = write_key_file(path, key_of(8, "second"), std::nullopt);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Exit::key_file);
    CHECK(again.error().reason == "cannot write key");
    CHECK_FALSE(again.error().hint.empty());
    CHECK(slurp(path) == before); // untouched, and not removed on failure

    // A symlink, even a dangling one, is not followed.
    const std::string target = dir / "target";
    const std::string link = dir / "link.key";
    REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
    const Status via_link = write_key_file(link, first, std::nullopt);
    REQUIRE_FALSE(via_link);
    CHECK(via_link.error().code == Exit::key_file);
    CHECK(::access(target.c_str(), F_OK) != 0);

    // Nor into a directory that does not exist.
    CHECK_FALSE(write_key_file(dir / "no/such.key", first, std::nullopt));
    const Error missing = must_fail(read_key_file(dir / "absent.key", std::nullopt));
    CHECK(missing.code == Exit::key_file);
    CHECK(missing.reason == "cannot read key");
    // A directory is not a key file.
    CHECK(must_fail(read_key_file(dir.path, std::nullopt)).code == Exit::key_file);
    // Nor is a FIFO, and reading one does not wait for a writer.
    const std::string fifo = dir / "fifo.key";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const Error e = must_fail(read_key_file(fifo, std::nullopt));
    CHECK(e.code == Exit::key_file);
    CHECK(e.detail.find("not a regular file") != std::string::npos);
}

TEST_CASE("keyfile: changed public keys, name or secret are refused", "[keyfile]") {
    TempDir dir;
    const SecretKey k = key_of(7, "alice");
    const SecretKey other = key_of(9, "mallory");
    const std::string plain = dir / "plain.key", sealed = dir / "sealed.key", t = dir / "t.key";
    REQUIRE(write_key_file(plain, k, std::nullopt));
    REQUIRE(write_key_file(sealed, k, std::string("pw"), kFast));
    const std::string ptext = slurp(plain), stext = slurp(sealed);

    spit(t, with_field(ptext, "ed25519", to_hex(other.ed25519)));
    Error e = must_fail(read_key_file(t, std::nullopt));
    CHECK(e.code == Exit::key_file);
    CHECK(e.reason == "bad key file");
    CHECK(e.detail.find("public keys do not match") != std::string::npos);

    spit(t, with_field(ptext, "x25519", to_hex(other.x25519)));
    CHECK(must_fail(read_key_file(t, std::nullopt)).detail.find("public keys do not match") !=
          std::string::npos);

    // Encrypted: the public keys and the name are bound to the ciphertext.
    for (const auto& [field, value] :
         {std::pair<std::string, std::string>{"ed25519", to_hex(other.ed25519)},
          {"x25519", to_hex(other.x25519)},
          {"name", "mallory"}}) {
        INFO(field);
        spit(t, with_field(stext, field, value));
        e = must_fail(read_key_file(t, std::string("pw")));
        CHECK(e.code == Exit::key_file);
        CHECK(e.reason == "cannot decrypt key");
    }

    // A flipped ciphertext byte.
    rapidjson::Document d = must(parse_json_object(stext.substr(0, stext.find('\n'))));
    std::string secret = d["secret"].GetString();
    secret[0] = secret[0] == '0' ? '1' : '0';
    spit(t, with_field(stext, "secret", secret));
    CHECK(must_fail(read_key_file(t, std::string("pw"))).reason == "cannot decrypt key");

    // Not a key file at all.
    spit(t, "{\"type\":\"offer\"}\n");
    CHECK(must_fail(read_key_file(t, std::nullopt)).reason == "bad key file");
    spit(t, "not json\n");
    CHECK(must_fail(read_key_file(t, std::nullopt)).reason == "bad key file");
    spit(t, with_field(ptext, "kdf", "rot13"));
    CHECK(must_fail(read_key_file(t, std::nullopt)).reason == "bad key file");
    spit(t, with_field(ptext, "secret", "abcd"));
    CHECK(must_fail(read_key_file(t, std::nullopt)).reason == "bad key file");
    // An unknown field.
    spit(t, ptext.substr(0, ptext.find('\n') - 1) + ",\"extra\":1}\n");
    CHECK(must_fail(read_key_file(t, std::nullopt)).code == Exit::key_file);
}

TEST_CASE("keyfile: identity_of is self-signed", "[keyfile]") {
    const SecretKey k = key_of(7, "alice");
    const auto id = identity_of(k);
    CHECK(id.body.name == "alice");
    CHECK(id.body.ed25519 == k.ed25519);
    CHECK(id.body.x25519 == k.x25519);
    CHECK(id.chain == kNoChain);
    CHECK(id.body.signer() == k.id());
    CHECK(signature_valid(id, k.ed25519));
    CHECK(check_identity(id));
    CHECK_FALSE(signature_valid(id, key_of(8, "x").ed25519));
}

TEST_CASE("keyfile: load_passphrase", "[keyfile]") {
    TempDir dir;
    const std::string f = dir / "pass";
    spit(f, "secret words\r\nsecond line\n");
    CHECK(*must(load_passphrase(f, "from env")) == "secret words"); // the file wins
    CHECK(*must(load_passphrase(std::nullopt, "from env")) == "from env");
    CHECK_FALSE(must(load_passphrase(std::nullopt, nullptr)).has_value());
    CHECK(must_fail(load_passphrase(std::nullopt, "")).reason == "empty passphrase");
    spit(f, "\n");
    CHECK(must_fail(load_passphrase(f, nullptr)).reason == "empty passphrase");
    const Error missing = must_fail(load_passphrase(dir / "absent", nullptr));
    CHECK(missing.code == Exit::key_file);
    CHECK(missing.reason == "cannot read passphrase");
}
