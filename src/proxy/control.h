// The proxy's control interface: a small HTTP/1.1 endpoint on loopback that
// Proxy::serve_control starts, shaped like Toxiproxy's so curl is enough
// (docs/proxy.md has the examples):
//   GET    /links                 every link, its faults and counters
//   GET    /links/NAME            one link
//   POST   /links/NAME/faults     replace its faults with the JSON body
//   DELETE /links/NAME/faults     lift every fault
//   POST   /links/NAME/cut        close its open connections (FIN)
//   POST   /links/NAME/reset      reset its open connections (RST)
// Replies are JSON: the link, a count, or {"error": "..."} with 400 (bad
// request), 404 (no such link or route) or 405 (wrong method).
//
// Bounds: a request's head is at most kMaxRequestHead bytes, its body at most
// kMaxRequestBody; a request not complete within kRequestTimeout is dropped;
// one request per connection (the reply closes it).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "proxy/proxy.h"

namespace faultline::proxy {

inline constexpr std::size_t kMaxRequestHead = 8 * 1024;
inline constexpr std::size_t kMaxRequestBody = 64 * 1024;
inline constexpr std::chrono::seconds kRequestTimeout{5};

// The faults a JSON body sets: {"refuse": bool, "upstream": D, "downstream": D}
// or {"refuse": bool, "both": D}, where D is {"blackhole": bool, "latency_us":
// N, "jitter_us": N, "bandwidth": N}. A missing field is off (0, false). An
// unknown field, a wrong type or a value out of its range is an error that names it.
Result<LinkFaults> faults_from_json(const nlohmann::json& body);
nlohmann::json to_json(const DirectionFaults& faults);
nlohmann::json to_json(const LinkFaults& faults);
nlohmann::json to_json(const LinkInfo& info);

struct Reply {
    int status = 200;
    nlohmann::json body;
};
// Answers one request (the routes above) against `proxy`.
Reply handle_request(Proxy& proxy, const std::string& method, const std::string& target, const std::string& body);

}  // namespace faultline::proxy
