// Command-line flags from option declarations (runner/options.h): one flag per
// option, its help with the default and the declared range, and its value
// parsed once, by a CLI11 transformer, into the option's JSON form (durations
// into nanoseconds) before the declaration's range is checked.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "runner/options.h"

namespace faultline::cli {

// Receives a value given on the command line; an error fails the parse.
using OptionSetter = std::function<Status(const runner::OptionInfo&, const Json&)>;

// Adds the options of `schema` that belong on the command line to `command`,
// under `group` in the help, each showing its default from `defaults`.
void add_declared_options(CLI::App& command, const runner::OptionSchema& schema, const Json& defaults,
                          const std::string& group, OptionSetter set);

// Validators for the flags a command declares by hand rather than in an
// option table (real mode, etcd, serve, check, fd...): the same strict decimal
// reading (runner/options.h) and an inclusive range, so that "0x5", "-1" into
// an unsigned, "nan" and "inf" are refused as they are for declared options.
// CLI::Range alone lets nan through (it compares false) and reads hex and octal.
CLI::Validator whole_number(std::uint64_t low, std::uint64_t high);
CLI::Validator finite_number(double low, double high);

// "--lease-reads is an option of raft-kv, not of echo" when an argument the
// parser did not expect belongs to another system; "" otherwise.
std::string foreign_option_hint(const std::vector<std::string>& arguments, const std::string& system);

}  // namespace faultline::cli
