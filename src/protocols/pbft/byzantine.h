// ByzantineReplica: a PBFT replica gone bad, for the Byzantine nemesis.
//
// It runs the correct core (replica.h) and rewrites what the core sends, so
// that it follows the protocol closely enough to be believed and departs from
// it where it hurts. The behaviour is fixed for the run (the system picks it
// from the seed, nemesis/byzantine.h); every choice inside it draws from the
// node's own seeded stream, so a seed replays exactly.
//
//   silent       sends nothing at all (a primary that never orders, a backup
//                that never votes), yet receives everything.
//   equivocate   as primary, tells the odd replicas the null request and the
//                even ones the client's request at the same (v, n), and backs
//                each story with its own commit; as a backup, tells the same
//                two stories in its prepares and commits (so two equivocating
//                replicas collude).
//   conflicting  as primary, sends every backup two different pre-prepares
//                for one (v, n) (the null one first); as a backup, two
//                different votes for one (v, n).
//   tamper       alters what it sends: lies it signs as itself (wrong digests
//                in votes and checkpoints, wrong results in replies), and
//                forgeries (altered client requests, messages that claim
//                another replica as signer or whose content no longer matches
//                the signature), which correct replicas and clients reject.
//
// The wrapper can sign only as itself: it never holds another replica's or a
// client's key (messages.h).
#pragma once

#include <map>
#include <string_view>
#include <utility>

#include "node/intercepted_context.h"
#include "node/node.h"
#include "protocols/pbft/replica.h"

namespace faultline::protocols::pbft {

enum class Behaviour : std::uint8_t { silent, equivocate, conflicting, tamper };
inline constexpr Behaviour kBehaviours[] = {Behaviour::silent, Behaviour::equivocate, Behaviour::conflicting,
                                            Behaviour::tamper};
const char* behaviour_name(Behaviour behaviour);

class ByzantineReplica final : public Node {
  public:
    ByzantineReplica(PbftOptions options, Behaviour behaviour) : inner_(options), behaviour_(behaviour) {}

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    const PbftReplica& inner() const { return inner_; }
    Behaviour behaviour() const { return behaviour_; }
    // Messages it altered, dropped or invented (what the report can count).
    std::uint64_t lies() const { return lies_; }

  private:
    friend class InterceptedContext<ByzantineReplica>;

    // What the correct core sends passes through here.
    void outgoing(Context& ctx, NodeId to, MessagePtr message);
    void equivocate(Context& ctx, NodeId to, const MessagePtr& message);
    void conflicting(Context& ctx, NodeId to, const MessagePtr& message);
    void tamper(Context& ctx, NodeId to, const MessagePtr& message);
    // Its own replica index in the cluster (to sign as itself).
    std::uint32_t self_index(Context& ctx) const;
    bool second_half(Context& ctx, NodeId to) const;

    PbftReplica inner_;
    Behaviour behaviour_;
    std::map<std::pair<View, Seq>, Digest> real_;  // client request digests seen per (v, n)
    std::uint64_t lies_ = 0;
};

}  // namespace faultline::protocols::pbft
