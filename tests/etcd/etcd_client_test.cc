// The pieces of the etcd test that need no etcd: base64 as the gateway wants
// it, the declared ranges of the options, and the HTTP client's bounds.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "etcd/client.h"
#include "etcd/etcd_test.h"
#include "etcd/http.h"
#include "process/supervisor.h"
#include "support/faultline_process.h"

namespace faultline::etcd {
namespace {

using namespace std::chrono_literals;
using testing::run_faultline;

TEST(Base64, RoundTripsEveryLengthAndMatchesTheStandard) {
    EXPECT_EQ(base64_encode("key"), "a2V5");
    EXPECT_EQ(base64_encode("1"), "MQ==");
    EXPECT_EQ(base64_encode("12"), "MTI=");
    EXPECT_EQ(base64_encode(""), "");
    for (std::string text : {"", "a", "ab", "abc", "abcd", "k17", "\xff\x00\x10"}) {
        EXPECT_EQ(base64_decode(base64_encode(text)), text);
    }
    EXPECT_EQ(base64_decode("a2V"), std::nullopt);
    EXPECT_EQ(base64_decode("a=V5"), std::nullopt);
    EXPECT_EQ(base64_decode("a2V*"), std::nullopt);
}

TEST(EtcdOptions, EveryOptionHasADeclaredRange) {
    EXPECT_TRUE(validate(EtcdTestOptions{}));
    auto message = [](EtcdTestOptions options) {
        const Status valid = validate(options);
        return valid ? std::string("accepted") : valid.error().message;
    };
    EXPECT_EQ(message(EtcdTestOptions{.nodes = 4}), "--nodes 4: etcd runs 3 or 5");
    EXPECT_EQ(message(EtcdTestOptions{.clients = 0}), "--clients 0: 1..64");
    EXPECT_EQ(message(EtcdTestOptions{.workload = "bank"}), "--workload bank: lin-kv or puts");
    EXPECT_EQ(message(EtcdTestOptions{.nemesis = {"clock"}}), "--nemesis clock: partition, kill, pause or none");
    EXPECT_EQ(message(EtcdTestOptions{.duration = 500ms}), "--time-limit: 1s..1h");
    EXPECT_EQ(message(EtcdTestOptions{.etcd_binary = "/no/etcd"}),
              "/no/etcd is not installed (apt-get install etcd-server)");
}

TEST(HttpClient, ARefusedConnectionIsNotSentAndASilentServerTimesOut) {
    const auto ports = process::pick_free_ports(1);
    ASSERT_TRUE(ports);
    const HttpResult refused = http_post((*ports)[0], "/v3/kv/range", "{}", 500ms);
    EXPECT_FALSE(refused.ok);
    EXPECT_EQ(refused.error.failure, HttpFailure::not_sent);

    // A server that accepts and never answers: the request was sent, so a
    // write's effect would be unknown.
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    socklen_t length = sizeof(address);
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    const auto start = std::chrono::steady_clock::now();
    const HttpResult silent = http_post(ntohs(address.sin_port), "/v3/kv/put", "{}", 300ms);
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_FALSE(silent.ok);
    EXPECT_EQ(silent.error.failure, HttpFailure::no_reply);
    EXPECT_GE(waited, 300ms);
    EXPECT_LT(waited, 2000ms);
    const Client client(ntohs(address.sin_port), 200ms);
    EXPECT_EQ(client.write("k", 1).outcome, Outcome::info);
    EXPECT_EQ(client.cas("k", 1, 2).outcome, Outcome::info);
    EXPECT_EQ(client.read("k", false).outcome, Outcome::fail);
    ::close(listener);
}

TEST(EtcdCommand, BadOptionsAreOneClearError) {
    const auto nodes = run_faultline("test --system etcd --nodes 4");
    EXPECT_EQ(nodes.exit_code, 3);
    EXPECT_EQ(nodes.output, "faultline: --nodes 4: etcd runs 3 or 5\n");
    const auto nemesis = run_faultline("test --system etcd --nemesis partition,clock");
    EXPECT_EQ(nemesis.exit_code, 3);
    EXPECT_EQ(nemesis.output, "faultline: --nemesis clock: partition, kill, pause or none\n");
    const auto limit = run_faultline("test --system etcd --time-limit 2h");
    EXPECT_EQ(limit.exit_code, 3);
    EXPECT_EQ(limit.output, "faultline: --time-limit '2h': expected a duration in 1s..1h\n");
}

}  // namespace
}  // namespace faultline::etcd
