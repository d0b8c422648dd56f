// Prng: the only source of randomness in faultline's deterministic code.
//
// xoshiro256** seeded through splitmix64. Every draw maps to a value with our own
// arithmetic (no std::uniform_int_distribution, whose output differs between
// standard libraries), so a seed means the same run on every machine.
//
// A run has one root seed. Each subsystem draws from its own named stream,
// `Prng::stream(root, "network")`, so adding draws to one subsystem never shifts
// another's: removing a fault during shrinking leaves the workload unchanged.
//
// Every draw consumes exactly one 64-bit output (two for normal()), whatever
// its parameters, so changing a probability never desynchronizes a stream.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

#include "base/assert.h"
#include "base/types.h"

namespace faultline {

class Prng {
  public:
    explicit Prng(std::uint64_t seed);

    // An independent stream for `name`, derived from the run's root seed.
    static Prng stream(std::uint64_t root_seed, std::string_view name);
    static std::uint64_t mix(std::uint64_t root_seed, std::string_view name);

    std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // Uniform in [0, bound), bound > 0 (Lemire's multiply-shift; the tiny bias for
    // huge bounds is irrelevant here and keeps every draw to one output).
    std::uint64_t below(std::uint64_t bound) {
        FL_ASSERT_GT(bound, 0u);
        return static_cast<std::uint64_t>((static_cast<UInt128>(next()) * bound) >> 64);
    }

    // Uniform in [low, high], inclusive.
    std::int64_t between(std::int64_t low, std::int64_t high) {
        FL_ASSERT_LE(low, high);
        const auto span = static_cast<std::uint64_t>(high - low) + 1;
        if (span == 0) return static_cast<std::int64_t>(next());  // the full 64-bit range
        return low + static_cast<std::int64_t>(below(span));
    }

    // unit()'s precision: 1 - unit() is at least 2^-kUnitBits, which bounds
    // how far the tails of exponential(), normal() and pareto() can reach.
    static constexpr int kUnitBits = 53;

    // Uniform in [0, 1) with 53 bits of precision.
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    // True with probability p. chance(0) is never true and chance(1) always is.
    bool chance(double p) { return unit() < p; }

    double exponential(double mean) { return -mean * std::log1p(-unit()); }

    // Standard normal by Box-Muller (consumes two outputs).
    double normal() {
        const double u1 = 1.0 - unit();  // (0, 1]: log is finite
        const double u2 = unit();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
    }

    // exp(N(mu, sigma^2)): median e^mu.
    double lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }

    // Pareto with scale x_min and shape alpha: a long tail above x_min.
    double pareto(double x_min, double alpha) { return x_min / std::pow(1.0 - unit(), 1.0 / alpha); }

  private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t state_[4];
};

// splitmix64: a strong 64-bit mixing function, also used to seed xoshiro.
inline std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

}  // namespace faultline
