// The KV state machine: lin-kv semantics, sessions that make retries safe,
// snapshots that round-trip.
#include "protocols/kv/kv_store.h"

#include <gtest/gtest.h>

namespace faultline::protocols::kv {
namespace {

KvCommand write(std::int64_t key, std::int64_t value, std::uint64_t client = 1, std::uint64_t sequence = 0) {
    return KvCommand{KvOp::write, key, value, 0, client, sequence};
}

KvCommand cas(std::int64_t key, std::int64_t from, std::int64_t to, std::uint64_t client = 1,
              std::uint64_t sequence = 0) {
    return KvCommand{KvOp::cas, key, to, from, client, sequence};
}

TEST(KvStore, LinKvSemantics) {
    KvStore store;
    EXPECT_EQ(store.read(1).code, error_key_missing);
    EXPECT_EQ(store.apply(cas(1, 0, 1, 1, 1)).code, error_key_missing);
    EXPECT_EQ(store.apply(write(1, 5, 1, 2)).code, 0);
    EXPECT_EQ(store.read(1).value, 5);
    EXPECT_EQ(store.apply(cas(1, 4, 6, 1, 3)).code, error_precondition);
    EXPECT_EQ(store.read(1).value, 5);
    EXPECT_EQ(store.apply(cas(1, 5, 6, 1, 4)).code, 0);
    EXPECT_EQ(store.read(1).value, 6);
}

TEST(KvStore, ARetriedCommandAppliesOnce) {
    KvStore store;
    ASSERT_EQ(store.apply(write(1, 1, /*client=*/7, /*sequence=*/1)).code, 0);
    ASSERT_EQ(store.apply(write(1, 2, /*client=*/8, /*sequence=*/1)).code, 0);
    // Client 7's write arrives again (a retry, or the network duplicated it).
    EXPECT_EQ(store.apply(write(1, 1, 7, 1)).code, 0);
    EXPECT_EQ(store.read(1).value, 2) << "a duplicate write was applied twice";
    EXPECT_EQ(store.applied_commands(), 2u);
    // A duplicated cas returns the original result rather than re-evaluating.
    ASSERT_EQ(store.apply(cas(1, 2, 3, 7, 2)).code, 0);
    EXPECT_EQ(store.apply(cas(1, 2, 3, 7, 2)).code, 0);
    EXPECT_EQ(store.read(1).value, 3);
}

TEST(KvStore, WithoutDeduplicationADuplicateAppliesTwice) {
    KvStore store(KvStoreOptions{.deduplicate = false});
    ASSERT_EQ(store.apply(write(1, 1, 7, 1)).code, 0);
    ASSERT_EQ(store.apply(write(1, 2, 8, 1)).code, 0);
    ASSERT_EQ(store.apply(write(1, 1, 7, 1)).code, 0);
    EXPECT_EQ(store.read(1).value, 1);  // the no-dedup bug, visible
}

TEST(KvStore, SnapshotRoundTripsDataAndSessions) {
    KvStore store;
    ASSERT_EQ(store.apply(write(1, 10, 3, 1)).code, 0);
    ASSERT_EQ(store.apply(write(-4, 7, 4, 9)).code, 0);
    KvStore restored;
    ASSERT_TRUE(restored.restore(store.snapshot()).has_value());
    EXPECT_EQ(restored.data(), store.data());
    EXPECT_EQ(restored.applied_commands(), 2u);
    // The sessions came along: a duplicate is still recognised.
    ASSERT_EQ(restored.apply(write(1, 99, 3, 1)).code, 0);
    EXPECT_EQ(restored.read(1).value, 10);
}

// The fingerprint that replicas are compared by: the same after a snapshot
// round trip, different when the sessions are lost (the sessions-not-in-snapshot
// bug) or the data differs.
TEST(KvStore, FingerprintSurvivesASnapshotAndSeesLostSessions) {
    KvStore store;
    ASSERT_EQ(store.apply(write(1, 10, 3, 1)).code, 0);
    ASSERT_EQ(store.apply(cas(1, 10, 11, 4, 9)).code, 0);
    KvStore restored;
    ASSERT_TRUE(restored.restore(store.snapshot()).has_value());
    EXPECT_EQ(restored.fingerprint(), store.fingerprint());

    KvStore forgetful(KvStoreOptions{.sessions_in_snapshot = false});
    ASSERT_EQ(forgetful.apply(write(1, 10, 3, 1)).code, 0);
    ASSERT_EQ(forgetful.apply(cas(1, 10, 11, 4, 9)).code, 0);
    EXPECT_EQ(forgetful.fingerprint(), store.fingerprint());
    KvStore restored_without_sessions;
    ASSERT_TRUE(restored_without_sessions.restore(forgetful.snapshot()).has_value());
    EXPECT_EQ(restored_without_sessions.data(), store.data());
    EXPECT_NE(restored_without_sessions.fingerprint(), store.fingerprint());

    ASSERT_EQ(store.apply(write(2, 1, 3, 2)).code, 0);
    EXPECT_NE(restored.fingerprint(), store.fingerprint());
}

TEST(KvStore, TruncatedSnapshotIsAnErrorNotACrash) {
    KvStore store;
    ASSERT_EQ(store.apply(write(1, 10, 3, 1)).code, 0);
    std::string snapshot = store.snapshot();
    snapshot.resize(snapshot.size() - 3);
    KvStore restored;
    const Status status = restored.restore(snapshot);
    ASSERT_FALSE(status.has_value());
    EXPECT_EQ(status.error().code, ErrorCode::corruption);
}

TEST(KvCommand, EncodesAndDecodes) {
    const KvCommand command{KvOp::cas, -12, 99, 7, 1234, 56};
    auto decoded = KvCommand::decode(command.encode());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, command);
    EXPECT_FALSE(KvCommand::decode("short").has_value());
}

}  // namespace
}  // namespace faultline::protocols::kv
