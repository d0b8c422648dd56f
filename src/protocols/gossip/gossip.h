// Gossip (epidemic dissemination, Demers et al. 1987; Karp, Schindelhauer,
// Shenker and Vöcking 2000): a client hands any node a rumour (an integer,
// unique in a run) with the broadcast requests of protocols/broadcast (and
// reads what a node knows the same way); every node comes to know it, in about log N rounds, with
// no node ever talking to more than `fanout` others a round.
//
// Every `round_interval` each node calls `fanout` peers chosen uniformly at
// random (never itself), by `mode`:
//   push       it sends them its hot rumours (none hot: it stays silent)
//   pull       it asks them; each answers with its own hot rumours
//   push-pull  it sends its hot rumours and each answers with its own
// A rumour is hot for `hot_rounds` rounds after the node learnt it (Demers's
// blind counter): then the node stops spreading it, which bounds the cost of
// a rumour, and leaves a residue of nodes the rumour never reached when
// messages are lost or nodes are cut off. Anti-entropy removes the residue:
// every `anti_entropy_interval` (0: never) a node sends one random peer a
// digest of every rumour it knows, and the peer answers with the rumours
// missing from it. What a node learns by anti-entropy is not hot: it fills
// gaps, it does not start a new epidemic.
//
// A node keeps nothing on disk: restarted after a crash it knows nothing and
// catches up by anti-entropy. Every rumour a node learns, and every copy of a
// rumour it sends, is reported to a GossipSink (the checks' god's view).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "node/node.h"

namespace faultline::protocols::gossip {

enum class Mode : std::uint8_t { push, pull, push_pull };

const char* mode_name(Mode mode);
std::optional<Mode> parse_mode(std::string_view name);

struct GossipOptions {
    Mode mode = Mode::push_pull;
    int fanout = 1;  // peers called per round, 1..kFanoutMax
    Nanos round_interval = milliseconds(100);
    int hot_rounds = 10;                       // rounds a node spreads a rumour after learning it, 1..kHotRoundsMax
    Nanos anti_entropy_interval = seconds(1);  // 0: no anti-entropy
};

inline constexpr int kFanoutMax = 64;
inline constexpr int kHotRoundsMax = 1000;

// The checks' view of a run. Never feeds anything back into a node.
class GossipSink {
  public:
    virtual ~GossipSink() = default;
    // `node` learnt `rumour` (from a client when `from_client`).
    virtual void learnt(NodeId node, std::int64_t rumour, bool from_client) = 0;
    // A message carrying `rumours` left `node` (the rumours' cost).
    virtual void carried(NodeId node, const std::vector<std::int64_t>& rumours) = 0;
};

// A set of rumours on the wire. `reply_wanted`: answer with your hot rumours
// (pull and push-pull calls). `anti_entropy`: an answer to a digest, whose
// rumours the receiver does not spread.
struct Rumours final : Message {
    std::vector<std::int64_t> ids;
    bool reply_wanted = false;
    bool anti_entropy = false;

    std::string_view type() const override {
        return reply_wanted ? "rumours_call" : anti_entropy ? "rumours_missing" : "rumours";
    }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16 + 8 * static_cast<std::uint32_t>(ids.size()); }
    std::uint64_t digest() const override;
};

// Anti-entropy: every rumour the sender knows, as closed ranges [first, last]
// (ids mostly come in runs, so a digest stays short whatever a node knows).
struct Digest final : Message {
    std::vector<std::pair<std::int64_t, std::int64_t>> ranges;

    std::string_view type() const override { return "rumours_digest"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16 + 16 * static_cast<std::uint32_t>(ranges.size()); }
    std::uint64_t digest() const override;
};

// A set of ids as sorted, disjoint, non-adjacent closed ranges [first, last]:
// rumour ids mostly come in runs, so a node's knowledge (and its digest) stays
// a few ranges however many rumours it knows.
class IdRanges {
  public:
    using Range = std::pair<std::int64_t, std::int64_t>;
    // True if the id was not in the set.
    bool insert(std::int64_t id);
    bool contains(std::int64_t id) const;
    const std::vector<Range>& ranges() const { return ranges_; }
    std::size_t size() const { return size_; }
    // The ids here that `other` lacks, in order.
    std::vector<std::int64_t> missing_from(const std::vector<Range>& other) const;
    std::set<std::int64_t> ids() const;

  private:
    std::vector<Range> ranges_;
    std::size_t size_ = 0;
};

// `count` distinct peers other than self, uniformly at random (all of them
// when the cluster has no more), drawn from the node's stream.
std::vector<NodeId> random_peers(Context& ctx, int count);

class GossipNode final : public Node {
  public:
    // `sink` must outlive the node.
    GossipNode(const GossipOptions& options, GossipSink* sink);

    void start(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    const IdRanges& known() const { return known_; }
    std::uint64_t round() const { return round_; }

  private:
    void run_round(Context& ctx);
    void anti_entropy(Context& ctx);
    // Records a rumour; true if it was new here.
    bool learn(Context& ctx, std::int64_t rumour, bool hot, bool from_client);
    // The hot rumours, sorted (cooled ones leave at the start of each round).
    const std::vector<std::int64_t>& hot_rumours() const { return hot_sorted_; }
    void cool();
    void send(Context& ctx, NodeId to, std::vector<std::int64_t> ids, bool reply_wanted);

    GossipOptions options_;
    GossipSink* sink_;
    std::uint64_t round_ = 0;
    IdRanges known_;
    struct Hot {
        std::int64_t rumour;
        std::uint64_t until_round;  // spread in rounds before this one
    };
    std::vector<Hot> hot_;                  // in the order learnt
    std::vector<std::int64_t> hot_sorted_;  // the same rumours, sorted (what a message carries)
};

}  // namespace faultline::protocols::gossip
