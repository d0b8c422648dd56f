#include "harness/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/assert.h"
#include "harness/wire.h"
#include "process/spawn.h"

namespace faultline::harness {

namespace {

// A pipe whose parent end is non-blocking and close-on-exec.
bool make_pipe(int fds[2], int parent_end) {
    if (::pipe(fds) != 0) return false;
    ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    ::fcntl(fds[parent_end], F_SETFL, ::fcntl(fds[parent_end], F_GETFL) | O_NONBLOCK);
    return true;
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::start(const std::vector<std::string>& argv,
                                                          const std::string& workdir) {
    FL_ASSERT(!argv.empty());
    int in[2], out[2], err[2];
    if (!make_pipe(in, 1)) return make_error(ErrorCode::io_error, "cannot create a pipe");
    if (!make_pipe(out, 0) || !make_pipe(err, 0)) {
        ::close(in[0]);
        ::close(in[1]);
        return make_error(ErrorCode::io_error, "cannot create a pipe");
    }
    const Result<pid_t> spawned = process::spawn_in_group(argv, workdir, {.in = in[0], .out = out[1], .err = err[1]});
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (!spawned) {
        ::close(in[1]);
        ::close(out[0]);
        ::close(err[0]);
        return spawned.error();
    }
    const pid_t pid = spawned.value();
    std::unique_ptr<ChildProcess> child(new ChildProcess());
    child->pid_ = pid;
    child->stdin_fd_ = in[1];
    child->stdout_fd_ = out[0];
    child->stderr_fd_ = err[0];
    return child;
}

ChildProcess::~ChildProcess() {
    if (!exited_) kill();
    close_fd(stdin_fd_);
    close_fd(stdout_fd_);
    close_fd(stderr_fd_);
}

void ChildProcess::close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

void ChildProcess::write(std::string text) {
    if (stdin_fd_ < 0) return;
    queued_bytes_ += text.size();
    pending_.push_back(std::move(text));
}

bool ChildProcess::flush() {
    while (stdin_fd_ >= 0 && !pending_.empty()) {
        const std::string& front = pending_.front();
        const ssize_t written = ::write(stdin_fd_, front.data() + pending_offset_, front.size() - pending_offset_);
        if (written < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
            if (errno == EINTR) continue;
            close_fd(stdin_fd_);  // EPIPE: the node closed its stdin or exited
            pending_.clear();
            pending_offset_ = 0;
            queued_bytes_ = 0;
            return false;
        }
        pending_offset_ += static_cast<std::size_t>(written);
        if (pending_offset_ == front.size()) {
            queued_bytes_ -= front.size();
            pending_.pop_front();
            pending_offset_ = 0;
        }
    }
    return stdin_fd_ >= 0;
}

bool ChildProcess::read_stdout(std::vector<std::string>& lines) {
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(stdout_fd_, buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        if (got == 0) {
            close_fd(stdout_fd_);
            if (!partial_.empty()) lines.push_back(std::move(partial_));
            partial_.clear();
            return false;
        }
        std::size_t start = 0;
        for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
            if (buffer[i] != '\n') continue;
            partial_.append(buffer + start, i - start);
            lines.push_back(std::move(partial_));
            partial_.clear();
            start = i + 1;
        }
        partial_.append(buffer + start, static_cast<std::size_t>(got) - start);
        // An endless line is cut here and reported by the caller as too long.
        if (partial_.size() > kWireLineMax + 1) {
            lines.push_back(std::move(partial_));
            partial_.clear();
        }
        if (static_cast<std::size_t>(got) < sizeof buffer) return true;
    }
}

bool ChildProcess::read_stderr(std::string& text) {
    char buffer[16384];
    for (;;) {
        const ssize_t got = ::read(stderr_fd_, buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        if (got == 0) {
            close_fd(stderr_fd_);
            return false;
        }
        text.append(buffer, static_cast<std::size_t>(got));
        if (static_cast<std::size_t>(got) < sizeof buffer) return true;
    }
}

void ChildProcess::stop() {
    if (!exited_) ::kill(-pid_, SIGSTOP);
}

void ChildProcess::resume() {
    if (!exited_) ::kill(-pid_, SIGCONT);
}

void ChildProcess::kill() {
    if (exited_) return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    exited_ = true;
    close_fd(stdin_fd_);
}

bool ChildProcess::reap() {
    if (exited_) return true;
    const pid_t done = ::waitpid(pid_, &status_, WNOHANG);
    if (done == pid_) {
        exited_ = true;
        close_fd(stdin_fd_);
    }
    return exited_;
}

std::string ChildProcess::exit_description() const {
    if (!exited_) return "running";
    if (WIFEXITED(status_)) return fmt::format("exit code {}", WEXITSTATUS(status_));
    if (WIFSIGNALED(status_)) return fmt::format("killed by signal {}", WTERMSIG(status_));
    return "ended";
}

}  // namespace faultline::harness
