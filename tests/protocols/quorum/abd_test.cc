// ABD driven by hand: a write and a read, Kleppmann's new/old inversion with
// and without the read's write-back, a crashed replica that keeps what it
// acknowledged, and cas refused.
#include <gtest/gtest.h>

#include "protocols/abd/abd_server.h"
#include "protocols/quorum/cluster.h"

namespace faultline::protocols::abd {
namespace {

using quorum::testing::Cluster;
using quorum::testing::cut_off;

Cluster<AbdServer> cluster_of(int size, AbdOptions options = {}) {
    return Cluster<AbdServer>(size, [options] { return std::make_unique<AbdServer>(options); });
}

bool is_store(const Envelope& envelope) {
    return message_as<quorum::Store>(*envelope.message) != nullptr;
}

TEST(Abd, AWriteThenAReadReturnsIt) {
    auto cluster = cluster_of(3);
    cluster.request(0, kv::KvOp::write, 1, 42);
    cluster.deliver();
    ASSERT_TRUE(cluster.last_reply());
    EXPECT_EQ(cluster.last_reply()->code, 0);
    // Every replica that acknowledged holds the write, at counter 1.
    int holding = 0;
    for (int i = 0; i < 3; ++i) {
        if (const auto* copy = cluster.node(i).store().find(1)) {
            EXPECT_EQ(copy->value, 42);
            EXPECT_EQ(copy->version.counter, 1u);
            ++holding;
        }
    }
    EXPECT_GE(holding, 2);
    cluster.request(2, kv::KvOp::read, 1);
    cluster.deliver();
    EXPECT_EQ(cluster.last_reply()->code, 0);
    EXPECT_EQ(cluster.last_reply()->value, 42);
    EXPECT_EQ(cluster.node(0).operations_in_flight() + cluster.node(2).operations_in_flight(), 0u);
}

TEST(Abd, AReadOfAKeyNeverWrittenFindsItAbsent) {
    auto cluster = cluster_of(3);
    cluster.request(1, kv::KvOp::read, 9);
    cluster.deliver();
    EXPECT_EQ(cluster.last_reply()->code, kv::error_key_missing);
}

TEST(Abd, ALaterWriteGetsAHigherVersion) {
    auto cluster = cluster_of(5);
    cluster.request(0, kv::KvOp::write, 1, 10);
    cluster.deliver(cut_off({3, 4}));
    // Coordinated by a node that missed the first write: its query meets a replica that has it.
    cluster.request(4, kv::KvOp::write, 1, 20);
    cluster.deliver(cut_off({0, 1}));
    EXPECT_EQ(cluster.last_reply()->code, 0);
    EXPECT_EQ(cluster.node(2).store().find(1)->value, 20);
    EXPECT_EQ(cluster.node(2).store().find(1)->version.counter, 2u);
}

// Kleppmann's schedule on replicas A, B, C (n0, n1, n2): the write of 1 reaches
// A at once and B, C late; a read of {A, B} returns 1; then a read of {B, C}.
// `skip_write_back` off, the first read left 1 on B, so the second returns 1;
// on, B and C still hold 0, the older value: the new/old inversion.
std::int64_t second_read_after_inversion_schedule(bool skip_write_back) {
    auto cluster = cluster_of(3, AbdOptions{.skip_write_back = skip_write_back});
    cluster.request(0, kv::KvOp::write, 1, 0);
    cluster.deliver();
    EXPECT_EQ(cluster.last_reply()->code, 0);
    // The write of 1: its query phase runs; its stores to B and C are held back.
    cluster.request(0, kv::KvOp::write, 1, 1);
    cluster.deliver([](const Envelope& envelope) { return !is_store(envelope); }, /*hold=*/true);
    EXPECT_EQ(cluster.node(0).store().find(1)->value, 1);  // A stored it itself
    const std::deque<Envelope> late_stores = cluster.queue;
    cluster.queue.clear();
    // Read 1, coordinated by B, answered by A and B (C cut off).
    cluster.request(1, kv::KvOp::read, 1);
    cluster.deliver(cut_off({2}));
    EXPECT_EQ(cluster.last_reply()->value, 1);
    // Read 2, coordinated by C, answered by B and C (A cut off).
    cluster.request(2, kv::KvOp::read, 1);
    cluster.deliver(cut_off({0}));
    EXPECT_EQ(cluster.last_reply()->code, 0);
    const std::int64_t second = cluster.last_reply()->value;
    cluster.queue = late_stores;
    cluster.deliver();
    return second;
}

TEST(Abd, TheWriteBackPreventsTheNewOldInversion) {
    EXPECT_EQ(second_read_after_inversion_schedule(false), 1);
}

TEST(Abd, WithoutTheWriteBackALaterReadReturnsTheOlderValue) {
    EXPECT_EQ(second_read_after_inversion_schedule(true), 0);
}

TEST(Abd, AReplicaKeepsWhatItAcknowledgedAcrossACrash) {
    auto cluster = cluster_of(3);
    cluster.request(0, kv::KvOp::write, 3, 33);
    cluster.deliver();
    ASSERT_EQ(cluster.last_reply()->code, 0);
    for (int i = 0; i < 3; ++i) {
        cluster.crash(i);
        cluster.restart(i);
    }
    for (int i = 0; i < 3; ++i) {
        if (const auto* copy = cluster.node(i).store().find(3)) {
            EXPECT_EQ(copy->value, 33);
        }
    }
    cluster.request(1, kv::KvOp::read, 3);
    cluster.deliver();
    EXPECT_EQ(cluster.last_reply()->value, 33);
}

TEST(Abd, LostMessagesAreResentUntilAMajorityAnswers) {
    auto cluster = cluster_of(3);
    cluster.request(0, kv::KvOp::write, 1, 5);
    cluster.deliver([](const Envelope&) { return false; });  // every first request lost
    EXPECT_TRUE(cluster.replies.empty());
    cluster.run_for(milliseconds(250));
    ASSERT_TRUE(cluster.last_reply());
    EXPECT_EQ(cluster.last_reply()->code, 0);
}

TEST(Abd, WithoutAMajorityAnOperationIsDroppedUnanswered) {
    auto cluster = cluster_of(3);
    cluster.request(0, kv::KvOp::write, 1, 5);
    cluster.run_for(seconds(3), cut_off({1, 2}));
    EXPECT_TRUE(cluster.replies.empty());
    EXPECT_EQ(cluster.node(0).operations_in_flight(), 0u);
}

TEST(Abd, CasIsRefused) {
    auto cluster = cluster_of(3);
    cluster.request(0, kv::KvOp::cas, 1, 5);
    cluster.deliver();
    EXPECT_EQ(cluster.last_reply()->code, error_not_supported);
}

}  // namespace
}  // namespace faultline::protocols::abd
