// test_crypto.cpp - known-answer tests from the RFCs, byte for byte, and
// the cases where setm must be stricter than Crypto++ (shown side by side
// with Crypto++'s own verifier, so a library upgrade that changes either
// behaviour is noticed).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <string_view>

#include <cryptopp/integer.h>
#include <cryptopp/sha.h>
#include <cryptopp/xed25519.h>

#include "bytes.hpp"
#include "crypto.hpp"

using namespace setm;

namespace {

Bytes hexb(std::string_view h) {
    auto r = from_hex(h);
    REQUIRE(r.ok());
    return r.value();
}

template <std::size_t N>
std::array<std::uint8_t, N> hexa(std::string_view h) {
    auto r = from_hex_fixed<N>(h);
    REQUIRE(r.ok());
    return r.value();
}

Bytes str(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Crypto++'s own (lenient) verifier, for comparison.
bool cryptopp_verify(const PublicKey& pub, const Bytes& msg, const std::uint8_t* sig,
                     std::size_t sig_len) {
    const CryptoPP::ed25519Verifier v(pub.data());
    static const std::uint8_t empty = 0;
    return v.VerifyMessage(msg.empty() ? &empty : msg.data(), msg.size(), sig, sig_len);
}

// 256-bit little-endian addition; the inputs here never overflow 2^256.
std::array<std::uint8_t, 32> add_le32(const std::uint8_t* a, const std::uint8_t* b) {
    std::array<std::uint8_t, 32> out{};
    unsigned carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {
        unsigned s = unsigned{a[i]} + unsigned{b[i]} + carry;
        out[i] = static_cast<std::uint8_t>(s & 0xff);
        carry = s >> 8;
    }
    return out;
}

// Plain literals, not hexa(): REQUIRE cannot run during static initialisation.
// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
constexpr std::array<std::uint8_t, 32> kL = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
// The neutral element (0, 1), encoded.
constexpr std::array<std::uint8_t, 32> kIdentity = {1};

struct Ed25519Vector {
    const char* name;
    const char* seed;
    const char* pub;
    const char* msg;
    const char* sig;
};

// RFC 8032 section 7.1.
const Ed25519Vector kRfc8032[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
     "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

// The 8 points of small order, canonically encoded (computed from the curve
// equation: the multiples of a point of order 8).
const char* const kSmallOrderPoints[] = {
    "0100000000000000000000000000000000000000000000000000000000000000", // identity
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
    "0000000000000000000000000000000000000000000000000000000000000000", // order 4
    "0000000000000000000000000000000000000000000000000000000000000080", // order 4
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
};

} // namespace

// ---- hashing ---------------------------------------------------------------------

TEST_CASE("crypto: SHA-256 known answers") {
    CHECK(to_hex(sha256(str("abc"))) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(to_hex(sha256(Bytes{})) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256d(str("abc")) == sha256(sha256(str("abc")).data(), 32));
}

TEST_CASE("crypto: SHA-256d of the Bitcoin genesis header, direct and via midstate") {
    const Bytes header = hexb(
        "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd"
        "7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c");
    REQUIRE(header.size() == 80);
    const std::string expected = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

    Hash32 direct = sha256d(header);
    std::reverse(direct.begin(), direct.end()); // Bitcoin displays hashes reversed
    CHECK(to_hex(direct) == expected);

    const Sha256dMidstate mid(header.data());
    Hash32 viamid = mid.finish(header.data() + 64, 16);
    std::reverse(viamid.begin(), viamid.end());
    CHECK(to_hex(viamid) == expected);

    // The midstate is reusable and copyable: other tails, then the same tail again.
    Bytes tail(header.begin() + 64, header.end());
    tail[15] ^= 1; // another nonce
    Bytes other = header;
    other[79] ^= 1;
    CHECK(mid.finish(tail.data(), tail.size()) == sha256d(other));
    const Sha256dMidstate copy(mid);
    CHECK(copy.finish(header.data() + 64, 16) == sha256d(header));
    CHECK(mid.finish(header.data() + 64, 16) == sha256d(header));
    // Empty and multi-block tails.
    CHECK(mid.finish(nullptr, 0) == sha256d(header.data(), 64));
    Bytes longer = header;
    longer.insert(longer.end(), 100, 0x5a);
    CHECK(mid.finish(longer.data() + 64, longer.size() - 64) == sha256d(longer));
}

// ---- randomness ----------------------------------------------------------------------

TEST_CASE("crypto: random_bytes fills and differs") {
    std::array<std::uint8_t, 32> a{}, b{};
    random_bytes(a.data(), a.size());
    random_bytes(b.data(), b.size());
    CHECK(a != b);
    CHECK(a != std::array<std::uint8_t, 32>{});
    random_bytes(nullptr, 0); // no-op
}

// ---- Ed25519 ----------------------------------------------------------------------------

TEST_CASE("crypto: Ed25519 RFC 8032 section 7.1 vectors") {
    for (const auto& v : kRfc8032) {
        INFO(v.name);
        const auto seed = hexa<32>(v.seed);
        const Bytes msg = hexb(v.msg);
        const PublicKey pub = ed25519_public(seed);
        CHECK(to_hex(pub) == v.pub);
        const Signature sig = ed25519_sign(seed, msg);
        CHECK(to_hex(sig) == v.sig);
        CHECK(ed25519_public_key_acceptable(pub));
        CHECK(ed25519_verify(pub, msg, sig));
        CHECK(cryptopp_verify(pub, msg, sig.data(), sig.size()));
    }
    // TEST SHA(abc)'s message is SHA-512("abc").
    std::array<std::uint8_t, 64> h{};
    CryptoPP::SHA512().CalculateDigest(h.data(), reinterpret_cast<const CryptoPP::byte*>("abc"), 3);
    CHECK(to_hex(h) == kRfc8032[3].msg);
}

TEST_CASE("crypto: Ed25519 strict verification rejects what Crypto++ accepts") {
    const auto& v = kRfc8032[1];
    const auto seed = hexa<32>(v.seed);
    const PublicKey pub = ed25519_public(seed);
    const Bytes msg = hexb(v.msg);
    const Signature sig = ed25519_sign(seed, msg);
    REQUIRE(ed25519_verify(pub, msg, sig));

    SECTION("(a) S replaced by S + L") {
        Signature mall = sig;
        const auto s_plus_l = add_le32(sig.data() + 32, kL.data());
        std::copy(s_plus_l.begin(), s_plus_l.end(), mall.begin() + 32);
        REQUIRE(mall != sig);
        CHECK(cryptopp_verify(pub, msg, mall.data(), mall.size())); // Crypto++: malleable
        CHECK_FALSE(ed25519_verify(pub, msg, mall));
        // S = L exactly (the boundary) is refused as well.
        Signature at_l = sig;
        std::copy(kL.begin(), kL.end(), at_l.begin() + 32);
        CHECK_FALSE(ed25519_verify(pub, msg, at_l));
    }

    SECTION("(b) wrong signature length") {
        Bytes longer(sig.begin(), sig.end());
        longer.push_back(0x00);
        CHECK(cryptopp_verify(pub, msg, longer.data(), longer.size())); // extra byte ignored
        CHECK_FALSE(ed25519_verify(pub, msg.data(), msg.size(), longer.data(), longer.size()));
        CHECK_FALSE(ed25519_verify(pub, msg.data(), msg.size(), sig.data(), 63));
        CHECK_FALSE(ed25519_verify(pub, msg.data(), msg.size(), nullptr, 0));
    }

    SECTION("(c) identity public key with R = identity, S = 0, canonical and y = p+1") {
        Signature forged{};
        std::copy(kIdentity.begin(), kIdentity.end(), forged.begin()); // R = identity, S = 0
        const PublicKey canonical = kIdentity;
        const PublicKey noncanonical =
            hexa<32>("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        for (const Bytes& m : {Bytes{}, str("pay 1000 kWh to mallory"), msg}) {
            CHECK(cryptopp_verify(canonical, m, forged.data(), forged.size()));
            CHECK(cryptopp_verify(noncanonical, m, forged.data(), forged.size()));
            CHECK_FALSE(ed25519_verify(canonical, m, forged));
            CHECK_FALSE(ed25519_verify(noncanonical, m, forged));
        }
        CHECK_FALSE(ed25519_public_key_acceptable(canonical));
        CHECK_FALSE(ed25519_public_key_acceptable(noncanonical));
    }

    SECTION("(d) flipped message bit, flipped signature bits") {
        Bytes other = msg;
        other[0] ^= 0x01;
        CHECK_FALSE(ed25519_verify(pub, other, sig));
        Signature bad_r = sig;
        bad_r[0] ^= 0x01;
        CHECK_FALSE(ed25519_verify(pub, msg, bad_r));
        Signature bad_s = sig;
        bad_s[32] ^= 0x01;
        CHECK_FALSE(ed25519_verify(pub, msg, bad_s));
        CHECK_FALSE(ed25519_verify(ed25519_public(hexa<32>(kRfc8032[0].seed)), msg, sig));
    }

    SECTION("(e) non-canonical public keys: y >= p, either sign") {
        // y = p + k for k = 0..18 are the only 255-bit values >= p.
        for (unsigned k = 0; k <= 18; ++k) {
            for (std::uint8_t sign : {std::uint8_t{0x00}, std::uint8_t{0x80}}) {
                PublicKey y =
                    hexa<32>("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
                y[0] = static_cast<std::uint8_t>(0xed + k);
                y[31] = static_cast<std::uint8_t>(0x7f | sign);
                INFO("k=" << k << " sign=" << int{sign});
                CHECK_FALSE(ed25519_public_key_acceptable(y));
                CHECK_FALSE(ed25519_verify(y, msg, sig));
            }
        }
        // p - 1, the largest canonical y, is refused too: it is of small order.
        CHECK_FALSE(ed25519_public_key_acceptable(
            hexa<32>("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")));
    }
}

TEST_CASE("crypto: Ed25519 small-order public keys are refused; Crypto++ accepts forgeries") {
    for (const char* hex : kSmallOrderPoints) {
        INFO(hex);
        const PublicKey a = hexa<32>(hex);
        CHECK_FALSE(ed25519_public_key_acceptable(a));
        // R = identity, S = 0 verifies under Crypto++ whenever H(R||A||M) is a
        // multiple of A's order: 1 in 8 messages at worst. This shows each
        // blocklist entry really is a point of small order.
        Signature forged{};
        std::copy(kIdentity.begin(), kIdentity.end(), forged.begin());
        int cryptopp_accepted = 0;
        for (int i = 0; i < 64; ++i) {
            const Bytes m{static_cast<std::uint8_t>(i)};
            if (cryptopp_verify(a, m, forged.data(), forged.size())) ++cryptopp_accepted;
            CHECK_FALSE(ed25519_verify(a, m, forged));
        }
        CHECK(cryptopp_accepted > 0);
    }
}

TEST_CASE("crypto: Ed25519 signature with small-order R is refused") {
    // The key holder signs with nonce r = 0, so R = identity and S = k*a mod L.
    // The signature is mathematically valid (Crypto++ accepts it) but R has
    // small order, which strict verifiers (libsodium too) refuse.
    const auto seed = hexa<32>(kRfc8032[0].seed);
    const PublicKey pub = ed25519_public(seed);
    const Bytes msg = str("nonce reuse is bad, nonce zero is worse");

    std::array<std::uint8_t, 64> h{};
    CryptoPP::SHA512().CalculateDigest(h.data(), seed.data(), seed.size());
    h[0] &= 248;
    h[31] &= 127;
    h[31] |= 64;
    const CryptoPP::Integer a(h.data(), 32, CryptoPP::Integer::UNSIGNED,
                              CryptoPP::LITTLE_ENDIAN_ORDER);

    CryptoPP::SHA512 kh;
    kh.Update(kIdentity.data(), 32);
    kh.Update(pub.data(), 32);
    kh.Update(msg.data(), msg.size());
    std::array<std::uint8_t, 64> kd{};
    kh.Final(kd.data());
    const CryptoPP::Integer k(kd.data(), 64, CryptoPP::Integer::UNSIGNED,
                              CryptoPP::LITTLE_ENDIAN_ORDER);
    const CryptoPP::Integer L(kL.data(), 32, CryptoPP::Integer::UNSIGNED,
                              CryptoPP::LITTLE_ENDIAN_ORDER);
    const CryptoPP::Integer s = (k * a) % L;

    Signature sig{};
    std::copy(kIdentity.begin(), kIdentity.end(), sig.begin());
    s.Encode(sig.data() + 32, 32);             // big-endian...
    std::reverse(sig.begin() + 32, sig.end()); // ...to little-endian

    CHECK(cryptopp_verify(pub, msg, sig.data(), sig.size()));
    CHECK(ed25519_public_key_acceptable(pub));
    CHECK_FALSE(ed25519_verify(pub, msg, sig));
}

// ---- X25519 -----------------------------------------------------------------------------

TEST_CASE("crypto: X25519 RFC 7748 section 6.1") {
    const auto alice = hexa<32>("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const auto bob = hexa<32>("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    const PublicKey alice_pub = x25519_public(alice);
    const PublicKey bob_pub = x25519_public(bob);
    CHECK(to_hex(alice_pub) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    CHECK(to_hex(bob_pub) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    const std::string shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    auto ab = x25519_agree(alice, bob_pub);
    auto ba = x25519_agree(bob, alice_pub);
    REQUIRE(ab.ok());
    REQUIRE(ba.ok());
    CHECK(to_hex(ab.value()) == shared);
    CHECK(to_hex(ba.value()) == shared);

    // The RFC keys are not clamped; clamping them first changes nothing.
    auto clamped = alice;
    clamped[0] &= 248;
    clamped[31] &= 127;
    clamped[31] |= 64;
    REQUIRE(clamped != alice);
    CHECK(x25519_public(clamped) == alice_pub);
}

TEST_CASE("crypto: X25519 refuses zero and small-order peer keys") {
    const auto alice = hexa<32>("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const char* const weak[] = {
        "0000000000000000000000000000000000000000000000000000000000000000", // all zero
        "0100000000000000000000000000000000000000000000000000000000000000", // u = 1
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", // order 8
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // u = p-1
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // u = p (= 0)
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // u = p+1 (= 1)
        "0100000000000000000000000000000000000000000000000000000000000080", // u = 1, bit 255 set
    };
    for (const char* hex : weak) {
        INFO(hex);
        auto r = x25519_agree(alice, hexa<32>(hex));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == Exit::rejected);
        CHECK(r.error().reason == "weak key");
    }
}

// ---- HKDF ---------------------------------------------------------------------------------

TEST_CASE("crypto: HKDF-SHA256 RFC 5869 test case 1") {
    const Bytes ikm(22, 0x0b);
    const Bytes salt = hexb("000102030405060708090a0b0c");
    const Bytes info = hexb("f0f1f2f3f4f5f6f7f8f9");
    CHECK(to_hex(hkdf_sha256(ikm, salt, info, 42)) ==
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    CHECK(hkdf_sha256(ikm, salt, info, 0).empty());
    CHECK(hkdf_sha256(ikm, salt, info, 255 * 32).size() == 255 * 32);
    CHECK_THROWS_AS(hkdf_sha256(ikm, salt, info, 255 * 32 + 1), std::invalid_argument);
}

TEST_CASE("crypto: HKDF-SHA256 RFC 5869 test case 3 (empty salt and info)") {
    CHECK(to_hex(hkdf_sha256(Bytes(22, 0x0b), {}, {}, 42)) ==
          "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

// ---- XChaCha20-Poly1305 -------------------------------------------------------------------

TEST_CASE("crypto: XChaCha20-Poly1305 draft-irtf-cfrg-xchacha-03 A.3.1") {
    const auto key = hexa<32>("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    const auto nonce = hexa<24>("404142434445464748494a4b4c4d4e4f5051525354555657");
    const Bytes aad = hexb("50515253c0c1c2c3c4c5c6c7");
    const Bytes pt =
        str("Ladies and Gentlemen of the class of '99: If I could offer you only one "
            "tip for the future, sunscreen would be it.");
    const Bytes sealed = aead_seal(key, nonce, aad, pt);
    CHECK(to_hex(sealed) ==
          "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
          "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
          "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
          "21f9664c97637da9768812f615c68b13b52e"
          "c0875924c1c7987947deafd8780acf49");
    auto opened = aead_open(key, nonce, aad, sealed);
    REQUIRE(opened.ok());
    CHECK(opened.value() == pt);
}

TEST_CASE("crypto: XChaCha20-Poly1305 round trip and tamper rejection") {
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 24> nonce{};
    random_bytes(key.data(), key.size());
    random_bytes(nonce.data(), nonce.size());
    const Bytes aad = str("setm key file v1");
    const Bytes pt = str("the secret seed goes here, 32 bytes or so");
    const Bytes sealed = aead_seal(key, nonce, aad, pt);
    REQUIRE(sealed.size() == pt.size() + 16);
    auto opened = aead_open(key, nonce, aad, sealed);
    REQUIRE(opened.ok());
    CHECK(opened.value() == pt);

    auto refused = [](const Result<Bytes>& r) {
        return !r.ok() && r.error().code == Exit::rejected &&
               r.error().reason == "decryption failed";
    };
    Bytes ct_flip = sealed;
    ct_flip[3] ^= 0x10;
    CHECK(refused(aead_open(key, nonce, aad, ct_flip)));
    Bytes tag_flip = sealed;
    tag_flip.back() ^= 0x01;
    CHECK(refused(aead_open(key, nonce, aad, tag_flip)));
    Bytes aad_flip = aad;
    aad_flip[0] ^= 0x01;
    CHECK(refused(aead_open(key, nonce, aad_flip, sealed)));
    auto wrong_key = key;
    wrong_key[31] ^= 0x80;
    CHECK(refused(aead_open(wrong_key, nonce, aad, sealed)));
    auto wrong_nonce = nonce;
    wrong_nonce[23] ^= 0x01;
    CHECK(refused(aead_open(key, wrong_nonce, aad, sealed)));
    CHECK(refused(aead_open(key, nonce, aad, Bytes(sealed.begin(), sealed.end() - 1))));
    CHECK(refused(aead_open(key, nonce, aad, Bytes(15, 0))));
    CHECK(refused(aead_open(key, nonce, aad, Bytes{})));

    // Empty plaintext and empty aad: just a tag, still authenticated.
    const Bytes tag_only = aead_seal(key, nonce, {}, {});
    REQUIRE(tag_only.size() == 16);
    auto empty = aead_open(key, nonce, {}, tag_only);
    REQUIRE(empty.ok());
    CHECK(empty.value().empty());
    CHECK(refused(aead_open(key, nonce, aad, tag_only)));
}

// ---- scrypt -------------------------------------------------------------------------------

TEST_CASE("crypto: scrypt RFC 7914 vector (first 32 bytes)") {
    // scrypt("pleaseletmein", "SodiumChloride", N=16384, r=8, p=1, dkLen=64); the
    // final PBKDF2 step makes the first 32 bytes independent of dkLen.
    auto k = scrypt_key("pleaseletmein", str("SodiumChloride"), 14, 8, 1);
    REQUIRE(k.ok());
    CHECK(to_hex(k.value()) == "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2");
}

TEST_CASE("crypto: scrypt refuses parameters out of bounds") {
    struct P {
        unsigned log2n, r, p;
    };
    for (const P& q :
         {P{9, 8, 1}, P{21, 8, 1}, P{14, 0, 1}, P{14, 17, 1}, P{14, 8, 0}, P{14, 8, 5}, P{0, 0, 0},
          P{64, 8, 1}, P{4000000000u, 8, 1}, P{16, 1, 1}}) { // RFC 7914: N < 2^(16 r)
        INFO("log2n=" << q.log2n << " r=" << q.r << " p=" << q.p);
        auto k = scrypt_key("pw", str("salt"), q.log2n, q.r, q.p);
        REQUIRE_FALSE(k.ok());
        CHECK(k.error().code == Exit::key_file);
        CHECK(k.error().reason == "bad scrypt parameters");
    }
    // The smallest allowed setting works, including r = 1 with log2n = 15.
    CHECK(scrypt_key("pw", str("salt"), 10, 1, 1).ok());
    CHECK(scrypt_key("", {}, 10, 1, 4).ok());
    CHECK(scrypt_key("pw", str("salt"), 15, 1, 1).ok());
}
