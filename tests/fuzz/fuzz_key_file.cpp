// fuzz_key_file.cpp - the secret key file, plain ("kdf":"none") and
// passphrase-protected ("kdf":"scrypt"), read with the fixed passphrase
// "fuzz passphrase" (the seed corpus holds files encrypted with it) and with
// none. read_key_file() reads a path, so each input is written to one
// private scratch file (mode 0600) first.
//
// Scrypt costs: a key file may ask for up to 2 GiB and seconds of work
// (bounded in scrypt_key(), unit-tested there); inputs asking for more than
// 2^14 * 128 * r * p bytes are not opened here, so the fuzzer keeps its
// speed. Invariant: a key that opens has public keys that match its seed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "fuzz.hpp"
#include "json.hpp"
#include "keyfile.hpp"

namespace {

// One scratch file per process, removed at exit.
struct ScratchFile {
    std::string path;
    ScratchFile() {
        const char* dir = std::getenv("TMPDIR");
        std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/setm-fuzz-key-XXXXXX";
        const int fd = ::mkstemp(tmpl.data());
        if (fd < 0)
            setm::fuzz::invariant_failed("mkstemp for the scratch key file", __FILE__, __LINE__);
        ::close(fd);
        path = tmpl;
    }
    ~ScratchFile() { ::unlink(path.c_str()); }
    void write(const std::uint8_t* data, std::size_t size) const {
        const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        FUZZ_CHECK(fd >= 0);
        FUZZ_CHECK(::fchmod(fd, 0600) == 0);
        std::size_t done = 0;
        while (done < size) {
            const ssize_t n = ::write(fd, data + done, size - done);
            FUZZ_CHECK(n > 0);
            done += static_cast<std::size_t>(n);
        }
        ::close(fd);
    }
};

// Cheap scrypt parameters, or none at all (the parser then refuses or
// never reaches scrypt).
bool scrypt_cost_small(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    auto doc = setm::parse_json_object(text);
    if (!doc) return true;
    setm::ObjectReader in(doc.value());
    if (!in.has("log2n") || !in.has("r") || !in.has("p")) return true;
    auto log2n = in.u32("log2n");
    auto r = in.u32("r");
    auto p = in.u32("p");
    if (!log2n || !r || !p) return true;
    return log2n.value() <= 14 &&
           std::uint64_t{r.value()} * p.value() << log2n.value() <= (1u << 14);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const ScratchFile scratch;
    if (!scrypt_cost_small(setm::fuzz::as_text(data, size))) return 0;
    scratch.write(data, size);
    for (const auto& pass :
         {std::optional<std::string>("fuzz passphrase"), std::optional<std::string>()}) {
        auto key = setm::read_key_file(scratch.path, pass);
        if (!key) {
            FUZZ_CHECK(key.error().code == setm::Exit::key_file);
            continue;
        }
        const setm::SecretKey again = setm::key_from_seed(key->seed, key->name);
        FUZZ_CHECK(again.ed25519 == key->ed25519 && again.x25519 == key->x25519);
    }
    return 0;
}
