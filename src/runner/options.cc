#include "runner/options.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

namespace faultline::runner {

namespace {

std::string kebab(std::string_view key) {
    std::string out(key);
    for (char& c : out) c = c == '_' ? '-' : c;
    return out;
}

std::string bound_text(const OptionInfo& info, const Json& bound) {
    if (info.kind == OptionKind::duration) return format_duration(bound.get<Nanos>());
    return bound.dump();
}

}  // namespace

std::string OptionInfo::flag() const {
    return (kind == OptionKind::flag && default_true ? "--no-" : "--") + kebab(key);
}

std::string OptionInfo::json_key() const {
    return kind == OptionKind::duration ? key + "_ns" : key;
}

std::string OptionInfo::range_text() const {
    if (!choices.empty()) {
        std::string out;
        for (const std::string& choice : choices) out += (out.empty() ? "" : ", ") + choice;
        return out;
    }
    if (min.is_null() && max.is_null()) return "";
    if (kind == OptionKind::duration) {
        return fmt::format("{}..{}", bound_text(*this, min), max.is_null() ? "" : bound_text(*this, max));
    }
    return fmt::format("[{}, {}]", min.is_null() ? "-inf" : bound_text(*this, min),
                       max.is_null() ? "inf" : bound_text(*this, max));
}

std::optional<std::uint64_t> parse_whole_decimal(std::string_view text) {
    if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (stop != end || error != std::errc{}) return std::nullopt;
    return value;
}

std::optional<double> parse_finite_decimal(std::string_view text) {
    // strtod alone also reads hex ("0x10"), "inf", "nan" and leading spaces.
    if (text.empty()) return std::nullopt;
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return std::nullopt;
    }
    const std::string copy(text);
    char* stop = nullptr;
    const double value = std::strtod(copy.c_str(), &stop);
    if (stop != copy.c_str() + copy.size() || !std::isfinite(value)) return std::nullopt;
    return value;
}

Result<Json> option_value_from_text(const OptionInfo& info, std::string_view text) {
    auto wrong = [&](const std::string& expected) {
        return make_error(ErrorCode::invalid_argument, fmt::format("expected {}, got '{}'", expected, text));
    };
    switch (info.kind) {
        case OptionKind::flag:
            if (text == "true") return Json(true);
            if (text == "false") return Json(false);
            return wrong("true or false");
        case OptionKind::text:
            return Json(std::string(text));
        case OptionKind::duration: {
            auto parsed = parse_duration(text, info.bare_unit);
            if (!parsed) return parsed.error();
            return Json(*parsed);
        }
        case OptionKind::integer: {
            // Decimal only, as parse_whole_decimal; a sign is read here so
            // that "-1" is refused by the range, which names it.
            if (!text.empty() && text.front() == '-') {
                const auto magnitude = parse_whole_decimal(text.substr(1));
                if (!magnitude || *magnitude > std::uint64_t{1} << 63) return wrong("a whole number");
                return Json(static_cast<std::int64_t>(0 - *magnitude));
            }
            const auto value = parse_whole_decimal(text);
            if (!value) return wrong("a whole number");
            return Json(*value);
        }
        case OptionKind::number: {
            const auto value = parse_finite_decimal(text);
            if (!value) return wrong("a finite number");
            return Json(*value);
        }
    }
    FL_UNREACHABLE();
}

Result<Json> option_value_from_scenario(const OptionInfo& info, const Json& value) {
    if (info.kind != OptionKind::duration) return value;
    // The messages name the key: the line alone does not say which value on
    // it was wrong to someone reading the error without the file.
    if (value.is_string()) {
        auto parsed = parse_duration(value.get<std::string>(), seconds(1));
        if (!parsed) return make_error(parsed.error().code, info.key + ": " + parsed.error().message);
        return Json(*parsed);
    }
    if (value.is_number()) {
        const double number = value.get<double>();
        // The same range as parse_duration's: beyond it the cast would be undefined.
        if (!(number >= 0 && number * 1e9 <= 9.2e18)) {
            return make_error(ErrorCode::invalid_argument,
                              info.key + ": a duration in seconds must be in [0, 9.2e9], got " + value.dump());
        }
        return Json(static_cast<Nanos>(number * 1e9));
    }
    return make_error(ErrorCode::parse_error, info.key + ": expected a duration such as \"5s\" or \"250ms\"");
}

std::string option_value_text(const OptionInfo& info, const Json& value) {
    switch (info.kind) {
        case OptionKind::duration:
            return format_duration_exact(value.get<Nanos>());
        case OptionKind::text:
            return value.get<std::string>();
        case OptionKind::number:
            return fmt::format("{}", value.get<double>());
        default:
            return value.dump();
    }
}

const OptionInfo* OptionSchema::find(std::string_view key) const {
    for (const OptionInfo& info : options()) {
        if (info.key == key) return &info;
    }
    return nullptr;
}

std::string OptionSchema::command_line(const Json& values) const {
    const Json defaults = this->defaults();
    std::string out;
    for (const OptionInfo& info : options()) {
        if (!(info.scope & in_repro)) continue;
        const auto value = values.find(info.json_key());
        if (value == values.end() || *value == defaults[info.json_key()]) continue;
        if (info.kind == OptionKind::flag) {
            out += " " + info.flag();  // differs from the default: the flag turns it over
        } else {
            out += fmt::format(" {} {}", info.flag(), option_value_text(info, *value));
        }
    }
    return out;
}

Status read_option_json(const std::string& name, OptionKind kind, bool is_signed, Json min, Json max,
                        const Json& value) {
    auto wrong = [&](const std::string& expected) {
        return make_error(ErrorCode::parse_error,
                          fmt::format("option '{}' must be {}, got {}", name, expected, value.dump()));
    };
    if (kind == OptionKind::number) {
        if (!value.is_number() || !std::isfinite(value.get<double>())) return wrong("a finite number");
        return ok_status();
    }
    // An integer of the member's type: nlohmann's get<> would truncate 1.5 to 1,
    // wrap 4294967297 into an int, and read -1 as 2^64-1 for an unsigned field.
    const std::string expected = fmt::format("an integer in [{}, {}]", min.dump(), max.dump());
    if (value.is_number_unsigned()) {
        if (value.get<std::uint64_t>() > max.get<std::uint64_t>()) return wrong(expected);
        return ok_status();
    }
    if (value.is_number_integer()) {
        const auto number = value.get<std::int64_t>();
        if (number < 0 && !is_signed) return wrong(expected);
        if (is_signed && (number < min.get<std::int64_t>() || number > max.get<std::int64_t>())) return wrong(expected);
        if (!is_signed && number >= 0 && static_cast<std::uint64_t>(number) > max.get<std::uint64_t>()) {
            return wrong(expected);
        }
        return ok_status();
    }
    return wrong(expected);
}

Status check_option_range(const OptionInfo& info, const Json& value) {
    if (!info.choices.empty()) {
        for (const std::string& choice : info.choices) {
            if (value == choice) return ok_status();
        }
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{} must be one of {}, got {}", info.key, info.range_text(), value.dump()));
    }
    if (!value.is_number()) return ok_status();
    // Compared as long double: exact for every 64-bit integer bound we declare
    // (powers of two and small numbers) and for doubles.
    auto as_number = [](const Json& number) {
        if (number.is_number_unsigned()) return static_cast<long double>(number.get<std::uint64_t>());
        if (number.is_number_integer()) return static_cast<long double>(number.get<std::int64_t>());
        return static_cast<long double>(number.get<double>());
    };
    const long double number = as_number(value);
    const bool below = !info.min.is_null() && number < as_number(info.min);
    const bool above = !info.max.is_null() && number > as_number(info.max);
    if (below || above) {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("{} must be in {}, got {}", info.key, info.range_text(),
                        info.kind == OptionKind::duration ? format_duration(value.get<Nanos>()) : value.dump()));
    }
    return ok_status();
}

}  // namespace faultline::runner
