#include "process/spawn.h"

#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/assert.h"

extern char** environ;

namespace faultline::process {

Result<pid_t> spawn_in_group(const std::vector<std::string>& argv, const std::string& workdir,
                             const StandardStreams& streams) {
    FL_ASSERT(!argv.empty());
    FL_ASSERT(streams.in >= 0 && streams.out >= 0 && streams.err >= 0);
    if (::access(argv[0].c_str(), X_OK) != 0) {
        return make_error(ErrorCode::not_found, fmt::format("cannot run {}: {}", argv[0], std::strerror(errno)));
    }
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
