// total-raft: total order broadcast on top of a Raft log (protocols/raft, the
// core raft-kv runs). A broadcast is a command proposed to the Raft group;
// every node delivers the messages of the committed entries as it applies
// them, in log order. All nodes apply one log, so all deliver one sequence
// (total order), and whatever one node delivers is committed, so every
// correct node applies it too (agreement). Unlike the fixed sequencer
// (total_order.cc), no node is needed for good: when the leader crashes, a
// majority elects another and delivery goes on.
//
// How a message gets into the log (validity): its origin keeps it until it
// applies it, proposing it itself when it leads and otherwise sending it to
// the leader it knows of, again every resend interval, as a leader may crash,
// lose leadership or lose the message. So one message may be committed more
// than once; a node delivers the first entry of a message and skips the
// others, the same way everywhere because the log is the same. A leader
// proposes a message at most once per term, which keeps the copies few. No
// FIFO order is promised: a message lost with a leader is proposed again,
// possibly after later messages of its origin.
//
// Crashes: the broadcast's processes are crash-stop (levels.h), but Raft's
// members are crash-recovery. A node restarted after a crash is faulty for
// the checks and keeps quiet as a process: it delivers nothing and refuses
// clients. Its Raft member, though, recovers its term, vote and log from disk
// and goes on voting, replicating and, if elected, leading (proposing what
// others submit): otherwise crashes that each healed would still, one by one,
// take the majority away for good.
//
// Limits: Raft needs a majority of the cluster up and connected, so with half
// the nodes down nothing more is delivered (consensus cannot do better);
// snapshots are off, since a follower sent a snapshot would skip the
// deliveries it covers; and a disk that fails halts a node's Raft (raft.h),
// after which that node delivers nothing more.
#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "base/assert.h"
#include "base/json.h"
#include "protocols/broadcast/level_node.h"
#include "protocols/raft/raft.h"

namespace faultline::protocols::broadcast {

namespace {

// A message sent to the leader to propose: fair-loss (the origin resends).
struct Submit final : Message {
    Payload payload;

    std::string_view type() const override { return "submit"; }
    nlohmann::json to_json() const override {
        return nlohmann::json{
            {"type", type()}, {"origin", payload.origin.value}, {"seq", payload.seq}, {"message", payload.value}};
    }
    std::uint32_t size_bytes() const override { return 32; }
    std::uint64_t digest() const override { return payload.key() ^ static_cast<std::uint64_t>(payload.value); }
};

// A log entry's command: origin, seq and value, fixed width.
constexpr std::size_t kCommandBytes = 4 + 8 + 8;

std::string encode(const Payload& payload) {
    std::string data(kCommandBytes, '\0');
    std::memcpy(data.data(), &payload.origin.value, 4);
    std::memcpy(data.data() + 4, &payload.seq, 8);
    std::memcpy(data.data() + 12, &payload.value, 8);
    return data;
}

std::optional<Payload> decode(const std::string& data) {
    if (data.size() != kCommandBytes) return std::nullopt;
    Payload payload;
    std::memcpy(&payload.origin.value, data.data(), 4);
    std::memcpy(&payload.seq, data.data() + 4, 8);
    std::memcpy(&payload.value, data.data() + 12, 8);
    return payload;
}

raft::RaftOptions raft_options() {
    raft::RaftOptions options;
    options.snapshot_interval_entries = 0;  // see the header comment
    return options;
}

class TotalRaftNode final : public LevelNode {
  public:
    TotalRaftNode(const LevelOptions& options, DeliverySink* sink) : LevelNode(options, sink), raft_(raft_options()) {}

    std::optional<Term> leads() const override {
        if (!(started_ || recovered_) || raft_.halted() || raft_.role() != raft::Role::leader) return std::nullopt;
        return raft_.term();
    }

    // Quiet as a process (the common layer), but Raft's member goes on.
    void recover(Context& ctx) override {
        LevelNode::recover(ctx);
        recovered_ = true;
        raft_.recover(ctx);
        act(ctx);
    }
    void on_message(Context& ctx, const Envelope& envelope) override {
        if (recovered_ &&
            (raft::Raft::is_raft_message(*envelope.message) || message_as<Submit>(*envelope.message) != nullptr)) {
            on_other(ctx, envelope);
            return;
        }
        LevelNode::on_message(ctx, envelope);
    }
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override {
        if (recovered_) {
            FL_ASSERT(raft::is_raft_timer(tag));  // the only timers a recovered node sets
            on_level_timer(ctx, timer, tag);
            return;
        }
        LevelNode::on_timer(ctx, timer, tag);
    }

  protected:
    void on_start(Context& ctx) override {
        started_ = true;
        raft_.start(ctx);
        act(ctx);
        ctx.set_timer(retry_interval(), kLevelTimerTag);
    }
    void broadcast(Context& ctx, Payload payload) override {
        FL_ASSERT(!seen(payload));
        const std::uint64_t seq = payload.seq;
        const bool fresh = own_.emplace(seq, std::move(payload)).second;
        FL_ASSERT(fresh);
        submit(ctx, own_.at(seq));
    }
    // The common layer's links are not used: messages travel in Raft's log.
    void on_payload(Context&, NodeId, const Payload&) override { FL_UNREACHABLE(); }
    void on_other(Context& ctx, const Envelope& envelope) override {
        if (raft::Raft::is_raft_message(*envelope.message)) {
            raft_.step(ctx, envelope);
            act(ctx);
        } else if (const auto* submitted = message_as<Submit>(*envelope.message)) {
            // Not the leader (any more): dropped; the origin sends it again.
            if (leads()) propose(ctx, submitted->payload);
        }
    }
    void on_level_timer(Context& ctx, TimerId timer, std::uint64_t tag) override {
        if (raft::is_raft_timer(tag)) {
            raft_.on_timer(ctx, timer, tag);
            act(ctx);
            return;
        }
        FL_ASSERT_EQ(tag, kLevelTimerTag);
        // Own messages not yet applied here: they may have been lost on the
        // way to a leader or with it. Copies are skipped when applied. A
        // cluster of one commits, applies and erases from own_ inside
        // submit: the loop walks a copy.
        std::vector<Payload> pending;
        pending.reserve(own_.size());
        for (const auto& [seq, payload] : own_) pending.push_back(payload);
        for (const Payload& payload : pending) submit(ctx, payload);
        ctx.set_timer(retry_interval(), kLevelTimerTag);
    }

  private:
    // The links' resend interval, or 100 ms on fair-loss links: a message
    // must reach a leader whatever the links do.
    Nanos retry_interval() const {
        return options().resend_interval > 0 ? options().resend_interval : milliseconds(100);
    }
    void submit(Context& ctx, const Payload& payload) {
        if (leads()) {
            propose(ctx, payload);
        } else if (raft_.leader() && *raft_.leader() != ctx.self()) {
            auto message = std::make_shared<Submit>();
            message->payload = payload;
            ctx.send(*raft_.leader(), std::move(message));
        }
        // No leader known: the next resend tries again.
    }
    void propose(Context& ctx, const Payload& payload) {
        FL_ASSERT(leads());
        if (seen(payload)) return;  // applied already: a late copy
        // `payload` may live in own_, which act() erases it from when a
        // cluster of one commits it at once: its key is taken first.
        const std::uint64_t key = payload.key();
        const auto found = proposed_in_.find(key);
        if (found != proposed_in_.end() && found->second == raft_.term()) return;  // in this leader's log already
        const Term term = raft_.term();
        const auto index = raft_.propose(ctx, encode(payload));
        act(ctx);
        // Refused only while handing leadership over: the origin sends it again.
        if (index) proposed_in_[key] = term;
    }
    // Acting on Raft's Ready, in the order raft.h gives.
    void act(Context& ctx) {
        raft_.take_ready(ready_);
        FL_ASSERT(ready_.reads_failed.empty() && ready_.reads_ready.empty());  // no reads are registered
        FL_ASSERT(!ready_.snapshot && !ready_.snapshot_wanted_at);             // snapshots are off
        for (const raft::LogEntry& entry : ready_.committed) apply(ctx, entry);
        for (auto& [to, message] : ready_.messages) ctx.send(to, std::move(message));
    }
    void apply(Context& ctx, const raft::LogEntry& entry) {
        FL_ASSERT_EQ(entry.index.value, applied_index_ + 1);  // in log order, no gaps
        applied_index_ = entry.index.value;
        if (entry.type != raft::EntryType::command) return;
        const auto payload = decode(entry.data);
        const auto cluster = ctx.cluster();
        if (!payload || std::find(cluster.begin(), cluster.end(), payload->origin) == cluster.end()) {
            // Only a tampering network produces this: Raft replicates bytes, not meaning.
            ctx.log("entry " + std::to_string(entry.index.value) + " is not a broadcast message: skipped");
            return;
        }
        proposed_in_.erase(payload->key());
        if (!first_receipt(*payload)) return;  // a copy of a message already delivered
        if (recovered_) return;                // crashed before: a faulty process delivers nothing
        deliver(*payload);
        if (payload->origin == ctx.self()) own_.erase(payload->seq);
    }

    raft::Raft raft_;
    raft::Ready ready_;  // reused for every input
    bool started_ = false;
    bool recovered_ = false;  // restarted after a crash: Raft only (see the header comment)
    std::uint64_t applied_index_ = 0;
    std::map<std::uint64_t, Payload> own_;       // broadcast here, not yet applied; by seq
    std::map<std::uint64_t, Term> proposed_in_;  // leader: the term a message was last proposed in
};

}  // namespace

std::unique_ptr<LevelNode> make_total_raft(const LevelOptions& options, DeliverySink* sink) {
    return std::make_unique<TotalRaftNode>(options, sink);
}

}  // namespace faultline::protocols::broadcast
