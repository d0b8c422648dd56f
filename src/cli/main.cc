// faultline: a distributed-systems lab and test workbench.
#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include "cli/commands.h"
#include "cli/options_cli.h"
#include "runner/run_config.h"

namespace {

// The system the arguments name with --system NAME or --system=NAME (the
// default if none): `faultline test` offers only that system's options.
std::string named_system(int argc, char** argv) {
    std::string system = faultline::runner::RunConfig{}.system;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--system" && i + 1 < argc) system = argv[i + 1];
        if (argument.starts_with("--system=")) system = argument.substr(9);
    }
    return system;
}

// The system `faultline node SYSTEM` names ("" for another command).
std::string node_system(int argc, char** argv) {
    if (argc < 3 || std::string(argv[1]) != "node") return "";
    return argv[2];
}

// Whether the arguments name a node program (--bin): `faultline test` is then
// the harness, with Maelstrom's options.
bool names_a_program(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--") break;
        if (argument == "--bin" || argument.starts_with("--bin=")) return true;
    }
    return false;
}

// Whether `faultline test` runs in real mode (--real): its own options.
bool asks_real_mode(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--real") return true;
    }
    return false;
}

// The command itself: parsing, then the chosen subcommand's action.
int run_command(int argc, char** argv) {
    using namespace faultline::cli;
    CLI::App app{"faultline: simulate distributed systems under faults and check what they did"};
    app.require_subcommand(1);
    app.set_help_all_flag("--help-all", "Help for every subcommand");

    std::map<const CLI::App*, CommandAction> actions;
    auto add = [&](CommandAction action) { actions[app.get_subcommands({}).back()] = action; };
    const std::string system = named_system(argc, argv);
    if (names_a_program(argc, argv)) {
        add(add_harness_test_command(app));
    } else if (asks_real_mode(argc, argv)) {
        add(add_real_test_command(app));
    } else if (system == "etcd") {
        add(add_etcd_test_command(app));
    } else {
        add(add_test_command(app, system));
    }
    add(add_replay_command(app));
    add(add_shrink_command(app));
    add(add_scenario_command(app));
    add(add_check_command(app));
    add(add_systems_command(app));
    add(add_report_command(app));
    add(add_fd_command(app));
    add(add_trace_command(app));
    add(add_node_command(app, node_system(argc, argv)));
    add(add_generals_command(app));
    add(add_merge_command(app));
    add(add_serve_command(app, system));
    add(add_proxy_command(app));

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        std::string message = e.what();
        // An option the command does not have that another system does: say
        // whose it is. Only then: a bad value for an option the command has
        // (real mode's --keys, which dynamo also declares) is the parser's to
        // explain.
        if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
            if (const std::string hint = foreign_option_hint({argv + 1, argv + argc}, system); !hint.empty()) {
                message = hint;
            }
        }
        if (names_a_program(argc, argv) && message.find("not expected") != std::string::npos) {
            message += " (arguments for the node program that start with '-' go after '--')";
        }
        print_error(message);
        return exit_usage;
    }
    for (const auto& [subcommand, action] : actions) {
        if (subcommand->parsed()) return action();
    }
    print_error("no subcommand given (try --help)");
    return exit_usage;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace faultline::cli;
    // Errors are values (Result) throughout faultline, and nothing is meant to
    // throw this far. But a library can (nlohmann's json, std::bad_alloc), and
    // an exception escaping main aborts with exit code 134, which a script
    // could not tell from a verdict. The last resort is one line and the
    // usage-or-runtime-error class of exit codes.
    try {
        return run_command(argc, argv);
    } catch (const std::exception& e) {
        std::string what = e.what();
        for (char& c : what) c = c == '\n' ? ' ' : c;
        print_error("internal error: " + what);
    } catch (...) {
        print_error("internal error: an unknown exception");
    }
    return exit_usage;
}
