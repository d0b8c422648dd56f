// The proxy's control interface and config file: the JSON a user sends is
// checked field by field, every route answers over real HTTP on loopback, and
// a bad config names its file and line.
#include "proxy/control.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "proxy/config.h"
#include "proxy/loopback.h"
#include "proxy/proxy.h"

namespace faultline::proxy {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::EchoServer;

TEST(FaultsJson, ReadsEveryFieldOfEachDirection) {
    const auto faults = faults_from_json(nlohmann::json::parse(
        R"({"refuse": true, "upstream": {"latency_us": 5, "jitter_us": 2}, "downstream": {"blackhole": true, "bandwidth": 100}})"));
    ASSERT_TRUE(faults) << faults.error().message;
    EXPECT_TRUE(faults->refuse);
    EXPECT_EQ(faults->upstream, (DirectionFaults{.latency_us = 5, .jitter_us = 2}));
    EXPECT_EQ(faults->downstream, (DirectionFaults{.blackhole = true, .bandwidth = 100}));
    const auto both = faults_from_json(nlohmann::json::parse(R"({"both": {"latency_us": 7}})"));
    ASSERT_TRUE(both);
    EXPECT_EQ(both->upstream.latency_us, 7u);
    EXPECT_EQ(both->downstream.latency_us, 7u);
    EXPECT_FALSE(both->refuse);
}

TEST(FaultsJson, RejectsWhatItDoesNotKnowAndWhatIsOutOfRange) {
    auto message = [](const char* text) {
        const auto faults = faults_from_json(nlohmann::json::parse(text));
        return faults ? std::string("accepted") : faults.error().message;
    };
    EXPECT_EQ(message(R"({"latency": 5})"),
              "unknown field 'latency' (refuse, blocked_sources, upstream, downstream, both)");
    EXPECT_EQ(message(R"({"upstream": {"delay": 5}})"),
              "upstream: unknown field 'delay' (blackhole, latency_us, jitter_us, bandwidth)");
    EXPECT_EQ(message(R"({"upstream": {"latency_us": -5}})"), "upstream.latency_us must be a non-negative integer");
    EXPECT_EQ(message(R"({"refuse": 1})"), "refuse must be true or false");
    EXPECT_EQ(message(R"({"both": {}, "upstream": {}})"),
              "give either both, or upstream and downstream, not all three");
    EXPECT_EQ(message(R"({"downstream": {"latency_us": 60000001}})"),
              "downstream latency_us 60000001 is out of range 0..60000000");
    EXPECT_EQ(message(R"([1])"), "the faults must be a JSON object");
}

// One HTTP request over a real socket; the reply's status and JSON body.
std::pair<int, nlohmann::json> http(std::uint16_t port, const std::string& method, const std::string& target,
                                    const std::string& body = "") {
    Client client(port);
    EXPECT_TRUE(client.connected());
    client.send(method + " " + target +
                " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    const std::string reply = client.receive(1 << 20);
    EXPECT_TRUE(client.ended());
    const auto space = reply.find(' ');
    const auto blank = reply.find("\r\n\r\n");
    if (space == std::string::npos || blank == std::string::npos) return {-1, nullptr};
    return {std::stoi(reply.substr(space + 1, 3)), nlohmann::json::parse(reply.substr(blank + 4), nullptr, false)};
}

TEST(ControlEndpoint, EveryRouteOverHttp) {
    EchoServer echo;
    Proxy proxy(1);
    proxy.start();
    ASSERT_TRUE(
        proxy.add_link(LinkSpec{.name = "db", .listen = {"127.0.0.1", 0}, .upstream = {"127.0.0.1", echo.port()}}));
    const Result<Address> control = proxy.serve_control({"127.0.0.1", 0});
    ASSERT_TRUE(control) << control.error().message;
    const std::uint16_t port = control->port;

    auto [status, links] = http(port, "GET", "/links");
    EXPECT_EQ(status, 200);
    ASSERT_EQ(links.size(), 1u);
    EXPECT_EQ(links[0]["name"], "db");
    EXPECT_EQ(links[0]["faults"]["refuse"], false);

    auto [set_status, link] = http(port, "POST", "/links/db/faults", R"({"upstream": {"latency_us": 1500}})");
    EXPECT_EQ(set_status, 200);
    EXPECT_EQ(link["faults"]["upstream"]["latency_us"], 1500);
    EXPECT_EQ(proxy.link("db")->faults.upstream.latency_us, 1500u);

    Client client(proxy.link("db")->listen.port);
    ASSERT_TRUE(client.connected());
    ASSERT_GE(testing::round_trip_us(client, "hi"), 1500);
    auto [cut_status, cut] = http(port, "POST", "/links/db/cut");
    EXPECT_EQ(cut_status, 200);
    EXPECT_EQ(cut["closed"], 1);
    EXPECT_EQ(http(port, "POST", "/links/db/reset").second["reset"], 0);

    auto [clear_status, cleared] = http(port, "DELETE", "/links/db/faults");
    EXPECT_EQ(clear_status, 200);
    EXPECT_EQ(cleared["faults"]["upstream"]["latency_us"], 0);
    EXPECT_EQ(proxy.link("db")->faults, LinkFaults{});

    EXPECT_EQ(http(port, "GET", "/links/nope").first, 404);
    EXPECT_EQ(http(port, "POST", "/links/nope/faults", "{}").first, 404);
    auto [bad_status, bad] = http(port, "POST", "/links/db/faults", R"({"latency": 1})");
    EXPECT_EQ(bad_status, 400);
    EXPECT_EQ(bad["error"], "unknown field 'latency' (refuse, blocked_sources, upstream, downstream, both)");
    EXPECT_EQ(http(port, "POST", "/links/db/faults", "not json").first, 400);
    EXPECT_EQ(http(port, "PUT", "/links").first, 405);
    EXPECT_EQ(http(port, "GET", "/other").first, 404);
}

TEST(ControlEndpoint, ListensOnLoopbackOnly) {
    Proxy proxy(1);
    const Result<Address> control = proxy.serve_control({"0.0.0.0", 0});
    ASSERT_FALSE(control);
    EXPECT_EQ(control.error().message, "the control endpoint 0.0.0.0:0 must be on loopback (127.0.0.1)");
}

TEST(ProxyConfigFile, ReadsLinksSeedAndControl) {
    const auto config = parse_proxy_config(R"(seed = 9
control = "127.0.0.1:9000"

[[link]]
name = "a"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:5432"

[[link]]
name = "b"
listen = "localhost:7001"
upstream = "127.0.0.1:7000"
)",
                                           "p.toml");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->seed, 9u);
    EXPECT_EQ(config->control.port, 9000);
    ASSERT_EQ(config->links.size(), 2u);
    EXPECT_EQ(config->links[1].name, "b");
    EXPECT_EQ(config->links[1].listen.port, 7001);
    EXPECT_EQ(config->links[0].upstream.port, 5432);
    EXPECT_EQ(config->link_lines, (std::vector<int>{4, 9}));
}

TEST(ProxyConfigFile, EveryErrorNamesFileAndLine) {
    auto message = [](const std::string& text) {
        const auto config = parse_proxy_config(text, "p.toml");
        return config ? std::string("accepted") : config.error().message;
    };
    EXPECT_EQ(message("[[link]]\nname = \"a\"\nlisten = \"127.0.0.1:1\"\n"),
              "p.toml:1: link 'a': 'upstream' is missing (HOST:PORT)");
    EXPECT_EQ(message("[[link]]\nname = \"a\"\nlisten = \"127.0.0.1\"\nupstream = \"127.0.0.1:2\"\n"),
              "p.toml:3: link 'a': listen: '127.0.0.1' is not HOST:PORT");
    EXPECT_EQ(message("[[link]]\nname = \"a\"\nlisten = \"127.0.0.1:1\"\nupstream = \"127.0.0.1:2\"\nlatency = 5\n"),
              "p.toml:5: unknown key 'latency' in [[link]] (name, listen, upstream)");
    EXPECT_EQ(message("seed = -1\n[[link]]\n"), "p.toml:1: seed must be a non-negative integer");
    EXPECT_EQ(message("colour = 1\n"), "p.toml:1: unknown key 'colour' (seed, control, [[link]])");
    EXPECT_EQ(message("seed = 1\n"), "p.toml:1: no [[link]] given");
    EXPECT_EQ(message("seed = 1\n[[link]\n").substr(0, 9), "p.toml:2:");
    EXPECT_EQ(message("[[link]]\nname=\"a\"\nlisten=\"127.0.0.1:1\"\nupstream=\"127.0.0.1:2\"\n[[link]]\nname=\"a\"\n"),
              "p.toml:5: two links named 'a'");
    EXPECT_EQ(load_proxy_config("/no/such/file.toml").error().message, "/no/such/file.toml: cannot read the file");
}

}  // namespace
}  // namespace faultline::proxy
