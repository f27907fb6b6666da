// The NATS C client loaded on first use (common/nats_client): the library
// the headers name opens and every function resolves; a missing library,
// or one that is not the client, is Exit::unavailable with a hint naming
// the package. (That no tool links it: build: no tool links libnats; the
// tools without it installed: fault: no libnats installed.)
#include <catch2/catch.hpp>

#include <string>

#include "nats_client.hpp"
#include "replica.hpp"

using namespace setm;

TEST_CASE("nats client: the soname and package follow the headers' version", "[replica]") {
    const std::string v =
        std::to_string(NATS_VERSION_MAJOR) + "." + std::to_string(NATS_VERSION_MINOR);
    CHECK(std::string(nats::soname()) == "libnats.so." + v);
    CHECK(std::string(nats::package()) == "libnats" + v);
}

TEST_CASE("nats client: the installed library opens and every function resolves", "[replica]") {
    auto lib = nats::Library::open();
    REQUIRE(lib);
    const nats::Api& a = lib.value()->api();
#define SETM_CHECK_RESOLVED(f) CHECK(a.f != nullptr);
    SETM_NATS_FUNCTIONS(SETM_CHECK_RESOLVED)
#undef SETM_CHECK_RESOLVED
    // The library's own functions, not look-alikes: a status text, options
    // (whose creation starts the client, as connecting does: natsMsg_Destroy
    // needs it started), a message built and read back through it.
    CHECK(std::string(a.natsStatus_GetText(NATS_TIMEOUT)) == "Timeout");
    natsOptions* opts = nullptr;
    REQUIRE(a.natsOptions_Create(&opts) == NATS_OK);
    const char* servers[] = {"nats://127.0.0.1:9"};
    CHECK(a.natsOptions_SetServers(opts, servers, 1) == NATS_OK);
    a.natsOptions_Destroy(opts);
    natsMsg* m = nullptr;
    REQUIRE(a.natsMsg_Create(&m, "setm.test", nullptr, "abc", 3) == NATS_OK);
    CHECK(a.natsMsg_GetDataLength(m) == 3);
    CHECK(std::string(a.natsMsg_GetData(m), 3) == "abc");
    a.natsMsg_Destroy(m);
    // A second handle on the same library, while the first lives.
    auto again = nats::Library::open();
    REQUIRE(again);
    CHECK(again.value()->api().natsMsg_Create == a.natsMsg_Create);
}

TEST_CASE("nats client: a missing library is unavailable, with the package named", "[replica]") {
    auto lib = nats::Library::open("libsetm-no-such-nats.so.0");
    REQUIRE(!lib);
    CHECK(lib.error().code == Exit::unavailable);
    CHECK(static_cast<int>(lib.error().code) == 69);
    CHECK(lib.error().reason == "NATS client library missing");
    CHECK(lib.error().detail.find("libsetm-no-such-nats.so.0") != std::string::npos);
    CHECK(lib.error().hint ==
          std::string("--nats needs the NATS C client: apt-get install ") + nats::package());
}

TEST_CASE("nats client: a library without the client's functions is refused", "[replica]") {
    auto lib = nats::Library::open("libc.so.6");
    REQUIRE(!lib);
    CHECK(lib.error().code == Exit::unavailable);
    CHECK(lib.error().detail.find("it lacks nats_CloseAndWait, ") != std::string::npos);
    CHECK(lib.error().detail.find("js_SubscribeSync") != std::string::npos);
}

TEST_CASE("nats client: a link to no server still reports the network, not the library",
          "[replica]") {
    replica::Options o;
    o.urls = "nats://127.0.0.1:9";
    o.timeout_ms = 300;
    auto link = replica::Link::connect(o);
    REQUIRE(!link);
    CHECK(link.error().code == Exit::busy);
    CHECK(link.error().reason == "network unavailable");
}
