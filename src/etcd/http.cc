#include "etcd/http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace faultline::etcd {

namespace {

constexpr std::size_t kMaxReply = 1 << 20;

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
    // Rounded up: a poll that wakes a little early would give up before the deadline.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

// Waits until `fd` is ready for `events` or the deadline passes.
bool wait_for(int fd, short events, Clock::time_point deadline) {
    while (true) {
        pollfd entry{.fd = fd, .events = events, .revents = 0};
        const int ready = ::poll(&entry, 1, remaining_ms(deadline));
        if (ready > 0) return true;
        if (ready == 0) return false;
        if (errno != EINTR) return false;
    }
}

HttpResult failed(HttpFailure failure, std::string message) {
    return HttpResult{.ok = false, .reply = {}, .error = HttpError{failure, std::move(message)}};
}

// The reply is complete once its head and Content-Length bytes of body are in.
bool complete(const std::string& data, HttpReply& reply) {
    const auto blank = data.find("\r\n\r\n");
    if (blank == std::string::npos) return false;
    std::size_t length = std::string::npos;
    std::size_t at = data.find("\r\n");
    while (at < blank) {
        const auto next = data.find("\r\n", at + 2);
        std::string header = data.substr(at + 2, next - at - 2);
        for (char& c : header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (header.starts_with("content-length:")) length = std::strtoull(header.c_str() + 15, nullptr, 10);
        at = next;
    }
    if (length == std::string::npos || data.size() < blank + 4 + length) return false;
    const auto space = data.find(' ');
    reply.status = space == std::string::npos ? 0 : std::atoi(data.c_str() + space + 1);
    reply.body = data.substr(blank + 4, length);
    return true;
}

}  // namespace

HttpResult http_post(std::uint16_t port, const std::string& path, const std::string& body,
                     std::chrono::milliseconds timeout) {
    const Clock::time_point deadline = Clock::now() + timeout;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return failed(HttpFailure::not_sent, fmt::format("socket: {}", std::strerror(errno)));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        if (errno != EINPROGRESS)
            return failed(HttpFailure::not_sent, fmt::format("connect: {}", std::strerror(errno)));
        if (!wait_for(fd, POLLOUT, deadline)) return failed(HttpFailure::not_sent, "connect: timed out");
        int error = 0;
        socklen_t length = sizeof(error);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) return failed(HttpFailure::not_sent, fmt::format("connect: {}", std::strerror(error)));
    }
    const std::string request = fmt::format(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n{}",
        path, port, body.size(), body);
    std::size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        // Part of a request may have reached the server: from here on a
        // failure leaves its effect unknown.
        const HttpFailure failure = sent == 0 ? HttpFailure::not_sent : HttpFailure::no_reply;
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_for(fd, POLLOUT, deadline)) return failed(failure, "send: timed out");
            continue;
        }
        return failed(failure, fmt::format("send: {}", std::strerror(errno)));
    }
    std::string data;
    char buffer[16384];
    HttpResult result{.ok = true};
    while (!complete(data, result.reply)) {
        if (data.size() > kMaxReply) return failed(HttpFailure::no_reply, "reply too long");
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n > 0) {
            data.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) return failed(HttpFailure::no_reply, "the connection closed before the reply was complete");
        if (errno == EAGAIN || errno == EINTR) {
            if (!wait_for(fd, POLLIN, deadline)) return failed(HttpFailure::no_reply, "timed out");
            continue;
        }
        return failed(HttpFailure::no_reply, fmt::format("recv: {}", std::strerror(errno)));
    }
    return result;
}

}  // namespace faultline::etcd
