// The faultline subcommands. Each add_*_command registers its options on the
// app and returns a function that runs it (after parsing) and yields the exit
// code: 0 valid, 1 invalid, 2 unknown, 3 or more for errors (3 usage and bad
// input, 4 runtime, 5 a replay that diverged).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "check/outcome.h"

namespace faultline::runner {
enum class TraceFormat;
}  // namespace faultline::runner

namespace faultline::cli {

using CommandAction = std::function<int()>;

// Exit codes shared by every command.
inline constexpr int exit_valid = 0;
inline constexpr int exit_invalid = 1;
inline constexpr int exit_unknown = 2;
inline constexpr int exit_usage = 3;
inline constexpr int exit_runtime = 4;
// `faultline replay`: the replayed trace hash differs from the recorded one.
// Not exit_invalid: a replay that faithfully reproduces an invalid run exits 1,
// and a script must tell "the bug is still there" from "this is another run".
inline constexpr int exit_diverged = 5;

// The exit code of a verdict: 0 valid, 1 invalid, 2 unknown.
constexpr int exit_code_for(check::Verdict verdict) {
    switch (verdict) {
        case check::Verdict::valid:
            return exit_valid;
        case check::Verdict::invalid:
            return exit_invalid;
        case check::Verdict::unknown:
            return exit_unknown;
    }
    return exit_unknown;
}

// `system` is the --system the arguments name (or the default): the test
// command offers that system's options and no other's.
CommandAction add_test_command(CLI::App& app, const std::string& system);
// The same command when the arguments name a node program (--bin): the harness.
CommandAction add_harness_test_command(CLI::App& app);
// The same command with --real: raft-kv as real processes (realtime/real_test.h).
CommandAction add_real_test_command(CLI::App& app);
CommandAction add_replay_command(CLI::App& app);
CommandAction add_shrink_command(CLI::App& app);
CommandAction add_scenario_command(CLI::App& app);
CommandAction add_check_command(CLI::App& app);
CommandAction add_systems_command(CLI::App& app);
CommandAction add_report_command(CLI::App& app);
// `faultline fd`: a failure detector's trade-off curve (runner/fd.h).
CommandAction add_fd_command(CLI::App& app);
// `faultline node SYSTEM`: `system` is the one the arguments name, whose
// options it offers.
CommandAction add_node_command(CLI::App& app, const std::string& system);

// `faultline serve`: one server of a built-in system as a real process
// (realtime/server.h); `system` is the one the arguments name.
CommandAction add_serve_command(CLI::App& app, const std::string& system);

CommandAction add_trace_command(CLI::App& app);
// `faultline generals two | byzantine`: the models of runner/model_check.h.
CommandAction add_generals_command(CLI::App& app);
// `faultline merge DIR...`: the shards of a sweep added up (runner/shard.h).
CommandAction add_merge_command(CLI::App& app);

// `faultline proxy --config FILE`: the TCP fault proxy on its own (proxy/proxy.h).
CommandAction add_proxy_command(CLI::App& app);

// `faultline test --system etcd`: a real etcd cluster, black-box (etcd/etcd_test.h).
CommandAction add_etcd_test_command(CLI::App& app);

// Prints "faultline: <message>" on stderr.
void print_error(const std::string& message);

// --trace-format binary|jsonl, for the commands that write a run's trace.
void add_trace_format_option(CLI::App& command, runner::TraceFormat& format);

}  // namespace faultline::cli
