// Validator: a Tendermint validator (Buchman, Kwon and Milosevic 2018,
// Algorithm 1) serving the lin-kv service of protocols/kv. docs/tendermint.md
// sets the paper's pseudo-code beside the functions below.
//
// Heights and rounds. proposer(h, r) is weighted round-robin (CometBFT's
// proposer priorities: each turn every validator gains its power, the highest
// proposes and pays the total; equal power gives (h + r) mod n). Steps
// propose -> prevote -> precommit; more than 2/3 of the power prevoting one
// block in a round is a polka: a validator that sees it while in the prevote
// step locks on the block (lockedValue, lockedRound) and precommits it; any
// validator that sees it remembers the block as validValue/validRound, which
// it proposes again when it is the proposer. A locked validator prevotes only
// its locked block, or a block with a polka in a round at or after its lock
// (lines 22 and 28). A block commits with more than 2/3 of the power
// precommitting it in one round. Timeouts grow by `timeout_delta` per round.
//
// Everything is evaluated as "upon" rules after each input (progress()).
// Votes are counted per block: a validator that voted for two blocks counts
// for both (safe: two blocks with > 2/3 each need > 1/3 voting twice, more
// than the faulty power) and is recorded as duplicate-vote evidence.
//
// BFT time: a precommit carries the voter's clock, at least 1 ms past the
// time of the block it decided last; a decided block's time is the weighted
// median of the timestamps of the precommits that committed it, so with less
// than 1/3 faulty power it lies between two correct validators' clocks.
//
// Gossip and catch-up: a vote received from its voter is relayed once to the
// others (so equivocation is seen); every `gossip_interval` a validator
// resends its height (Status), its own votes of every round of the height, its
// proposal of the current round, and its validValue's proposal with every
// prevote of the polka behind it, a double-signer's second one too (a
// validator that missed them, or restarted, needs them to unlock or to vote
// for that value again). A peer that decided the height answers a Status with
// the commit (block and signed precommits). A polka of an earlier round seen
// late also becomes validValue (Algorithm 1 takes only the current round's):
// without it a validator locked in that round could refuse every later
// proposal, which carries an older validRound.
//
// Durability: each decided block is appended with its commit to the chain
// file (and the store rebuilt from it after a restart). Before each vote a
// validator syncs (height, lockedRound, lockedValue, its votes of the height)
// in two copies, one after the other, so a torn write or bit rot leaves one.
// Restarted, it decides the heights it lacks from commits (without voting in
// them), and at the synced height it resumes in the round and past the step
// of its last vote, with its lock (its validValue too) and its votes (which
// it resends): it never votes twice in one step nor forgets a lock. Both
// copies unreadable leave it unable to vote (safe, not live).
#pragma once

#include <map>
#include <set>
#include <vector>

#include "node/node.h"
#include "protocols/kv/kv_store.h"
#include "protocols/tendermint/messages.h"

namespace faultline::protocols::tendermint {

struct TendermintOptions {
    Nanos timeout_propose = milliseconds(300);
    Nanos timeout_prevote = milliseconds(100);
    Nanos timeout_precommit = milliseconds(100);
    Nanos timeout_delta = milliseconds(100);  // added to each timeout per round
    Nanos timeout_commit = milliseconds(50);  // pause after a decision before the next height
    Nanos gossip_interval = milliseconds(100);
    std::size_t block_commands_max = 64;
    std::vector<std::uint64_t> powers;  // per validator; empty: all 1
    // The bug: quorums of half the power instead of more than 2/3 (for a
    // polka, a commit and the "any" thresholds); two quorums may then share
    // only a Byzantine validator.
    bool quorum_half = false;
};

// A decided height.
struct Decision {
    Round round = 0;
    BlockPtr block;
    Nanos time = 0;               // BFT time
    std::vector<VotePtr> commit;  // the precommits that committed it
};

// Two valid votes by one validator for one (height, round, type) and
// different blocks.
struct Evidence {
    std::uint32_t validator = 0;
    Height height = 0;
    Round round = 0;
    VoteType kind = VoteType::prevote;
    BlockId first = kNil;
    BlockId second = kNil;
};

// CometBFT's weighted round-robin over one period of the powers.
std::vector<std::uint32_t> proposer_schedule(const std::vector<std::uint64_t>& powers);
// The weighted median of (timestamp, power) pairs.
Nanos weighted_median(std::vector<std::pair<Nanos, std::uint64_t>> stamps);

class Validator final : public Node {
  public:
    explicit Validator(TendermintOptions options) : options_(std::move(options)) {}

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    // The god's view (checks, tests, the Byzantine wrapper).
    Height height() const { return height_; }
    Round round() const { return round_; }
    Round locked_round() const { return locked_round_; }
    BlockId locked_block() const { return locked_value_ ? locked_value_->id() : kNil; }
    Round valid_round() const { return valid_round_; }
    std::uint32_t index() const { return index_; }
    std::uint32_t proposer_of(Height height, Round round) const;
    std::uint64_t power_of(std::uint32_t validator) const { return powers_.at(validator); }
    std::uint64_t total_power() const { return total_; }
    // Heights 1, 2, ... this validator decided, in order.
    const std::vector<Decision>& decisions() const { return decisions_; }
    const std::vector<Evidence>& evidence() const { return evidence_; }
    // The block proposed in `round` of the current height, if it arrived.
    BlockPtr proposal_in(Round round) const;
    const kv::KvStore& store() const { return store_; }
    bool valid(const Block& block) const;

  private:
    enum class Step : std::uint8_t { propose, prevote, precommit };
    enum TimerTag : std::uint64_t { propose_tag = 1, prevote_tag, precommit_tag, commit_tag, gossip_tag };
    struct Tally {
        std::map<std::uint32_t, std::set<BlockId>> by_voter;
        std::map<BlockId, std::uint64_t> power;  // per block
        std::uint64_t any = 0;                   // distinct voters' power
        std::map<std::uint32_t, VotePtr> first;  // each voter's first vote (its own is what it resends)
    };
    struct RoundState {
        std::shared_ptr<const Proposal> message;  // the signed proposal
        BlockPtr proposal;
        Round proposal_valid_round = -1;
        Tally prevotes;
        Tally precommits;
        std::map<BlockId, std::vector<VotePtr>> prevote_votes, precommit_votes;  // per block, for gossip and commits
    };

    // Votes and proposals further ahead than this many rounds are dropped
    // (a Byzantine validator cannot make it keep unbounded rounds).
    static constexpr Round kRoundsAhead = 64;
    // Votes of the last heights kept for duplicate-vote evidence.
    static constexpr Height kEvidenceHeights = 3;

    void boot(Context& ctx);
    void enter_height(Context& ctx);
    void resume_lock();
    bool can_vote() const;
    BlockPtr new_block(Context& ctx) const;
    BlockPtr known_block(BlockId id) const;
    Nanos commit_time(const std::vector<VotePtr>& commit) const;
    bool valid_commit(const std::vector<VotePtr>& commit, Height height, BlockId block) const;
    void count(const VotePtr& vote);
    void note_evidence(const Vote& vote);
    void start_round(Context& ctx, Round round);
    void progress(Context& ctx);
    bool step_rules(Context& ctx);
    void vote(Context& ctx, VoteType kind, BlockId block);
    void decide(Context& ctx, Round round, BlockPtr block, std::vector<VotePtr> commit);
    void schedule(Context& ctx, TimerTag tag, Nanos after);
    Nanos timeout(Nanos base, Round round) const { return base + options_.timeout_delta * round; }
    bool more_than_two_thirds(std::uint64_t power) const {
        return options_.quorum_half ? 2 * power >= total_ : 3 * power > 2 * total_;
    }
    bool more_than_one_third(std::uint64_t power) const { return 3 * power > total_; }
    void multicast(Context& ctx, const MessagePtr& message);

    void on_vote(Context& ctx, NodeId from, const VotePtr& vote);
    void on_proposal(Context& ctx, const std::shared_ptr<const Proposal>& proposal);
    void on_commit(Context& ctx, NodeId from, const Commit& commit);
    void on_client(Context& ctx, NodeId from, const Message& message);
    void gossip(Context& ctx);
    void apply(Context& ctx, const Block& block);
    bool persist(Context& ctx);
    bool decode_state(std::string_view in, std::uint64_t& sequence, Height& height, BlockPtr& lock, Round& lock_round,
                      std::vector<VotePtr>& votes) const;
    void load_chain(Context& ctx);
    std::uint32_t index_of(NodeId node) const;

    TendermintOptions options_;
    std::vector<NodeId> validators_;
    std::vector<std::uint64_t> powers_;
    std::vector<std::uint32_t> schedule_;
    std::uint64_t total_ = 0;
    std::uint32_t index_ = 0;

    Height height_ = 1;
    Round round_ = 0;
    Step step_ = Step::propose;
    BlockPtr locked_value_;
    Round locked_round_ = -1;
    BlockPtr valid_value_;
    Round valid_round_ = -1;
    std::map<Round, RoundState> rounds_;  // of the current height
    std::set<Round> prevote_timeout_set_, precommit_timeout_set_, polka_seen_;
    bool waiting_commit_ = false;  // decided; the next height starts after timeout_commit

    // Restarted: the height and round it voted in last, and whether its disk
    // could not be read.
    Height resume_height_ = 0;
    std::vector<VotePtr> resume_votes_;
    BlockPtr resume_lock_;
    Round resume_lock_round_ = -1;
    bool mute_ = false;
    std::uint64_t state_sequence_ = 0;  // of the last state record written
    std::vector<VotePtr> own_votes_;    // of this height, as on disk
    std::map<TimerId, std::pair<Height, Round>> timer_args_;

    std::vector<Decision> decisions_;
    std::vector<Evidence> evidence_;
    // The first vote seen per (height, round, type, voter), for evidence.
    std::map<std::tuple<Height, Round, VoteType, std::uint32_t>, BlockId> first_votes_;
    std::set<std::tuple<Height, Round, VoteType, std::uint32_t, BlockId>> relayed_;

    std::map<std::pair<std::uint64_t, std::uint64_t>, kv::KvCommand> mempool_;  // (client, sequence)
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<std::pair<NodeId, std::uint64_t>>> waiting_;
    kv::KvStore store_;
};

}  // namespace faultline::protocols::tendermint
