#include "protocols/paxos/invariants.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace faultline::protocols::paxos {

PaxosInvariants::PaxosInvariants(std::size_t acceptors) : majority_(acceptors / 2 + 1), seen_(acceptors) {
    FL_ASSERT_GT(acceptors, 0u);
}

std::vector<InvariantViolation> PaxosInvariants::check(const std::vector<AcceptorView>& views) {
    FL_ASSERT_EQ(views.size(), seen_.size());
    ++checks_;
    std::vector<InvariantViolation> found;
    for (std::size_t i = 0; i < views.size(); ++i) {
        const AcceptorView& view = views[i];
        Seen& seen = seen_[i];
        if (view.acceptor == nullptr) continue;  // down: nothing new
        if (view.acceptor != seen.acceptor || view.incarnation != seen.incarnation) {
            // A restart: a new incarnation's votes start from none.
            seen.acceptor = view.acceptor;
            seen.incarnation = view.incarnation;
            seen.votes = 0;
        }
        const std::vector<Vote>& votes = view.acceptor->durable_votes();
        for (; seen.votes < votes.size(); ++seen.votes) {
            if (auto violation = tally(views, i, votes[seen.votes])) found.push_back(std::move(*violation));
        }
        if (view.acceptor->mute()) continue;
        const Ballot promised = view.acceptor->promised();
        if (promised < seen.promised && !reported_promise_) {
            reported_promise_ = true;
            found.push_back(InvariantViolation{
                "promise-kept",
                fmt::format("{} promised ballot {}, and now holds a promise of only {}: it may accept what it "
                            "promised to refuse",
                            view.name, seen.promised.to_string(), promised.to_string()),
                {view.name}});
        }
        seen.promised = std::max(seen.promised, promised);
    }
    return found;
}

std::optional<InvariantViolation> PaxosInvariants::tally(const std::vector<AcceptorView>& views, std::size_t acceptor,
                                                         const Vote& vote) {
    std::vector<Tally>& tallies = tallies_[{vote.slot, vote.ballot}];
    Tally* tally = nullptr;
    for (Tally& each : tallies) {
        if (each.digest == vote.digest) tally = &each;
    }
    if (tally == nullptr) {
        tally = &tallies.emplace_back(Tally{vote.digest, std::vector<bool>(seen_.size()), 0});
    }
    if (tally->voters[acceptor]) return std::nullopt;  // accepted again (a resend)
    tally->voters[acceptor] = true;
    if (++tally->votes != majority_) return std::nullopt;
    // Chosen, just now.
    std::vector<std::size_t> voters;
    for (std::size_t i = 0; i < tally->voters.size(); ++i) {
        if (tally->voters[i]) voters.push_back(i);
    }
    auto [chosen, fresh] = chosen_.try_emplace(vote.slot, Chosen{vote.ballot, vote.digest, voters});
    if (fresh || chosen->second.digest == vote.digest || reported_two_values_) return std::nullopt;
    reported_two_values_ = true;
    auto names = [&](const std::vector<std::size_t>& indexes) {
        std::string out;
        for (std::size_t i : indexes) out += (out.empty() ? "" : ", ") + views[i].name;
        return out;
    };
    InvariantViolation violation{
        "one-value-per-slot",
        fmt::format("two values chosen at slot {}: {:016x} in ballot {} (accepted by {}), then {:016x} in "
                    "ballot {} (accepted by {})",
                    vote.slot, chosen->second.digest, chosen->second.ballot.to_string(), names(chosen->second.voters),
                    vote.digest, vote.ballot.to_string(), names(voters)),
        {}};
    for (std::size_t i : voters) violation.nodes.push_back(views[i].name);
    return violation;
}

}  // namespace faultline::protocols::paxos
