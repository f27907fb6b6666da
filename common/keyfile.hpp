// keyfile.hpp - a participant's secret key and its file.
//
// One 32-byte secret seed gives both keys: the Ed25519 signing key (RFC 8032
// secret key = seed) and the X25519 key of the paper's mutual key (HKDF of
// the seed). The file is one JSON line:
//   {"type":"setm-secret-key","version":1,"name":..,"ed25519":..,"x25519":..,
//    "kdf":"none","secret":"<seed hex>"}
// or, encrypted at rest, "kdf":"scrypt" with "log2n","r","p","salt","nonce"
// and "secret" = XChaCha20-Poly1305(seed) whose additional data binds the
// name and both public keys.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "bytes.hpp"
#include "error.hpp"
#include "records.hpp"

namespace setm {

using Seed = std::array<std::uint8_t, 32>;

struct SecretKey {
    Seed seed{};
    std::string name;
    PublicKey ed25519{};
    PublicKey x25519{};
    std::array<std::uint8_t, 32> x25519_private() const;
    ParticipantId id() const { return participant_id(ed25519); }
    ~SecretKey(); // wipes the seed
};

SecretKey key_from_seed(const Seed& seed, const std::string& name);
SecretKey generate_key(const std::string& name);

struct ScryptCost {
    unsigned log2n = 15, r = 8, p = 1;
};

// Creates PATH with mode 0600 (whatever the umask), O_EXCL|O_NOFOLLOW: never
// overwrites, never follows a symlink. Exit::key_file on failure, and a
// partly written file is removed.
Status write_key_file(const std::string& path, const SecretKey& key,
                      const std::optional<std::string>& passphrase, ScryptCost cost = {});

// Reads and checks a key file: like OpenSSH, it must be owned by the
// effective user ("key file not ours") and closed to group and others
// ("key file too open"), each with a hint; the public keys must match the
// secret, the passphrase must open it. Exit::key_file for every failure.
Result<SecretKey> read_key_file(const std::string& path,
                                const std::optional<std::string>& passphrase);

// The passphrase from --passphrase-file FILE (first line, without the line
// end; the file must be ours and closed to group and others, as a key file),
// else env_value (the tool passes getenv("SETM_PASSPHRASE")), else none.
// An empty passphrase is refused.
Result<std::optional<std::string>> load_passphrase(const std::optional<std::string>& file,
                                                   const char* env_value);

// The public identity of a key, self-signed (proof of possession).
Signed<Identity> identity_of(const SecretKey& key);

} // namespace setm
