// nats_client.hpp - the NATS C client (libnats), loaded only when a tool
// is given --nats.
//
// Linked into the tools, libnats made every start of every tool pay the
// loader for it and for what it needs (OpenSSL's libssl and libcrypto,
// libprotobuf-c): thousands of relocations, 2.3-2.7x `true` for
// `--version` (issue 12, point 3). So the tools do not link it: a Library
// opens it with dlopen when a replica::Link connects, and resolves the
// functions common/replica.cpp calls into one table (Api). Its types and
// constants still come from <nats/nats.h> (libnats-dev, at build time);
// at run time only --nats needs the library (Debian: libnats3.4).
//
// A Library that cannot be opened, or that lacks one of the functions, is
// Exit::unavailable (69, EX_UNAVAILABLE) "NATS client library missing",
// with a hint naming the package to install.
#pragma once

#include <nats/nats.h>

#include <memory>
#include <string>

#include "error.hpp"

namespace setm::nats {

// Every function of the client that setm calls, in one list.
#define SETM_NATS_FUNCTIONS(X)           \
    X(nats_CloseAndWait)                 \
    X(nats_GetLastError)                 \
    X(natsStatus_GetText)                \
    X(natsOptions_Create)                \
    X(natsOptions_Destroy)               \
    X(natsOptions_SetServers)            \
    X(natsOptions_SetTimeout)            \
    X(natsOptions_SetMaxReconnect)       \
    X(natsOptions_SetReconnectWait)      \
    X(natsConnection_Connect)            \
    X(natsConnection_Destroy)            \
    X(natsConnection_GetMaxPayload)      \
    X(natsConnection_JetStream)          \
    X(natsMsg_Create)                    \
    X(natsMsg_Destroy)                   \
    X(natsMsg_GetData)                   \
    X(natsMsg_GetDataLength)             \
    X(natsMsg_GetMetaData)               \
    X(natsMsgHeader_Get)                 \
    X(natsMsgHeader_Set)                 \
    X(natsSubscription_NextMsg)          \
    X(natsSubscription_SetPendingLimits) \
    X(natsSubscription_Destroy)          \
    X(jsCtx_Destroy)                     \
    X(jsOptions_Init)                    \
    X(jsStreamConfig_Init)               \
    X(jsStreamInfo_Destroy)              \
    X(jsPubOptions_Init)                 \
    X(jsPubAck_Destroy)                  \
    X(jsSubOptions_Init)                 \
    X(jsMsgMetaData_Destroy)             \
    X(js_AddStream)                      \
    X(js_GetStreamInfo)                  \
    X(js_GetMsg)                         \
    X(js_PublishMsg)                     \
    X(js_SubscribeSync)

// The client's functions, resolved in the loaded library: api.js_GetMsg(...)
// is the library's js_GetMsg.
struct Api {
#define SETM_NATS_MEMBER(f) decltype(&::f) f = nullptr;
    SETM_NATS_FUNCTIONS(SETM_NATS_MEMBER)
#undef SETM_NATS_MEMBER
};

// The library's file name as the loader looks it up (its soname,
// "libnats.so.3.4" on Debian 12), and the Debian package that holds it.
const char* soname();
const char* package();

// The loaded client: the library stays open while a Library lives. The
// client's own threads and buffers are process-wide: the last Library to
// go closes them (nats_CloseAndWait), so that nothing outlives the last
// link; a later one starts them again.
class Library {
public:
    // Opens `file` (default: soname(), found as the loader finds any
    // library) and resolves every function of Api.
    static Result<std::unique_ptr<Library>> open(const std::string& file = soname());
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;

    const Api& api() const { return api_; }

private:
    Library() = default;
    void* handle_ = nullptr;
    bool counted_ = false; // among the users of the client's threads
    Api api_;
};

} // namespace setm::nats
