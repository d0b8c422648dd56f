// The Multi-Paxos acceptor's durability (acceptor.h): what it answered
// survives a crash, a torn tail is cut, lost synced state makes it mute for
// good, and the acceptor-forgets-promise bug forgets exactly the promise.
#include "protocols/paxos/acceptor.h"

#include <gtest/gtest.h>

#include "sim/disk.h"

namespace faultline::protocols::paxos {
namespace {

using Outcome = Acceptor::Outcome;

std::vector<SlotValue> entries(std::initializer_list<std::pair<Slot, const char*>> list) {
    std::vector<SlotValue> out;
    for (const auto& [slot, value] : list) out.push_back(SlotValue{slot, value});
    return out;
}

TEST(Acceptor, AnswersOnlyOnceItsStateIsOnDisk) {
    sim::SimDisk disk(1, sim::DiskConfig{});
    Acceptor acceptor;
    ASSERT_EQ(acceptor.prepare(disk, Ballot{3, 1}), Outcome::done);
    EXPECT_FALSE(disk.has_unsynced_writes());
    EXPECT_EQ(acceptor.prepare(disk, Ballot{2, 4}), Outcome::refused);
    EXPECT_EQ(acceptor.accept(disk, Ballot{2, 4}, entries({{0, "a"}})), Outcome::refused);
    ASSERT_EQ(acceptor.accept(disk, Ballot{3, 1}, entries({{0, "a"}, {1, "b"}})), Outcome::done);
    EXPECT_FALSE(disk.has_unsynced_writes());
    ASSERT_EQ(acceptor.durable_votes().size(), 2u);
    EXPECT_EQ(acceptor.durable_votes()[1].slot, 1u);
    EXPECT_EQ(acceptor.durable_votes()[1].digest, value_digest("b"));
    EXPECT_EQ(acceptor.accepted_from(1).size(), 1u);
}

TEST(Acceptor, APromiseAndAcceptancesSurviveACrash) {
    sim::SimDisk disk(1, sim::DiskConfig{.torn_write_probability = 1});
    {
        Acceptor acceptor;
        ASSERT_EQ(acceptor.accept(disk, Ballot{2, 0}, entries({{4, "x"}})), Outcome::done);
        ASSERT_EQ(acceptor.prepare(disk, Ballot{6, 2}), Outcome::done);
    }
    disk.crash();
    Acceptor recovered;
    recovered.recover(disk);
    EXPECT_FALSE(recovered.mute());
    EXPECT_EQ(recovered.promised(), (Ballot{6, 2}));
    ASSERT_NE(recovered.accepted_at(4), nullptr);
    EXPECT_EQ(*recovered.accepted_at(4), (Accepted{Ballot{2, 0}, "x"}));
    EXPECT_TRUE(recovered.durable_votes().empty());  // this incarnation voted nothing yet
    EXPECT_EQ(recovered.prepare(disk, Ballot{5, 9}), Outcome::refused);
}

TEST(Acceptor, ATornTailWasNeverAnsweredAndIsCut) {
    sim::SimDisk disk(1, sim::DiskConfig{});
    Acceptor acceptor;
    ASSERT_EQ(acceptor.prepare(disk, Ballot{1, 0}), Outcome::done);
    // Half a record, as a crash in the middle of an unsynced append leaves it.
    const std::string half = Acceptor::frame("a promise that never made it").substr(0, 10);
    ASSERT_TRUE(disk.append(Acceptor::kFile, half).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    Acceptor recovered;
    recovered.recover(disk);
    EXPECT_FALSE(recovered.mute());
    EXPECT_EQ(recovered.promised(), (Ballot{1, 0}));
    // What it appends next follows good records: a second recovery reads it.
    ASSERT_EQ(recovered.prepare(disk, Ballot{2, 0}), Outcome::done);
    Acceptor again;
    again.recover(disk);
    EXPECT_FALSE(again.mute());
    EXPECT_EQ(again.promised(), (Ballot{2, 0}));
}

TEST(Acceptor, LostSyncedStateMakesItMuteForGood) {
    sim::SimDisk disk(1, sim::DiskConfig{});
    Acceptor acceptor;
    ASSERT_EQ(acceptor.accept(disk, Ballot{1, 0}, entries({{0, "a"}})), Outcome::done);
    ASSERT_EQ(acceptor.prepare(disk, Ballot{2, 1}), Outcome::done);
    // Flip a payload bit of the first record: synced data is gone.
    std::string file = *disk.read(Acceptor::kFile);
    file[18] = static_cast<char>(file[18] ^ 0x10);
    ASSERT_TRUE(disk.write(Acceptor::kFile, 0, file).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    Acceptor recovered;
    recovered.recover(disk);
    EXPECT_TRUE(recovered.mute());
    EXPECT_EQ(recovered.prepare(disk, Ballot{9, 9}), Outcome::mute);
    EXPECT_EQ(recovered.accept(disk, Ballot{9, 9}, entries({{0, "b"}})), Outcome::mute);
    EXPECT_TRUE(disk.exists(Acceptor::kDamaged));
    // Even once the file is rewritten clean, the mark keeps it mute.
    ASSERT_TRUE(disk.remove(Acceptor::kFile).has_value());
    Acceptor later;
    later.recover(disk);
    EXPECT_TRUE(later.mute());
}

TEST(Acceptor, TheForgetPromiseBugForgetsThePromiseButNotTheAcceptances) {
    sim::SimDisk disk(1, sim::DiskConfig{});
    Acceptor buggy(/*forget_promise=*/true);
    ASSERT_EQ(buggy.accept(disk, Ballot{2, 0}, entries({{0, "a"}})), Outcome::done);
    ASSERT_EQ(buggy.prepare(disk, Ballot{7, 3}), Outcome::done);
    EXPECT_EQ(buggy.promised(), (Ballot{7, 3}));
    disk.crash();
    Acceptor recovered(/*forget_promise=*/true);
    recovered.recover(disk);
    EXPECT_EQ(recovered.promised(), (Ballot{2, 0}));  // the acceptance's ballot, not the promise
    EXPECT_EQ(recovered.accept(disk, Ballot{3, 1}, entries({{1, "b"}})), Outcome::done);  // it promised not to
}

}  // namespace
}  // namespace faultline::protocols::paxos
