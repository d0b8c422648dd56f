#include "nemesis/byzantine.h"

#include <algorithm>
#include <numeric>

#include "base/assert.h"
#include "base/prng.h"

namespace faultline::nemesis {

std::vector<ByzantineServer> pick_byzantine(std::uint64_t seed, int nodes, int count, std::size_t behaviours,
                                            std::optional<std::size_t> fixed) {
    FL_ASSERT_GE(count, 0);
    FL_ASSERT_LE(count, nodes);
    FL_ASSERT_GE(behaviours, 1u);
    if (fixed) FL_ASSERT_LT(*fixed, behaviours);
    Prng random = Prng::stream(seed, "byzantine");
    std::vector<int> order(static_cast<std::size_t>(nodes));
    std::iota(order.begin(), order.end(), 0);
    // A partial Fisher-Yates shuffle: the first `count` are the chosen.
    for (int i = 0; i < count; ++i) {
        const auto j = i + static_cast<int>(random.below(static_cast<std::uint64_t>(nodes - i)));
        std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
    }
    std::vector<ByzantineServer> chosen;
    for (int i = 0; i < count; ++i) {
        const std::size_t behaviour = fixed ? *fixed : static_cast<std::size_t>(random.below(behaviours));
        chosen.push_back(ByzantineServer{order[static_cast<std::size_t>(i)], behaviour});
    }
    std::sort(chosen.begin(), chosen.end(),
              [](const ByzantineServer& a, const ByzantineServer& b) { return a.node < b.node; });
    return chosen;
}

}  // namespace faultline::nemesis
