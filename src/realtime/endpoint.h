// Endpoints of real mode: the loopback addresses a node listens on and dials.
//
// Real mode never leaves the machine: an endpoint is an IPv4 loopback address
// (127.x.y.z) and a port, written "127.0.0.1:7001"; anything else is refused
// with a message that says so. A peer list is "n2=127.0.0.1:7002,n3=...": each
// address is what this node dials to reach that peer, so a harness can put a
// fault proxy in front of every directed link by handing out its ports.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace faultline::realtime {

struct Endpoint {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string text() const { return host + ":" + std::to_string(port); }
};

// "127.0.0.1:7001". Errors: no port, a port outside 1..65535, a host that is
// not an IPv4 loopback address.
Result<Endpoint> parse_endpoint(std::string_view text);

// "n2=127.0.0.1:7002,n3=127.0.0.1:7003": distinct names, each a node name
// (letters, digits, '-' and '_').
Result<std::map<std::string, Endpoint>> parse_peers(std::string_view text);

// Whether `name` can name a node: 1 to 32 letters, digits, '-' or '_'.
bool valid_node_name(std::string_view name);

}  // namespace faultline::realtime
