#include "protocols/paxos/synod.h"

#include "base/assert.h"

namespace faultline::protocols::paxos {

std::optional<Accepted> highest_accepted(const std::vector<std::optional<Accepted>>& reported) {
    std::optional<Accepted> best;
    for (const std::optional<Accepted>& each : reported) {
        if (each && (!best || each->ballot > best->ballot)) best = each;
    }
    return best;
}

bool SynodAcceptor::prepare(Ballot ballot) {
    if (!admits(promised_, ballot)) return false;
    promised_ = ballot;
    return true;
}

bool SynodAcceptor::accept(Ballot ballot, const Value& value) {
    if (!admits(promised_, ballot)) return false;
    promised_ = ballot;
    accepted_ = Accepted{ballot, value};
    FL_ASSERT_GE(promised_, accepted_->ballot);
    return true;
}

SynodProposer::SynodProposer(int acceptors, Ballot ballot, Value own_value)
    : acceptors_(acceptors),
      ballot_(ballot),
      own_value_(std::move(own_value)),
      promised_by_(static_cast<std::size_t>(acceptors)),
      accepted_by_(static_cast<std::size_t>(acceptors)) {
    FL_ASSERT_GT(acceptors, 0);
    FL_ASSERT(!ballot.is_zero());
}

std::optional<Value> SynodProposer::on_promise(int acceptor, const std::optional<Accepted>& accepted) {
    FL_ASSERT(acceptor >= 0 && acceptor < acceptors_);
    // It promised us, so it accepted nothing above our ballot (ours only from a
    // duplicated prepare, after our phase 2a).
    if (accepted) FL_ASSERT_LE(accepted->ballot, ballot_);
    if (proposed_ || promised_by_[static_cast<std::size_t>(acceptor)]) return std::nullopt;
    promised_by_[static_cast<std::size_t>(acceptor)] = true;
    reported_.push_back(accepted);
    if (++promises_ < majority()) return std::nullopt;
    const std::optional<Accepted> best = highest_accepted(reported_);
    proposed_ = best ? best->value : own_value_;
    return proposed_;
}

bool SynodProposer::on_accepted(int acceptor) {
    FL_ASSERT(acceptor >= 0 && acceptor < acceptors_);
    FL_ASSERT_MSG(proposed_.has_value(), "an acceptance before phase 2a");
    if (!accepted_by_[static_cast<std::size_t>(acceptor)]) {
        accepted_by_[static_cast<std::size_t>(acceptor)] = true;
        ++acceptances_;
    }
    return acceptances_ >= majority();
}

}  // namespace faultline::protocols::paxos
