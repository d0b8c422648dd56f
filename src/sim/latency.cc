#include "sim/latency.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace faultline::sim {

Nanos LatencyModel::sample_random(Prng& random) const {
    switch (kind) {
        case Kind::constant:
            return a;
        case Kind::uniform:
            return random.between(a, b);
        case Kind::exponential: {
            const double spread = static_cast<double>(a - b);
            return b + static_cast<Nanos>(random.exponential(spread));
        }
        case Kind::lognormal:
            return static_cast<Nanos>(random.lognormal(std::log(static_cast<double>(a)), shape));
        case Kind::pareto: {
            auto value = static_cast<Nanos>(random.pareto(static_cast<double>(a), shape));
            return b > 0 ? std::min(value, b) : value;
        }
    }
    FL_UNREACHABLE();
}

double LatencyModel::mean() const {
    switch (kind) {
        case Kind::constant:
            return static_cast<double>(a);
        case Kind::uniform:
            return (static_cast<double>(a) + static_cast<double>(b)) / 2;
        case Kind::exponential:
            return static_cast<double>(a);
        case Kind::lognormal:
            return static_cast<double>(a) * std::exp(shape * shape / 2);
        case Kind::pareto:
            if (shape > 1 && b == 0) return static_cast<double>(a) * shape / (shape - 1);
            return static_cast<double>(b > 0 ? b : a);
    }
    FL_UNREACHABLE();
}

double LatencyModel::largest_draw() const {
    // The extremes of Prng's draws: 1 - unit() >= 2^-53, so exponential() is at
    // most mean * 53 ln 2, normal() at most sqrt(2 * 53 ln 2) (about 8.6) in
    // size, and pareto() at most x_min * 2^(53 / alpha).
    const double tail = Prng::kUnitBits * std::log(2.0);
    switch (kind) {
        case Kind::constant:
            return static_cast<double>(a);
        case Kind::uniform:
            return static_cast<double>(b);
        case Kind::exponential:
            return static_cast<double>(b) + static_cast<double>(a - b) * tail;
        case Kind::lognormal:
            return static_cast<double>(a) * std::exp(shape * std::sqrt(2 * tail));
        case Kind::pareto: {
            const double reach = static_cast<double>(a) * std::exp2(Prng::kUnitBits / shape);
            return b > 0 ? std::min(reach, static_cast<double>(b)) : reach;
        }
    }
    FL_UNREACHABLE();
}

Status LatencyModel::check() const {
    const bool negative = a < 0 || b < 0 || (kind == Kind::uniform && a > b) || (kind == Kind::exponential && b > a);
    if (negative || !std::isfinite(shape) || shape < 0) {
        return make_error(ErrorCode::invalid_argument, "has parameters out of range");
    }
    const double largest = largest_draw();
    if (!(largest <= static_cast<double>(kLatencyMax))) {
        const char* remedy = kind == Kind::pareto      ? "a larger ALPHA or a CAP (pareto:SCALE,ALPHA,CAP)"
                             : kind == Kind::lognormal ? "a smaller SIGMA or MEDIAN"
                                                       : "a smaller mean";
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("can draw more than {} years, the most a latency may reach; use {}",
                                      kLatencyMax / (seconds(3600) * 24 * 365), remedy));
    }
    return ok_status();
}

std::string LatencyModel::describe() const {
    switch (kind) {
        case Kind::constant:
            return format_duration(a);
        case Kind::uniform:
            return fmt::format("uniform:{}..{}", format_duration(a), format_duration(b));
        case Kind::exponential:
            if (b == 0) return fmt::format("exponential:{}", format_duration(a));
            return fmt::format("exponential:{},{}", format_duration(a), format_duration(b));
        case Kind::lognormal:
            return fmt::format("lognormal:{},{}", format_duration(a), shape);
        case Kind::pareto:
            if (b == 0) return fmt::format("pareto:{},{}", format_duration(a), shape);
            return fmt::format("pareto:{},{},{}", format_duration(a), shape, format_duration(b));
    }
    FL_UNREACHABLE();
}

namespace {

std::vector<std::string> split(std::string_view text, std::string_view separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t found = text.find(separator, start);
        parts.emplace_back(text.substr(start, found - start));
        if (found == std::string_view::npos) break;
        start = found + separator.size();
    }
    return parts;
}

Result<double> parse_positive_number(std::string_view text, std::string_view what) {
    std::string owned(text);
    char* end = nullptr;
    double value = std::strtod(owned.c_str(), &end);
    if (owned.empty() || *end != '\0' || !std::isfinite(value) || value <= 0) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{} must be a positive number, got '{}'", what, text));
    }
    return value;
}

}  // namespace

Result<LatencyModel> LatencyModel::parse(std::string_view text) {
    auto model = parse_unchecked(text);
    if (!model) return model;
    if (auto status = model->check(); !status) {
        return make_error(status.error().code, fmt::format("latency '{}' {}", text, status.error().message));
    }
    return model;
}

Result<LatencyModel> LatencyModel::parse_unchecked(std::string_view text) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        auto value = parse_duration(text);
        if (!value) return value.error();
        return constant(*value);
    }
    std::string_view kind = text.substr(0, colon);
    std::string_view rest = text.substr(colon + 1);
    auto bad = [&](std::string_view expected) {
        return make_error(ErrorCode::invalid_argument, fmt::format("latency '{}': expected {}", text, expected));
    };
    if (kind == "constant") {
        auto value = parse_duration(rest);
        if (!value) return value.error();
        return constant(*value);
    }
    if (kind == "uniform") {
        auto bounds = split(rest, "..");
        if (bounds.size() != 2) return bad("uniform:LOW..HIGH");
        auto low = parse_duration(bounds[0]);
        auto high = parse_duration(bounds[1]);
        if (!low) return low.error();
        if (!high) return high.error();
        if (*low > *high) return bad("LOW <= HIGH in uniform:LOW..HIGH");
        return uniform(*low, *high);
    }
    auto args = split(rest, ",");
    if (kind == "exponential" || kind == "exp") {
        if (args.empty() || args.size() > 2) return bad("exponential:MEAN[,MIN]");
        auto mean_value = parse_duration(args[0]);
        if (!mean_value) return mean_value.error();
        Nanos minimum = 0;
        if (args.size() == 2) {
            auto parsed = parse_duration(args[1]);
            if (!parsed) return parsed.error();
            minimum = *parsed;
        }
        if (minimum > *mean_value) return bad("MIN <= MEAN in exponential:MEAN,MIN");
        return exponential(*mean_value, minimum);
    }
    if (kind == "lognormal") {
        if (args.size() != 2) return bad("lognormal:MEDIAN,SIGMA");
        auto median = parse_duration(args[0]);
        if (!median) return median.error();
        if (*median <= 0) return bad("a positive MEDIAN");
        auto sigma = parse_positive_number(args[1], "lognormal sigma");
        if (!sigma) return sigma.error();
        return lognormal(*median, *sigma);
    }
    if (kind == "pareto") {
        if (args.size() < 2 || args.size() > 3) return bad("pareto:SCALE,ALPHA[,CAP]");
        auto scale = parse_duration(args[0]);
        if (!scale) return scale.error();
        if (*scale <= 0) return bad("a positive SCALE");
        auto alpha = parse_positive_number(args[1], "pareto alpha");
        if (!alpha) return alpha.error();
        Nanos cap = 0;
        if (args.size() == 3) {
            auto parsed = parse_duration(args[2]);
            if (!parsed) return parsed.error();
            cap = *parsed;
        }
        return pareto(*scale, *alpha, cap);
    }
    return make_error(ErrorCode::invalid_argument,
                      fmt::format("latency '{}': unknown distribution '{}' (constant, uniform, "
                                  "exponential, lognormal, pareto)",
                                  text, kind));
}

}  // namespace faultline::sim
