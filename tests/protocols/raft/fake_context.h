// A Context for driving one Raft object by hand, as etcd's raft_paper_test does:
// the test sets the clock, fires timers and delivers messages itself, and sees
// every message the node sends. Storage is a real SimDisk, and every send checks
// that nothing written before it is still unsynced: persist before send.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "node/node.h"
#include "protocols/raft/raft.h"
#include "sim/disk.h"

namespace faultline::protocols::raft::testing {

class FakeContext final : public Context {
  public:
    FakeContext(NodeId self, int cluster_size, std::uint64_t seed = 1)
        : self_(self), random_(seed), disk_(seed, sim::DiskConfig{}) {
        for (int i = 0; i < cluster_size; ++i) cluster_.emplace_back(static_cast<std::uint32_t>(i));
    }

    NodeId self() const override { return self_; }
    std::span<const NodeId> cluster() const override { return cluster_; }
    std::string_view name_of(NodeId node) const override {
        names_[node.value] = "n" + std::to_string(node.value);
        return names_[node.value];
    }
    Nanos now() const override { return now_; }
    void send(NodeId to, MessagePtr message) override {
        EXPECT_FALSE(disk_.has_unsynced_writes()) << "sent " << message->type() << " before persisting";
        sent.push_back(Envelope{self_, to, std::move(message)});
    }
    TimerId set_timer(Nanos after, std::uint64_t tag) override {
        const TimerId id = next_timer_++;
        timers[id] = {now_ + after, tag};
        return id;
    }
    void cancel_timer(TimerId timer) override { timers.erase(timer); }
    Prng& random() override { return random_; }
    Storage& storage() override { return disk_; }
    void log(std::string_view line) override { logs.emplace_back(line); }

    sim::SimDisk& disk() { return disk_; }

    // Advances the clock and fires, in time order, every timer due by then.
    template <class Target>
    void advance(Nanos duration, Target& target) {
        const Nanos until = now_ + duration;
        while (true) {
            auto due = std::min_element(timers.begin(), timers.end(),
                                        [](const auto& a, const auto& b) { return a.second.first < b.second.first; });
            if (due == timers.end() || due->second.first > until) break;
            const TimerId id = due->first;
            const auto [at, tag] = due->second;
            timers.erase(due);
            now_ = std::max(now_, at);
            target.on_timer(*this, id, tag);
        }
        now_ = until;
    }

    // Messages sent so far of type M (to anyone), and forgets all sent messages.
    template <class M>
    std::vector<std::pair<NodeId, M>> take() {
        std::vector<std::pair<NodeId, M>> out;
        for (const Envelope& envelope : sent) {
            if (const auto* message = message_as<M>(*envelope.message)) out.emplace_back(envelope.to, *message);
        }
        sent.clear();
        return out;
    }

    std::vector<Envelope> sent;
    std::map<TimerId, std::pair<Nanos, std::uint64_t>> timers;
    std::vector<std::string> logs;

  private:
    NodeId self_;
    std::vector<NodeId> cluster_;
    mutable std::map<std::uint32_t, std::string> names_;
    Nanos now_ = 0;
    TimerId next_timer_ = 1;
    Prng random_;
    sim::SimDisk disk_;
};

// A host that acts on each Ready as raft.h says, and records what it was
// handed. Its state machine is the number of entries applied (its snapshot).
class RecordingHost {
  public:
    void act(Raft& raft, Context& ctx) {
        Ready ready = raft.take_ready();
        reads_failed.insert(reads_failed.end(), ready.reads_failed.begin(), ready.reads_failed.end());
        if (ready.snapshot) restored.push_back(ready.snapshot->data);
        applied.insert(applied.end(), ready.committed.begin(), ready.committed.end());
        reads_ready.insert(reads_ready.end(), ready.reads_ready.begin(), ready.reads_ready.end());
        if (ready.snapshot_wanted_at && !raft.compact(ctx, *ready.snapshot_wanted_at, std::to_string(applied.size()))) {
            return;
        }
        for (auto& [to, message] : ready.messages) ctx.send(to, std::move(message));
    }

    std::vector<LogEntry> applied;
    std::vector<std::string> restored;
    std::vector<std::uint64_t> reads_ready;
    std::vector<std::uint64_t> reads_failed;
};

// One Raft with its context and host, for paper tests. Every input goes
// through here, so the host acts on each Ready.
struct Subject {
    RecordingHost host;
    FakeContext ctx;
    Raft raft;

    Subject(NodeId self, int cluster_size, RaftOptions options = {}, std::uint64_t seed = 1)
        : ctx(self, cluster_size, seed), raft(options) {
        raft.start(ctx);
        act();
    }
    void act() { host.act(raft, ctx); }
    void on_timer(Context&, TimerId id, std::uint64_t tag) {
        raft.on_timer(ctx, id, tag);
        act();
    }
    void receive(NodeId from, MessagePtr message) {
        raft.step(ctx, Envelope{from, ctx.self(), std::move(message)});
        act();
    }
    std::optional<LogIndex> propose(std::string command) {
        auto index = raft.propose(ctx, std::move(command));
        act();
        return index;
    }
    bool read_index(std::uint64_t read_id) {
        const bool registered = raft.read_index(ctx, read_id);
        act();
        return registered;
    }
    void advance(Nanos duration) { ctx.advance(duration, *this); }
};

inline LogEntry entry(std::uint64_t term, std::uint64_t index, std::string data = "x") {
    return LogEntry{Term(term), LogIndex(index), EntryType::command, std::move(data)};
}

inline std::shared_ptr<AppendRequest> append_request(std::uint64_t term, std::uint64_t prev_index,
                                                     std::uint64_t prev_term, std::vector<LogEntry> entries,
                                                     std::uint64_t commit) {
    auto request = std::make_shared<AppendRequest>();
    request->term = Term(term);
    request->prev_index = LogIndex(prev_index);
    request->prev_term = Term(prev_term);
    request->entries = std::move(entries);
    request->leader_commit = LogIndex(commit);
    return request;
}

inline std::shared_ptr<VoteRequest> vote_request(std::uint64_t term, std::uint64_t last_index, std::uint64_t last_term,
                                                 bool pre_vote = false) {
    auto request = std::make_shared<VoteRequest>();
    request->term = Term(term);
    request->last_log_index = LogIndex(last_index);
    request->last_log_term = Term(last_term);
    request->pre_vote = pre_vote;
    return request;
}

inline std::shared_ptr<VoteReply> vote_reply(std::uint64_t term, bool granted, bool pre_vote = false) {
    auto reply = std::make_shared<VoteReply>();
    reply->term = Term(term);
    reply->granted = granted;
    reply->pre_vote = pre_vote;
    return reply;
}

inline std::shared_ptr<AppendReply> append_ok(std::uint64_t term, std::uint64_t match) {
    auto reply = std::make_shared<AppendReply>();
    reply->term = Term(term);
    reply->success = true;
    reply->match_index = LogIndex(match);
    reply->last_log_index = LogIndex(match);
    return reply;
}

// Makes `subject` leader of a fresh cluster: its election timeout passes, and the
// other nodes grant its pre-vote and vote. Returns the messages sent since.
inline void elect(Subject& subject) {
    subject.advance(subject.raft.options().election_timeout_max + 1);
    const Term next = subject.raft.term().next();
    for (NodeId peer : subject.ctx.cluster()) {
        if (peer == subject.ctx.self()) continue;
        if (subject.raft.role() == Role::pre_candidate) subject.receive(peer, vote_reply(next.value, true, true));
    }
    for (NodeId peer : subject.ctx.cluster()) {
        if (peer == subject.ctx.self()) continue;
        if (subject.raft.role() == Role::candidate) {
            subject.receive(peer, vote_reply(subject.raft.term().value, true));
        }
    }
    ASSERT_EQ(subject.raft.role(), Role::leader);
}

}  // namespace faultline::protocols::raft::testing
