#include "base/time.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace faultline {

Result<Nanos> parse_duration(std::string_view text, Nanos bare_unit) {
    std::string owned(text);
    const char* begin = owned.c_str();
    char* end = nullptr;
    double number = std::strtod(begin, &end);
    // strtod also reads "nan", "inf", hex and leading spaces: a duration is
    // decimal digits (with a point or an exponent) and a unit.
    const bool decimal = std::all_of(begin, static_cast<const char*>(end), [](char c) {
        return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
    });
    if (end == begin || owned.empty() || !decimal || !std::isfinite(number)) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("'{}' is not a duration (try 5ms, 1.5s, 250us)", text));
    }
    std::string_view unit(end);
    double scale = 0;
    if (unit.empty()) {
        scale = static_cast<double>(bare_unit);
    } else if (unit == "ns") {
        scale = 1;
    } else if (unit == "us") {
        scale = 1e3;
    } else if (unit == "ms") {
        scale = 1e6;
    } else if (unit == "s") {
        scale = 1e9;
    } else if (unit == "m" || unit == "min") {
        scale = 60e9;
    } else if (unit == "h") {
        scale = 3600e9;
    } else {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("'{}': unknown time unit '{}' (use ns, us, ms, s, m, h)", text, unit));
    }
    double value = number * scale;
    if (!std::isfinite(value) || value < 0 || value > 9.2e18) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("'{}' is out of range (must be >= 0 and at most 2555555h)", text));
    }
    return static_cast<Nanos>(std::llround(value));
}

namespace {

// Three significant digits in plain notation ("3.56", "45.2", "1000"), never
// an exponent: a person reads "1000h", not "1e+03h".
std::string plain(double value) {
    const double magnitude = std::fabs(value);
    const int decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
    std::string text = fmt::format("{:.{}f}", value, decimals);
    if (text.find('.') != std::string::npos) {
        text.erase(text.find_last_not_of('0') + 1);
        if (text.back() == '.') text.pop_back();
    }
    return text;
}

}  // namespace

std::string format_duration(Nanos t) {
    const double ns = static_cast<double>(t);
    const double magnitude = std::fabs(ns);
    if (magnitude >= 3600e9) return plain(ns / 3600e9) + "h";
    if (magnitude >= 1000e9) return plain(ns / 60e9) + "min";
    if (magnitude >= 1e9) return plain(ns / 1e9) + "s";
    if (magnitude >= 1e6) return plain(ns / 1e6) + "ms";
    if (magnitude >= 1e3) return plain(ns / 1e3) + "us";
    return fmt::format("{}ns", t);
}

std::string format_duration_exact(Nanos t) {
    if (t != 0 && t % 1'000'000'000 == 0) return fmt::format("{}s", t / 1'000'000'000);
    if (t != 0 && t % 1'000'000 == 0) return fmt::format("{}ms", t / 1'000'000);
    if (t != 0 && t % 1'000 == 0) return fmt::format("{}us", t / 1'000);
    return fmt::format("{}ns", t);
}

}  // namespace faultline
