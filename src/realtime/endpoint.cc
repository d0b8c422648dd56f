#include "realtime/endpoint.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>

namespace faultline::realtime {

Result<Endpoint> parse_endpoint(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return make_error(ErrorCode::invalid_argument, fmt::format("'{}' is not HOST:PORT", text));
    }
    const std::string host(text.substr(0, colon));
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || error != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("'{}': the port must be a whole number in [1, 65535]", text));
    }
    in_addr address{};
    if (::inet_pton(AF_INET, host.c_str(), &address) != 1 || (ntohl(address.s_addr) >> 24) != 127) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("'{}': real mode runs on loopback only, the host must be an IPv4 address "
                                      "127.x.y.z",
                                      text));
    }
    return Endpoint{.host = host, .port = static_cast<std::uint16_t>(port)};
}

bool valid_node_name(std::string_view name) {
    if (name.empty() || name.size() > 32) return false;
    for (const char c : name) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

Result<std::map<std::string, Endpoint>> parse_peers(std::string_view text) {
    std::map<std::string, Endpoint> peers;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string_view item = text.substr(start, comma - start);
        const auto equals = item.find('=');
        if (equals == std::string_view::npos) {
            return make_error(ErrorCode::invalid_argument, fmt::format("peer '{}' is not NAME=HOST:PORT", item));
        }
        const std::string name(item.substr(0, equals));
        if (!valid_node_name(name)) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("peer name '{}' must be 1 to 32 letters, digits, '-' or '_'", name));
        }
        auto endpoint = parse_endpoint(item.substr(equals + 1));
        if (!endpoint) return endpoint.error();
        if (!peers.emplace(name, *endpoint).second) {
            return make_error(ErrorCode::invalid_argument, fmt::format("peer '{}' is named twice", name));
        }
        start = comma + 1;
    }
    return peers;
}

}  // namespace faultline::realtime
