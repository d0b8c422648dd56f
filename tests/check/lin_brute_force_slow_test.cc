// The long run of lin_brute_force_test.cc: many random histories of every
// model (three in four small, one in four long and mostly sequential, for the
// quiescent cuts), each checked in every checker mode and by the brute force,
// which must agree. FAULTLINE_PROPERTY_CASES sets how many (default 100,000, spread
// evenly over the models, half with ops of unknown outcome);
// FAULTLINE_PROPERTY_SEED the root seed (default 1), so a failure replays.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/prng.h"
#include "lin_oracle.h"

namespace faultline::check {
namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 10) : fallback;
}

TEST(LinBruteForceSlow, CheckerAgreesWithBruteForceOnManySmallHistories) {
    const std::uint64_t cases = env_or("FAULTLINE_PROPERTY_CASES", 100'000);
    const std::uint64_t root = env_or("FAULTLINE_PROPERTY_SEED", 1);
    constexpr std::size_t kModels = std::size(testing::kAllModels);
    std::vector<std::uint64_t> checked(kModels, 0), linearizable(kModels, 0);
    std::vector<std::string> failures;
    const auto started = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < cases && failures.size() < 5; ++i) {
        const std::size_t m = i % kModels;
        const bool with_info = (i / kModels) % 2 == 1;
        // One in four long enough for quiescent cuts (see random_segmented_case).
        const bool segmented = (i / kModels / 2) % 4 == 3;
        Prng prng = Prng::stream(root, "case-" + std::to_string(i));
        const testing::OracleCase c = segmented
                                          ? testing::random_segmented_case(testing::kAllModels[m], prng, with_info)
                                          : testing::random_small_case(testing::kAllModels[m], prng, 10, with_info);
        bool valid = false;
        if (const auto why = testing::disagreement(c, &valid)) {
            const auto small = testing::disagreement(testing::shrink_disagreement(c));
            failures.push_back("case " + std::to_string(i) + ": " + *why + "shrunk: " + small.value_or("(none)"));
            continue;
        }
        ++checked[m];
        linearizable[m] += valid ? 1 : 0;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::uint64_t total = 0;
    for (std::size_t m = 0; m < kModels; ++m) {
        total += checked[m];
        std::printf("%-15s %8llu agreed, %5.1f%% linearizable\n", models::model_kind_name(testing::kAllModels[m]),
                    static_cast<unsigned long long>(checked[m]),
                    checked[m] == 0 ? 0.0 : 100.0 * linearizable[m] / checked[m]);
    }
    std::printf("%llu histories (seed %llu) in %.1f s\n", static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(root), seconds);
    for (const std::string& failure : failures) ADD_FAILURE() << failure;
}

}  // namespace
}  // namespace faultline::check
