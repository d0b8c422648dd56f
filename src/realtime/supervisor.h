// ServerProcess: one server started as a real process, and the process faults
// a test plays on it: kill -9, pause (SIGSTOP / SIGCONT), graceful restart.
//
// The process runs in a process group of its own (a kill reaches whatever it
// started too, and the terminal's Ctrl-C reaches only the test, which then
// stops it), with stdout and stderr appended to a log file, and with
// PR_SET_PDEATHSIG so that it dies if the test itself is killed. Starting it
// again runs the same command (the same data dir). The destructor kills and
// reaps it: every process a test starts is stopped when the test ends, however
// it ends.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "base/time.h"

namespace faultline::realtime {

class ServerProcess {
  public:
    ServerProcess(std::vector<std::string> argv, std::string log_path)
        : argv_(std::move(argv)), log_path_(std::move(log_path)) {}
    ~ServerProcess() { kill9(); }
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    // Starts the command (not running yet, or killed). An error if it cannot
    // be started (the log cannot be opened, fork fails).
    Status start();
    // SIGKILL to the group, then reaps it. No-op when not running.
    void kill9();
    // SIGSTOP / SIGCONT to the group.
    void pause();
    void resume();
    // SIGTERM (the server syncs and exits), waiting at most `grace` of real
    // time before SIGKILL. A paused process is resumed first.
    void terminate(Nanos grace);

    bool running() const { return pid_ > 0; }
    bool paused() const { return paused_; }
    pid_t pid() const { return pid_; }
    // Whether it exited by itself (a crash, a refused option); then reaped,
    // and `why` says how ("exit code 3", "killed by signal 6").
    bool exited_by_itself(std::string& why);

  private:
    std::vector<std::string> argv_;
    std::string log_path_;
    pid_t pid_ = -1;
    bool paused_ = false;
};

}  // namespace faultline::realtime
