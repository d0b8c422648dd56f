// Tendermint validators driven by hand (validator.h): four validators whose
// messages the test delivers or drops, or one validator fed crafted, signed
// messages of the others. A normal commit; a round change after a silent
// proposer; a lock kept against a new proposal and released by a later polka;
// duplicate-vote evidence; the weighted proposer order and median time; and a
// restart that resumes with its lock and votes.
#include "protocols/tendermint/validator.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>

#include "protocols/kv/messages.h"
#include "sim/disk.h"

namespace faultline::protocols::tendermint {
namespace {

constexpr int kValidators = 4;
const NodeId kClient(kValidators);

class Cluster;

class TestContext final : public Context {
  public:
    TestContext(Cluster& cluster, NodeId self, std::uint64_t seed) : cluster_(cluster), self_(self), random_(seed) {}
    NodeId self() const override { return self_; }
    std::span<const NodeId> cluster() const override;
    std::string_view name_of(NodeId) const override { return "n"; }
    Nanos now() const override;
    void send(NodeId to, MessagePtr message) override;
    TimerId set_timer(Nanos after, std::uint64_t tag) override;
    void cancel_timer(TimerId timer) override;
    Prng& random() override { return random_; }
    Storage& storage() override { return disk; }
    void log(std::string_view) override {}

    sim::SimDisk disk{1, sim::DiskConfig{}};

  private:
    Cluster& cluster_;
    NodeId self_;
    Prng random_;
};

using Filter = std::function<bool(const Envelope&)>;

// The validators listed in `live` run; messages to the others are dropped
// (the test plays them, with signed messages it makes itself).
class Cluster {
  public:
    explicit Cluster(std::vector<int> live = {0, 1, 2, 3}, TendermintOptions options = {}) : options_(options) {
        for (int i = 0; i < kValidators; ++i) ids_.emplace_back(static_cast<std::uint32_t>(i));
        nodes_.resize(kValidators);
        for (int i = 0; i < kValidators; ++i) {
            contexts_.push_back(std::make_unique<TestContext>(*this, ids_[static_cast<std::size_t>(i)], 100 + i));
        }
        for (const int i : live) {
            nodes_[static_cast<std::size_t>(i)] = std::make_unique<Validator>(options_);
            nodes_[static_cast<std::size_t>(i)]->start(ctx(i));
        }
    }

    Validator& validator(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
    TestContext& ctx(int i) { return *contexts_[static_cast<std::size_t>(i)]; }

    void request(int to, std::uint64_t sequence, std::int64_t value) {
        auto message = std::make_shared<kv::KvRequest>();
        message->command.op = kv::KvOp::write;
        message->command.key = 1;
        message->command.value = value;
        message->command.client = 77;
        message->command.sequence = sequence;
        message->msg_id = sequence;
        queue_.push_back(Envelope{kClient, ids_[static_cast<std::size_t>(to)], std::move(message)});
    }
    void inject(int from, int to, MessagePtr message) {
        queue_.push_back(
            Envelope{ids_[static_cast<std::size_t>(from)], ids_[static_cast<std::size_t>(to)], std::move(message)});
    }

    void run_for(
        Nanos duration, const Filter& pass = [](const Envelope&) { return true; }) {
        for (Nanos end = now_ + duration; now_ < end;) {
            now_ += milliseconds(1);
            for (auto due = next_due(); due != timers_.end(); due = next_due()) {
                const auto [node_index, tag] = due->second.second;
                const TimerId id = due->first;
                timers_.erase(due);
                if (nodes_[static_cast<std::size_t>(node_index)]) {
                    nodes_[static_cast<std::size_t>(node_index)]->on_timer(ctx(node_index), id, tag);
                }
            }
            while (!queue_.empty()) {
                Envelope envelope = std::move(queue_.front());
                queue_.pop_front();
                if (!pass(envelope)) continue;
                if (envelope.to == kClient) {
                    ++replies;
                    continue;
                }
                sent.push_back(envelope);
                const int to = static_cast<int>(envelope.to.value);
                if (nodes_[static_cast<std::size_t>(to)])
                    nodes_[static_cast<std::size_t>(to)]->on_message(ctx(to), envelope);
            }
        }
    }

    void crash_and_recover(int i) {
        ctx(i).disk.crash();
        std::erase_if(timers_, [i](const auto& timer) { return timer.second.second.first == i; });
        nodes_[static_cast<std::size_t>(i)] = std::make_unique<Validator>(options_);
        nodes_[static_cast<std::size_t>(i)]->recover(ctx(i));
    }

    // The votes validator `voter` sent, by (round, type).
    std::map<std::pair<Round, VoteType>, BlockId> votes_of(int voter, Height height) const {
        std::map<std::pair<Round, VoteType>, BlockId> out;
        for (const Envelope& envelope : sent) {
            const auto* vote = message_as<Vote>(*envelope.message);
            if (vote != nullptr && vote->voter == static_cast<std::uint32_t>(voter) && vote->height == height &&
                envelope.from == ids_[static_cast<std::size_t>(voter)]) {
                out[{vote->round, vote->kind}] = vote->block;
            }
        }
        return out;
    }

    std::deque<Envelope> queue_;
    std::vector<NodeId> ids_;
    Nanos now_ = 0;
    std::map<TimerId, std::pair<Nanos, std::pair<int, std::uint64_t>>> timers_;
    TimerId next_timer_ = 1;
    int replies = 0;
    std::vector<Envelope> sent;

  private:
    std::map<TimerId, std::pair<Nanos, std::pair<int, std::uint64_t>>>::iterator next_due() {
        auto best = timers_.end();
        for (auto it = timers_.begin(); it != timers_.end(); ++it) {
            if (it->second.first <= now_ && (best == timers_.end() || it->second.first < best->second.first)) best = it;
        }
        return best;
    }

    TendermintOptions options_;
    std::vector<std::unique_ptr<TestContext>> contexts_;
    std::vector<std::unique_ptr<Validator>> nodes_;
};

std::span<const NodeId> TestContext::cluster() const {
    return cluster_.ids_;
}
Nanos TestContext::now() const {
    return cluster_.now_;
}
void TestContext::send(NodeId to, MessagePtr message) {
    EXPECT_FALSE(disk.has_unsynced_writes()) << "sent " << message->type() << " before persisting";
    cluster_.queue_.push_back(Envelope{self_, to, std::move(message)});
}
TimerId TestContext::set_timer(Nanos after, std::uint64_t tag) {
    const TimerId id = cluster_.next_timer_++;
    cluster_.timers_[id] = {cluster_.now_ + after, {static_cast<int>(self_.value), tag}};
    return id;
}
void TestContext::cancel_timer(TimerId timer) {
    cluster_.timers_.erase(timer);
}

BlockPtr block_at(Height height, std::uint32_t proposer, std::int64_t value) {
    auto block = std::make_shared<Block>();
    block->height = height;
    block->proposer = proposer;
    kv::KvCommand command;
    command.key = 9;
    command.value = value;
    command.client = 5;
    command.sequence = static_cast<std::uint64_t>(value);
    block->commands.push_back(command);
    block->seal();
    return block;
}

std::shared_ptr<Proposal> proposal(Height height, Round round, BlockPtr block, Round valid_round, std::uint32_t by) {
    auto message = std::make_shared<Proposal>();
    message->height = height;
    message->round = round;
    message->valid_round = valid_round;
    message->block = std::move(block);
    message->proposer = by;
    message->sign();
    return message;
}

std::shared_ptr<Vote> vote(VoteType kind, Height height, Round round, BlockId block, std::uint32_t voter) {
    auto message = std::make_shared<Vote>();
    message->kind = kind;
    message->height = height;
    message->round = round;
    message->block = block;
    message->voter = voter;
    message->timestamp = milliseconds(1);
    message->sign();
    return message;
}

Filter nothing_from(int node) {
    return [node](const Envelope& envelope) { return envelope.from.value != static_cast<std::uint32_t>(node); };
}

TEST(TendermintValidator, NormalCaseCommitsTheRequestOnEveryValidatorInRoundZero) {
    Cluster cluster;
    cluster.request(2, 1, 42);
    cluster.run_for(milliseconds(400));
    for (int i = 0; i < kValidators; ++i) {
        const auto& decisions = cluster.validator(i).decisions();
        ASSERT_GE(decisions.size(), 2u) << i;
        EXPECT_EQ(cluster.validator(i).store().data().at(1), 42) << i;
        for (std::size_t h = 0; h < decisions.size(); ++h) {
            EXPECT_EQ(decisions[h].block->id(), cluster.validator(0).decisions()[h].block->id());
            EXPECT_EQ(decisions[h].round, 0);
            if (h > 0) {
                EXPECT_GT(decisions[h].time, decisions[h - 1].time);
            }
        }
        EXPECT_TRUE(cluster.validator(i).evidence().empty());
    }
    EXPECT_EQ(cluster.replies, 1);
}

TEST(TendermintValidator, ASilentProposerCostsOneRoundAndTheNextProposerCommits) {
    Cluster cluster;
    ASSERT_EQ(cluster.validator(1).proposer_of(1, 0), 0u);
    cluster.request(2, 1, 7);
    cluster.run_for(seconds(2), nothing_from(0));
    for (int i = 1; i < kValidators; ++i) {
        ASSERT_FALSE(cluster.validator(i).decisions().empty()) << i;
        const Decision& first = cluster.validator(i).decisions().front();
        EXPECT_EQ(first.round, 1) << i;
        EXPECT_EQ(first.block->proposer, 1u);
        // Round 0: nil prevote after the propose timeout, then nil precommit.
        const auto votes = cluster.votes_of(i, 1);
        EXPECT_EQ(votes.at({0, VoteType::prevote}), kNil);
        EXPECT_EQ(votes.at({0, VoteType::precommit}), kNil);
    }
}

// Validator 1 alone; the test plays 0, 2 and 3.
TEST(TendermintValidator, ALockHoldsAgainstANewProposalAndALaterPolkaReleasesIt) {
    Cluster cluster({1});
    const BlockPtr x = block_at(1, 0, 1);
    const BlockPtr y = block_at(1, 2, 2);
    // Round 0: n0 proposes x; n0, n2, n3 prevote it: a polka, n1 locks on x.
    cluster.inject(0, 1, proposal(1, 0, x, -1, 0));
    for (std::uint32_t v : {0u, 2u, 3u})
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::prevote, 1, 0, x->id(), v));
    cluster.run_for(milliseconds(5));
    EXPECT_EQ(cluster.validator(1).locked_round(), 0);
    EXPECT_EQ(cluster.validator(1).locked_block(), x->id());
    EXPECT_EQ(cluster.votes_of(1, 1).at({0, VoteType::precommit}), x->id());
    // The others precommit nil: round 1 (n1 itself proposes x again), round 2.
    for (std::uint32_t v : {0u, 2u, 3u})
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::precommit, 1, 0, kNil, v));
    cluster.run_for(milliseconds(200));
    ASSERT_EQ(cluster.validator(1).round(), 1);
    for (std::uint32_t v : {0u, 2u, 3u}) {
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::prevote, 1, 1, kNil, v));
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::precommit, 1, 1, kNil, v));
    }
    cluster.run_for(milliseconds(400));
    ASSERT_EQ(cluster.validator(1).round(), 2);
    // Round 2: n2 proposes y, fresh (validRound -1): locked on x, n1 prevotes nil.
    cluster.inject(2, 1, proposal(1, 2, y, -1, 2));
    cluster.run_for(milliseconds(5));
    EXPECT_EQ(cluster.votes_of(1, 1).at({2, VoteType::prevote}), kNil);
    // n0, n2, n3 prevote y in round 2 (a polka n1 was not part of), and
    // precommit nil; in round 3 n3 proposes y with validRound 2 >= n1's
    // lockedRound 0: n1 prevotes y, and with the others' prevotes locks on it.
    for (std::uint32_t v : {0u, 2u, 3u}) {
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::prevote, 1, 2, y->id(), v));
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::precommit, 1, 2, kNil, v));
    }
    cluster.run_for(milliseconds(600));
    ASSERT_EQ(cluster.validator(1).round(), 3);
    cluster.inject(3, 1, proposal(1, 3, y, 2, 3));
    for (std::uint32_t v : {0u, 2u, 3u})
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::prevote, 1, 3, y->id(), v));
    cluster.run_for(milliseconds(5));
    EXPECT_EQ(cluster.votes_of(1, 1).at({3, VoteType::prevote}), y->id());
    EXPECT_EQ(cluster.validator(1).locked_round(), 3);
    EXPECT_EQ(cluster.validator(1).locked_block(), y->id());
    // And commits y on the others' precommits.
    for (std::uint32_t v : {0u, 2u, 3u})
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::precommit, 1, 3, y->id(), v));
    cluster.run_for(milliseconds(5));
    ASSERT_EQ(cluster.validator(1).decisions().size(), 1u);
    EXPECT_EQ(cluster.validator(1).decisions()[0].block->id(), y->id());
}

TEST(TendermintValidator, TwoSignedVotesOfOneValidatorForDifferentBlocksAreEvidenceAndForgeriesAreNot) {
    Cluster cluster({1});
    const BlockPtr x = block_at(1, 0, 1);
    cluster.inject(2, 1, vote(VoteType::prevote, 1, 0, x->id(), 2));
    cluster.inject(2, 1, vote(VoteType::prevote, 1, 0, x->id(), 2));  // the same vote again: no evidence
    cluster.run_for(milliseconds(2));
    EXPECT_TRUE(cluster.validator(1).evidence().empty());
    // n3 relays a nil prevote n2 signed for the same round: evidence against n2.
    cluster.inject(3, 1, vote(VoteType::prevote, 1, 0, kNil, 2));
    // A vote that claims n0 but n3 signed it (forged) is dropped.
    auto forged = vote(VoteType::prevote, 1, 0, kNil, 3);
    forged->voter = 0;
    cluster.inject(3, 1, forged);
    cluster.inject(0, 1, vote(VoteType::prevote, 1, 0, x->id(), 0));
    cluster.run_for(milliseconds(2));
    const auto& evidence = cluster.validator(1).evidence();
    ASSERT_EQ(evidence.size(), 1u);
    EXPECT_EQ(evidence[0].validator, 2u);
    EXPECT_EQ(evidence[0].kind, VoteType::prevote);
    EXPECT_EQ(evidence[0].first, x->id());
    EXPECT_EQ(evidence[0].second, kNil);
}

TEST(TendermintValidator, ARestartedValidatorKeepsItsLockAndNeverVotesTwiceInOneStep) {
    Cluster cluster({1});
    const BlockPtr x = block_at(1, 0, 1);
    cluster.inject(0, 1, proposal(1, 0, x, -1, 0));
    for (std::uint32_t v : {0u, 2u, 3u})
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::prevote, 1, 0, x->id(), v));
    cluster.run_for(milliseconds(5));
    ASSERT_EQ(cluster.validator(1).locked_round(), 0);
    const std::size_t before = cluster.sent.size();
    cluster.crash_and_recover(1);
    EXPECT_EQ(cluster.validator(1).locked_round(), 0);
    EXPECT_EQ(cluster.validator(1).locked_block(), x->id());
    EXPECT_EQ(cluster.validator(1).round(), 0);
    // A fresh proposal in round 0 again changes nothing: it already voted.
    cluster.inject(0, 1, proposal(1, 0, block_at(1, 0, 5), -1, 0));
    cluster.run_for(milliseconds(150));
    for (std::size_t i = before; i < cluster.sent.size(); ++i) {
        const auto* resent = message_as<Vote>(*cluster.sent[i].message);
        if (resent == nullptr || resent->voter != 1) continue;
        EXPECT_EQ(resent->block, x->id()) << "a different vote after the restart";
    }
}

// Seeds 52 and 428 of the default sweep: bit rot in the state record left a
// correct validator mute for the rest of the run, and with a Byzantine one
// the heights waited on it. The record is kept in two copies: one damaged,
// the other still holds the lock and votes; both damaged, it never votes.
TEST(TendermintValidator, OneDamagedStateCopyLeavesTheLockAndBothLeaveTheValidatorMute) {
    for (const bool both : {false, true}) {
        SCOPED_TRACE(both ? "both copies damaged" : "one copy damaged");
        Cluster cluster({1});
        const BlockPtr x = block_at(1, 0, 1);
        cluster.inject(0, 1, proposal(1, 0, x, -1, 0));
        for (std::uint32_t v : {0u, 2u, 3u})
            cluster.inject(static_cast<int>(v), 1, vote(VoteType::prevote, 1, 0, x->id(), v));
        cluster.run_for(milliseconds(5));
        ASSERT_EQ(cluster.validator(1).locked_round(), 0);
        auto& disk = cluster.ctx(1).disk;
        ASSERT_TRUE(disk.exists("tendermint.state") && disk.exists("tendermint.state.copy"));
        ASSERT_TRUE(disk.write("tendermint.state", 3, "rot"));
        if (both) {
            ASSERT_TRUE(disk.write("tendermint.state.copy", 3, "rot"));
        }
        ASSERT_TRUE(disk.sync());
        cluster.crash_and_recover(1);
        const std::size_t before = cluster.sent.size();
        // The others precommit nil; in round 1 n1 proposes.
        for (std::uint32_t v : {0u, 2u, 3u})
            cluster.inject(static_cast<int>(v), 1, vote(VoteType::precommit, 1, 0, kNil, v));
        cluster.run_for(milliseconds(300));
        std::size_t own = 0;
        for (std::size_t i = before; i < cluster.sent.size(); ++i) {
            const auto* sent = message_as<Vote>(*cluster.sent[i].message);
            if (sent != nullptr && sent->voter == 1) ++own;
        }
        if (both) {
            EXPECT_EQ(cluster.validator(1).locked_round(), -1);
            EXPECT_EQ(own, 0u);
        } else {
            EXPECT_EQ(cluster.validator(1).locked_round(), 0);
            EXPECT_EQ(cluster.validator(1).locked_block(), x->id());
            EXPECT_GT(own, 0u);
        }
    }
}

// Seed 115 of the default sweep: validators locked on different blocks in
// different rounds restarted, proposed fresh blocks they themselves prevoted
// nil on, and no height was decided after the heal. Restarted, a locked
// validator's lock is its validValue: as proposer it offers the locked block
// with the lock's round, which the others can accept (lines 28-33).
TEST(TendermintValidator, ARestartedLockedProposerProposesItsLockedBlockWithItsRound) {
    Cluster cluster({1});
    const BlockPtr x = block_at(1, 0, 1);
    cluster.inject(0, 1, proposal(1, 0, x, -1, 0));
    for (std::uint32_t v : {0u, 2u, 3u})
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::prevote, 1, 0, x->id(), v));
    cluster.run_for(milliseconds(5));
    ASSERT_EQ(cluster.validator(1).locked_round(), 0);
    cluster.crash_and_recover(1);
    EXPECT_EQ(cluster.validator(1).valid_round(), 0);
    // The others precommit nil: round 1, where n1 proposes.
    for (std::uint32_t v : {0u, 2u, 3u})
        cluster.inject(static_cast<int>(v), 1, vote(VoteType::precommit, 1, 0, kNil, v));
    cluster.run_for(milliseconds(200));
    ASSERT_EQ(cluster.validator(1).round(), 1);
    ASSERT_EQ(cluster.validator(1).proposer_of(1, 1), 1u);
    const Proposal* offered = nullptr;
    for (const Envelope& envelope : cluster.sent) {
        const auto* sent = message_as<Proposal>(*envelope.message);
        if (sent != nullptr && envelope.from.value == 1 && sent->round == 1) offered = sent;
    }
    ASSERT_NE(offered, nullptr);
    EXPECT_EQ(offered->block->id(), x->id());
    EXPECT_EQ(offered->valid_round, 0);
}

// Seed 322 of the default sweep: a double-signer's prevote for a block came
// second (after its nil one) and was lost; the validator that saw the polka
// resent only each voter's first prevote, so the others never saw it and
// refused the block for ever. Gossip resends every prevote for validValue.
TEST(TendermintValidator, GossipResendsEveryPrevoteOfTheValidValuesPolkaNotOnlyEachVotersFirst) {
    Cluster cluster({1});
    const BlockPtr x = block_at(1, 0, 1);
    cluster.inject(0, 1, proposal(1, 0, x, -1, 0));
    // n2 prevotes nil and x (both reach n1 through n3, so n1 relays neither).
    cluster.inject(3, 1, vote(VoteType::prevote, 1, 0, kNil, 2));
    cluster.inject(3, 1, vote(VoteType::prevote, 1, 0, x->id(), 2));
    for (std::uint32_t v : {0u, 3u}) cluster.inject(static_cast<int>(v), 1, vote(VoteType::prevote, 1, 0, x->id(), v));
    cluster.run_for(milliseconds(5));
    ASSERT_EQ(cluster.validator(1).valid_round(), 0);
    const std::size_t before = cluster.sent.size();
    cluster.run_for(milliseconds(150));
    bool resent = false;
    for (std::size_t i = before; i < cluster.sent.size(); ++i) {
        const auto* vote = message_as<Vote>(*cluster.sent[i].message);
        resent = resent || (vote != nullptr && cluster.sent[i].from.value == 1 && vote->voter == 2 &&
                            vote->kind == VoteType::prevote && vote->block == x->id());
    }
    EXPECT_TRUE(resent);
}

TEST(TendermintValidator, ProposersFollowTheirPowerAndTheMedianIsWeighted) {
    const auto equal = proposer_schedule({1, 1, 1, 1});
    EXPECT_EQ(equal, (std::vector<std::uint32_t>{0, 1, 2, 3}));
    const auto weighted = proposer_schedule({1, 3, 2});
    ASSERT_EQ(weighted.size(), 6u);
    EXPECT_EQ(std::count(weighted.begin(), weighted.end(), 1u), 3);
    EXPECT_EQ(std::count(weighted.begin(), weighted.end(), 2u), 2);
    EXPECT_EQ(weighted.front(), 1u);
    EXPECT_EQ(weighted_median({{10, 1}, {20, 1}, {30, 1}}), 20);
    // One heavy voter pulls the median to itself; outliers of little power cannot.
    EXPECT_EQ(weighted_median({{10, 1}, {20, 5}, {1000000, 1}}), 20);
    EXPECT_EQ(weighted_median({{5, 1}, {10, 1}, {15, 1}, {1000000, 1}}), 10);
}

}  // namespace
}  // namespace faultline::protocols::tendermint
