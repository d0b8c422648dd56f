// The server-process supervisor of real mode: starts servers (faultline's own
// nodes, etcd) as real processes and injects process faults into them -
// kill -9, restart on the same data directory, pause (SIGSTOP / SIGCONT) and
// graceful stop (SIGTERM, then SIGKILL after a bounded wait).
//
// Contract:
// - Each server runs in a process group of its own (process/spawn.h); every
//   signal goes to the group, so a server's own children share its fate.
// - Its stdout and stderr are appended to one log file, across restarts; its
//   working directory and its data directory (in its argv) are the caller's
//   and survive restarts: that is what a restart on the same data means.
// - Every group started is entered in a process-wide registry, and
//   install_cleanup_handlers() makes SIGINT, SIGTERM, SIGHUP, SIGABRT and a
//   normal exit kill every group still registered. A Server's destructor
//   kills it too. So no server outlives the faultline process that started
//   it, whether the run passes, fails, asserts or is interrupted (only
//   SIGKILL of faultline itself escapes, as it escapes every handler).
// - Nothing here blocks without a bound: stop() waits at most its grace
//   period, then kills; kill() reaps a process SIGKILL has already ended.
// - Not thread-safe: one thread drives a Supervisor (the registry itself is
//   safe to use from a signal handler).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace faultline::process {

// Idempotent. Installs the handlers above; a signal handler the program had
// for these signals is replaced (after cleanup the signal is raised again
// with the default action, so the exit status still says what happened).
void install_cleanup_handlers();
// Kills (SIGKILL) every registered group now. Async-signal-safe.
void kill_registered_groups();
// The number of groups registered now (for tests).
std::size_t registered_group_count();

// `count` distinct TCP ports on 127.0.0.1 that were free a moment ago: each is
// bound to port 0, and all are held until the last is picked, so they differ.
// Another process may take one before the caller binds it; the caller's bind
// then fails with a clear error rather than anything silent. At most 1024.
Result<std::vector<std::uint16_t>> pick_free_ports(std::size_t count);

struct ServerSpec {
    std::string name;                // "n1": in messages and log lines
    std::vector<std::string> argv;   // argv[0] is a path
    std::filesystem::path workdir;   // created if missing
    std::filesystem::path log_path;  // stdout and stderr, appended; its folder is created
    bool die_with_parent = false;    // PR_SET_PDEATHSIG (process/spawn.h): dies even if faultline is SIGKILLed
};

// The longest graceful stop faultline waits for (stop()'s grace is at most this).
inline constexpr std::chrono::milliseconds kMaxGrace{60'000};

class Server {
  public:
    explicit Server(ServerSpec spec);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Starts it; it must not be running. An error if it cannot be started.
    Status start();
    // kill -9 of its group, then reaps it. Nothing if it is not running.
    void kill();
    // SIGSTOP / SIGCONT to its group. Nothing if it is not running.
    void pause();
    void resume();
    // SIGTERM (after a SIGCONT, so a paused server can act on it), then waits
    // up to `grace` (at most kMaxGrace) for it to exit, then SIGKILL. True if
    // it exited within the grace period. Nothing (true) if it is not running.
    bool stop(std::chrono::milliseconds grace);
    // A server that is running is killed (kill -9) first; then started again
    // with the same argv, working directory and log.
    Status restart();

    // Reaps it if it has exited; true while it runs (paused counts as running).
    bool running();
    bool paused() const { return paused_; }
    pid_t pid() const { return pid_; }
    // How many times it was started.
    int starts() const { return starts_; }
    // How its last run ended: "exit code 0", "killed by signal 9"; "running",
    // or "not started".
    std::string exit_description() const;
    const ServerSpec& spec() const { return spec_; }

  private:
    void reaped(int status);

    ServerSpec spec_;
    pid_t pid_ = -1;
    bool paused_ = false;
    int starts_ = 0;
    int last_status_ = 0;
    bool ever_exited_ = false;
};

// A set of servers by name; the destructor kills what still runs.
class Supervisor {
  public:
    Supervisor();
    ~Supervisor();
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // Adds (not starts) a server; the name must be new.
    Server& add(ServerSpec spec);
    Server& server(const std::string& name);
    bool has(const std::string& name) const { return servers_.contains(name); }
    std::vector<std::string> names() const;
    // Graceful stop of every server, each with `grace`.
    void stop_all(std::chrono::milliseconds grace);
    void kill_all();

  private:
    std::map<std::string, std::unique_ptr<Server>> servers_;
};

}  // namespace faultline::process
