// Multi-Paxos driven by hand (multi_paxos.h): a cluster of cores whose
// messages the test delivers, drops and reorders itself, and whose nodes it
// crashes. Every send checks persist-before-send.
#include "protocols/paxos/multi_paxos.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>

#include "sim/disk.h"

namespace faultline::protocols::paxos {
namespace {

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

class Cluster {
  public:
    Cluster(int size, Bugs bugs = {}) {
        options_.bugs = bugs;
        for (int i = 0; i < size; ++i) ids_.emplace_back(static_cast<std::uint32_t>(i));
        for (int i = 0; i < size; ++i) {
            contexts_.push_back(std::make_unique<TestContext>(*this, ids_[static_cast<std::size_t>(i)], 100 + i));
            nodes_.push_back(std::make_unique<MultiPaxos>(options_));
            nodes_.back()->start(*contexts_.back());
        }
        chosen_.resize(static_cast<std::size_t>(size));
    }

    MultiPaxos& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
    TestContext& ctx(int i) { return *contexts_[static_cast<std::size_t>(i)]; }
    bool up(int i) const { return nodes_[static_cast<std::size_t>(i)] != nullptr; }

    // Delivers queued messages that `pass` lets through (the rest are dropped), until none are left.
    void deliver(const std::function<bool(const Envelope&)>& pass = [](const Envelope&) { return true; }) {
        while (!queue_.empty()) {
            Envelope envelope = std::move(queue_.front());
            queue_.pop_front();
            if (!up(static_cast<int>(envelope.to.value)) || !pass(envelope)) continue;
            const int to = static_cast<int>(envelope.to.value);
            node(to).step(ctx(to), envelope);
            collect(to);
        }
    }
    // Advances time by `step` at a time, firing due timers and delivering everything.
    void run_for(Nanos duration, Nanos step = milliseconds(1)) {
        for (Nanos end = now_ + duration; now_ < end;) {
            now_ += step;
            for (auto due = next_due(); due != timers_.end(); due = next_due()) {
                const auto [node_index, tag] = due->second.second;
                const TimerId id = due->first;
                timers_.erase(due);
                node(node_index).on_timer(ctx(node_index), id, tag);
                collect(node_index);
            }
            deliver();
        }
    }
    void crash(int i) {
        nodes_[static_cast<std::size_t>(i)].reset();
        ctx(i).disk.crash();
        std::erase_if(timers_, [i](const auto& timer) { return timer.second.second.first == i; });
    }
    void restart(int i) {
        nodes_[static_cast<std::size_t>(i)] = std::make_unique<MultiPaxos>(options_);
        chosen_[static_cast<std::size_t>(i)].clear();
        node(i).recover(ctx(i));
    }
    std::optional<int> leader() {
        for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
            if (up(i) && node(i).role() == Role::leader) return i;
        }
        return std::nullopt;
    }
    // Values node i has learned, in slot order.
    const std::vector<Value>& chosen(int i) { return chosen_[static_cast<std::size_t>(i)]; }

    std::deque<Envelope> queue_;
    std::vector<NodeId> ids_;
    Nanos now_ = 0;
    std::map<TimerId, std::pair<Nanos, std::pair<int, std::uint64_t>>> timers_;
    TimerId next_timer_ = 1;

  private:
    void collect(int i) {
        std::vector<SlotValue> out;
        node(i).take_chosen(out);
        for (SlotValue& each : out) {
            EXPECT_EQ(each.slot, chosen_[static_cast<std::size_t>(i)].size());
            chosen_[static_cast<std::size_t>(i)].push_back(std::move(each.value));
        }
    }
    std::map<TimerId, std::pair<Nanos, std::pair<int, std::uint64_t>>>::iterator next_due() {
        auto best = timers_.end();
        for (auto it = timers_.begin(); it != timers_.end(); ++it) {
            if (it->second.first <= now_ && (best == timers_.end() || it->second.first < best->second.first)) best = it;
        }
        return best;
    }

    PaxosOptions options_;
    std::vector<std::unique_ptr<TestContext>> contexts_;
    std::vector<std::unique_ptr<MultiPaxos>> nodes_;
    std::vector<std::vector<Value>> chosen_;
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

TEST(MultiPaxos, ElectsALeaderWhoseValuesEveryNodeLearnsInOrder) {
    Cluster cluster(3);
    cluster.run_for(milliseconds(400));
    const std::optional<int> leader = cluster.leader();
    ASSERT_TRUE(leader.has_value());
    for (int i = 0; i < 3; ++i) {
        if (i != *leader) {
            EXPECT_EQ(cluster.node(i).role(), Role::follower);
        }
    }
    for (const char* value : {"a", "b", "c"}) {
        ASSERT_TRUE(cluster.node(*leader).propose(cluster.ctx(*leader), value).has_value());
    }
    cluster.run_for(milliseconds(100));  // a heartbeat tells the followers what is chosen
    for (int i = 0; i < 3; ++i) EXPECT_EQ(cluster.chosen(i), (std::vector<Value>{"a", "b", "c"})) << "node " << i;
    const int follower = (*leader + 1) % 3;
    EXPECT_FALSE(cluster.node(follower).propose(cluster.ctx(follower), "x").has_value());
    EXPECT_EQ(cluster.node(follower).leader(), NodeId(static_cast<std::uint32_t>(*leader)));
}

// The leader gets "v" accepted by one follower (with itself, a majority:
// chosen) and crashes before anyone learns it. The next leader hears of it in
// a promise and must choose it again, and its own next value after it; with
// ignore-accepted it puts its next value in that slot.
std::vector<Value> after_leader_crash(Bugs bugs) {
    Cluster cluster(3, bugs);
    cluster.run_for(milliseconds(400));
    const int leader = *cluster.leader();
    const int keeper = (leader + 1) % 3, other = (leader + 2) % 3;
    cluster.node(leader).propose(cluster.ctx(leader), "v");
    cluster.deliver([&](const Envelope& e) { return e.to.value == static_cast<std::uint32_t>(keeper); });
    EXPECT_NE(cluster.node(keeper).acceptor().accepted_at(0), nullptr);
    cluster.crash(leader);
    cluster.run_for(milliseconds(800));
    const std::optional<int> next = cluster.leader();
    EXPECT_TRUE(next.has_value());
    if (next) cluster.node(*next).propose(cluster.ctx(*next), "w");
    cluster.run_for(milliseconds(100));
    cluster.restart(leader);
    cluster.run_for(milliseconds(300));
    EXPECT_EQ(cluster.chosen(keeper), cluster.chosen(other));
    return cluster.chosen(other);
}

TEST(MultiPaxos, ANewLeaderAdoptsAValueAMajorityAccepted) {
    EXPECT_EQ(after_leader_crash(Bugs{}), (std::vector<Value>{"v", "w"}));
}

TEST(MultiPaxos, WithIgnoreAcceptedTheNewLeaderOverwritesIt) {
    EXPECT_EQ(after_leader_crash(Bugs{.ignore_accepted = true}), (std::vector<Value>{"w"}));
}

TEST(MultiPaxos, ARestartedNodeRelearnsTheLogFromTheLeader) {
    Cluster cluster(3);
    cluster.run_for(milliseconds(400));
    const int leader = *cluster.leader();
    const int follower = (leader + 1) % 3;
    for (int i = 0; i < 600; ++i) cluster.node(leader).propose(cluster.ctx(leader), "v" + std::to_string(i));
    cluster.run_for(milliseconds(100));
    cluster.crash(follower);
    cluster.restart(follower);
    EXPECT_TRUE(cluster.chosen(follower).empty());
    cluster.run_for(milliseconds(300));
    ASSERT_EQ(cluster.chosen(follower).size(), 600u);  // in batches, by catch-up
    EXPECT_EQ(cluster.chosen(follower).back(), "v599");
}

}  // namespace
}  // namespace faultline::protocols::paxos
