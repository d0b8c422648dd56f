#include "process/spawn.h"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/assert.h"

extern char** environ;

namespace faultline::process {

namespace {

// What posix_spawn does below, by hand, plus PR_SET_PDEATHSIG, which
// posix_spawn cannot set.
Result<pid_t> fork_in_group(const std::vector<std::string>& argv, const std::string& workdir,
                            const StandardStreams& streams) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0)
        return make_error(ErrorCode::io_error, fmt::format("cannot fork for {}: {}", argv[0], std::strerror(errno)));
    if (pid == 0) {
        // The child: only async-signal-safe calls until exec.
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        // The parent may have died before prctl: then nobody would stop this child.
        if (::getppid() != parent) ::_exit(127);
        for (int signal_number : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) ::signal(signal_number, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (::dup2(streams.in, 0) < 0 || ::dup2(streams.out, 1) < 0 || ::dup2(streams.err, 2) < 0) ::_exit(127);
        if (::chdir(workdir.c_str()) != 0) ::_exit(127);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here: no race with a signal sent to the group at once
    return pid;
}

}  // namespace

Result<pid_t> spawn_in_group(const std::vector<std::string>& argv, const std::string& workdir,
                             const StandardStreams& streams, bool die_with_parent) {
    FL_ASSERT(!argv.empty());
    FL_ASSERT(streams.in >= 0 && streams.out >= 0 && streams.err >= 0);
    if (::access(argv[0].c_str(), X_OK) != 0) {
        return make_error(ErrorCode::not_found, fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)));
    }
    if (die_with_parent) return fork_in_group(argv, workdir, streams);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, streams.in, 0);
    posix_spawn_file_actions_adddup2(&actions, streams.out, 1);
    posix_spawn_file_actions_adddup2(&actions, streams.err, 2);
    posix_spawn_file_actions_addchdir_np(&actions, workdir.c_str());
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attributes, 0);
    sigset_t none, defaults;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    // The parent may ignore SIGPIPE or catch SIGINT/SIGTERM; the child starts
    // with the defaults, so a graceful stop (SIGTERM) behaves as it would from a shell.
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGHUP);
    posix_spawnattr_setsigdefault(&attributes, &defaults);

    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (spawned != 0) {
        return make_error(ErrorCode::io_error, fmt::format("cannot run {}: {}", argv[0], std::strerror(spawned)));
    }
    return pid;
}

}  // namespace faultline::process
