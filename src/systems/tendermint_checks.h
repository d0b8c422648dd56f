// The protocol checks of tendermint-kv, over what correct validators decided
// and the evidence they hold, apart from the simulation so that tests can hand
// them histories that must pass and histories that must fail.
//
//   AgreementCheck   no two correct validators decide different blocks at
//                    one height (fed one decision at a time, after each step)
//   BlockTimeCheck   each validator's block times strictly increase
//   check_accountability  duplicate-vote evidence never names a correct
//                    validator, and after a fork it names validators holding
//                    at least 1/3 of the power (with commit_evidence, what
//                    the commits of the two sides prove)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocols/tendermint/validator.h"
#include "runner/system.h"

namespace faultline::systems {

class AgreementCheck {
  public:
    // Validator `validator` (correct) decided `block` at `height`: the
    // violation, the first time two blocks meet at one height.
    std::optional<std::string> observe(std::size_t validator, protocols::tendermint::Height height,
                                       protocols::tendermint::BlockId block);
    bool forked() const { return forked_; }
    std::size_t heights() const { return decided_.size(); }

  private:
    std::map<protocols::tendermint::Height, std::pair<protocols::tendermint::BlockId, std::size_t>> decided_;
    bool forked_ = false;
};

class BlockTimeCheck {
  public:
    // The violation, if this block's time is not after the validator's last.
    std::optional<std::string> observe(std::size_t validator, protocols::tendermint::Height height, Nanos time);
    // The validator restarted: its chain is read again from its first height.
    void restart(std::size_t validator) { last_.erase(validator); }

  private:
    std::map<std::size_t, Nanos> last_;
};

// The evidence two commits for different blocks at one height hold: each
// validator that signed a precommit in both, in one round, for the two blocks
// (only validly signed votes count). After a fork the correct validators on
// each side hold such a commit, so the evidence does not wait for a relayed
// vote to cross a partition before the run ends.
std::vector<protocols::tendermint::Evidence> commit_evidence(const std::vector<protocols::tendermint::VotePtr>& first,
                                                             const std::vector<protocols::tendermint::VotePtr>& second);

// `byzantine[i]`: whether validator i is Byzantine; `powers[i]` its power.
runner::CheckOutcome check_accountability(const std::vector<protocols::tendermint::Evidence>& evidence,
                                          const std::vector<bool>& byzantine, const std::vector<std::uint64_t>& powers,
                                          bool forked);

}  // namespace faultline::systems
