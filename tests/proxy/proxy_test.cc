// The fault proxy measured from outside, over real loopback: a client talks
// to an echo server through a link, and each fault is seen in what the client
// gets and when. Real time is the thing measured here, so the bounds are the
// issue's (latency within 10 %) with a margin for scheduling noise.
#include "proxy/proxy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "process/supervisor.h"
#include "proxy/loopback.h"

namespace faultline::proxy {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::EchoServer;
using testing::median;
using testing::round_trip_us;

class ProxyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        proxy.start();
        Result<LinkInfo> link = proxy.add_link(LinkSpec{.name = "echo",
                                                        .listen = Address{.host = "127.0.0.1", .port = 0},
                                                        .upstream = Address{.host = "127.0.0.1", .port = echo.port()}});
        ASSERT_TRUE(link) << link.error().message;
        port = link->listen.port;
    }

    // The median round trip of `count` 64-byte messages, in microseconds.
    double median_rtt(std::uint16_t to, int count) {
        Client client(to);
        EXPECT_TRUE(client.connected());
        std::vector<double> samples;
        const std::string message(64, 'x');
        for (int i = 0; i < count; ++i) {
            const double rtt = round_trip_us(client, message);
            EXPECT_GE(rtt, 0);
            samples.push_back(rtt);
        }
        return median(samples);
    }

    EchoServer echo;
    Proxy proxy{7};
    std::uint16_t port = 0;
};

TEST_F(ProxyTest, ForwardsBothWaysAndAddsLittleLatencyWithoutFaults) {
    const double direct = median_rtt(echo.port(), 2000);
    const double proxied = median_rtt(port, 2000);
    // A round trip crosses the proxy twice (there and back): one hop is half.
    const double per_hop = (proxied - direct) / 2;
    std::printf("no-fault round trip: direct %.1f us, through the proxy %.1f us, added per hop %.1f us\n", direct,
                proxied, per_hop);
    EXPECT_LT(per_hop, 1000.0);
    const LinkInfo info = *proxy.link("echo");
    EXPECT_EQ(info.bytes_upstream, 2000u * 64);
    EXPECT_EQ(info.bytes_downstream, 2000u * 64);
}

TEST_F(ProxyTest, AddedLatencyIsWithinTenPercentOfTheSetting) {
    const double base = median_rtt(port, 20);
    for (auto [up, down] : {std::pair<std::uint64_t, std::uint64_t>{20'000, 0}, {10'000, 30'000}}) {
        ASSERT_TRUE(
            proxy.set_faults("echo", LinkFaults{.upstream = {.latency_us = up}, .downstream = {.latency_us = down}}));
        const double added = median_rtt(port, 15) - base;
        const double setting = static_cast<double>(up + down);
        EXPECT_GT(added, setting * 0.9) << "setting " << setting << " us";
        EXPECT_LT(added, setting * 1.1) << "setting " << setting << " us";
    }
    ASSERT_TRUE(proxy.clear_faults("echo"));
    EXPECT_LT(median_rtt(port, 20), 5000.0);
}

TEST_F(ProxyTest, JitterSpreadsDelaysAroundTheLatency) {
    ASSERT_TRUE(proxy.set_faults("echo", LinkFaults{.upstream = {.latency_us = 20'000, .jitter_us = 10'000}}));
    Client client(port);
    std::vector<double> samples;
    for (int i = 0; i < 40; ++i) samples.push_back(round_trip_us(client, "ping"));
    std::sort(samples.begin(), samples.end());
    EXPECT_GE(samples.front(), 10'000 * 0.95);
    // The upper bound on the 90th percentile, not the largest: a sample can
    // only grow by the scheduler's delays (this is wall-clock time, and ctest
    // runs other tests beside it), while no delay can make one come early.
    EXPECT_LT(samples[samples.size() * 9 / 10], 30'000 * 1.15);
    // Without jitter every sample would be within a millisecond of the others.
    EXPECT_GT(samples.back() - samples.front(), 8'000);
}

TEST_F(ProxyTest, RefuseResetsNewConnectionsAndSparesOpenOnes) {
    Client before(port);
    ASSERT_EQ(round_trip_us(before, "hello") >= 0, true);
    ASSERT_TRUE(proxy.set_faults("echo", LinkFaults{.refuse = true}));
    for (int i = 0; i < 5; ++i) {
        Client during(port, 500ms);
        during.send("hello");
        EXPECT_EQ(during.receive(5), "");
        EXPECT_TRUE(during.ended() || during.last_errno() == ECONNRESET) << during.last_errno();
    }
    EXPECT_GE(round_trip_us(before, "still"), 0);
    EXPECT_EQ(proxy.link("echo")->refused, 5u);
    ASSERT_TRUE(proxy.clear_faults("echo"));
    Client after(port);
    EXPECT_GE(round_trip_us(after, "again"), 0);
}

TEST_F(ProxyTest, BlackholeHoldsEveryByteUntilLifted) {
    Client client(port, 300ms);
    ASSERT_GE(round_trip_us(client, "warm"), 0);
    for (bool upstream : {true, false}) {
        LinkFaults faults;
        (upstream ? faults.upstream : faults.downstream).blackhole = true;
        ASSERT_TRUE(proxy.set_faults("echo", faults));
        const std::string message(10'000, upstream ? 'u' : 'd');
        ASSERT_TRUE(client.send(message));
        // Fully blocked: not one byte in 300 ms.
        EXPECT_EQ(client.receive(message.size()), "");
        EXPECT_EQ(client.last_errno(), EAGAIN);
        ASSERT_TRUE(proxy.clear_faults("echo"));
        client.set_timeout(2000ms);
        EXPECT_EQ(client.receive(message.size()), message);
        client.set_timeout(300ms);
    }
}

TEST_F(ProxyTest, BlockedSourcesAreCutOffAndOthersAreNot) {
    // Two clients on ports of their own stand for two peers dialing the same link.
    const auto ports = process::pick_free_ports(4);
    ASSERT_TRUE(ports);
    const std::uint16_t blocked_port = (*ports)[0], blocked_later = (*ports)[2];
    proxy.set_source_resolver([=](std::uint16_t client_port, std::uint16_t) {
        return client_port == blocked_port || client_port == blocked_later ? std::string("even") : std::string("odd");
    });
    auto even = std::make_unique<Client>(port, 300ms, blocked_port);
    auto odd = std::make_unique<Client>(port, 300ms, (*ports)[1]);
    ASSERT_GE(round_trip_us(*even, "e"), 0);
    ASSERT_GE(round_trip_us(*odd, "o"), 0);
    ASSERT_TRUE(proxy.set_faults("echo", LinkFaults{.blocked_sources = {"even"}}));
    // The open connection from the blocked source is held, the other flows.
    ASSERT_TRUE(even->send("held"));
    EXPECT_EQ(even->receive(4), "");
    EXPECT_GE(round_trip_us(*odd, "flows"), 0);
    // New connections from it are refused, from others not.
    Client other(port, 300ms, (*ports)[3]);
    EXPECT_GE(round_trip_us(other, "other"), 0);
    Client again(port, 300ms, blocked_later);
    again.send("x");
    EXPECT_EQ(again.receive(1), "");
    EXPECT_EQ(proxy.link("echo")->refused, 1u);
    ASSERT_TRUE(proxy.clear_faults("echo"));
    even->set_timeout(2000ms);
    EXPECT_EQ(even->receive(4), "held");
}

TEST_F(ProxyTest, BandwidthIsCapped) {
    constexpr std::uint64_t cap = 400'000;  // bytes per second
    ASSERT_TRUE(proxy.set_faults("echo", LinkFaults{.upstream = {.bandwidth = cap}}));
    Client client(port, 5000ms);
    const std::string message(200'000, 'b');
    const auto start = std::chrono::steady_clock::now();
    std::thread sender([&] { client.send(message); });
    const std::string got = client.receive(message.size());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    sender.join();
    ASSERT_EQ(got.size(), message.size());
    const double rate = static_cast<double>(message.size()) / seconds;
    std::printf("capped at %llu B/s: measured %.0f B/s\n", static_cast<unsigned long long>(cap), rate);
    EXPECT_LT(rate, cap * 1.1);
    EXPECT_GT(rate, cap * 0.8);
}

TEST_F(ProxyTest, CutClosesAndResetResetsOpenConnections) {
    Client cut_client(port);
    ASSERT_GE(round_trip_us(cut_client, "one"), 0);
    EXPECT_EQ(*proxy.cut("echo"), 1u);
    EXPECT_EQ(cut_client.receive(1), "");
    EXPECT_TRUE(cut_client.ended());

    Client reset_client(port);
    ASSERT_GE(round_trip_us(reset_client, "two"), 0);
    EXPECT_EQ(*proxy.reset("echo"), 1u);
    EXPECT_EQ(reset_client.receive(1), "");
    EXPECT_EQ(reset_client.last_errno(), ECONNRESET);

    Client later(port);
    EXPECT_GE(round_trip_us(later, "three"), 0);
}

TEST_F(ProxyTest, AnUpstreamThatRefusesIsAResetForTheClient) {
    Proxy other(1);
    other.start();
    Result<LinkInfo> link = other.add_link(LinkSpec{.name = "nowhere",
                                                    .listen = {.host = "127.0.0.1", .port = 0},
                                                    // Port 1: nothing listens there.
                                                    .upstream = {.host = "127.0.0.1", .port = 1}});
    ASSERT_TRUE(link);
    Client client(link->listen.port, 1000ms);
    client.send("x");
    EXPECT_EQ(client.receive(1), "");
    EXPECT_TRUE(client.ended() || client.last_errno() == ECONNRESET);
}

TEST_F(ProxyTest, BadSettingsAndNamesAreClearErrors) {
    const Status too_slow = proxy.set_faults("echo", LinkFaults{.upstream = {.latency_us = kMaxLatencyUs + 1}});
    ASSERT_FALSE(too_slow);
    EXPECT_EQ(too_slow.error().message, "upstream latency_us 60000001 is out of range 0..60000000");
    const Status no_link = proxy.set_faults("nope", LinkFaults{});
    ASSERT_FALSE(no_link);
    EXPECT_EQ(no_link.error().message, "no link named 'nope'");
    const Result<LinkInfo> duplicate =
        proxy.add_link(LinkSpec{.name = "echo", .listen = {"127.0.0.1", 0}, .upstream = {"127.0.0.1", 1}});
    ASSERT_FALSE(duplicate);
    EXPECT_EQ(duplicate.error().message, "two links named 'echo'");
    const Result<LinkInfo> in_use =
        proxy.add_link(LinkSpec{.name = "other", .listen = {"127.0.0.1", port}, .upstream = {"127.0.0.1", 1}});
    ASSERT_FALSE(in_use);
    EXPECT_NE(in_use.error().message.find("link 'other': cannot listen on 127.0.0.1:"), std::string::npos);
    EXPECT_FALSE(parse_address("127.0.0.1"));
    EXPECT_FALSE(parse_address("127.0.0.1:70000"));
    EXPECT_FALSE(parse_address("example.com:80"));
    EXPECT_EQ(parse_address("localhost:80")->port, 80);
}

TEST_F(ProxyTest, RemovingALinkClosesItsListener) {
    ASSERT_TRUE(proxy.remove_link("echo"));
    Client client(port, 300ms);
    EXPECT_FALSE(client.connected());
    EXPECT_TRUE(proxy.links().empty());
}

}  // namespace
}  // namespace faultline::proxy
