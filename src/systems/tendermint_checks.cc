#include "systems/tendermint_checks.h"

#include <fmt/format.h>

#include <numeric>
#include <set>

namespace faultline::systems {

using runner::CheckOutcome;
using runner::Verdict;

std::optional<std::string> AgreementCheck::observe(std::size_t validator, protocols::tendermint::Height height,
                                                   protocols::tendermint::BlockId block) {
    auto [first, inserted] = decided_.emplace(height, std::make_pair(block, validator));
    if (inserted || first->second.first == block || forked_) return std::nullopt;
    forked_ = true;
    return fmt::format("n{} and n{} (both correct) decided different blocks at height {} ({:016x} and {:016x})",
                       first->second.second, validator, height, first->second.first, block);
}

std::optional<std::string> BlockTimeCheck::observe(std::size_t validator, protocols::tendermint::Height height,
                                                   Nanos time) {
    auto [last, inserted] = last_.emplace(validator, time);
    if (inserted) return std::nullopt;
    const Nanos before = last->second;
    last->second = time;
    if (time > before) return std::nullopt;
    return fmt::format("n{}: block time at height {} is {}, not after {} at height {}", validator, height,
                       format_duration(time), format_duration(before), height - 1);
}

std::vector<protocols::tendermint::Evidence> commit_evidence(
    const std::vector<protocols::tendermint::VotePtr>& first,
    const std::vector<protocols::tendermint::VotePtr>& second) {
    using protocols::tendermint::VoteType;
    std::vector<protocols::tendermint::Evidence> found;
    for (const auto& a : first) {
        if (a->kind != VoteType::precommit || !a->verify()) continue;
        for (const auto& b : second) {
            if (b->kind != VoteType::precommit || b->voter != a->voter || b->height != a->height ||
                b->round != a->round || b->block == a->block || !b->verify()) {
                continue;
            }
            found.push_back({a->voter, a->height, a->round, VoteType::precommit, a->block, b->block});
        }
    }
    return found;
}

CheckOutcome check_accountability(const std::vector<protocols::tendermint::Evidence>& evidence,
                                  const std::vector<bool>& byzantine, const std::vector<std::uint64_t>& powers,
                                  bool forked) {
    std::set<std::uint32_t> named;
    for (const auto& piece : evidence) named.insert(piece.validator);
    const std::uint64_t total = std::accumulate(powers.begin(), powers.end(), std::uint64_t{0});
    Json names = Json::array();
    std::uint64_t named_power = 0;
    for (const std::uint32_t validator : named) {
        names.push_back(fmt::format("n{}", validator));
        if (validator >= powers.size() || !byzantine[validator]) {
            return CheckOutcome{"accountability", Verdict::invalid,
                                fmt::format("duplicate-vote evidence names n{}, a correct validator", validator),
                                Json{{"named", names}}};
        }
        named_power += powers[validator];
    }
    const Json details{{"named", names}, {"named_power", named_power}, {"total_power", total}};
    if (forked && 3 * named_power < total) {
        return CheckOutcome{"accountability", Verdict::invalid,
                            fmt::format("a fork, but the evidence names validators holding only {} of {} power: {}",
                                        named_power, total, names.empty() ? "nobody" : names.dump()),
                            details};
    }
    return CheckOutcome{"accountability", Verdict::valid,
                        fmt::format("the evidence names {} ({} of {} power) and no correct validator{}",
                                    names.empty() ? "nobody" : names.dump(), named_power, total,
                                    forked ? "; after the fork, at least 1/3 of the power" : ""),
                        details};
}

}  // namespace faultline::systems
