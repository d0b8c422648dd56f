// `faultline node SYSTEM`: one server of a built-in system as a Maelstrom node
// on stdin and stdout (harness/stdio_node.h), for faultline's harness or for
// Maelstrom itself: `faultline test -w lin-kv --bin ./raft-kv-node` where the
// script runs `faultline node raft-kv --data-dir DIR`.
#include <unistd.h>

#include <limits>
#include <memory>

#include "cli/commands.h"
#include "cli/options_cli.h"
#include "harness/stdio_node.h"
#include "runner/system.h"

namespace faultline::cli {

CommandAction add_node_command(CLI::App& app, const std::string& system) {
    auto options = std::make_shared<harness::StdioNodeOptions>();
    auto seed = std::make_shared<std::uint64_t>(0);
    CLI::App* node = app.add_subcommand(
        "node",
        "Run one server of a built-in system as a Maelstrom node on stdin/stdout (for the harness or Maelstrom)");
    node->add_option("system", options->system, "The system (raft-kv, broadcast, echo, ...)")->required();
    node->add_option("--data-dir", options->data_dir,
                     "The node keeps its files in DIR/<node id>, and recovers them when started again (default: a "
                     "fresh folder under the temporary folder)");
    node->add_option("--seed", *seed, "Seed of the node's random stream (default: derived from its node id)")
        ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()))
        ->each([options, seed](const std::string&) { options->seed = *seed; });
    const runner::SystemDescription* description = runner::find_system(system);
    if (description != nullptr && description->options != nullptr) {
        const runner::OptionSchema& own = *description->options;
        add_declared_options(*node, own, own.defaults(), system + " options",
                             [options, &own](const runner::OptionInfo& info, const Json& value) -> Status {
                                 const Json one{{info.json_key(), value}};
                                 if (auto normalized = own.normalize(one); !normalized) return normalized.error();
                                 options->system_options[info.json_key()] = value;
                                 return ok_status();
                             });
    }
    return [options, seed] {
        if (options->seed) options->seed = *seed;
        if (auto ready = harness::check_stdio_node(*options); !ready) {
            print_error(ready.error().message);
            return exit_usage;
        }
        if (auto ran = harness::run_stdio_node(*options, STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO); !ran) {
            print_error(ran.error().message);
            return ran.error().code == ErrorCode::io_error ? exit_runtime : exit_usage;
        }
        return exit_valid;
    };
}

}  // namespace faultline::cli
