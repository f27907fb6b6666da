#include "keyfile.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "crypto.hpp"
#include "json.hpp"

namespace setm {

namespace {

constexpr const char* kFileType = "setm-secret-key";
constexpr std::size_t kMaxKeyFile = 64 * 1024;

Error key_error(const std::string& reason, const std::string& path, const std::string& why) {
    return make_error(Exit::key_file, reason, path + ": " + why);
}

// Additional data for the AEAD: everything public in the file.
Bytes key_aad(const std::string& name, const PublicKey& ed, const PublicKey& x) {
    const std::string tag = "setm/secret-key/v1";
    Bytes aad(tag.begin(), tag.end());
    aad.push_back(0);
    aad.insert(aad.end(), name.begin(), name.end());
    aad.push_back(0);
    aad.insert(aad.end(), ed.begin(), ed.end());
    aad.insert(aad.end(), x.begin(), x.end());
    return aad;
}

std::string render(const SecretKey& key, const std::optional<std::string>& pass, ScryptCost cost,
                   Result<std::array<std::uint8_t, 32>>* kdf_error) {
    JsonOut o;
    o.begin_object();
    o.field("type", kFileType).field("version", 1).field("name", key.name);
    o.field("ed25519", to_hex(key.ed25519)).field("x25519", to_hex(key.x25519));
    if (!pass) {
        o.field("kdf", "none").field("secret", to_hex(key.seed));
    } else {
        Bytes salt(16);
        random_bytes(salt.data(), salt.size());
        std::array<std::uint8_t, 24> nonce{};
        random_bytes(nonce.data(), nonce.size());
        auto k = scrypt_key(*pass, salt, cost.log2n, cost.r, cost.p);
        if (!k) {
            *kdf_error = k;
            return {};
        }
        const Bytes sealed = aead_seal(k.value(), nonce, key_aad(key.name, key.ed25519, key.x25519),
                                       Bytes(key.seed.begin(), key.seed.end()));
        o.field("kdf", "scrypt").field("log2n", cost.log2n).field("r", cost.r).field("p", cost.p);
        o.field("salt", to_hex(salt)).field("nonce", to_hex(nonce)).field("secret", to_hex(sealed));
    }
    o.end_object();
    return o.str() + "\n";
}

// What a secret file is called in messages: "key" or "passphrase".
struct SecretFileKind {
    const char* noun;
};
constexpr SecretFileKind kKey{"key"};
constexpr SecretFileKind kPassphrase{"passphrase"};

// Like OpenSSH with a private key: a secret file must be ours (owned by the
// effective user) and closed to group and others, or it is not used.
Status check_private(const struct stat& st, const std::string& path, SecretFileKind kind) {
    const std::string what = std::string(kind.noun) + " file";
    if (st.st_uid != ::geteuid())
        return key_error(what + " not ours", path,
                         "owned by uid " + std::to_string(st.st_uid) + ", not by uid " +
                             std::to_string(::geteuid()) + " who runs this")
            .with_hint("use a " + what + " of your own, or: chown " + std::to_string(::geteuid()) +
                       " " + path + " && chmod 600 " + path);
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return key_error(what + " too open", path,
                         std::string("mode ") + mode + " lets group or others access it")
            .with_hint("chmod 600 " + path);
    }
    return ok_status();
}

// Reads a key or passphrase file of at most 64 KiB, after check_private.
Result<std::string> read_small_file(const std::string& path, SecretFileKind kind) {
    const std::string cannot = std::string("cannot read ") + kind.noun;
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
    // writer, forever, before the "not a regular file" check below.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return key_error(cannot, path, std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        return key_error(cannot, path, std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return key_error(cannot, path, "not a regular file");
    }
    if (Status mine = check_private(st, path, kind); !mine) {
        ::close(fd);
        return mine.error();
    }
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            return key_error(cannot, path, std::strerror(e));
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > kMaxKeyFile) {
            ::close(fd);
            return key_error(std::string("bad ") + kind.noun + " file", path, "larger than 64 KiB");
        }
    }
    ::close(fd);
    return text;
}

Result<Seed> open_seed(ObjectReader& in, const std::string& kdf, const std::string& path,
                       const std::string& name, const PublicKey& ed, const PublicKey& x,
                       const std::optional<std::string>& pass) {
    SETM_TRY(Bytes secret, in.hex("secret"));
    if (kdf == "none") {
        if (secret.size() != 32) return key_error("bad key file", path, "secret must be 32 bytes");
        Seed s{};
        std::memcpy(s.data(), secret.data(), 32);
        return s;
    }
    if (kdf != "scrypt") return key_error("bad key file", path, "unknown kdf \"" + kdf + "\"");
    SETM_TRY(std::uint32_t log2n, in.u32("log2n"));
    SETM_TRY(std::uint32_t r, in.u32("r"));
    SETM_TRY(std::uint32_t p, in.u32("p"));
    SETM_TRY(Bytes salt, in.hex("salt"));
    SETM_TRY(auto nonce, in.hex_fixed<24>("nonce"));
    if (!pass)
        return key_error("key is encrypted", path, "no passphrase given")
            .with_hint("give --passphrase-file FILE or set SETM_PASSPHRASE");
    auto k = scrypt_key(*pass, salt, log2n, r, p);
    if (!k) return key_error("bad key file", path, k.error().detail);
    auto plain = aead_open(k.value(), nonce, key_aad(name, ed, x), secret);
    if (!plain || plain->size() != 32)
        return key_error("cannot decrypt key", path, "wrong passphrase or damaged file");
    Seed s{};
    std::memcpy(s.data(), plain->data(), 32);
    std::fill(plain->begin(), plain->end(), 0);
    return s;
}

Result<SecretKey> parse_key_file(const std::string& text, const std::string& path,
                                 const std::optional<std::string>& pass) {
    std::string body = text;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    auto doc = parse_json_object(body);
    if (!doc) return key_error("bad key file", path, doc.error().message());
    ObjectReader in(doc.value());
    auto fail = [&](const Error& e) { return key_error("bad key file", path, e.message()); };
    auto type = in.str("type");
    if (!type) return fail(type.error());
    if (type.value() != kFileType) return key_error("bad key file", path, "not a setm secret key");
    auto version = in.u32("version");
    if (!version) return fail(version.error());
    if (version.value() != 1)
        return key_error(
            "bad key file", path,
            "key file version " + std::to_string(version.value()) + " (this setm reads 1)");
    auto name = in.str("name");
    auto ed = in.hex_fixed<32>("ed25519");
    auto x = in.hex_fixed<32>("x25519");
    auto kdf = in.str("kdf");
    if (!name) return fail(name.error());
    if (!ed) return fail(ed.error());
    if (!x) return fail(x.error());
    if (!kdf) return fail(kdf.error());
    auto seed = open_seed(in, kdf.value(), path, name.value(), ed.value(), x.value(), pass);
    if (!seed) return seed.error().code == Exit::key_file ? seed.error() : fail(seed.error());
    if (auto st = in.finish(); !st) return fail(st.error());
    SecretKey key = key_from_seed(seed.value(), name.value());
    if (key.ed25519 != ed.value() || key.x25519 != x.value())
        return key_error("bad key file", path, "public keys do not match the secret key");
    return key;
}

} // namespace

SecretKey::~SecretKey() {
    volatile std::uint8_t* p = seed.data();
    for (std::size_t i = 0; i < seed.size(); ++i) p[i] = 0;
}

std::array<std::uint8_t, 32> SecretKey::x25519_private() const {
    static const std::string info = "setm/x25519/v1";
    const Bytes k =
        hkdf_sha256(Bytes(seed.begin(), seed.end()), {}, Bytes(info.begin(), info.end()), 32);
    std::array<std::uint8_t, 32> out{};
    std::memcpy(out.data(), k.data(), 32);
    return out;
}

SecretKey key_from_seed(const Seed& seed, const std::string& name) {
    SecretKey k;
    k.seed = seed;
    k.name = name;
    k.ed25519 = ed25519_public(seed);
    k.x25519 = x25519_public(k.x25519_private());
    return k;
}

SecretKey generate_key(const std::string& name) {
    Seed s{};
    random_bytes(s.data(), s.size());
    return key_from_seed(s, name);
}

Status write_key_file(const std::string& path, const SecretKey& key,
                      const std::optional<std::string>& passphrase, ScryptCost cost) {
    Result<std::array<std::uint8_t, 32>> kdf_error = std::array<std::uint8_t, 32>{};
    const std::string text = render(key, passphrase, cost, &kdf_error);
    if (!kdf_error) return key_error("cannot write key", path, kdf_error.error().detail);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int e = errno;
        Error err = key_error("cannot write key", path, std::strerror(e));
        if (e == EEXIST) err.with_hint("setm-keygen never overwrites a key; choose another --out");
        return err;
    }
    // The umask cannot widen 0600, but a umask of 0777 would narrow it: set it exactly.
    bool ok = ::fchmod(fd, 0600) == 0;
    std::size_t done = 0;
    while (ok && done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            ok = false;
        else
            done += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    const int e = errno;
    ok = (::close(fd) == 0) && ok;
    if (!ok) {
        ::unlink(path.c_str());
        return key_error("cannot write key", path, std::strerror(e));
    }
    return ok_status();
}

Result<SecretKey> read_key_file(const std::string& path,
                                const std::optional<std::string>& passphrase) {
    SETM_TRY(std::string text, read_small_file(path, kKey));
    return parse_key_file(text, path, passphrase);
}

Result<std::optional<std::string>> load_passphrase(const std::optional<std::string>& file,
                                                   const char* env_value) {
    std::string pass;
    if (file) {
        SETM_TRY(std::string text, read_small_file(*file, kPassphrase));
        pass = text.substr(0, text.find('\n'));
        std::fill(text.begin(), text.end(), '\0');
        if (!pass.empty() && pass.back() == '\r') pass.pop_back();
    } else if (env_value) {
        pass = env_value;
    } else {
        return std::optional<std::string>{};
    }
    if (pass.empty())
        return make_error(Exit::key_file, "empty passphrase",
                          file ? *file : std::string("SETM_PASSPHRASE"));
    return std::optional<std::string>(std::move(pass));
}

Signed<Identity> identity_of(const SecretKey& key) {
    Identity id{key.name, key.ed25519, key.x25519};
    return sign_record(id, kNoChain, key.seed);
}

} // namespace setm
