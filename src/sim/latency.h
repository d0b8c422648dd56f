// Latency distributions for network links.
//
// A distribution is a small value type: a kind and up to three parameters, drawn
// with the network's random stream. Spelled on the command line and in scenario
// files as:
//
//   5ms                     constant 5 ms
//   constant:5ms            the same
//   uniform:1ms..10ms       uniform between the bounds
//   exponential:5ms         exponential with mean 5 ms
//   exponential:5ms,1ms     at least 1 ms, mean 5 ms (1 ms + Exp(4 ms))
//   lognormal:20ms,0.5      median 20 ms, sigma 0.5 (a long right tail)
//   pareto:1ms,1.5          Pareto tail from 1 ms with shape 1.5 (very long tail)
//   pareto:1ms,1.5,2s       the same, capped at 2 s
//
// The largest latency a distribution can draw must be at most kLatencyMax (10
// years: far beyond any run, and far enough below 2^63 ns that virtual time
// cannot overflow). A draw is never clamped: parse() and check() refuse
// parameters whose tail reaches further (pareto:1ms,0.01, lognormal:1ms,50,
// exponential:1000000h) and say what would do; a CAP tames a Pareto tail.
#pragma once

#include <string>
#include <string_view>

#include "base/prng.h"
#include "base/result.h"
#include "base/time.h"

namespace faultline::sim {

// The longest latency a distribution may be able to draw (see above): 10 years.
inline constexpr Nanos kLatencyMax = seconds(3600) * 24 * 365 * 10;

struct LatencyModel {
    enum class Kind { constant, uniform, exponential, lognormal, pareto };

    Kind kind = Kind::constant;
    Nanos a = 0;       // constant value, uniform low, exponential mean, lognormal median, pareto scale
    Nanos b = 0;       // uniform high, exponential minimum, pareto cap (0 = none)
    double shape = 0;  // lognormal sigma, pareto alpha

    static LatencyModel constant(Nanos value) { return {Kind::constant, value, 0, 0}; }
    static LatencyModel uniform(Nanos low, Nanos high) { return {Kind::uniform, low, high, 0}; }
    static LatencyModel exponential(Nanos mean, Nanos minimum = 0) { return {Kind::exponential, mean, minimum, 0}; }
    static LatencyModel lognormal(Nanos median, double sigma) { return {Kind::lognormal, median, 0, sigma}; }
    static LatencyModel pareto(Nanos scale, double alpha, Nanos cap = 0) { return {Kind::pareto, scale, cap, alpha}; }

    // A constant draws nothing: that case is inline, on the path of every message.
    Nanos sample(Prng& random) const { return kind == Kind::constant ? a : sample_random(random); }
    // The distribution's mean (infinite-mean Pareto reports its cap or scale).
    double mean() const;
    std::string describe() const;
    // The largest value sample() can return, from the reach of Prng's draws.
    double largest_draw() const;
    // An error unless every draw is in [0, kLatencyMax] (parse() checks this);
    // its message is a predicate for the caller to give a subject: "can draw ...".
    Status check() const;

    static Result<LatencyModel> parse(std::string_view text);

  private:
    Nanos sample_random(Prng& random) const;
    static Result<LatencyModel> parse_unchecked(std::string_view text);
};

}  // namespace faultline::sim
