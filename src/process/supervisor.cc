#include "process/supervisor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "base/assert.h"
#include "process/spawn.h"

namespace faultline::process {

namespace {

// The registry of live groups: fixed slots of atomics, because a signal
// handler reads it and may neither lock nor allocate. 0 is a free slot.
constexpr std::size_t kRegistrySlots = 1024;
std::array<std::atomic<pid_t>, kRegistrySlots> registry{};

void register_group(pid_t group) {
    FL_ASSERT(group > 0);
    for (std::atomic<pid_t>& slot : registry) {
        pid_t expected = 0;
        if (slot.compare_exchange_strong(expected, group)) return;
    }
    // More live servers than slots would leave one unprotected: a bug, not bad input.
    FL_ASSERT_MSG(false, "more than 1024 supervised process groups");
}

void unregister_group(pid_t group) {
    for (std::atomic<pid_t>& slot : registry) {
        pid_t expected = group;
        if (slot.compare_exchange_strong(expected, 0)) return;
    }
}

constexpr std::array<int, 4> kCleanupSignals{SIGINT, SIGTERM, SIGHUP, SIGABRT};

extern "C" void cleanup_on_signal(int signal_number) {
    kill_registered_groups();
    // Then die of the same signal, so the exit status still tells what happened.
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

extern "C" void cleanup_at_exit() {
    kill_registered_groups();
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return fmt::format("exit code {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
    return "running";
}

}  // namespace

void install_cleanup_handlers() {
    static std::atomic<bool> installed{false};
    if (installed.exchange(true)) return;
    std::atexit(cleanup_at_exit);
    for (int signal_number : kCleanupSignals) {
        struct sigaction action {};
        action.sa_handler = cleanup_on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;
        ::sigaction(signal_number, &action, nullptr);
    }
}

void kill_registered_groups() {
    for (std::atomic<pid_t>& slot : registry) {
        const pid_t group = slot.load();
        if (group > 0) ::kill(-group, SIGKILL);
    }
}

std::size_t registered_group_count() {
    std::size_t count = 0;
    for (const std::atomic<pid_t>& slot : registry) count += slot.load() > 0 ? 1 : 0;
    return count;
}

Result<std::vector<std::uint16_t>> pick_free_ports(std::size_t count) {
    if (count > 1024) return make_error(ErrorCode::invalid_argument, "at most 1024 free ports at once");
    std::vector<int> held;
    std::vector<std::uint16_t> ports;
    auto release = [&held] {
        for (int fd : held) ::close(fd);
    };
    for (std::size_t i = 0; i < count; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            release();
            return make_error(ErrorCode::io_error, fmt::format("cannot open a socket: {}", std::strerror(errno)));
        }
        held.push_back(fd);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        socklen_t length = sizeof(address);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            const std::string reason = std::strerror(errno);
            release();
            return make_error(ErrorCode::io_error, fmt::format("cannot pick a free port on 127.0.0.1: {}", reason));
        }
        ports.push_back(ntohs(address.sin_port));
    }
    release();
    return ports;
}

Server::Server(ServerSpec spec) : spec_(std::move(spec)) {
    FL_ASSERT(!spec_.argv.empty());
    FL_ASSERT(!spec_.name.empty());
}

Server::~Server() {
    kill();
}

Status Server::start() {
    FL_ASSERT_MSG(pid_ < 0, spec_.name + " is already running");
    std::error_code error;
    std::filesystem::create_directories(spec_.workdir, error);
    if (error) {
        return make_error(ErrorCode::io_error,
                          fmt::format("{}: cannot create {}: {}", spec_.name, spec_.workdir.string(), error.message()));
    }
    if (spec_.log_path.has_parent_path()) std::filesystem::create_directories(spec_.log_path.parent_path(), error);
    const int log = ::open(spec_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) {
        return make_error(ErrorCode::io_error, fmt::format("{}: cannot open its log {}: {}", spec_.name,
                                                           spec_.log_path.string(), std::strerror(errno)));
    }
    const int null_input = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_input < 0) {
        ::close(log);
        return make_error(ErrorCode::io_error, fmt::format("cannot open /dev/null: {}", std::strerror(errno)));
    }
    const Result<pid_t> spawned =
        spawn_in_group(spec_.argv, spec_.workdir.string(), {null_input, log, log}, spec_.die_with_parent);
    ::close(null_input);
    ::close(log);
    if (!spawned) return make_error(spawned.error().code, spec_.name + ": " + spawned.error().message);
    pid_ = spawned.value();
    register_group(pid_);
    paused_ = false;
    ++starts_;
    return ok_status();
}

void Server::reaped(int status) {
    unregister_group(pid_);
    // The leader is gone; whatever it left in its group goes with it.
    ::kill(-pid_, SIGKILL);
    last_status_ = status;
    ever_exited_ = true;
    pid_ = -1;
    paused_ = false;
}

bool Server::running() {
    if (pid_ < 0) return false;
    int status = 0;
    pid_t result;
    do {
        result = ::waitpid(pid_, &status, WNOHANG);
    } while (result < 0 && errno == EINTR);
    if (result == 0) return true;
    reaped(result == pid_ ? status : 0);
    return false;
}

void Server::kill() {
    if (pid_ < 0) return;
    ::kill(-pid_, SIGKILL);
    int status = 0;
    pid_t result;
    // SIGKILL cannot be caught or ignored: this wait ends.
    do {
        result = ::waitpid(pid_, &status, 0);
    } while (result < 0 && errno == EINTR);
    reaped(result == pid_ ? status : 0);
}

void Server::pause() {
    if (!running()) return;
    ::kill(-pid_, SIGSTOP);
    paused_ = true;
}

void Server::resume() {
    if (!running()) return;
    ::kill(-pid_, SIGCONT);
    paused_ = false;
}

bool Server::stop(std::chrono::milliseconds grace) {
    FL_ASSERT(grace.count() >= 0 && grace <= kMaxGrace);
    if (!running()) return true;
    ::kill(-pid_, SIGCONT);
    ::kill(-pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!running()) return true;
    kill();
    return false;
}

Status Server::restart() {
    kill();
    return start();
}

std::string Server::exit_description() const {
    if (pid_ >= 0) return "running";
    if (!ever_exited_) return "not started";
    return describe_status(last_status_);
}

Supervisor::Supervisor() {
    install_cleanup_handlers();
}

Supervisor::~Supervisor() {
    kill_all();
}

Server& Supervisor::add(ServerSpec spec) {
    FL_ASSERT_MSG(!servers_.contains(spec.name), "two servers named " + spec.name);
    const std::string name = spec.name;
    auto [it, inserted] = servers_.emplace(name, std::make_unique<Server>(std::move(spec)));
    FL_ASSERT(inserted);
    return *it->second;
}

Server& Supervisor::server(const std::string& name) {
    auto it = servers_.find(name);
    FL_ASSERT_MSG(it != servers_.end(), "no server named " + name);
    return *it->second;
}

std::vector<std::string> Supervisor::names() const {
    std::vector<std::string> names;
    for (const auto& [name, server] : servers_) names.push_back(name);
    return names;
}

void Supervisor::stop_all(std::chrono::milliseconds grace) {
    for (auto& [name, server] : servers_) server->stop(grace);
}

void Supervisor::kill_all() {
    for (auto& [name, server] : servers_) server->kill();
}

}  // namespace faultline::process
