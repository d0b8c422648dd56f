// The configuration file of `faultline proxy --config FILE` (TOML):
//
//   seed = 1                       # optional: seeds the jitter draws (default 1)
//   control = "127.0.0.1:8474"     # optional: the HTTP control endpoint (loopback only)
//
//   [[link]]
//   name = "db"
//   listen = "127.0.0.1:15432"     # port 0 picks a free one (GET /links shows it)
//   upstream = "127.0.0.1:5432"
//
// Every error names the file and the line ("proxy.toml:7: link 'db': ...").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "proxy/proxy.h"

namespace faultline::proxy {

inline constexpr std::uint16_t kDefaultControlPort = 8474;

struct ProxyConfig {
    std::uint64_t seed = 1;
    Address control{.host = "127.0.0.1", .port = kDefaultControlPort};
    std::vector<LinkSpec> links;
    std::vector<int> link_lines;  // the line of each [[link]], for errors found later (a port in use)
};

Result<ProxyConfig> load_proxy_config(const std::string& path);
// The same from text; `path` only names it in errors.
Result<ProxyConfig> parse_proxy_config(const std::string& text, const std::string& path);

}  // namespace faultline::proxy
