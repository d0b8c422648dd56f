// Finding the process behind a loopback connection: the test's own process
// holds one end, a child process the other, and each is told apart.
#include "process/sockets.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace faultline::process {
namespace {

std::uint16_t local_port(int fd) {
    sockaddr_in address{};
    socklen_t length = sizeof(address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
}

TEST(LoopbackConnectionOwner, NamesTheProcessHoldingTheClientEnd) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    const std::uint16_t server_port = local_port(listener);
    address.sin_port = htons(server_port);

    const int mine = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(::connect(mine, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(mine);
        const int theirs = ::socket(AF_INET, SOCK_STREAM, 0);
        if (::connect(theirs, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) ::_exit(1);
        const std::uint16_t port = local_port(theirs);
        if (::write(ready[1], &port, sizeof(port)) != sizeof(port)) ::_exit(1);
        ::pause();
        ::_exit(0);
    }
    std::uint16_t child_port = 0;
    ASSERT_EQ(::read(ready[0], &child_port, sizeof(child_port)), static_cast<ssize_t>(sizeof(child_port)));
    const pid_t self = ::getpid();
    EXPECT_EQ(loopback_connection_owner(local_port(mine), server_port, {child, self}), self);
    EXPECT_EQ(loopback_connection_owner(child_port, server_port, {self, child}), child);
    EXPECT_EQ(loopback_connection_owner(child_port, server_port, {self}), std::nullopt);
    EXPECT_EQ(loopback_connection_owner(child_port, static_cast<std::uint16_t>(server_port + 1), {child}),
              std::nullopt);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(mine);
    ::close(listener);
}

}  // namespace
}  // namespace faultline::process
