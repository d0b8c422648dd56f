// The god's-eye checker (invariants.h) on states that must pass and states
// that must fail: one value per slot, counted across restarts, and promises
// that never go back.
#include "protocols/paxos/invariants.h"

#include <gtest/gtest.h>

#include <memory>

#include "sim/disk.h"

namespace faultline::protocols::paxos {
namespace {

// Three acceptors, each on its own disk, and the views the checker reads.
struct Cluster {
    Cluster() {
        for (int i = 0; i < 3; ++i) {
            disks.push_back(std::make_unique<sim::SimDisk>(i + 1, sim::DiskConfig{}));
            acceptors.push_back(std::make_unique<Acceptor>());
            views.push_back(AcceptorView{"n" + std::to_string(i), acceptors.back().get(), 0});
        }
    }
    void accept(int i, Ballot ballot, Slot slot, const Value& value) {
        ASSERT_EQ(acceptors[i]->accept(*disks[i], ballot, {SlotValue{slot, value}}), Acceptor::Outcome::done);
    }
    // A crash and restart: a new Acceptor object reads the disk back.
    void restart(int i, bool forget_promise = false) {
        disks[i]->crash();
        acceptors[i] = std::make_unique<Acceptor>(forget_promise);
        acceptors[i]->recover(*disks[i]);
        views[i].acceptor = acceptors[i].get();
        ++views[i].incarnation;
    }
    std::vector<std::unique_ptr<sim::SimDisk>> disks;
    std::vector<std::unique_ptr<Acceptor>> acceptors;
    std::vector<AcceptorView> views;
    PaxosInvariants invariants{3};
};

TEST(PaxosInvariants, OneValueChosenAgainInAHigherBallotHolds) {
    Cluster c;
    c.accept(0, Ballot{1, 0}, 0, "v");
    c.accept(1, Ballot{1, 0}, 0, "v");
    EXPECT_TRUE(c.invariants.check(c.views).empty());
    EXPECT_EQ(c.invariants.chosen_slots(), 1u);
    // The next leader re-proposes v, as P2c says: chosen again, same value.
    c.accept(1, Ballot{2, 1}, 0, "v");
    c.accept(2, Ballot{2, 1}, 0, "v");
    c.accept(2, Ballot{2, 1}, 1, "w");  // another slot, one vote: not chosen
    EXPECT_TRUE(c.invariants.check(c.views).empty());
    EXPECT_EQ(c.invariants.chosen_slots(), 1u);
}

TEST(PaxosInvariants, TwoValuesChosenInOneSlotAreCaught) {
    Cluster c;
    c.accept(0, Ballot{1, 0}, 3, "v");
    c.accept(1, Ballot{1, 0}, 3, "v");
    EXPECT_TRUE(c.invariants.check(c.views).empty());
    c.accept(1, Ballot{2, 2}, 3, "w");
    EXPECT_TRUE(c.invariants.check(c.views).empty());  // one vote for w: not chosen
    c.accept(2, Ballot{2, 2}, 3, "w");
    const auto violations = c.invariants.check(c.views);
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].invariant, "one-value-per-slot");
    EXPECT_NE(violations[0].detail.find("slot 3"), std::string::npos) << violations[0].detail;
    EXPECT_EQ(violations[0].nodes, (std::vector<std::string>{"n1", "n2"}));
}

TEST(PaxosInvariants, AVoteCountsEvenAfterItsAcceptorRestarted) {
    Cluster c;
    c.accept(0, Ballot{1, 0}, 0, "v");
    EXPECT_TRUE(c.invariants.check(c.views).empty());
    c.restart(0);
    c.accept(0, Ballot{3, 0}, 0, "w");  // the same node, a new incarnation, a new vote
    c.accept(1, Ballot{1, 0}, 0, "v");  // with n0's first vote: v chosen in ballot 1
    EXPECT_TRUE(c.invariants.check(c.views).empty());
    c.accept(2, Ballot{3, 0}, 0, "w");
    const auto violations = c.invariants.check(c.views);
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].invariant, "one-value-per-slot");
}

TEST(PaxosInvariants, AResentVoteIsCountedOnce) {
    Cluster c;
    c.accept(0, Ballot{1, 0}, 0, "v");
    c.accept(0, Ballot{1, 0}, 0, "v");
    EXPECT_TRUE(c.invariants.check(c.views).empty());
    EXPECT_EQ(c.invariants.chosen_slots(), 0u);
}

TEST(PaxosInvariants, APromiseThatGoesBackIsCaughtButARecoveredOneHolds) {
    Cluster c;
    ASSERT_EQ(c.acceptors[0]->prepare(*c.disks[0], Ballot{4, 1}), Acceptor::Outcome::done);
    EXPECT_TRUE(c.invariants.check(c.views).empty());
    c.restart(0);  // synced: the promise comes back
    EXPECT_TRUE(c.invariants.check(c.views).empty());

    ASSERT_EQ(c.acceptors[1]->prepare(*c.disks[1], Ballot{4, 1}), Acceptor::Outcome::done);
    EXPECT_TRUE(c.invariants.check(c.views).empty());
    c.views[1].acceptor = nullptr;  // down for a while: nothing to check
    EXPECT_TRUE(c.invariants.check(c.views).empty());
    // Back up with the bug: its next promise is answered from memory only.
    c.acceptors[1] = std::make_unique<Acceptor>(/*forget_promise=*/true);
    c.acceptors[1]->recover(*c.disks[1]);
    c.views[1].acceptor = c.acceptors[1].get();
    ++c.views[1].incarnation;
    ASSERT_EQ(c.acceptors[1]->prepare(*c.disks[1], Ballot{6, 0}), Acceptor::Outcome::done);
    EXPECT_TRUE(c.invariants.check(c.views).empty());
    c.restart(1, /*forget_promise=*/true);  // back to ballot 4.1
    const auto violations = c.invariants.check(c.views);
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].invariant, "promise-kept");
    EXPECT_EQ(violations[0].nodes, (std::vector<std::string>{"n1"}));
}

}  // namespace
}  // namespace faultline::protocols::paxos
