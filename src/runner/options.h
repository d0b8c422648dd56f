// Options declared once.
//
// An option is one declaration: its key, the member it sets, its kind, its
// declared range, its default (the member's initial value) and its help. From
// that one declaration come
//
//   the command-line flag    --lease-reads, --election-timeout-min 300ms
//   the scenario TOML key    lease_reads = true, election_timeout_min = "300ms"
//   the config.json field    "lease_reads": true, "election_timeout_min_ns": 300000000
//   the repro command line   the flags of every option that differs from its default
//
// so a knob has one name everywhere (config.json adds "_ns" to durations, which
// it stores as integers), and a value out of its declared range is an error in
// every one of them, never clamped.
//
// A table is typed (OptionTable<RaftKvOptions>); the runner and the CLI, which
// handle every system's options alike, see a system's table through the
// type-erased OptionSchema, over the options' values as a JSON object.
//
//   struct TallyOptions { int window = 3; Nanos pace = seconds(1); };
//   const OptionTable<TallyOptions>& tally_options() {
//       static const auto table = [] {
//           OptionTable<TallyOptions> t;
//           t.add("window", &TallyOptions::window, "Values per window").range(1, 100);
//           t.duration("pace", &TallyOptions::pace, seconds(1), "Time between rounds").range(milliseconds(1),
//           seconds(60)); return t;
//       }();
//       return table;
//   }
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/assert.h"
#include "base/json.h"
#include "base/result.h"
#include "base/time.h"

namespace faultline::runner {

enum class OptionKind { flag, integer, number, text, duration };

// Where an option appears. Most appear everywhere; a few are spelled
// differently on the command line (the seed) or are structured data a scenario
// writes in its own tables (the schedule).
enum OptionScope : unsigned {
    in_cli = 1,
    in_toml = 2,
    in_json = 4,
    in_repro = 8,
    everywhere = 15,
    // A flag the command declares by hand (--system, --bug, --seed: their
    // parsing is special), listed with the others in the docs.
    flag_by_hand = 16,
};

// What help, docs and error messages show of an option.
struct OptionInfo {
    std::string key;  // snake_case
    OptionKind kind = OptionKind::text;
    std::string help;
    std::vector<std::string> aliases;  // more command-line flags ("--node-count")
    Json min;                          // the declared range (null: none), durations in ns
    Json max;
    std::vector<std::string> choices;  // text options with a closed set of values
    Nanos bare_unit = seconds(1);      // durations: what a bare number means on the command line
    unsigned scope = everywhere;
    bool default_true = false;  // flags: the command line offers --no-KEY

    std::string flag() const;      // "--lease-reads" ("--no-pre-vote" for default_true flags)
    std::string json_key() const;  // durations: KEY_ns
    // "1ms..1h", "[0, 1]", "tree, flood", "" when unbounded.
    std::string range_text() const;
};

// Parses command-line text into the JSON form of an option of this kind
// (durations in ns through parse_duration with the option's bare unit, numbers
// strictly in decimal). The range is checked when the value is set. The
// message does not name the flag: the caller does ("--nodes: expected ...").
Result<Json> option_value_from_text(const OptionInfo& info, std::string_view text);

// Numbers as every option reads them, declared in a table or not: decimal
// digits only for a whole number (no sign, no 0x, no spaces: on its own CLI11
// reads "010" as octal, "0x5" as hex and "-1" into an unsigned as 2^64-1), and
// a finite decimal number for a number (no hex, inf or nan, which passes every
// range check since it compares false).
std::optional<std::uint64_t> parse_whole_decimal(std::string_view text);
std::optional<double> parse_finite_decimal(std::string_view text);
// A scenario file's value: durations as "250ms" or seconds; other kinds as is.
Result<Json> option_value_from_scenario(const OptionInfo& info, const Json& value);
// The command-line / TOML spelling of a JSON value: "250ms", "0.5", "tree".
std::string option_value_text(const OptionInfo& info, const Json& value);

// The operations every table offers, over a JSON object of values by key.
class OptionSchema {
  public:
    virtual ~OptionSchema() = default;
    virtual const std::vector<OptionInfo>& options() const = 0;
    // Every option at its default, by JSON key.
    virtual Json defaults() const = 0;
    // Reads a JSON object strictly (exact types, declared ranges, checks; an
    // unknown key is an error) and returns it complete, defaults filled in.
    virtual Result<Json> normalize(const Json& values) const = 0;
    const OptionInfo* find(std::string_view key) const;
    // The flags of the options in `values` that differ from their defaults.
    std::string command_line(const Json& values) const;
};

// A typed table of options over Config.
template <class Config>
class OptionTable final : public OptionSchema {
  public:
    // A declaration being written: chain range, choices, check, aliases, scope.
    class Declaration {
      public:
        Declaration& range(Json min, Json max) {
            entry_->info.min = std::move(min);
            entry_->info.max = std::move(max);
            return *this;
        }
        Declaration& choices(std::vector<std::string> values) {
            entry_->info.choices = std::move(values);
            return *this;
        }
        // A condition beyond the range (a latency spec that must parse, a
        // timer that is 0 or at least 1ms), on the value's JSON form.
        Declaration& check(std::function<Status(const Json&)> condition) {
            entry_->check = std::move(condition);
            return *this;
        }
        Declaration& alias(std::string flag) {
            entry_->info.aliases.push_back(std::move(flag));
            return *this;
        }
        Declaration& scope(unsigned where) {
            entry_->info.scope = where;
            return *this;
        }

      private:
        friend class OptionTable;
        struct Entry {
            OptionInfo info;
            std::function<Json(const Config&)> get;
            std::function<Status(Config&, const Json&)> set;  // type-checked; range checked by the table
            std::function<Status(const Json&)> check;
        };
        explicit Declaration(Entry* entry) : entry_(entry) {}
        Entry* entry_;
    };

    // A flag, a whole number, a number or a text, by member or by accessor.
    template <class T>
    Declaration add(std::string key, T Config::*member, std::string help) {
        return add<T>(
            std::move(key), [member](Config& config) -> T& { return config.*member; }, std::move(help));
    }
    template <class T>
    Declaration add(std::string key, std::function<T&(Config&)> access, std::string help) {
        return declare<T>(std::move(key), kind_of<T>(), std::move(access), std::move(help));
    }
    // A duration: Nanos in the config, "250ms" on the command line and in
    // scenarios (a bare number is `bare_unit` on the command line, seconds in
    // a scenario), KEY_ns in config.json.
    Declaration duration(std::string key, Nanos Config::*member, Nanos bare_unit, std::string help) {
        return duration(
            std::move(key), [member](Config& config) -> Nanos& { return config.*member; }, bare_unit, std::move(help));
    }
    Declaration duration(std::string key, std::function<Nanos&(Config&)> access, Nanos bare_unit, std::string help) {
        Declaration declaration =
            declare<Nanos>(std::move(key), OptionKind::duration, std::move(access), std::move(help));
        declaration.entry_->info.bare_unit = bare_unit;
        declaration.entry_->info.min = 0;
        return declaration;
    }

    const std::vector<OptionInfo>& options() const override {
        refresh_infos();
        return infos_;
    }

    // The JSON form of every option in scope `where`.
    Json to_json(const Config& config, unsigned where = in_json) const {
        Json out = Json::object();
        for (const auto& entry : entries_) {
            if (entry->info.scope & where) out[entry->info.json_key()] = entry->get(config);
        }
        return out;
    }
    // Sets one option from its JSON form, checking type, range and condition.
    Status set(Config& config, const OptionInfo& info, const Json& value) const {
        const auto& entry = entry_for(info.key);
        if (auto status = entry.set(config, value); !status) return status;
        return check_value(entry, value);
    }
    // Reads the options in scope `where` from a JSON object (absent keys keep
    // their values). Keys that are not options are the caller's to judge.
    Status from_json(const Json& json, Config& config, unsigned where = in_json) const {
        for (const auto& entry : entries_) {
            if (!(entry->info.scope & where)) continue;
            const auto found = json.find(entry->info.json_key());
            if (found == json.end()) continue;
            if (auto status = set(config, entry->info, *found); !status) return status;
        }
        return ok_status();
    }
    // Checks every option's range and condition (for values set in code).
    Status validate(const Config& config) const {
        for (const auto& entry : entries_) {
            if (auto status = check_value(*entry, entry->get(config)); !status) return status;
        }
        return ok_status();
    }

    Json defaults() const override { return to_json(Config{}); }
    Result<Json> normalize(const Json& values) const override {
        if (!values.is_object()) return make_error(ErrorCode::parse_error, "options must be a JSON object");
        for (const auto& [key, value] : values.items()) {
            if (!has_json_key(key)) return make_error(ErrorCode::invalid_argument, "unknown option '" + key + "'");
        }
        Config config;
        if (auto status = from_json(values, config); !status) return status.error();
        return to_json(config);
    }
    // Decodes a normalized JSON object (see normalize) into the typed options.
    Result<Config> decode(const Json& values) const {
        Config config;
        if (auto status = from_json(values, config); !status) return status.error();
        return config;
    }

  private:
    template <class T>
    static constexpr OptionKind kind_of() {
        if constexpr (std::is_same_v<T, bool>)
            return OptionKind::flag;
        else if constexpr (std::is_integral_v<T>)
            return OptionKind::integer;
        else if constexpr (std::is_floating_point_v<T>)
            return OptionKind::number;
        else {
            static_assert(std::is_same_v<T, std::string>, "options are bool, integers, double or std::string");
            return OptionKind::text;
        }
    }

    template <class T>
    Declaration declare(std::string key, OptionKind kind, std::function<T&(Config&)> access, std::string help) {
        auto entry = std::make_unique<typename Declaration::Entry>();
        entry->info.key = std::move(key);
        entry->info.kind = kind;
        entry->info.help = std::move(help);
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
            entry->info.min = std::numeric_limits<T>::min();
            entry->info.max = std::numeric_limits<T>::max();
        }
        entry->get = [access](const Config& config) {
            Config& mutable_config = const_cast<Config&>(config);  // the accessor only reads here
            return Json(access(mutable_config));
        };
        const std::string name = entry->info.key;
        entry->set = [access, name](Config& config, const Json& value) -> Status {
            return read_typed<T>(name, value, access(config));
        };
        if constexpr (std::is_same_v<T, bool>) {
            Config defaults;
            entry->info.default_true = access(defaults);
        }
        entries_.push_back(std::move(entry));
        infos_stale_ = true;
        return Declaration(entries_.back().get());
    }

    template <class T>
    static Status read_typed(const std::string& name, const Json& value, T& out);

    Status check_value(const typename Declaration::Entry& entry, const Json& value) const;

    const typename Declaration::Entry& entry_for(const std::string& key) const {
        for (const auto& entry : entries_) {
            if (entry->info.key == key) return *entry;
        }
        FL_UNREACHABLE();
    }
    bool has_json_key(const std::string& key) const {
        for (const auto& entry : entries_) {
            if ((entry->info.scope & in_json) && entry->info.json_key() == key) return true;
        }
        return false;
    }
    void refresh_infos() const {
        if (!infos_stale_) return;
        infos_.clear();
        for (const auto& entry : entries_) {
            infos_.push_back(entry->info);
        }
        infos_stale_ = false;
    }

    std::vector<std::unique_ptr<typename Declaration::Entry>> entries_;
    mutable std::vector<OptionInfo> infos_;
    mutable bool infos_stale_ = true;
};

// Shared by every table: the value's JSON type against the member's type.
Status read_option_json(const std::string& name, OptionKind kind, bool is_signed, Json min, Json max,
                        const Json& value);
// The declared range and the choices, with the option's name in the error.
Status check_option_range(const OptionInfo& info, const Json& value);

template <class Config>
template <class T>
Status OptionTable<Config>::read_typed(const std::string& name, const Json& value, T& out) {
    if constexpr (std::is_same_v<T, bool>) {
        if (!value.is_boolean()) {
            return make_error(ErrorCode::parse_error,
                              "option '" + name + "' must be true or false, got " + value.dump());
        }
        out = value.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
        if (auto status = read_option_json(name, OptionKind::integer, std::is_signed_v<T>,
                                           std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), value);
            !status) {
            return status;
        }
        out = value.is_number_unsigned() ? static_cast<T>(value.get<std::uint64_t>())
                                         : static_cast<T>(value.get<std::int64_t>());
    } else if constexpr (std::is_floating_point_v<T>) {
        if (auto status = read_option_json(name, OptionKind::number, true, Json(), Json(), value); !status) {
            return status;
        }
        out = value.get<double>();
    } else {
        if (!value.is_string()) {
            return make_error(ErrorCode::parse_error, "option '" + name + "' must be a string, got " + value.dump());
        }
        out = value.get<std::string>();
    }
    return ok_status();
}

template <class Config>
Status OptionTable<Config>::check_value(const typename Declaration::Entry& entry, const Json& value) const {
    if (auto status = check_option_range(entry.info, value); !status) return status;
    if (entry.check) {
        if (auto status = entry.check(value); !status) {
            return make_error(status.error().code, entry.info.key + ": " + status.error().message);
        }
    }
    return ok_status();
}

}  // namespace faultline::runner
