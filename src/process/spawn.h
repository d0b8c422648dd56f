// spawn_in_group: starts a program in a process group of its own, the one way
// faultline starts another process (the harness's node programs, the servers
// of real mode).
//
// A group of its own means a kill or a pause (SIGSTOP / SIGCONT) sent to the
// group reaches whatever the program started too. The child gets an empty
// signal mask and SIGPIPE at its default, whatever the parent had. Its stdin,
// stdout and stderr are the descriptors given (dup2'ed; the caller keeps and
// closes its own copies); `workdir` is where it runs. With `die_with_parent`
// the child also gets PR_SET_PDEATHSIG (SIGKILL): it dies when the thread that
// started it ends, even if faultline itself is killed with SIGKILL, which no
// cleanup handler sees (Linux only; started by fork and exec then).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace faultline::process {

struct StandardStreams {
    int in = -1;
    int out = -1;
    int err = -1;
};

// The child's pid (also its group id). An error naming argv[0] if it cannot be
// started (not found, not executable).
Result<pid_t> spawn_in_group(const std::vector<std::string>& argv, const std::string& workdir,
                             const StandardStreams& streams, bool die_with_parent = false);

}  // namespace faultline::process
