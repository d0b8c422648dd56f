// MultiPaxos: a replicated log of values, one Synod instance per slot, with a
// stable leader (Lamport, "Paxos Made Simple" §3; van Renesse and Altinbuken,
// "Paxos Made Moderately Complex").
//
// Every node is an acceptor (acceptor.h), a learner and a proposer.
//
//   election   A follower that hears from no leader for an election timeout
//              (drawn from [min, max]) runs phase 1 with a ballot above every
//              one it has seen, for all slots from the first it does not know
//              chosen. A majority of promises makes it leader.
//   phase 1    Each promise reports what the acceptor accepted from that slot
//              on, and which values its node knows chosen. The new leader
//              adopts, per slot, the value of the highest-ballot acceptance
//              (P2c), takes values known chosen as chosen, and fills the gaps
//              below the highest reported slot with no-ops.
//   phase 2    The leader assigns each new value the next slot and sends it to
//              every acceptor; a majority of acceptances in its ballot makes it
//              chosen. Unacknowledged slots are resent with each heartbeat.
//   learning   The leader's messages carry `chosen_below` (every slot below is
//              chosen and known to the leader); a follower that accepted a
//              slot in the leader's ballot learns that value. Anything else it
//              misses it asks for (catch-up). Chosen values are handed to the
//              host in slot order (take_chosen).
//   preemption A proposer that meets a higher ballot (a nack, or a prepare it
//              promised) steps down and backs off before trying again, unless
//              it hears the new leader's heartbeat first. The back-off is drawn
//              from [backoff_min, backoff_max]: two proposers that back off for
//              the same fixed time can preempt each other forever (duelling
//              proposers), a random one breaks the tie.
//
// There are no leases: the leader learns that it was deposed only from a
// nack, so everything it answers, reads included, goes through the log.
//
// Durability: the acceptor syncs each promise and acceptance before it is
// answered. A learner's log and a proposer's state are volatile; after a
// crash a node relearns chosen values from the leader.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "node/node.h"
#include "protocols/paxos/acceptor.h"
#include "protocols/paxos/messages.h"

namespace faultline::protocols::paxos {

// Deliberately broken variants (--bug), for testing the tests.
struct Bugs {
    bool forget_promise = false;   // acceptor-forgets-promise: promises are never written to disk
    bool ignore_accepted = false;  // ignore-accepted: a new leader ignores what its promises report
};

struct PaxosOptions {
    Nanos election_timeout_min = milliseconds(150);
    Nanos election_timeout_max = milliseconds(300);
    Nanos heartbeat_interval = milliseconds(50);
    Nanos backoff_min = milliseconds(5);
    Nanos backoff_max = milliseconds(150);
    bool random_backoff = true;     // off: every back-off is backoff_min
    std::uint32_t batch_max = 256;  // values per accept resend or catch-up reply
    Bugs bugs;
};

enum class Role : std::uint8_t { follower, candidate, leader };
const char* role_name(Role role);

class MultiPaxos {
  public:
    explicit MultiPaxos(PaxosOptions options);

    void start(Context& ctx);
    void recover(Context& ctx);
    static bool is_paxos_message(const Message& message);
    void step(Context& ctx, const Envelope& envelope);
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag);

    // The leader assigns `value` the next slot and starts phase 2 for it;
    // nullopt if this node is not the leader.
    std::optional<Slot> propose(Context& ctx, Value value);
    // Values newly chosen, in slot order, each exactly once per incarnation.
    void take_chosen(std::vector<SlotValue>& out);

    Role role() const { return role_; }
    Ballot ballot() const { return ballot_; }  // its own, as a proposer
    std::optional<NodeId> leader() const { return leader_; }
    const Acceptor& acceptor() const { return acceptor_; }
    Slot chosen_below() const { return log_.size(); }
    // Its ballot has got a value chosen (false right after phase 1).
    bool leader_has_chosen() const { return role_ == Role::leader && chosen_in_ballot_; }

  private:
    struct Proposal {
        Value value;
        std::vector<bool> acked;  // by cluster index
        int acks = 0;
    };

    int index_of(Context& ctx, NodeId node) const;
    int majority(Context& ctx) const { return static_cast<int>(ctx.cluster().size()) / 2 + 1; }
    void see_round(std::uint64_t round) { max_round_ = std::max(max_round_, round); }

    // Election and roles.
    void start_phase1(Context& ctx);
    void on_promise(Context& ctx, NodeId from, const Promise& promise);
    void count_promise(Context& ctx, int index, const std::vector<std::pair<Slot, Accepted>>& accepted,
                       const std::vector<SlotValue>& chosen);
    void become_leader(Context& ctx);
    void preempted(Context& ctx, Ballot by);
    void follow(Context& ctx, NodeId leader, Ballot ballot);
    void reset_election_timer(Context& ctx);
    void arm(Context& ctx, std::optional<TimerId>& timer, Nanos after, std::uint64_t tag);
    void disarm(Context& ctx, std::optional<TimerId>& timer);

    // Acceptor side.
    void on_prepare(Context& ctx, NodeId from, const Prepare& prepare);
    void on_accept(Context& ctx, NodeId from, const Accept& accept);

    // Phase 2, leader side.
    void propose_at(Slot slot, Value value);
    void flush_proposals(Context& ctx);
    void on_accepted(Context& ctx, NodeId from, const AcceptedReply& reply);
    void ack(Context& ctx, int index, Slot slot);
    void send_heartbeats(Context& ctx);

    // Learning.
    void learn(Slot slot, const Value& value);
    void learn_below(Ballot ballot, Slot chosen_below);
    std::vector<SlotValue> chosen_from(Slot from, std::size_t limit) const;
    void on_catch_up(Context& ctx, NodeId from, const CatchUpRequest& request);
    void on_catch_up_reply(Context& ctx, NodeId from, const CatchUpReply& reply);

    PaxosOptions options_;
    Acceptor acceptor_;

    Role role_ = Role::follower;
    Ballot ballot_;                // this proposer's latest ballot
    std::uint64_t max_round_ = 0;  // the highest round seen anywhere
    std::optional<NodeId> leader_;
    Ballot leader_ballot_;  // the ballot of the leader this node last heard
    std::optional<TimerId> election_timer_, backoff_timer_, heartbeat_timer_;

    // Phase 1.
    Slot phase1_from_ = 0;
    std::vector<bool> promised_by_;
    int promises_ = 0;
    std::map<Slot, Accepted> adopted_;  // the highest-ballot acceptance reported per slot

    // Phase 2 (leader).
    Slot next_slot_ = 0;
    std::map<Slot, Proposal> proposals_;  // not yet known chosen
    std::vector<SlotValue> outbox_;       // proposals not yet sent
    bool chosen_in_ballot_ = false;

    // Learning.
    std::vector<Value> log_;        // chosen values of slots [0, log_.size())
    std::map<Slot, Value> chosen_;  // chosen values known above the log's end
    std::set<Slot> unlearned_;      // accepted in leader_ballot_, not yet known chosen
    std::size_t handed_out_ = 0;    // log_ entries take_chosen has returned
};

}  // namespace faultline::protocols::paxos
