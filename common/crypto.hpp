// crypto.hpp - every cryptographic primitive setm uses, all from Crypto++.
//
//  - SHA-256 and SHA-256d (with a reusable midstate for proof of work)
//  - Ed25519 signatures with STRICT verification: exactly 64 bytes, S < L,
//    public key canonical and not of small order (Crypto++'s own verifier
//    accepts all three; see ../shared/notes/library-facts.md)
//  - X25519 key agreement, HKDF-SHA256, XChaCha20-Poly1305, scrypt
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "bytes.hpp"
#include "error.hpp"

namespace setm {

// ---- hashing ---------------------------------------------------------------
Hash32 sha256(const std::uint8_t* p, std::size_t n);
inline Hash32 sha256(const Bytes& b) { return sha256(b.data(), b.size()); }
Hash32 sha256d(const std::uint8_t* p, std::size_t n); // SHA-256(SHA-256(x))
inline Hash32 sha256d(const Bytes& b) { return sha256d(b.data(), b.size()); }

// SHA-256d of a message whose first 64 bytes are fixed: the first
// compression is done once and reused for every tail (mining).
class Sha256dMidstate {
public:
    explicit Sha256dMidstate(const std::uint8_t first64[64]);
    ~Sha256dMidstate();
    Sha256dMidstate(const Sha256dMidstate&);
    Sha256dMidstate& operator=(const Sha256dMidstate&) = delete;
    // SHA-256d(first64 || tail)
    Hash32 finish(const std::uint8_t* tail, std::size_t n) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// ---- randomness --------------------------------------------------------------
void random_bytes(std::uint8_t* p, std::size_t n); // OS RNG (AutoSeededRandomPool)

// ---- Ed25519 -----------------------------------------------------------------
// Public key derived from a 32-byte seed (RFC 8032 "secret key").
PublicKey ed25519_public(const std::array<std::uint8_t, 32>& seed);
Signature ed25519_sign(const std::array<std::uint8_t, 32>& seed, const std::uint8_t* msg,
                       std::size_t n);
inline Signature ed25519_sign(const std::array<std::uint8_t, 32>& seed, const Bytes& m) {
    return ed25519_sign(seed, m.data(), m.size());
}
// A signing key prepared once (its public key derived, its expanded secret
// kept) for many signatures: each sign() then costs one base-point
// multiplication instead of two. Signatures are ed25519_sign's, byte for
// byte. Not shared between threads: make one per thread.
class Ed25519Signer {
public:
    explicit Ed25519Signer(const std::array<std::uint8_t, 32>& seed);
    ~Ed25519Signer();
    Ed25519Signer(const Ed25519Signer&) = delete;
    Ed25519Signer& operator=(const Ed25519Signer&) = delete;
    Signature sign(const std::uint8_t* msg, std::size_t n) const;
    Signature sign(const Bytes& m) const { return sign(m.data(), m.size()); }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};
// True when the public key is canonically encoded (y < p) and not of small
// order (not one of the 8 torsion points, in any encoding).
bool ed25519_public_key_acceptable(const PublicKey& pub);
// Strict verification. sig_len must be 64; S < L; key acceptable.
bool ed25519_verify(const PublicKey& pub, const std::uint8_t* msg, std::size_t n,
                    const std::uint8_t* sig, std::size_t sig_len);
inline bool ed25519_verify(const PublicKey& pub, const Bytes& msg, const Signature& sig) {
    return ed25519_verify(pub, msg.data(), msg.size(), sig.data(), sig.size());
}

// ---- X25519 ------------------------------------------------------------------
// Clamped private key -> public key.
PublicKey x25519_public(const std::array<std::uint8_t, 32>& priv);
// Shared secret; error (Exit::rejected, "weak key") for an all-zero or
// small-order peer key.
Result<std::array<std::uint8_t, 32>> x25519_agree(const std::array<std::uint8_t, 32>& priv,
                                                  const PublicKey& peer);

// ---- KDFs and AEAD -----------------------------------------------------------
Bytes hkdf_sha256(const Bytes& ikm, const Bytes& salt, const Bytes& info, std::size_t len);

// Scrypt with bounded cost: log2N in [10, 20], r in [1, 16], p in [1, 4];
// anything else is Exit::key_file "bad scrypt parameters" without allocating.
Result<std::array<std::uint8_t, 32>> scrypt_key(std::string_view passphrase, const Bytes& salt,
                                                unsigned log2n, unsigned r, unsigned p);

// XChaCha20-Poly1305: key 32 bytes, nonce 24 bytes. seal returns
// ciphertext||tag (16 bytes); open returns error (Exit::rejected,
// "decryption failed") when the tag does not verify.
Bytes aead_seal(const std::array<std::uint8_t, 32>& key, const std::array<std::uint8_t, 24>& nonce,
                const Bytes& aad, const Bytes& plaintext);
Result<Bytes> aead_open(const std::array<std::uint8_t, 32>& key,
                        const std::array<std::uint8_t, 24>& nonce, const Bytes& aad,
                        const Bytes& sealed);

} // namespace setm
