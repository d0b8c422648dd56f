// Which process holds the client end of a TCP connection on loopback.
//
// The fault proxy sees a connection's client only as 127.0.0.1:PORT; a server
// that dials its peers from ephemeral ports (etcd) cannot be told which peer
// it is from the address. The kernel knows: /proc/net/tcp maps the
// connection to a socket inode, and /proc/PID/fd of the candidate processes
// shows which one holds that socket. Linux only; a read of /proc that fails
// gives "unknown", never a wrong owner.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace faultline::process {

// The candidate (or one of its threads' shared descriptor table) holding the
// socket whose local end is 127.0.0.1:`client_port` and whose remote end is
// port `server_port`; nothing if none of them does.
std::optional<pid_t> loopback_connection_owner(std::uint16_t client_port, std::uint16_t server_port,
                                               const std::vector<pid_t>& candidates);

}  // namespace faultline::process
