// The faultline subcommands. Each add_*_command registers its options on the
// app and returns a function that runs it (after parsing) and yields the exit
// code: 0 valid, 1 invalid, 2 unknown, 3 or more for usage and runtime errors.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace faultline::cli {

using CommandAction = std::function<int()>;

// Exit codes shared by every command.
inline constexpr int exit_valid = 0;
inline constexpr int exit_invalid = 1;
inline constexpr int exit_unknown = 2;
inline constexpr int exit_usage = 3;
inline constexpr int exit_runtime = 4;

CommandAction add_test_command(CLI::App& app);
CommandAction add_replay_command(CLI::App& app);
CommandAction add_shrink_command(CLI::App& app);
CommandAction add_scenario_command(CLI::App& app);
CommandAction add_check_command(CLI::App& app);

// Prints "faultline: <message>" on stderr.
void print_error(const std::string& message);

}  // namespace faultline::cli
