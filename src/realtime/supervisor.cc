#include "realtime/supervisor.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace faultline::realtime {

Status ServerProcess::start() {
    if (running()) return ok_status();
    const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return make_error(ErrorCode::io_error, "cannot open " + log_path_);
    std::vector<char*> args;
    for (std::string& arg : argv_) args.push_back(arg.data());
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(log_fd);
        return make_error(ErrorCode::io_error, "cannot fork a server process");
    }
    if (pid == 0) {
        // The child: only async-signal-safe calls until exec.
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        const int null_fd = ::open("/dev/null", O_RDONLY);
        if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here: no race with a signal sent at once
    ::close(log_fd);
    pid_ = pid;
    paused_ = false;
    return ok_status();
}

void ServerProcess::kill9() {
    if (!running()) return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    paused_ = false;
}

void ServerProcess::pause() {
    if (!running() || paused_) return;
    ::kill(-pid_, SIGSTOP);
    paused_ = true;
}

void ServerProcess::resume() {
    if (!running() || !paused_) return;
    ::kill(-pid_, SIGCONT);
    paused_ = false;
}

void ServerProcess::terminate(Nanos grace) {
    if (!running()) return;
    resume();
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(grace);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        const pid_t done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_ || (done < 0 && errno == ECHILD)) {
            ::kill(-pid_, SIGKILL);  // whatever it started
            pid_ = -1;
            return;
        }
        // Real processes take real time to stop: poll it, bounded by `grace`.
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    kill9();
}

bool ServerProcess::exited_by_itself(std::string& why) {
    if (!running()) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    why = WIFEXITED(status) ? fmt::format("exit code {}", WEXITSTATUS(status))
                            : fmt::format("killed by signal {}", WTERMSIG(status));
    ::kill(-pid_, SIGKILL);
    pid_ = -1;
    paused_ = false;
    return true;
}

}  // namespace faultline::realtime
