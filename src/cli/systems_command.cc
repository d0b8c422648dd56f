// `faultline systems`: every registered system, its checks, its bugs and its
// own options, and the options every run has. `--markdown` writes the same as
// docs/systems.md, which a test keeps equal to it: the docs pick up a new
// system, or a new option, as soon as it is registered.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "runner/system.h"

namespace faultline::cli {

namespace {

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const std::string& word : words) out += (out.empty() ? "" : ", ") + word;
    return out;
}

std::string escaped(std::string text) {
    std::string out;
    for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
}

// A table row per option: flag, scenario key, default, range, help.
std::string option_table(const runner::OptionSchema& schema) {
    const Json defaults = schema.defaults();
    std::string out = "| command line | scenario key | default | range | what |\n|---|---|---|---|---|\n";
    for (const runner::OptionInfo& info : schema.options()) {
        if (!(info.scope & (runner::in_cli | runner::in_toml | runner::flag_by_hand))) continue;
        std::string flags = (info.scope & (runner::in_cli | runner::flag_by_hand)) ? "`" + info.flag() + "`" : "";
        for (const std::string& alias : info.aliases) flags += ", `" + alias + "`";
        const auto found = defaults.find(info.json_key());
        std::string shown = found == defaults.end() ? "" : runner::option_value_text(info, *found);
        if (info.kind == runner::OptionKind::duration && found != defaults.end()) {
            shown = format_duration(found->get<Nanos>());
        }
        const std::string key = (info.scope & runner::in_toml) ? "`" + info.key + "`" : "";
        out += fmt::format("| {} | {} | {} | {} | {} |\n", flags, key, shown.empty() ? "\"\"" : escaped(shown),
                           escaped(info.range_text()), escaped(info.help));
    }
    return out;
}

std::string markdown() {
    std::string out =
        "# Systems and their options\n\n"
        "Written by `faultline systems --markdown`; a test keeps this page equal to its output. Each\n"
        "option has one name: the command-line flag, the scenario key, and the config.json field\n"
        "(which adds `_ns` to durations). Durations on the command line take a unit (`250ms`,\n"
        "`5s`); see docs/extending.md for how options are declared.\n\n"
        "## Options of every run\n\n" +
        option_table(runner::RunConfig::options());
    out += fmt::format("\nService checks every system with clients gets: {}.\n", joined(runner::kServiceChecks));
    for (const runner::SystemDescription* system : runner::all_systems()) {
        out += fmt::format("\n## {}\n\n{}.\n\n", system->name, system->summary);
        out += fmt::format("Checks: {}.\n", joined(system->checks));
        if (!system->bugs.empty()) out += fmt::format("Deliberate bugs (`--bug`): {}.\n", joined(system->bugs));
        if (system->options != nullptr) out += "\n" + option_table(*system->options);
    }
    return out;
}

std::string plain() {
    std::string out;
    for (const runner::SystemDescription* system : runner::all_systems()) {
        out += fmt::format("{:<16}{}\n", system->name, system->summary);
        out += fmt::format("{:<16}checks: {}\n", "", joined(system->checks));
        if (!system->bugs.empty()) out += fmt::format("{:<16}bugs: {}\n", "", joined(system->bugs));
    }
    out += "\nfaultline test --system NAME --help shows a system's own options.\n";
    return out;
}

}  // namespace

CommandAction add_systems_command(CLI::App& app) {
    auto as_markdown = std::make_shared<bool>(false);
    CLI::App* systems = app.add_subcommand("systems", "List the systems faultline can run, their checks and options");
    systems->add_flag("--markdown", *as_markdown, "Everything, as the Markdown of docs/systems.md");
    return [as_markdown] {
        std::fputs((*as_markdown ? markdown() : plain()).c_str(), stdout);
        return exit_valid;
    };
}

}  // namespace faultline::cli
