#include "cli/options_cli.h"

#include <fmt/format.h>

#include "runner/system.h"

namespace faultline::cli {

namespace {

std::string help_of(const runner::OptionInfo& info, const Json& defaults) {
    std::string help = info.help;
    if (info.kind == runner::OptionKind::flag) {
        return help + (info.default_true ? " (on by default: this turns it off)" : " (off by default)");
    }
    const auto found = defaults.find(info.json_key());
    std::string notes;
    if (found != defaults.end()) {
        const std::string shown = runner::option_value_text(info, *found);
        notes = "default " + (shown.empty() ? "\"\"" : shown);
    }
    const std::string range = info.range_text();
    if (!range.empty()) notes += (notes.empty() ? "" : "; ") + range;
    if (info.kind == runner::OptionKind::duration) {
        notes += fmt::format("; bare numbers are {}", info.bare_unit == milliseconds(1) ? "ms" : "s");
    }
    return notes.empty() ? help : fmt::format("{} ({})", help, notes);
}

const char* type_name(runner::OptionKind kind) {
    switch (kind) {
        case runner::OptionKind::integer:
            return "INT";
        case runner::OptionKind::number:
            return "NUMBER";
        case runner::OptionKind::duration:
            return "DURATION";
        default:
            return "TEXT";
    }
}

}  // namespace

CLI::Validator whole_number(std::uint64_t low, std::uint64_t high) {
    return CLI::Validator(
        [low, high](std::string& text) -> std::string {
            const auto value = runner::parse_whole_decimal(text);
            if (!value || *value < low || *value > high) {
                return fmt::format("expected a whole number in [{}, {}], got '{}'", low, high, text);
            }
            text = std::to_string(*value);
            return "";
        },
        "UINT");
}

CLI::Validator finite_number(double low, double high) {
    return CLI::Validator(
        [low, high](std::string& text) -> std::string {
            const auto value = runner::parse_finite_decimal(text);
            if (!value || *value < low || *value > high) {
                return fmt::format("expected a number in [{}, {}], got '{}'", low, high, text);
            }
            return "";
        },
        "NUMBER");
}

void add_declared_options(CLI::App& command, const runner::OptionSchema& schema, const Json& defaults,
                          const std::string& group, OptionSetter set) {
    for (const runner::OptionInfo& declared : schema.options()) {
        if (!(declared.scope & runner::in_cli)) continue;
        const runner::OptionInfo info = declared;
        std::string names = info.flag();
        for (const std::string& alias : info.aliases) names += "," + alias;
        const std::string help = help_of(info, defaults);
        auto apply = [info, set](const Json& value) {
            if (auto status = set(info, value); !status)
                throw CLI::ValidationError(info.flag(), status.error().message);
        };
        if (info.kind == runner::OptionKind::flag) {
            command
                .add_flag_callback(
                    names, [apply, info] { apply(Json(!info.default_true)); }, help)
                ->group(group);
            continue;
        }
        // The transformer parses the text once into the JSON form (a duration
        // into nanoseconds); the callback then checks it against the range.
        CLI::Validator to_json(
            [info](std::string& text) -> std::string {
                auto value = runner::option_value_from_text(info, text);
                if (!value) return value.error().message;
                text = value->dump();
                return "";
            },
            "");
        command
            .add_option_function<std::string>(
                names, [apply](const std::string& json) { apply(Json::parse(json)); }, help)
            ->transform(to_json)
            ->type_name(type_name(info.kind))
            ->group(group);
    }
}

namespace {

bool declares_flag(const runner::SystemDescription& description, const std::string& flag) {
    if (description.options == nullptr) return false;
    for (const runner::OptionInfo& info : description.options->options()) {
        if (info.flag() == flag) return true;
        for (const std::string& alias : info.aliases) {
            if (alias == flag) return true;
        }
    }
    return false;
}

}  // namespace

std::string foreign_option_hint(const std::vector<std::string>& arguments, const std::string& system) {
    const runner::SystemDescription* own = runner::find_system(system);
    for (const std::string& argument : arguments) {
        const std::string flag = argument.substr(0, argument.find('='));
        // A flag the system has itself failed for its value (raft-kv and
        // pbft-kv both take --byzantine-behaviour, with other choices): the
        // parser's own message says why.
        if (own != nullptr && declares_flag(*own, flag)) continue;
        for (const runner::SystemDescription* other : runner::all_systems()) {
            if (other->name != system && declares_flag(*other, flag)) {
                return fmt::format("{} is an option of {}, not of {} (add --system {})", flag, other->name, system,
                                   other->name);
            }
        }
    }
    return "";
}

}  // namespace faultline::cli
