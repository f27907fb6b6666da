#include "nats_client.hpp"

#include <dlfcn.h>

#include <mutex>

namespace setm::nats {

namespace {

#define SETM_STRING(x) #x
#define SETM_NATS_NAME(major, minor) "libnats.so." SETM_STRING(major) "." SETM_STRING(minor)
#define SETM_NATS_PACKAGE(major, minor) "libnats" SETM_STRING(major) "." SETM_STRING(minor)

// The C client keeps its threads and buffers for the whole process, not
// per handle: the Libraries alive are counted, so that only the last one
// closes them. (The one piece of process-wide state here, because libnats
// has it.)
std::mutex users_mutex;
int users = 0;

Error missing(const std::string& detail) {
    return make_error(Exit::unavailable, "NATS client library missing", detail)
        .with_hint(std::string("--nats needs the NATS C client: apt-get install ") + package());
}

} // namespace

const char* soname() { return SETM_NATS_NAME(NATS_VERSION_MAJOR, NATS_VERSION_MINOR); }

const char* package() { return SETM_NATS_PACKAGE(NATS_VERSION_MAJOR, NATS_VERSION_MINOR); }

Result<std::unique_ptr<Library>> Library::open(const std::string& file) {
    std::unique_ptr<Library> lib(new Library());
    // RTLD_NODELETE: once loaded, libnats (and OpenSSL under it) stays
    // mapped until the process ends, as a linked library would; its
    // destructors and OpenSSL's exit handlers never point into unmapped
    // code, and a second link finds the client as the first left it.
    lib->handle_ = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (lib->handle_ == nullptr) {
        const char* why = dlerror();
        return missing(why != nullptr ? why : file + ": cannot be loaded");
    }
    Api& a = lib->api_;
    std::string absent;
#define SETM_NATS_RESOLVE(f)                                                    \
    a.f = reinterpret_cast<decltype(a.f)>(dlsym(lib->handle_, SETM_STRING(f))); \
    if (a.f == nullptr) absent += std::string(absent.empty() ? "" : ", ") + SETM_STRING(f);
    SETM_NATS_FUNCTIONS(SETM_NATS_RESOLVE)
#undef SETM_NATS_RESOLVE
    if (!absent.empty())
        return missing(file + " is not a usable NATS C client " + NATS_VERSION_STRING +
                       ": it lacks " + absent);
    std::lock_guard<std::mutex> lock(users_mutex);
    ++users;
    lib->counted_ = true;
    return lib;
}

Library::~Library() {
    if (handle_ == nullptr) return;
    if (counted_) {
        std::lock_guard<std::mutex> lock(users_mutex);
        if (--users == 0) api_.nats_CloseAndWait(2000);
    }
    dlclose(handle_);
}

} // namespace setm::nats
