// crypto.cpp - thin, checked wrappers over Crypto++ 8.7.
//
// Crypto++ does the arithmetic; this file adds the checks Crypto++ leaves
// out (strict Ed25519 verification, clamping, all-zero X25519 output,
// bounded scrypt) and turns its bool/exception conventions into Result.
#include "crypto.hpp"

#include <new>
#include <stdexcept>

#include <cryptopp/chachapoly.h>
#include <cryptopp/cryptlib.h>
#include <cryptopp/hkdf.h>
#include <cryptopp/osrng.h>
#include <cryptopp/scrypt.h>
#include <cryptopp/secblock.h>
#include <cryptopp/sha.h>
#include <cryptopp/xed25519.h>

namespace setm {

namespace {

using CryptoPP::byte;

// ---- little-endian 256-bit helpers -------------------------------------------

// a < b for two 32-byte little-endian numbers. Not constant time: only ever
// applied to public data (signatures and public keys).
bool less_le32(const std::uint8_t* a, const std::uint8_t* b) {
    for (int i = 31; i >= 0; --i) {
        if (a[i] != b[i]) return a[i] < b[i];
    }
    return false;
}

// L = 2^252 + 27742317777372353535851937790883648493, the order of the
// Ed25519 base point, little-endian.
constexpr std::uint8_t kGroupOrderL[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

// p = 2^255 - 19, the field prime, little-endian.
constexpr std::uint8_t kFieldPrimeP[32] = {
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};

// The y coordinates (sign bit cleared) of the 8 points of small order on
// edwards25519, in every 255-bit encoding they have. Comparing with the
// sign bit masked off covers both x signs, including the non-canonical
// "x = 0, sign 1" encodings of y = 1 and y = p-1. Derived independently
// (multiply a curve point by L, take the 8 multiples) and checked against
// libsodium's list; the unit tests show Crypto++ accepts forgeries for them.
constexpr std::uint8_t kSmallOrderY[7][32] = {
    // y = 0: the two points of order 4, (+-sqrt(-1), 0)
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
    // y = 1: the identity (order 1)
    {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
    // two points of order 8
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
     0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
     0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    // the other two points of order 8 (y = p - the previous y)
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
     0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
     0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
    // y = p-1: (0, -1), order 2
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    // y = p: non-canonical encoding of y = 0
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    // y = p+1: non-canonical encoding of y = 1 (the identity)
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

// The encoded point with its sign bit (bit 255) cleared: the y coordinate.
std::array<std::uint8_t, 32> y_of(const std::uint8_t* point) {
    std::array<std::uint8_t, 32> y{};
    for (std::size_t i = 0; i < 32; ++i) y[i] = point[i];
    y[31] &= 0x7f;
    return y;
}

// Encoded y is a field element (y < p). Crypto++ reduces y mod p silently,
// so without this one key would have several encodings.
bool point_is_canonical(const std::uint8_t* point) {
    return less_le32(y_of(point).data(), kFieldPrimeP);
}

bool point_has_small_order(const std::uint8_t* point) {
    const auto y = y_of(point);
    for (const auto& bad : kSmallOrderY) {
        bool same = true;
        for (std::size_t i = 0; i < 32; ++i) same = same && y[i] == bad[i];
        if (same) return true;
    }
    return false;
}

// RFC 7748 section 5: clear the 3 low bits (cofactor), clear bit 255, set bit 254.
void clamp_x25519(byte* k) {
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
}

bool all_zero(const std::uint8_t* p, std::size_t n) {
    std::uint8_t acc = 0;
    for (std::size_t i = 0; i < n; ++i) acc |= p[i];
    return acc == 0;
}

// Crypto++ treats a null pointer as "no data" in some places and asserts
// in others; an empty vector's data() may be null. Hand it a valid address.
const byte* nonnull(const std::uint8_t* p) {
    static const byte empty = 0;
    return p != nullptr ? p : &empty;
}

} // namespace

// ---- hashing -------------------------------------------------------------------

Hash32 sha256(const std::uint8_t* p, std::size_t n) {
    Hash32 out{};
    CryptoPP::SHA256().CalculateDigest(out.data(), nonnull(p), n);
    return out;
}

Hash32 sha256d(const std::uint8_t* p, std::size_t n) {
    const Hash32 first = sha256(p, n);
    return sha256(first.data(), first.size());
}

// The SHA256 object after absorbing exactly one 64-byte block holds the
// midstate and an empty buffer; copying it is a fixed-size copy (its
// SecBlocks are inline), so finish() does no heap allocation.
struct Sha256dMidstate::Impl {
    CryptoPP::SHA256 base;
};

Sha256dMidstate::Sha256dMidstate(const std::uint8_t first64[64]) : impl_(std::make_unique<Impl>()) {
    impl_->base.Update(first64, 64);
}

Sha256dMidstate::~Sha256dMidstate() = default;

Sha256dMidstate::Sha256dMidstate(const Sha256dMidstate& other)
    : impl_(std::make_unique<Impl>(*other.impl_)) {}

Hash32 Sha256dMidstate::finish(const std::uint8_t* tail, std::size_t n) const {
    CryptoPP::SHA256 h = impl_->base; // copy: the midstate stays reusable
    Hash32 inner{};
    h.Update(nonnull(tail), n);
    h.Final(inner.data()); // Final also restarts h
    Hash32 out{};
    h.CalculateDigest(out.data(), inner.data(), inner.size());
    return out;
}

// ---- randomness ------------------------------------------------------------------

void random_bytes(std::uint8_t* p, std::size_t n) {
    // One pool per thread: AutoSeededRandomPool is not thread safe, and
    // seeding it once per thread (from /dev/urandom) keeps calls cheap.
    thread_local CryptoPP::AutoSeededRandomPool rng;
    if (n == 0) return;
    rng.GenerateBlock(p, n);
}

// ---- Ed25519 ---------------------------------------------------------------------

PublicKey ed25519_public(const std::array<std::uint8_t, 32>& seed) {
    const CryptoPP::ed25519Signer signer(seed.data());
    PublicKey pub{};
    // GetPrivateKey() is typed as the generic base; the object is the
    // signer's ed25519PrivateKey member, which keeps the 32 public bytes.
    const auto& key = static_cast<const CryptoPP::ed25519PrivateKey&>(signer.GetPrivateKey());
    const byte* y = key.GetPublicKeyBytePtr();
    for (std::size_t i = 0; i < pub.size(); ++i) pub[i] = y[i];
    return pub;
}

Signature ed25519_sign(const std::array<std::uint8_t, 32>& seed, const std::uint8_t* msg,
                       std::size_t n) {
    // Deterministic (RFC 8032): the RNG argument is unused.
    const CryptoPP::ed25519Signer signer(seed.data());
    Signature sig{};
    signer.SignMessage(CryptoPP::NullRNG(), nonnull(msg), n, sig.data());
    return sig;
}

struct Ed25519Signer::Impl {
    explicit Impl(const std::array<std::uint8_t, 32>& seed) : signer(seed.data()) {}
    CryptoPP::ed25519Signer signer;
};

Ed25519Signer::Ed25519Signer(const std::array<std::uint8_t, 32>& seed)
    : impl_(std::make_unique<Impl>(seed)) {}

Ed25519Signer::~Ed25519Signer() = default;

Signature Ed25519Signer::sign(const std::uint8_t* msg, std::size_t n) const {
    Signature sig{};
    impl_->signer.SignMessage(CryptoPP::NullRNG(), nonnull(msg), n, sig.data());
    return sig;
}

bool ed25519_public_key_acceptable(const PublicKey& pub) {
    return point_is_canonical(pub.data()) && !point_has_small_order(pub.data());
}

bool ed25519_verify(const PublicKey& pub, const std::uint8_t* msg, std::size_t n,
                    const std::uint8_t* sig, std::size_t sig_len) {
    // Crypto++ ignores bytes after the 64th: a signature is exactly 64 bytes.
    if (sig == nullptr || sig_len != 64) return false;
    // Crypto++ only checks S < 2^253, so S+L (same point, different bytes)
    // would verify too: signatures would be malleable.
    if (!less_le32(sig + 32, kGroupOrderL)) return false;
    // A small-order R lets a small-order key forge; refuse it like libsodium.
    // (A non-canonical R can never match: Crypto++ compares R bytewise with
    // the canonical encoding it computes.)
    if (point_has_small_order(sig)) return false;
    // Small-order keys verify signatures they never made; non-canonical keys
    // give one key several encodings.
    if (!ed25519_public_key_acceptable(pub)) return false;
    try {
        const CryptoPP::ed25519Verifier verifier(pub.data());
        return verifier.VerifyMessage(nonnull(msg), n, sig, sig_len);
    } catch (const CryptoPP::Exception&) {
        return false; // an undecodable key or point is simply "not valid"
    }
}

// ---- X25519 ------------------------------------------------------------------------

PublicKey x25519_public(const std::array<std::uint8_t, 32>& priv) {
    // Crypto++ 8.7 clamps internally too (checked: removing this line keeps
    // the RFC 7748 vectors passing), but the header promises clamping, so do
    // it here rather than depend on that. The SecBlock wipes the copy.
    CryptoPP::FixedSizeSecBlock<byte, 32> k;
    for (std::size_t i = 0; i < 32; ++i) k[i] = priv[i];
    clamp_x25519(k.begin());
    PublicKey pub{};
    CryptoPP::x25519().GeneratePublicKey(CryptoPP::NullRNG(), k.begin(), pub.data());
    return pub;
}

Result<std::array<std::uint8_t, 32>> x25519_agree(const std::array<std::uint8_t, 32>& priv,
                                                  const PublicKey& peer) {
    CryptoPP::FixedSizeSecBlock<byte, 32> k;
    for (std::size_t i = 0; i < 32; ++i) k[i] = priv[i];
    clamp_x25519(k.begin());
    std::array<std::uint8_t, 32> shared{};
    // Agree(..., validate = true) refuses Crypto++'s list of small-order
    // u-coordinates, but compares all 256 bits: u = 1 with bit 255 set slips
    // through (the ladder masks that bit). The all-zero check below is the
    // RFC 7748 section 6.1 test and catches every small-order input whatever
    // its encoding, because a clamped scalar is a multiple of the cofactor.
    const bool ok = CryptoPP::x25519().Agree(shared.data(), k.begin(), peer.data(), true);
    if (!ok || all_zero(shared.data(), shared.size()))
        return make_error(Exit::rejected, "weak key", "X25519 peer key is zero or of small order");
    return shared;
}

// ---- KDFs and AEAD --------------------------------------------------------------------

Bytes hkdf_sha256(const Bytes& ikm, const Bytes& salt, const Bytes& info, std::size_t len) {
    // RFC 5869 caps the output at 255 blocks. Callers pass constants, so a
    // larger len is a bug in setm, not bad input: throw rather than truncate.
    constexpr std::size_t max_len = 255 * CryptoPP::SHA256::DIGESTSIZE;
    if (len > max_len) throw std::invalid_argument("hkdf_sha256: output longer than 8160 bytes");
    Bytes out(len);
    if (len == 0) return out;
    // An empty salt is passed as a non-null empty key: HMAC pads keys with
    // zeros, so that equals RFC 5869's default salt of HashLen zero bytes.
    CryptoPP::HKDF<CryptoPP::SHA256>().DeriveKey(out.data(), out.size(), nonnull(ikm.data()),
                                                 ikm.size(), nonnull(salt.data()), salt.size(),
                                                 nonnull(info.data()), info.size());
    return out;
}

Result<std::array<std::uint8_t, 32>> scrypt_key(std::string_view passphrase, const Bytes& salt,
                                                unsigned log2n, unsigned r, unsigned p) {
    // Bounds are checked before anything is allocated: a key file chooses
    // these numbers, and N = 2^20, r = 16 already needs 2 GiB. RFC 7914 also
    // requires N < 2^(128 r / 8), i.e. log2n < 16 r, which only bites for r = 1
    // (Crypto++ would throw there).
    const bool in_bounds =
        log2n >= 10 && log2n <= 20 && r >= 1 && r <= 16 && p >= 1 && p <= 4 && log2n < 16 * r;
    if (!in_bounds)
        return make_error(Exit::key_file, "bad scrypt parameters",
                          "log2n=" + std::to_string(log2n) + " r=" + std::to_string(r) + " p=" +
                              std::to_string(p) + " (allowed: log2n 10..20, r 1..16, p 1..4)");
    std::array<std::uint8_t, 32> key{};
    try {
        const auto* pw = reinterpret_cast<const byte*>(passphrase.data());
        CryptoPP::Scrypt().DeriveKey(key.data(), key.size(), nonnull(pw), passphrase.size(),
                                     nonnull(salt.data()), salt.size(),
                                     CryptoPP::word64{1} << log2n, r, p);
    } catch (const std::bad_alloc&) {
        return make_error(Exit::internal, "out of memory",
                          "scrypt needs " + std::to_string((128ull * r) << log2n) + " bytes");
    } catch (const CryptoPP::Exception& e) {
        return make_error(Exit::internal, "scrypt failed", e.what());
    }
    return key;
}

Bytes aead_seal(const std::array<std::uint8_t, 32>& key, const std::array<std::uint8_t, 24>& nonce,
                const Bytes& aad, const Bytes& plaintext) {
    constexpr std::size_t tag_len = 16;
    Bytes out(plaintext.size() + tag_len);
    CryptoPP::XChaCha20Poly1305::Encryption enc;
    enc.SetKeyWithIV(key.data(), key.size(), nonce.data(), nonce.size());
    enc.EncryptAndAuthenticate(out.data(), out.data() + plaintext.size(), tag_len, nonce.data(),
                               static_cast<int>(nonce.size()), nonnull(aad.data()), aad.size(),
                               nonnull(plaintext.data()), plaintext.size());
    return out;
}

Result<Bytes> aead_open(const std::array<std::uint8_t, 32>& key,
                        const std::array<std::uint8_t, 24>& nonce, const Bytes& aad,
                        const Bytes& sealed) {
    constexpr std::size_t tag_len = 16;
    if (sealed.size() < tag_len)
        return make_error(Exit::rejected, "decryption failed", "sealed data shorter than the tag");
    const std::size_t ct_len = sealed.size() - tag_len;
    Bytes plain(ct_len);
    CryptoPP::XChaCha20Poly1305::Decryption dec;
    dec.SetKeyWithIV(key.data(), key.size(), nonce.data(), nonce.size());
    // Note the argument order: plaintext out, tag, iv, aad, ciphertext in.
    // An empty plaintext still needs a writable pointer.
    byte scratch = 0;
    const bool ok = dec.DecryptAndVerify(ct_len ? plain.data() : &scratch, sealed.data() + ct_len,
                                         tag_len, nonce.data(), static_cast<int>(nonce.size()),
                                         nonnull(aad.data()), aad.size(), sealed.data(), ct_len);
    if (!ok) {
        // Crypto++ has already written the unauthenticated plaintext: wipe it.
        CryptoPP::SecureWipeBuffer(plain.data(), plain.size());
        return make_error(Exit::rejected, "decryption failed",
                          "XChaCha20-Poly1305 tag does not verify");
    }
    return plain;
}

} // namespace setm
