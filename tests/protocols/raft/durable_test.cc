// The on-disk format: what a crash, a torn write or a flipped bit leaves, and
// what recovery makes of it.
#include "protocols/raft/durable.h"

#include <gtest/gtest.h>

#include "sim/disk.h"

namespace faultline::protocols::raft {
namespace {

LogEntry entry(std::uint64_t term, std::uint64_t index, std::string data = "payload") {
    return LogEntry{Term(term), LogIndex(index), EntryType::command, std::move(data)};
}

std::vector<std::uint64_t> indexes(const RecoveredState& state) {
    std::vector<std::uint64_t> out;
    for (const LogEntry& e : state.entries) out.push_back(e.index.value);
    return out;
}

// Bit rot in synced data: one bit in the middle of the newest log segment's records.
void flip_a_bit_in_the_last_segment(sim::SimDisk& disk) {
    std::string segment;
    for (const std::string& name : disk.list()) {
        if (name.rfind("log-", 0) == 0) segment = name;
    }
    std::string bytes = *disk.read(segment);
    bytes[bytes.size() / 2] ^= 0x10;
    ASSERT_TRUE(disk.write(segment, 0, bytes).has_value());
}

TEST(DurableState, FreshDiskRecoversEmpty) {
    sim::SimDisk disk(1, {});
    DurableState durable(1024);
    auto state = durable.load(disk);
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->hard_state.term, Term(0));
    EXPECT_FALSE(state->hard_state.vote.has_value());
    EXPECT_TRUE(state->entries.empty());
    EXPECT_FALSE(state->log_damaged);
    EXPECT_FALSE(state->hard_state_lost);
}

TEST(DurableState, SyncedStateSurvivesACrashUnsyncedDoesNot) {
    sim::SimDisk disk(1, {});
    DurableState durable(1024);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(3), NodeId(2)}).has_value());
    for (std::uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(durable.append(disk, entry(3, i)).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(4), std::nullopt}).has_value());
    ASSERT_TRUE(durable.append(disk, entry(4, 6)).has_value());
    disk.crash();
    DurableState reopened(1024);
    auto state = reopened.load(disk);
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->hard_state, (HardState{Term(3), NodeId(2)}));
    EXPECT_EQ(indexes(*state), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
    EXPECT_FALSE(state->log_damaged);
}

TEST(DurableState, TruncationIsARecordAndReplaysInOrder) {
    sim::SimDisk disk(1, {});
    DurableState durable(1024);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(9), std::nullopt}).has_value());
    for (std::uint64_t i = 1; i <= 6; ++i) ASSERT_TRUE(durable.append(disk, entry(1, i)).has_value());
    ASSERT_TRUE(durable.truncate_after(disk, LogIndex(3)).has_value());
    ASSERT_TRUE(durable.append(disk, entry(2, 4, "new")).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    disk.crash();
    auto state = DurableState(1024).load(disk);
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(indexes(*state), (std::vector<std::uint64_t>{1, 2, 3, 4}));
    EXPECT_EQ(state->entries.back().term, Term(2));
    EXPECT_EQ(state->entries.back().data, "new");
}

// braft#119: a suffix truncation that is not crash-atomic can leave holes. Here
// a crash tears the unsynced truncate-and-rewrite at every possible point: the
// log that comes back is always either the old one or a prefix of the new one,
// contiguous, never a mix.
TEST(DurableState, TornTruncationNeverLeavesAHole) {
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
        sim::DiskConfig config;
        config.torn_write_probability = 1.0;
        sim::SimDisk disk(seed, config);
        DurableState durable(1 << 20);
        ASSERT_TRUE(durable.load(disk).has_value());
        ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(9), std::nullopt}).has_value());
        for (std::uint64_t i = 1; i <= 10; ++i) ASSERT_TRUE(durable.append(disk, entry(1, i)).has_value());
        ASSERT_TRUE(disk.sync().has_value());
        ASSERT_TRUE(durable.truncate_after(disk, LogIndex(5)).has_value());
        for (std::uint64_t i = 6; i <= 8; ++i) ASSERT_TRUE(durable.append(disk, entry(2, i)).has_value());
        disk.crash();
        auto state = DurableState(1 << 20).load(disk);
        ASSERT_TRUE(state.has_value());
        EXPECT_FALSE(state->log_damaged) << "a torn tail is not damage: it was never synced";
        const auto& entries = state->entries;
        ASSERT_GE(entries.size(), 5u) << "seed " << seed;
        for (std::size_t i = 0; i < entries.size(); ++i) ASSERT_EQ(entries[i].index.value, i + 1);
        const bool old_log = entries.size() == 10 && entries.back().term == Term(1);
        const bool new_prefix = entries.size() <= 8 && (entries.size() == 5 || entries.back().term == Term(2));
        EXPECT_TRUE(old_log || new_prefix) << "seed " << seed << ": " << entries.size() << " entries";
    }
}

TEST(DurableState, TornTailIsCutAndTheLogStaysUsable) {
    sim::DiskConfig config;
    config.torn_write_probability = 1.0;
    sim::SimDisk disk(3, config);
    DurableState durable(1 << 20);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(9), std::nullopt}).has_value());
    ASSERT_TRUE(durable.append(disk, entry(1, 1)).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    ASSERT_TRUE(durable.append(disk, entry(1, 2, std::string(500, 'x'))).has_value());
    disk.crash();
    DurableState reopened(1 << 20);
    auto state = reopened.load(disk);
    ASSERT_TRUE(state.has_value());
    ASSERT_EQ(indexes(*state), (std::vector<std::uint64_t>{1}));
    // Appending after recovery and crashing again reads back cleanly.
    ASSERT_TRUE(reopened.append(disk, entry(1, 2, "again")).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    disk.config().torn_write_probability = 0;
    disk.crash();
    auto again = DurableState(1 << 20).load(disk);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(indexes(*again), (std::vector<std::uint64_t>{1, 2}));
    EXPECT_FALSE(again->log_damaged);
}

// A flipped bit in a synced record is corruption, not a torn write: entries that
// may have been acknowledged are gone, and recovery says so.
TEST(DurableState, FlippedBitInSyncedDataIsReportedAsDamage) {
    sim::SimDisk disk(1, {});
    DurableState durable(1 << 20);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(9), std::nullopt}).has_value());
    for (std::uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(durable.append(disk, entry(1, i)).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    flip_a_bit_in_the_last_segment(disk);
    ASSERT_TRUE(disk.sync().has_value());
    auto state = DurableState(1 << 20).load(disk);
    ASSERT_TRUE(state.has_value());
    EXPECT_TRUE(state->log_damaged);
    EXPECT_LT(state->entries.size(), 5u);
    for (std::size_t i = 0; i < state->entries.size(); ++i) EXPECT_EQ(state->entries[i].index.value, i + 1);
}

// Damage outlives the bytes that showed it: recovery cuts the corrupt record
// away, so a second crash before any leader repaired the log must still find
// the log damaged (shrunk-seed11801: a clean but short log was voted on).
TEST(DurableState, DamageIsRememberedAcrossCrashesUntilCleared) {
    sim::SimDisk disk(1, {});
    DurableState durable(1 << 20);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(4), std::nullopt}).has_value());
    for (std::uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(durable.append(disk, entry(4, i)).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    flip_a_bit_in_the_last_segment(disk);
    ASSERT_TRUE(disk.sync().has_value());

    auto first = DurableState(1 << 20).load(disk);
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(first->log_damaged);
    EXPECT_EQ(first->repair_term, Term(4));
    // A crash right after recovery, before anything else was synced: the mark
    // was made durable before the corrupt record was cut.
    disk.crash();
    DurableState second_durable(1 << 20);
    auto second = second_durable.load(disk);
    ASSERT_TRUE(second.has_value());
    EXPECT_TRUE(second->log_damaged);
    EXPECT_EQ(second->repair_term, Term(4));

    // Repaired: the mark is cleared with the next sync, and stays cleared.
    ASSERT_TRUE(second_durable.save_damage(disk, DamageMark{}).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    disk.crash();
    auto third = DurableState(1 << 20).load(disk);
    ASSERT_TRUE(third.has_value());
    EXPECT_FALSE(third->log_damaged);
    EXPECT_FALSE(third->hard_state_lost);
}

// The newer snapshot slot may have held entries the log no longer has.
TEST(DurableState, ADamagedSnapshotSlotMeansTheLogIsDamaged) {
    sim::SimDisk disk(1, {});
    DurableState durable(1 << 20);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(2), std::nullopt}).has_value());
    for (std::uint64_t i = 1; i <= 4; ++i) ASSERT_TRUE(durable.append(disk, entry(2, i)).has_value());
    ASSERT_TRUE(durable.save_snapshot(disk, LogIndex(4), Term(2), "state@4").has_value());
    ASSERT_TRUE(disk.sync().has_value());
    ASSERT_TRUE(disk.write("snapshot-1", 20, "garbage").has_value());
    ASSERT_TRUE(disk.sync().has_value());
    auto state = DurableState(1 << 20).load(disk);
    ASSERT_TRUE(state.has_value());
    EXPECT_TRUE(state->log_damaged);
}

// A damaged mark is read as the worst case: nothing it might have said is lost.
TEST(DurableState, ADamagedDamageMarkIsTheWorstCase) {
    sim::SimDisk disk(1, {});
    DurableState durable(1024);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(3), std::nullopt}).has_value());
    ASSERT_TRUE(durable.save_damage(disk, DamageMark{false, true, Term(3)}).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    const std::size_t copy_bytes = disk.read("damage")->size() / 2;
    ASSERT_TRUE(disk.write("damage", 18, "x").has_value());
    ASSERT_TRUE(disk.write("damage", copy_bytes + 18, "x").has_value());
    ASSERT_TRUE(disk.sync().has_value());
    auto state = DurableState(1024).load(disk);
    ASSERT_TRUE(state.has_value());
    EXPECT_TRUE(state->log_damaged);
    EXPECT_TRUE(state->hard_state_lost);
}

TEST(DurableState, ADamagedMetaSlotMeansTheHardStateIsLost) {
    sim::SimDisk disk(1, {});
    DurableState durable(1024);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(5), NodeId(1)}).has_value());  // meta-1
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(6), NodeId(2)}).has_value());  // meta-0
    ASSERT_TRUE(disk.sync().has_value());
    const std::size_t copy_bytes = disk.read("meta-0")->size() / 2;
    ASSERT_TRUE(disk.write("meta-0", 5, "garbage").has_value());               // the first copy
    ASSERT_TRUE(disk.write("meta-0", copy_bytes + 5, "garbage").has_value());  // and the second
    ASSERT_TRUE(disk.sync().has_value());
    auto state = DurableState(1024).load(disk);
    ASSERT_TRUE(state.has_value());
    // The older slot is read back, but the damaged one may have been newer: the
    // hard state cannot be trusted for voting.
    EXPECT_EQ(state->hard_state, (HardState{Term(5), NodeId(1)}));
    EXPECT_TRUE(state->hard_state_lost);
}

// One flipped bit costs one copy of a meta slot, not the hard state; recovery
// rewrites the slot so that a second flip cannot take the other copy.
TEST(DurableState, AMetaSlotSurvivesTheLossOfOneCopy) {
    sim::SimDisk disk(1, {});
    DurableState durable(1024);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(5), NodeId(1)}).has_value());  // meta-1
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(6), NodeId(2)}).has_value());  // meta-0
    ASSERT_TRUE(disk.sync().has_value());
    const std::size_t copy_bytes = disk.read("meta-0")->size() / 2;
    ASSERT_TRUE(disk.write("meta-0", 2, "x").has_value());  // the first copy's length field
    ASSERT_TRUE(disk.sync().has_value());
    auto first = DurableState(1024).load(disk);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->hard_state, (HardState{Term(6), NodeId(2)}));
    EXPECT_FALSE(first->hard_state_lost);
    ASSERT_TRUE(disk.sync().has_value());
    ASSERT_TRUE(disk.write("meta-0", copy_bytes + 20, "x").has_value());  // now the second copy
    ASSERT_TRUE(disk.sync().has_value());
    auto second = DurableState(1024).load(disk);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->hard_state, (HardState{Term(6), NodeId(2)}));
    EXPECT_FALSE(second->hard_state_lost);
}

TEST(DurableState, SnapshotAndCompactionKeepTheTail) {
    sim::SimDisk disk(1, {});
    DurableState durable(200);  // tiny segments, so compaction deletes some
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(9), std::nullopt}).has_value());
    for (std::uint64_t i = 1; i <= 40; ++i) ASSERT_TRUE(durable.append(disk, entry(1, i)).has_value());
    ASSERT_TRUE(durable.save_snapshot(disk, LogIndex(30), Term(1), "state@30").has_value());
    ASSERT_TRUE(disk.sync().has_value());
    const auto segments_before = disk.list().size();
    ASSERT_TRUE(durable.collect_garbage(disk, LogIndex(30)).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    EXPECT_LT(disk.list().size(), segments_before);
    disk.crash();
    auto state = DurableState(200).load(disk);
    ASSERT_TRUE(state.has_value());
    ASSERT_TRUE(state->has_snapshot);
    EXPECT_EQ(state->snapshot_index, LogIndex(30));
    EXPECT_EQ(state->snapshot_data, "state@30");
    ASSERT_FALSE(state->entries.empty());
    EXPECT_EQ(state->entries.front().index, LogIndex(31));
    EXPECT_EQ(state->entries.back().index, LogIndex(40));
    EXPECT_FALSE(state->log_damaged);
}

TEST(DurableState, SnapshotInstalledOverAConflictingLogDiscardsIt) {
    sim::SimDisk disk(1, {});
    DurableState durable(1024);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(9), std::nullopt}).has_value());
    for (std::uint64_t i = 1; i <= 8; ++i) ASSERT_TRUE(durable.append(disk, entry(1, i)).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    // The leader's snapshot ends at 5 in term 2: our entries after it are another history.
    ASSERT_TRUE(durable.truncate_after(disk, LogIndex(5)).has_value());
    ASSERT_TRUE(durable.save_snapshot(disk, LogIndex(5), Term(2), "leader state").has_value());
    ASSERT_TRUE(disk.sync().has_value());
    disk.crash();
    auto state = DurableState(1024).load(disk);
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->snapshot_index, LogIndex(5));
    EXPECT_TRUE(state->entries.empty()) << "entries of another history came back";
}

// A torn crash kept an unsynced entry of term 5 in the log file but lost the
// write of term 5 to the meta file: the entry was never synced, so it goes.
TEST(DurableState, EntriesOfATermNewerThanTheDurableTermWereNeverSynced) {
    sim::SimDisk disk(1, {});
    DurableState durable(1024);
    ASSERT_TRUE(durable.load(disk).has_value());
    ASSERT_TRUE(durable.save_hard_state(disk, HardState{Term(4), std::nullopt}).has_value());
    ASSERT_TRUE(durable.append(disk, entry(4, 1)).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    // Only the log write reaches the medium (as a torn crash can arrange).
    ASSERT_TRUE(durable.append(disk, entry(5, 2)).has_value());
    ASSERT_TRUE(disk.sync().has_value());
    auto state = DurableState(1024).load(disk);
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->hard_state.term, Term(4));
    EXPECT_EQ(indexes(*state), (std::vector<std::uint64_t>{1}));
}

}  // namespace
}  // namespace faultline::protocols::raft
