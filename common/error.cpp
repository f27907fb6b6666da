#include "error.hpp"

namespace setm {

const char* exit_name(Exit e) {
    switch (e) {
    case Exit::ok: return "ok";
    case Exit::usage: return "usage";
    case Exit::bad_input: return "bad input";
    case Exit::key_file: return "key file";
    case Exit::rejected: return "rejected";
    case Exit::verify_failed: return "verification failed";
    case Exit::unavailable: return "unavailable";
    case Exit::internal: return "internal";
    case Exit::io: return "i/o";
    case Exit::busy: return "busy";
    }
    return "unknown";
}

std::string Error::message() const {
    std::string m = reason;
    if (!detail.empty()) m += ": " + detail;
    if (line) m += " (line " + std::to_string(*line) + ")";
    return m;
}

} // namespace setm
