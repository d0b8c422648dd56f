// ReplicaStore: copies only move forward, survive a crash once stored, a torn
// tail is cut, lost synced data mutes the replica until it rebuilds (for good
// if it never does), and hints are kept until handed back.
#include "protocols/quorum/replica_store.h"

#include <gtest/gtest.h>

#include "sim/disk.h"

namespace faultline::protocols::quorum {
namespace {

using Outcome = ReplicaStore::Outcome;

Versioned copy(std::uint64_t counter, std::int64_t value, std::uint64_t client = 1) {
    return Versioned{Version{counter, client, counter}, value};
}

TEST(ReplicaStore, KeepsOnlyANewerCopy) {
    sim::SimDisk disk(1, sim::DiskConfig{});
    ReplicaStore store;
    EXPECT_EQ(store.find(1), nullptr);
    EXPECT_EQ(store.store(disk, 1, copy(2, 20)), Outcome::stored);
    EXPECT_EQ(store.store(disk, 1, copy(1, 10)), Outcome::held);
    EXPECT_EQ(store.store(disk, 1, copy(2, 20)), Outcome::held);
    EXPECT_EQ(store.find(1)->value, 20);
    // Same counter, another client: the session breaks the tie.
    EXPECT_EQ(store.store(disk, 1, copy(2, 21, 2)), Outcome::stored);
    EXPECT_EQ(store.find(1)->value, 21);
    EXPECT_FALSE(disk.has_unsynced_writes());
}

TEST(ReplicaStore, WhatItStoredSurvivesACrash) {
    sim::SimDisk disk(1, sim::DiskConfig{});
    {
        ReplicaStore store;
        ASSERT_EQ(store.store(disk, 1, copy(1, 10)), Outcome::stored);
        ASSERT_EQ(store.store(disk, 1, copy(3, 30)), Outcome::stored);
        ASSERT_EQ(store.store(disk, 2, copy(1, 5)), Outcome::stored);
        ASSERT_EQ(store.store_hint(disk, 4, 9, copy(2, 90)), Outcome::stored);
    }
    disk.crash();
    ReplicaStore recovered;
    recovered.recover(disk);
    EXPECT_FALSE(recovered.mute());
    EXPECT_EQ(recovered.find(1)->value, 30);
    EXPECT_EQ(recovered.find(2)->value, 5);
    ASSERT_EQ(recovered.hints().size(), 1u);
    EXPECT_EQ(recovered.hints().at({4, 9}).value, 90);
}

TEST(ReplicaStore, AHintHandedBackIsDroppedButANewerOneStays) {
    sim::SimDisk disk(1, sim::DiskConfig{});
    ReplicaStore store;
    ASSERT_EQ(store.store_hint(disk, 4, 9, copy(2, 90)), Outcome::stored);
    ASSERT_EQ(store.store_hint(disk, 4, 9, copy(3, 91)), Outcome::stored);
    EXPECT_EQ(store.drop_hint(disk, 4, 9, Version{2, 1, 2}), Outcome::held);  // the older was handed back
    EXPECT_EQ(store.hints().size(), 1u);
    EXPECT_EQ(store.drop_hint(disk, 4, 9, Version{3, 1, 3}), Outcome::stored);
    EXPECT_TRUE(store.hints().empty());
    disk.crash();
    ReplicaStore recovered;
    recovered.recover(disk);
    EXPECT_TRUE(recovered.hints().empty());
}

TEST(ReplicaStore, ATornTailWasNeverAnsweredAndIsCut) {
    sim::SimDisk disk(1, sim::DiskConfig{});
    ReplicaStore store;
    ASSERT_EQ(store.store(disk, 1, copy(1, 10)), Outcome::stored);
    ASSERT_TRUE(disk.append(ReplicaStore::kFile, ReplicaStore::frame("never synced").substr(0, 9)).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    ReplicaStore recovered;
    recovered.recover(disk);
    EXPECT_FALSE(recovered.mute());
    EXPECT_EQ(recovered.find(1)->value, 10);
    ASSERT_EQ(recovered.store(disk, 1, copy(2, 20)), Outcome::stored);
    ReplicaStore again;
    again.recover(disk);
    EXPECT_EQ(again.find(1)->value, 20);
}

TEST(ReplicaStore, LostSyncedDataMakesItMuteUntilRebuilt) {
    sim::SimDisk disk(1, sim::DiskConfig{});
    ReplicaStore store;
    ASSERT_EQ(store.store(disk, 1, copy(1, 10)), Outcome::stored);
    std::string file = *disk.read(ReplicaStore::kFile);
    file[20] = static_cast<char>(file[20] ^ 0x10);
    ASSERT_TRUE(disk.write(ReplicaStore::kFile, 0, file).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    ReplicaStore recovered;
    recovered.recover(disk);
    EXPECT_TRUE(recovered.mute());
    EXPECT_EQ(recovered.find(1), nullptr);
    EXPECT_EQ(recovered.store(disk, 1, copy(5, 50)), Outcome::mute);
    ASSERT_TRUE(disk.remove(ReplicaStore::kFile).has_value());
    ReplicaStore later;
    later.recover(disk);
    EXPECT_TRUE(later.mute());
}

TEST(ReplicaStore, ADamagedReplicaRebuildsBeforeItAnswersAgain) {
    sim::SimDisk disk(1, sim::DiskConfig{});
    ReplicaStore store;
    ASSERT_EQ(store.store(disk, 1, copy(1, 10)), Outcome::stored);
    std::string file = *disk.read(ReplicaStore::kFile);
    file[20] = static_cast<char>(file[20] ^ 0x10);
    ASSERT_TRUE(disk.write(ReplicaStore::kFile, 0, file).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    ReplicaStore damaged;
    damaged.recover(disk);
    ASSERT_TRUE(damaged.damaged());
    // Copies taken back from peers are kept, synced, while it stays mute.
    EXPECT_EQ(damaged.rebuild(disk, 1, copy(2, 20)), Outcome::stored);
    EXPECT_TRUE(damaged.mute());
    // A crash in the middle of a rebuild starts it again: nothing half-rebuilt is trusted.
    disk.crash();
    ReplicaStore again;
    again.recover(disk);
    EXPECT_TRUE(again.damaged());
    EXPECT_EQ(again.find(1), nullptr);
    ASSERT_EQ(again.rebuild(disk, 1, copy(2, 20)), Outcome::stored);
    ASSERT_TRUE(again.finish_rebuild(disk));
    EXPECT_FALSE(again.mute());
    disk.crash();
    ReplicaStore rebuilt;
    rebuilt.recover(disk);
    EXPECT_FALSE(rebuilt.mute());
    EXPECT_EQ(rebuilt.find(1)->value, 20);
}

}  // namespace
}  // namespace faultline::protocols::quorum
