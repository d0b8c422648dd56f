// ChildProcess: one node program, started with pipes on its stdin, stdout and
// stderr, that the harness's poll loop reads and writes without blocking.
//
// The process runs in a process group of its own, so that a kill or a pause
// (SIGSTOP / SIGCONT) reaches whatever it started too. Its stdout is split
// into lines (a line is at most kWireLineMax bytes plus some slack; a longer
// one is cut and reported); its stderr is handed on as it comes. Writes to its
// stdin are queued and flushed as the pipe accepts them, so a node that stops
// reading never blocks the harness. The destructor kills and reaps the process.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace faultline::harness {

class ChildProcess {
  public:
    // Starts `argv[0]` (a path) with `argv`, in `workdir`. An error if it
    // cannot be started (not found, not executable).
    static Result<std::unique_ptr<ChildProcess>> start(const std::vector<std::string>& argv,
                                                       const std::string& workdir);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    // The descriptors to poll: stdout and stderr for reading (-1 once closed),
    // stdin for writing while output is queued.
    int stdout_fd() const { return stdout_fd_; }
    int stderr_fd() const { return stderr_fd_; }
    int stdin_fd() const { return stdin_fd_; }
    bool wants_write() const { return stdin_fd_ >= 0 && !pending_.empty(); }

    // Queues `text` for its stdin.
    void write(std::string text);
    // Bytes queued and not yet taken by the pipe.
    std::size_t queued_bytes() const { return queued_bytes_ - pending_offset_; }
    // Writes what the pipe takes now. False if the pipe is closed (the
    // process exited or closed its stdin): what is queued is dropped.
    bool flush();
    // Reads what is available on stdout; complete lines are appended to
    // `lines`. False at end of file.
    bool read_stdout(std::vector<std::string>& lines);
    // Reads what is available on stderr into `text`. False at end of file.
    bool read_stderr(std::string& text);
    // Bytes of an unfinished stdout line (for the line limit).
    std::size_t partial_bytes() const { return partial_.size(); }

    void stop();    // SIGSTOP to its group
    void resume();  // SIGCONT to its group
    void kill();    // SIGKILL to its group, then reaps it
    // Reaps the process if it exited; true if it has (then exit_status() holds).
    bool reap();
    bool exited() const { return exited_; }
    // "exit code 3", "killed by signal 11".
    std::string exit_description() const;

  private:
    ChildProcess() = default;
    void close_fd(int& fd);

    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    int stdout_fd_ = -1;
    int stderr_fd_ = -1;
    std::deque<std::string> pending_;
    std::size_t pending_offset_ = 0;  // bytes of pending_.front() already written
    std::size_t queued_bytes_ = 0;    // bytes of everything in pending_
    std::string partial_;             // stdout bytes after the last newline
    bool exited_ = false;
    int status_ = 0;
};

}  // namespace faultline::harness
