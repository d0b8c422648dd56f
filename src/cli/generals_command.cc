// `faultline generals two | byzantine`: the two generals and OM(m), explored
// exhaustively (runner/model_check.h). Prints what was explored, each check's
// verdict and, for a failing one, its counterexample as a timeline; exits 0
// valid, 1 invalid, 2 unknown (a bound cut the search), 3 bad options.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/options_cli.h"
#include "runner/model_check.h"

namespace faultline::cli {

namespace {

struct ModelCommand {
    const runner::ModelDescription* model = nullptr;
    CLI::App* command = nullptr;
    Json values = Json::object();
};

int run_model_command(const ModelCommand& chosen) {
    auto result = runner::run_model(*chosen.model, chosen.values);
    if (!result) {
        print_error(result.error().message);
        return exit_usage;
    }
    std::fputs(result->report.c_str(), stdout);
    std::fflush(stdout);
    return exit_code_for(result->verdict);
}

}  // namespace

CommandAction add_generals_command(CLI::App& app) {
    CLI::App* generals = app.add_subcommand(
        "generals",
        "Explore the two generals and the Byzantine generals (OM(m)) exhaustively: every loss, every "
        "order of delivery, every choice of a traitor, within the explorer's bounds");
    // A name that is neither gets a message naming both, not CLI11's
    // "A subcommand is required".
    generals->require_subcommand(0, 1);
    auto other = std::make_shared<std::string>();
    generals->add_option("NAME", *other, "two or byzantine");
    auto commands = std::make_shared<std::vector<ModelCommand>>();
    const std::pair<const char*, const char*> subcommands[] = {
        {"two", "two-generals"},
        {"byzantine", "byzantine-generals"},
    };
    commands->reserve(std::size(subcommands));
    for (const auto& [subcommand, name] : subcommands) {
        const runner::ModelDescription* model = runner::find_model(name);
        FL_ASSERT_MSG(model != nullptr, name);
        commands->push_back(ModelCommand{model, generals->add_subcommand(subcommand, model->summary)});
        ModelCommand& entry = commands->back();
        entry.command->footer(
            fmt::format("Checks: {}. Exit code 0 valid, 1 invalid, 2 unknown (a bound cut the "
                        "search), 3 bad options.\n",
                        fmt::join(model->checks, ", ")));
        add_declared_options(*entry.command, *model->options, model->options->defaults(), "Options",
                             [&entry](const runner::OptionInfo& info, const Json& value) -> Status {
                                 entry.values[info.json_key()] = value;
                                 // The declared type and range, checked as the value is given.
                                 auto normalized = entry.model->options->normalize(entry.values);
                                 if (!normalized) return normalized.error();
                                 return ok_status();
                             });
    }
    return [commands, other] {
        for (const ModelCommand& entry : *commands) {
            if (entry.command->parsed()) return run_model_command(entry);
        }
        print_error(other->empty() ? "name the generals: generals two | generals byzantine"
                                   : fmt::format("no generals named '{}': generals two | generals byzantine", *other));
        return exit_usage;
    };
}

}  // namespace faultline::cli
