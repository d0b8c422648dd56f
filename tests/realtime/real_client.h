// A blocking JSON-lines client for the real-mode tests: connect to a server's
// client port (retrying while it starts), send a request, read one reply.
// Every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace faultline::testing {

class LineClient {
  public:
    ~LineClient() {
        if (fd_ >= 0) ::close(fd_);
    }
    // Connects to 127.0.0.1:port, retrying for up to `wait_ms`.
    bool connect(std::uint16_t port, int wait_ms = 5000) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
        while (std::chrono::steady_clock::now() < deadline) {
            fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_port = htons(port);
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return true;
            ::close(fd_);
            fd_ = -1;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }
    // Sends `request` (a line is added) and returns the next reply line as
    // JSON, or null after `wait_ms` without one.
    nlohmann::json call(const std::string& request, int wait_ms = 3000) {
        const std::string line = request + "\n";
        if (::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) return nullptr;
        return read_line(wait_ms);
    }
    nlohmann::json read_line(int wait_ms) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
        while (true) {
            if (const auto end = input_.find('\n'); end != std::string::npos) {
                const std::string line = input_.substr(0, end);
                input_.erase(0, end + 1);
                return nlohmann::json::parse(line, nullptr, false);
            }
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return nullptr;
            pollfd in{fd_, POLLIN, 0};
            if (::poll(&in, 1, static_cast<int>(left.count())) <= 0) return nullptr;
            char buffer[4096];
            const ssize_t got = ::read(fd_, buffer, sizeof buffer);
            if (got <= 0) return nullptr;
            input_.append(buffer, static_cast<std::size_t>(got));
        }
    }

  private:
    int fd_ = -1;
    std::string input_;
};

}  // namespace faultline::testing
