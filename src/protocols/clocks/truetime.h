// TrueTime and commit wait (Corbett et al., "Spanner", OSDI 2012, §4.1.2).
//
// TT.now() is an interval [earliest, latest] = [clock - epsilon, clock +
// epsilon] that contains true time, so long as the clock is within epsilon of
// it. A shard commits a transaction at s = TT.now().latest. With commit wait
// it does not answer until TT.now().earliest > s: by then true time has
// certainly passed s, so any transaction that starts after the answer gets a
// timestamp at or after its own clock's TT.now().latest, which is above
// true time, which is above s. External consistency: commits ordered in real
// time are ordered by timestamp. Without the wait, a shard whose clock runs
// ahead hands out a timestamp that a shard running behind undercuts a moment
// later. The wait is about 2 epsilon each commit.
//
// A TxnClient runs transactions one after another, each on a shard drawn at
// random, and reports each (start, answer, timestamp) to its observer; one
// unanswered for a second is given up (its message was lost).
#pragma once

#include <cstdint>
#include <vector>

#include "node/node.h"

namespace faultline::protocols::clocks {

struct CommitRequest final : Message {
    std::uint64_t sequence = 0;
    std::string_view type() const override { return "commit"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32; }
    std::uint64_t digest() const override { return sequence; }
};

struct Committed final : Message {
    std::uint64_t sequence = 0;
    Nanos timestamp = 0;
    std::string_view type() const override { return "committed"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32; }
    std::uint64_t digest() const override { return sequence ^ static_cast<std::uint64_t>(timestamp); }
};

class TrueTimeShard final : public Node {
  public:
    TrueTimeShard(Nanos epsilon, bool commit_wait) : epsilon_(epsilon), commit_wait_(commit_wait) {}
    void start(Context&) override {}
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

  private:
    struct Waiting {
        NodeId client;
        std::uint64_t sequence = 0;
        Nanos timestamp = 0;
    };
    void answer_when_safe(Context& ctx, std::size_t index);

    Nanos epsilon_;
    bool commit_wait_;
    std::vector<Waiting> waiting_;  // one client, one transaction at a time: at most a handful
};

class CommitObserver {
  public:
    virtual ~CommitObserver() = default;
    virtual void started(std::uint64_t sequence, NodeId shard) = 0;
    virtual void answered(std::uint64_t sequence, Nanos timestamp) = 0;
};

class TxnClient final : public Node {
  public:
    TxnClient(std::vector<NodeId> shards, Nanos think_max, CommitObserver* observer)
        : shards_(std::move(shards)), think_max_(think_max), observer_(observer) {}
    void start(Context& ctx) override { ctx.set_timer(0, 0); }
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

  private:
    std::vector<NodeId> shards_;
    Nanos think_max_;
    CommitObserver* observer_;
    std::uint64_t sequence_ = 0;
    bool answered_ = true;
};

}  // namespace faultline::protocols::clocks
