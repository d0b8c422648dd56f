#include "process/sockets.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace faultline::process {

namespace {

// The inode of the IPv4 socket from local port `local` to remote port `remote`, or 0.
unsigned long find_inode(std::uint16_t local, std::uint16_t remote) {
    std::ifstream table("/proc/net/tcp");
    std::string line;
    std::getline(table, line);  // the header
    while (std::getline(table, line)) {
        char local_address[64], remote_address[64];
        unsigned local_port = 0, remote_port = 0, state = 0;
        unsigned long inode = 0;
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        if (std::sscanf(line.c_str(), " %*d: %63[0-9A-Fa-f]:%x %63[0-9A-Fa-f]:%x %x %*s %*s %*s %*d %*d %lu",
                        local_address, &local_port, remote_address, &remote_port, &state, &inode) != 6) {
            continue;
        }
        if (local_port == local && remote_port == remote && inode != 0) return inode;
    }
    return 0;
}

bool holds_socket(pid_t pid, unsigned long inode) {
    const std::string folder = "/proc/" + std::to_string(pid) + "/fd";
    DIR* dir = ::opendir(folder.c_str());
    if (dir == nullptr) return false;
    const std::string wanted = "socket:[" + std::to_string(inode) + "]";
    bool found = false;
    char target[128];
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        const std::string path = folder + "/" + entry->d_name;
        const ssize_t length = ::readlink(path.c_str(), target, sizeof(target) - 1);
        if (length <= 0) continue;
        if (wanted.compare(0, std::string::npos, target, static_cast<std::size_t>(length)) == 0) {
            found = true;
            break;
        }
    }
    ::closedir(dir);
    return found;
}

}  // namespace

std::optional<pid_t> loopback_connection_owner(std::uint16_t client_port, std::uint16_t server_port,
                                               const std::vector<pid_t>& candidates) {
    const unsigned long inode = find_inode(client_port, server_port);
    if (inode == 0) return std::nullopt;
    for (pid_t pid : candidates) {
        if (pid > 0 && holds_socket(pid, inode)) return pid;
    }
    return std::nullopt;
}

}  // namespace faultline::process
