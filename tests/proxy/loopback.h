// Test helpers for the proxy over real loopback: an echo server, a sink, and
// a blocking client whose every read is bounded in time (SO_RCVTIMEO).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace faultline::proxy::testing {

inline int listen_loopback(std::uint16_t& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::listen(fd, 64);
    socklen_t length = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
    return fd;
}

// Echoes every byte on every connection, one thread per connection.
class EchoServer {
  public:
    EchoServer() {
        listener_ = listen_loopback(port_);
        thread_ = std::thread([this] {
            while (true) {
                const int fd = ::accept(listener_, nullptr, nullptr);
                if (fd < 0) return;
                if (stopping_) {
                    ::close(fd);
                    return;
                }
                int one = 1;
                ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                std::thread([fd] {
                    char buffer[65536];
                    while (true) {
                        const ssize_t got = ::read(fd, buffer, sizeof(buffer));
                        if (got <= 0) break;
                        ssize_t sent = 0;
                        while (sent < got) {
                            const ssize_t n = ::write(fd, buffer + sent, static_cast<std::size_t>(got - sent));
                            if (n <= 0) break;
                            sent += n;
                        }
                    }
                    ::close(fd);
                }).detach();
            }
        });
    }
    ~EchoServer() {
        stopping_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        thread_.join();
    }
    std::uint16_t port() const { return port_; }

  private:
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

// A blocking client; reads give up after `timeout`.
class Client {
  public:
    // `local_port`: the client's own port (0: the kernel picks).
    explicit Client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000),
                    std::uint16_t local_port = 0) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        set_timeout(timeout);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (local_port != 0) {
            address.sin_port = htons(local_port);
            ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
        }
        address.sin_port = htons(port);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    }
    ~Client() { ::close(fd_); }
    void set_timeout(std::chrono::milliseconds timeout) {
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    bool connected() const { return connected_; }
    bool send(const std::string& data) {
        std::size_t sent = 0;
        while (sent < data.size()) {
            const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return false;
            sent += static_cast<std::size_t>(n);
        }
        return true;
    }
    // Reads exactly `bytes` unless the stream ends, fails or times out; what it got.
    std::string receive(std::size_t bytes) {
        std::string got;
        char buffer[65536];
        while (got.size() < bytes) {
            const ssize_t n = ::recv(fd_, buffer, std::min(sizeof(buffer), bytes - got.size()), 0);
            if (n <= 0) {
                last_errno_ = n == 0 ? 0 : errno;
                end_ = n == 0;
                break;
            }
            got.append(buffer, static_cast<std::size_t>(n));
        }
        return got;
    }
    bool ended() const { return end_; }             // the last receive saw the end of the stream
    int last_errno() const { return last_errno_; }  // ECONNRESET, EAGAIN (timeout), ...
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
    bool connected_ = false;
    bool end_ = false;
    int last_errno_ = 0;
};

// The round trip of `message` through `client`, in microseconds; -1 if it failed.
inline double round_trip_us(Client& client, const std::string& message) {
    const auto start = std::chrono::steady_clock::now();
    if (!client.send(message)) return -1;
    if (client.receive(message.size()) != message) return -1;
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
}

inline double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

}  // namespace faultline::proxy::testing
