// A hand-driven cluster for the quorum cores (abd, dynamo): the test holds
// every message in a queue and delivers, drops or holds back each one itself,
// advances time and fires timers, and crashes nodes. Node k of n is NodeId k;
// the client is NodeId 100. Every send checks persist-before-send.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "node/node.h"
#include "protocols/kv/messages.h"
#include "sim/disk.h"

namespace faultline::protocols::quorum::testing {

inline const NodeId kClient(100);

template <class N>
class Cluster;

template <class N>
class TestContext final : public Context {
  public:
    TestContext(Cluster<N>& cluster, NodeId self, std::uint64_t seed) : cluster_(cluster), self_(self), random_(seed) {}
    NodeId self() const override { return self_; }
    std::span<const NodeId> cluster() const override { return cluster_.ids; }
    std::string_view name_of(NodeId) const override { return "n"; }
    Nanos now() const override { return cluster_.now; }
    void send(NodeId to, MessagePtr message) override {
        EXPECT_FALSE(disk.has_unsynced_writes()) << "sent " << message->type() << " before persisting";
        cluster_.queue.push_back(Envelope{self_, to, std::move(message)});
    }
    TimerId set_timer(Nanos after, std::uint64_t tag) override {
        const TimerId id = cluster_.next_timer++;
        cluster_.timers[id] = {cluster_.now + after, {static_cast<int>(self_.value), tag}};
        return id;
    }
    void cancel_timer(TimerId timer) override { cluster_.timers.erase(timer); }
    Prng& random() override { return random_; }
    Storage& storage() override { return disk; }
    void log(std::string_view) override {}

    sim::SimDisk disk{1, sim::DiskConfig{}};

  private:
    Cluster<N>& cluster_;
    NodeId self_;
    Prng random_;
};

template <class N>
class Cluster {
  public:
    using Factory = std::function<std::unique_ptr<N>()>;
    using Filter = std::function<bool(const Envelope&)>;

    Cluster(int size, Factory factory) : factory_(std::move(factory)) {
        for (int i = 0; i < size; ++i) ids.emplace_back(static_cast<std::uint32_t>(i));
        for (int i = 0; i < size; ++i) {
            contexts_.push_back(std::make_unique<TestContext<N>>(*this, ids[static_cast<std::size_t>(i)], 100 + i));
            nodes_.push_back(factory_());
            nodes_.back()->start(*contexts_.back());
        }
    }

    N& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
    TestContext<N>& ctx(int i) { return *contexts_[static_cast<std::size_t>(i)]; }
    bool up(int i) const { return nodes_[static_cast<std::size_t>(i)] != nullptr; }

    // A client request to server `to` (it arrives at once).
    void request(int to, kv::KvOp op, std::int64_t key, std::int64_t value = 0, std::uint64_t sequence = 0) {
        kv::KvRequest request;
        request.msg_id = ++next_msg_;
        request.command.op = op;
        request.command.key = key;
        request.command.value = value;
        request.command.client = 7;
        request.command.sequence = sequence == 0 ? next_msg_ : sequence;
        const Envelope envelope{kClient, ids[static_cast<std::size_t>(to)], std::make_shared<kv::KvRequest>(request)};
        node(to).on_message(ctx(to), envelope);
    }

    // Delivers queued messages that `pass` lets through; the others are dropped
    // (or, with `hold`, kept for later). Replies to the client are collected.
    void deliver(
        const Filter& pass = [](const Envelope&) { return true; }, bool hold = false) {
        std::deque<Envelope> held;
        while (!queue.empty()) {
            Envelope envelope = std::move(queue.front());
            queue.pop_front();
            if (envelope.to == kClient) {
                if (const auto* reply = message_as<kv::KvReply>(*envelope.message)) replies.push_back(*reply);
                continue;
            }
            const int to = static_cast<int>(envelope.to.value);
            if (!pass(envelope)) {
                if (hold) held.push_back(std::move(envelope));
                continue;
            }
            if (!up(to)) continue;
            node(to).on_message(ctx(to), envelope);
        }
        queue = std::move(held);
    }
    // Advances time by `duration` in steps, firing due timers and delivering what `pass` lets through.
    void run_for(
        Nanos duration, const Filter& pass = [](const Envelope&) { return true; }, Nanos step = milliseconds(1)) {
        for (Nanos end = now + duration; now < end;) {
            now += step;
            for (;;) {
                auto due = timers.end();
                for (auto it = timers.begin(); it != timers.end(); ++it) {
                    if (it->second.first <= now && (due == timers.end() || it->second.first < due->second.first)) {
                        due = it;
                    }
                }
                if (due == timers.end()) break;
                const auto [index, tag] = due->second.second;
                const TimerId id = due->first;
                timers.erase(due);
                if (up(index)) node(index).on_timer(ctx(index), id, tag);
            }
            deliver(pass);
        }
    }
    void crash(int i) {
        nodes_[static_cast<std::size_t>(i)].reset();
        ctx(i).disk.crash();
        std::erase_if(timers, [i](const auto& timer) { return timer.second.second.first == i; });
    }
    void restart(int i) {
        nodes_[static_cast<std::size_t>(i)] = factory_();
        node(i).recover(ctx(i));
    }
    // The last reply the client got, if any.
    std::optional<kv::KvReply> last_reply() const {
        if (replies.empty()) return std::nullopt;
        return replies.back();
    }

    std::vector<NodeId> ids;
    std::deque<Envelope> queue;
    std::vector<kv::KvReply> replies;
    Nanos now = 0;
    std::map<TimerId, std::pair<Nanos, std::pair<int, std::uint64_t>>> timers;
    TimerId next_timer = 1;

  private:
    Factory factory_;
    std::vector<std::unique_ptr<TestContext<N>>> contexts_;
    std::vector<std::unique_ptr<N>> nodes_;
    std::uint64_t next_msg_ = 0;
};

// Lets through messages that are not to (or from) any node in `cut`.
inline std::function<bool(const Envelope&)> cut_off(std::vector<int> cut) {
    return [cut](const Envelope& envelope) {
        for (int i : cut) {
            if (envelope.to.value == static_cast<std::uint32_t>(i) ||
                envelope.from.value == static_cast<std::uint32_t>(i)) {
                return false;
            }
        }
        return true;
    };
}

}  // namespace faultline::protocols::quorum::testing
