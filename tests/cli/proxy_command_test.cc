// `faultline proxy` as a user runs it: a bad config is one error naming the
// file and line; a good one serves its links and its control endpoint until
// SIGTERM, and a fault set over HTTP is seen by a client of the link.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "process/supervisor.h"
#include "support/faultline_process.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;
using testing::fresh_folder;
using testing::run_faultline;

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Sends `request` to 127.0.0.1:`port` and returns everything until the server closes.
std::string exchange(std::uint16_t port, const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{.tv_sec = 2, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    std::string reply;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
        char buffer[4096];
        ssize_t n;
        while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) reply.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return reply;
}

TEST(ProxyCommand, ABadConfigNamesFileAndLine) {
    const std::string folder = fresh_folder("proxy-bad");
    const std::string path = folder + "/proxy.toml";
    std::ofstream(path)
        << "[[link]]\nname = \"db\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:5432\"\nlatency = 5\n";
    const auto outcome = run_faultline("proxy --config " + path);
    EXPECT_EQ(outcome.exit_code, 3);
    EXPECT_EQ(outcome.output,
              "faultline: " + path + ":5: unknown key 'latency' in [[link]] (name, listen, upstream)\n");
    const auto missing = run_faultline("proxy --config /no/such.toml");
    EXPECT_EQ(missing.exit_code, 3);
    EXPECT_EQ(missing.output, "faultline: /no/such.toml: cannot read the file\n");
}

TEST(ProxyCommand, ServesLinksAndFaultsOverHttpUntilSigterm) {
    const std::string folder = fresh_folder("proxy-run");
    const auto ports = process::pick_free_ports(2);
    ASSERT_TRUE(ports);
    const std::uint16_t control = (*ports)[0], listen = (*ports)[1];
    // The upstream: a control endpoint answers HTTP, so the link can lead to it.
    std::ofstream(folder + "/proxy.toml")
        << "control = \"127.0.0.1:" << control << "\"\n\n[[link]]\nname = \"self\"\n"
        << "listen = \"127.0.0.1:" << listen << "\"\nupstream = \"127.0.0.1:" << control << "\"\n";
    process::Server server(process::ServerSpec{.name = "proxy",
                                               .argv = {FAULTLINE_BINARY, "proxy", "--config", folder + "/proxy.toml"},
                                               .workdir = folder,
                                               .log_path = folder + "/proxy.log"});
    ASSERT_TRUE(server.start());
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (read_file(folder + "/proxy.log").find("control:") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_NE(read_file(folder + "/proxy.log").find("link self: 127.0.0.1:" + std::to_string(listen)),
              std::string::npos);
    // Through the link to the control endpoint itself: GET /links.
    const std::string get = "GET /links HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_NE(exchange(listen, get).find("\"name\":\"self\""), std::string::npos);
    const std::string body = R"({"refuse": true})";
    const std::string post =
        "POST /links/self/faults HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
        body;
    EXPECT_NE(exchange(control, post).find("\"refuse\":true"), std::string::npos);
    EXPECT_EQ(exchange(listen, get), "");
    const std::string clear = "DELETE /links/self/faults HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_NE(exchange(control, clear).find("200 OK"), std::string::npos);
    EXPECT_NE(exchange(listen, get).find("\"refused\":1"), std::string::npos);
    EXPECT_TRUE(server.stop(5000ms));
    EXPECT_EQ(server.exit_description(), "exit code 0");
    EXPECT_NE(read_file(folder + "/proxy.log").find("stopped (SIGTERM)"), std::string::npos);
}

}  // namespace
}  // namespace faultline
