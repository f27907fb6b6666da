// nats_flags.hpp - --nats and --timeout, the options of every tool that
// reads or writes a store (replication: common/replica.hpp).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "replica.hpp"

namespace setm::tool {

struct NatsFlags {
    std::string urls;      // --nats, or $SETM_NATS
    unsigned timeout = 20; // seconds
    bool on() const { return !urls.empty(); }
    replica::Options options() const {
        replica::Options o;
        o.urls = urls;
        o.timeout_ms = static_cast<std::int64_t>(timeout) * 1000;
        return o;
    }
};

inline void nats_flags(CLI::App* app, NatsFlags& f) {
    app->add_option("--nats", f.urls,
                    "The NATS JetStream servers of the chain's network; the store is brought up "
                    "to the network's tip first (default: $SETM_NATS)")
        ->envname("SETM_NATS")
        ->option_text("URL[,URL...]");
    app->add_option("--timeout", f.timeout,
                    "With --nats: give up on an unavailable network after SECONDS (default 20)")
        ->check(CLI::Range(1u, 3600u))
        ->option_text("SECONDS");
}

} // namespace setm::tool
