#include "proxy/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace faultline::proxy {

namespace {

Error at(const std::string& path, const toml::source_region& where, const std::string& message) {
    return make_error(ErrorCode::invalid_argument, fmt::format("{}:{}: {}", path, where.begin.line, message));
}

Result<Address> address_field(const std::string& path, const toml::table& table, const std::string& key,
                              const std::string& what) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return at(path, table.source(), fmt::format("{}: '{}' is missing (HOST:PORT)", what, key));
    const auto text = node->value<std::string>();
    if (!text) return at(path, node->source(), fmt::format("{}: '{}' must be a string HOST:PORT", what, key));
    Result<Address> address = parse_address(*text);
    if (!address) return at(path, node->source(), fmt::format("{}: {}: {}", what, key, address.error().message));
    return address;
}

}  // namespace

Result<ProxyConfig> parse_proxy_config(const std::string& text, const std::string& path) {
    toml::table root;
    try {
        root = toml::parse(text, path);
    } catch (const toml::parse_error& error) {
        return make_error(ErrorCode::parse_error,
                          fmt::format("{}:{}: {}", path, error.source().begin.line, error.description()));
    }
    ProxyConfig config;
    for (const auto& [key, node] : root) {
        const std::string name(key.str());
        if (name == "seed") {
            const auto seed = node.value<std::int64_t>();
            if (!seed || *seed < 0) return at(path, node.source(), "seed must be a non-negative integer");
            config.seed = static_cast<std::uint64_t>(*seed);
        } else if (name == "control") {
            Result<Address> control = address_field(path, root, "control", "control");
            if (!control) return control.error();
            if (!is_loopback(*control)) {
                return at(path, node.source(),
                          fmt::format("control '{}' must be on loopback (127.0.0.1)", control->text()));
            }
            config.control = *control;
        } else if (name != "link") {
            return at(path, node.source(), fmt::format("unknown key '{}' (seed, control, [[link]])", name));
        }
    }
    const toml::node* links = root.get("link");
    if (links == nullptr) return make_error(ErrorCode::invalid_argument, fmt::format("{}:1: no [[link]] given", path));
    const toml::array* array = links->as_array();
    if (array == nullptr) return at(path, links->source(), "link must be an array of tables: write [[link]]");
    if (array->size() > kMaxLinks) return at(path, links->source(), fmt::format("at most {} links", kMaxLinks));
    std::set<std::string> names;
    for (const toml::node& element : *array) {
        const toml::table* table = element.as_table();
        if (table == nullptr) return at(path, element.source(), "each link must be a table: write [[link]]");
        for (const auto& [key, node] : *table) {
            const std::string_view field = key.str();
            if (field != "name" && field != "listen" && field != "upstream") {
                return at(path, node.source(),
                          fmt::format("unknown key '{}' in [[link]] (name, listen, upstream)", field));
            }
        }
        const auto name = (*table)["name"].value<std::string>();
        if (!name) return at(path, table->source(), "[[link]]: 'name' is missing or not a string");
        if (!valid_link_name(*name)) {
            return at(path, (*table)["name"].node()->source(),
                      fmt::format("link name '{}': use 1 to 64 of A-Z a-z 0-9 _ - .", *name));
        }
        const std::string what = fmt::format("link '{}'", *name);
        if (!names.insert(*name).second) return at(path, table->source(), fmt::format("two links named '{}'", *name));
        Result<Address> listen = address_field(path, *table, "listen", what);
        if (!listen) return listen.error();
        Result<Address> upstream = address_field(path, *table, "upstream", what);
        if (!upstream) return upstream.error();
        // Port 0 picks a free port to listen on, but there is no port 0 to connect to.
        if (upstream->port == 0) {
            return at(path, (*table)["upstream"].node()->source(),
                      fmt::format("{}: upstream '{}': the port must be 1..65535", what, upstream->text()));
        }
        // Found here, with its line, rather than as a bind failure once
        // the links before it are already listening.
        if (listen->port != 0) {
            for (std::size_t i = 0; i < config.links.size(); ++i) {
                const Address& taken = config.links[i].listen;
                if (taken.port == listen->port && taken.host == listen->host) {
                    return at(
                        path, (*table)["listen"].node()->source(),
                        fmt::format("{}: listen '{}' is link '{}''s too", what, listen->text(), config.links[i].name));
                }
            }
        }
        config.links.push_back(LinkSpec{.name = *name, .listen = *listen, .upstream = *upstream});
        config.link_lines.push_back(static_cast<int>(table->source().begin.line));
    }
    for (std::size_t i = 0; i < config.links.size(); ++i) {
        const Address& listen = config.links[i].listen;
        if (listen.port != 0 && listen.port == config.control.port && listen.host == config.control.host) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{}:{}: link '{}': listen '{}' is the control endpoint's too", path,
                                          config.link_lines[i], config.links[i].name, listen.text()));
        }
    }
    return config;
}

Result<ProxyConfig> load_proxy_config(const std::string& path) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{}: a folder, not a config file", path));
    }
    std::ifstream in(path);
    if (!in) return make_error(ErrorCode::not_found, fmt::format("{}: cannot read the file", path));
    std::stringstream text;
    text << in.rdbuf();
    return parse_proxy_config(text.str(), path);
}

}  // namespace faultline::proxy
