// PBFT replicas driven by hand (replica.h): four replicas and a client whose
// messages the test delivers or drops itself. The normal case, a view change
// after a silent primary that keeps a prepared request, checkpoints with
// garbage collection and state transfer, and an equivocating primary that
// splits correct replicas only when quorums are 2f.
#include "protocols/pbft/replica.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "protocols/pbft/byzantine.h"
#include "sim/disk.h"

namespace faultline::protocols::pbft {
namespace {

constexpr int kReplicas = 4;
const NodeId kClient(kReplicas);

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

class Cluster {
  public:
    explicit Cluster(PbftOptions options, std::optional<Behaviour> replica0 = std::nullopt) : options_(options) {
        for (int i = 0; i < kReplicas; ++i) ids_.emplace_back(static_cast<std::uint32_t>(i));
        for (int i = 0; i < kReplicas; ++i) {
            contexts_.push_back(std::make_unique<TestContext>(*this, ids_[static_cast<std::size_t>(i)], 100 + i));
            if (i == 0 && replica0) {
                nodes_.push_back(std::make_unique<ByzantineReplica>(options_, *replica0));
            } else {
                nodes_.push_back(std::make_unique<PbftReplica>(options_));
            }
            nodes_.back()->start(*contexts_.back());
        }
    }

    const PbftReplica& replica(int i) const {
        const Node* node = nodes_[static_cast<std::size_t>(i)].get();
        if (const auto* byzantine = dynamic_cast<const ByzantineReplica*>(node)) return byzantine->inner();
        return *static_cast<const PbftReplica*>(node);
    }
    TestContext& ctx(int i) { return *contexts_[static_cast<std::size_t>(i)]; }

    // The client asks replica `to` to write `value` to key 1.
    void request(int to, std::uint64_t sequence, std::int64_t value, kv::KvOp op = kv::KvOp::write) {
        auto message = std::make_shared<RequestMessage>();
        message->request.command.op = op;
        message->request.command.key = 1;
        message->request.command.value = value;
        message->request.command.client = kClient.value + 1;
        message->request.command.sequence = sequence;
        message->request.msg_id = sequence;
        message->request.signature = sign_as_client(kClient.value + 1, message->request.digest());
        queue_.push_back(Envelope{kClient, ids_[static_cast<std::size_t>(to)], std::move(message)});
    }

    // Advances time by `duration`, 1 ms at a time, firing due timers and
    // delivering what `pass` lets through (the rest is dropped).
    void run_for(
        Nanos duration, const Filter& pass = [](const Envelope&) { return true; }) {
        for (Nanos end = now_ + duration; now_ < end;) {
            now_ += milliseconds(1);
            for (auto due = next_due(); due != timers_.end(); due = next_due()) {
                const auto [node_index, tag] = due->second.second;
                const TimerId id = due->first;
                timers_.erase(due);
                nodes_[static_cast<std::size_t>(node_index)]->on_timer(ctx(node_index), id, tag);
            }
            while (!queue_.empty()) {
                Envelope envelope = std::move(queue_.front());
                queue_.pop_front();
                if (!pass(envelope)) continue;
                if (envelope.to == kClient) {
                    if (const auto* reply = message_as<Reply>(*envelope.message)) replies.push_back(*reply);
                    continue;
                }
                ++delivered[std::string(envelope.message->type())];
                const int to = static_cast<int>(envelope.to.value);
                nodes_[static_cast<std::size_t>(to)]->on_message(ctx(to), envelope);
            }
        }
    }

    void crash_and_recover(int i) {
        ctx(i).disk.crash();
        std::erase_if(timers_, [i](const auto& timer) { return timer.second.second.first == i; });
        nodes_[static_cast<std::size_t>(i)] = std::make_unique<PbftReplica>(options_);
        nodes_[static_cast<std::size_t>(i)]->recover(ctx(i));
    }

    // Replies the client got for `sequence`, by replica.
    std::map<std::uint32_t, kv::KvResult> replies_for(std::uint64_t sequence) const {
        std::map<std::uint32_t, kv::KvResult> found;
        for (const Reply& reply : replies) {
            if (reply.sequence == sequence && reply.verify()) found[reply.replica] = reply.result;
        }
        return found;
    }

    std::deque<Envelope> queue_;
    std::vector<NodeId> ids_;
    Nanos now_ = 0;
    std::map<TimerId, std::pair<Nanos, std::pair<int, std::uint64_t>>> timers_;
    TimerId next_timer_ = 1;
    std::vector<Reply> replies;
    std::map<std::string, int> delivered;

  private:
    std::map<TimerId, std::pair<Nanos, std::pair<int, std::uint64_t>>>::iterator next_due() {
        auto best = timers_.end();
        for (auto it = timers_.begin(); it != timers_.end(); ++it) {
            if (it->second.first <= now_ && (best == timers_.end() || it->second.first < best->second.first)) best = it;
        }
        return best;
    }

    PbftOptions options_;
    std::vector<std::unique_ptr<TestContext>> contexts_;
    std::vector<std::unique_ptr<Node>> nodes_;
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

// What replica i executed, as seq -> digest.
std::map<Seq, Digest> executed(const PbftReplica& replica) {
    std::map<Seq, Digest> out;
    for (const auto& [seq, digest] : replica.executed_log()) out[seq] = digest;
    return out;
}

Filter from_replica_dropped(int replica) {
    return [replica](const Envelope& envelope) { return envelope.from.value != static_cast<std::uint32_t>(replica); };
}

// Commits of view 0 never arrive (nor do statuses resend them): the request
// can only commit in a later view.
bool commit_of_view_0(const Envelope& envelope) {
    const auto* vote = message_as<Vote>(*envelope.message);
    return vote != nullptr && vote->kind == Vote::Kind::commit && vote->view == 0;
}

TEST(PbftReplica, NormalCaseExecutesOnEveryReplicaAndAllReply) {
    Cluster cluster(PbftOptions{});
    cluster.request(2, 1, 42);
    cluster.run_for(milliseconds(20));
    for (int i = 0; i < kReplicas; ++i) {
        EXPECT_EQ(cluster.replica(i).executed(), 1u) << i;
        EXPECT_EQ(cluster.replica(i).store().data().at(1), 42) << i;
        EXPECT_EQ(cluster.replica(i).view(), 0u);
    }
    EXPECT_EQ(cluster.replies_for(1).size(), 4u);
    // One pre-prepare to each backup; prepares from the three backups only.
    EXPECT_EQ(cluster.delivered["pre_prepare"], 3);
    EXPECT_EQ(cluster.delivered["prepare"], 3 * 3);
    EXPECT_EQ(cluster.delivered["commit"], 4 * 3);
    // A read is ordered like a write and answered from the store at its place.
    cluster.request(1, 2, 0, kv::KvOp::read);
    cluster.run_for(milliseconds(20));
    for (const auto& [replica, result] : cluster.replies_for(2)) EXPECT_EQ(result.value, 42) << replica;
}

TEST(PbftReplica, ARequestWithoutTheClientsSignatureIsNotExecuted) {
    Cluster cluster(PbftOptions{});
    cluster.request(1, 1, 7);
    auto& envelope = cluster.queue_.back();
    auto forged = std::make_shared<RequestMessage>(*message_as<RequestMessage>(*envelope.message));
    forged->request.command.value = 8;  // altered after the client signed
    envelope.message = forged;
    cluster.run_for(milliseconds(20));
    for (int i = 0; i < kReplicas; ++i) EXPECT_EQ(cluster.replica(i).executed(), 0u);
}

TEST(PbftReplica, ASilentPrimaryIsReplacedAndTheRequestExecutesInTheNextView) {
    Cluster cluster(PbftOptions{});
    cluster.request(1, 1, 5);
    cluster.run_for(seconds(3), from_replica_dropped(0));
    for (int i = 1; i < kReplicas; ++i) {
        EXPECT_EQ(cluster.replica(i).view(), 1u) << i;
        EXPECT_FALSE(cluster.replica(i).in_view_change()) << i;
        EXPECT_EQ(cluster.replica(i).executed(), 1u) << i;
    }
    EXPECT_GE(cluster.delivered["view_change"], 3);
    EXPECT_GE(cluster.delivered["new_view"], 2);
    EXPECT_GE(cluster.replies_for(1).size(), 3u);
}

TEST(PbftReplica, AViewChangeKeepsARequestThatPreparedAtTheSameNumber) {
    Cluster cluster(PbftOptions{});
    cluster.request(1, 1, 9);
    // Everything but commits: the request prepares everywhere, commits nowhere.
    cluster.run_for(milliseconds(5), [](const Envelope& e) { return e.message->type() != "commit"; });
    for (int i = 0; i < kReplicas; ++i) EXPECT_EQ(cluster.replica(i).executed(), 0u);
    // The primary falls silent; the new primary must re-issue that request at 1.
    cluster.run_for(seconds(3), [](const Envelope& e) { return e.from.value != 0 && !commit_of_view_0(e); });
    std::set<Digest> at_one;
    for (int i = 1; i < kReplicas; ++i) {
        EXPECT_EQ(cluster.replica(i).view(), 1u);
        const auto done = executed(cluster.replica(i));
        ASSERT_TRUE(done.contains(1)) << i;
        at_one.insert(done.at(1));
        EXPECT_EQ(cluster.replica(i).store().data().at(1), 9) << i;
    }
    EXPECT_EQ(at_one.size(), 1u);
    EXPECT_NE(*at_one.begin(), kNullDigest);
}

TEST(PbftReplica, CheckpointsBoundTheLogAndALaggardCatchesUpByStateTransfer) {
    PbftOptions options;
    options.checkpoint_interval = 2;
    options.log_window = 4;
    Cluster cluster(options);
    // Replica 3 hears nothing while 12 requests execute on the other three.
    const Filter cut = [](const Envelope& e) { return e.to.value != 3 && e.from.value != 3; };
    for (std::uint64_t s = 1; s <= 12; ++s) {
        cluster.request(1, s, static_cast<std::int64_t>(100 + s));
        cluster.run_for(milliseconds(10), cut);
        for (int i = 0; i < kReplicas; ++i) EXPECT_LE(cluster.replica(i).log_size(), options.log_window);
    }
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(cluster.replica(i).executed(), 12u) << i;
        EXPECT_GE(cluster.replica(i).stable(), 10u) << i;  // 2f + 1 = 3 checkpoints without replica 3
    }
    EXPECT_EQ(cluster.replica(3).executed(), 0u);
    // Healed: its status brings it the stable checkpoint's proof, then the state.
    cluster.run_for(seconds(1));
    EXPECT_GE(cluster.replica(3).executed(), 12u);
    EXPECT_EQ(cluster.replica(3).store().fingerprint(), cluster.replica(0).store().fingerprint());
    EXPECT_GE(cluster.delivered["state"], 1);
}

TEST(PbftReplica, ARestartedReplicaMovesToALaterViewAndStillOffersItsCertificates) {
    Cluster cluster(PbftOptions{});
    cluster.request(1, 1, 3);
    cluster.run_for(milliseconds(5), [](const Envelope& e) { return e.message->type() != "commit"; });
    cluster.crash_and_recover(2);
    EXPECT_EQ(cluster.replica(2).view(), 1u);
    EXPECT_TRUE(cluster.replica(2).in_view_change());
    // Its view-change carries the certificate it synced before the crash.
    cluster.run_for(seconds(3), [](const Envelope& e) { return !commit_of_view_0(e); });
    for (int i = 0; i < kReplicas; ++i) {
        EXPECT_EQ(cluster.replica(i).view(), 1u) << i;
        EXPECT_EQ(cluster.replica(i).store().data().at(1), 3) << i;
    }
}

// An equivocating primary (replica 0) tells replicas 1 and 3 the null request
// and replica 2 the client's. With 2f + 1 quorums replica 2 cannot prepare
// alone, and correct replicas agree; with 2f (the bug), its own prepare and the
// primary's commit are a "quorum", and it executes what the others did not.
std::set<Digest> digests_at_one(const Cluster& cluster) {
    std::set<Digest> found;
    for (int i = 1; i < kReplicas; ++i) {
        const auto done = executed(cluster.replica(i));
        if (done.contains(1)) found.insert(done.at(1));
    }
    return found;
}

TEST(PbftReplica, AnEquivocatingPrimaryCannotSplitCorrectReplicas) {
    Cluster cluster(PbftOptions{}, Behaviour::equivocate);
    cluster.request(1, 1, 11);
    cluster.run_for(seconds(3));
    EXPECT_EQ(digests_at_one(cluster).size(), 1u);
    for (int i = 1; i < kReplicas; ++i) EXPECT_EQ(cluster.replica(i).store().data().at(1), 11) << i;
}

TEST(PbftReplica, WithQuorumsOf2fAnEquivocatingPrimarySplitsThem) {
    PbftOptions options;
    options.quorum_2f = true;
    Cluster cluster(options, Behaviour::equivocate);
    cluster.request(1, 1, 11);
    cluster.run_for(milliseconds(50));
    EXPECT_EQ(digests_at_one(cluster).size(), 2u);
}

}  // namespace
}  // namespace faultline::protocols::pbft
