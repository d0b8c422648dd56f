// SWIM membership and failure detection (Das, Gupta, Motivala, "SWIM:
// Scalable Weakly-consistent Infection-style Process Group Membership
// Protocol", DSN 2002), with Lifeguard's refinements (Dadgar, Phillips,
// Currey, "Lifeguard: Local Health Awareness for More Accurate Failure
// Detection", DSN-W 2018, arXiv:1707.00788), as hashicorp/memberlist runs it.
//
// Every member, each probe period, pings one member (round-robin over a
// shuffled list, skipping the dead). No ack within the probe timeout: it asks
// `indirect_checks` other members to ping the target for it (ping-req) and
// relay the ack. No ack by the end of the period: the target becomes
// *suspect*. A suspect that does not refute within the suspicion timeout is
// declared *dead*. A member that hears it is suspected (or dead) refutes with
// alive at a higher incarnation. Claims travel piggy-backed on the probe
// messages themselves (infection-style): each message carries at most
// `piggyback_max` updates, each update is sent at most
// retransmit_mult * ceil(log10(N + 1)) times (membership.h).
//
// Lifeguard (each switchable, all on by default, as in memberlist):
//   local health   a saturating score (0..awareness_max_multiplier-1) rises
//                  when this member's probes fail, when the relays' nacks it
//                  asked for do not come (Lifeguard's nacks: a relay that got
//                  no ack says so, so "the target is dead" differs from "I
//                  hear nothing at all"), and when it must refute; it falls
//                  on each successful probe. Probe interval and timeout are
//                  multiplied by (score + 1): a slow member probes less and
//                  waits longer instead of accusing healthy ones.
//   dynamic suspicion (dogpile)  the suspicion timeout starts at Max and
//                  shrinks toward Min as independent suspicions (other
//                  members raising their own) confirm it.
//   buddy system   a ping to a suspect carries the suspicion first, so the
//                  suspect learns of it at once and can refute.
//
// Defaults are memberlist's DefaultLANConfig (config.go): ProbeInterval 1 s,
// ProbeTimeout 500 ms, IndirectChecks 3, SuspicionMult 4,
// SuspicionMaxTimeoutMult 6, RetransmitMult 4, AwarenessMaxMultiplier 8,
// PushPullInterval 30 s. Differences, on purpose: there is no separate gossip
// timer (GossipInterval) and no TCP fallback ping, so dissemination rides only
// on probes, acks and ping-reqs as in the SWIM paper; memberlist fills each
// UDP packet up to 1400 bytes, here a message carries at most `piggyback_max`
// updates; and the cluster is the simulation's fixed server set, everyone
// alive at incarnation 0 at the start (no join protocol). A member that
// restarts after a crash asks a random peer for its table (memberlist's
// push-pull) until one answers, so it hears of its own death and refutes it.
//
// Sans-IO: all effects go through the Context. What a member learns is also
// reported to a SwimObserver, the simulator's measuring instrument (not node
// state: it survives the member's crashes).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "node/node.h"
#include "protocols/swim/membership.h"

namespace faultline::protocols::swim {

struct SwimOptions {
    Nanos probe_interval = seconds(1);
    Nanos probe_timeout = milliseconds(500);
    int indirect_checks = 3;
    int suspicion_mult = 4;
    int suspicion_max_timeout_mult = 6;
    int retransmit_mult = 4;
    int awareness_max_multiplier = 8;
    int piggyback_max = 16;
    Nanos push_pull_interval = seconds(30);  // 0: only after a restart
    bool local_health = true;
    bool dynamic_suspicion = true;
    bool buddy = true;
};

enum class SwimKind : std::uint8_t { ping, ping_req, ack, nack, sync_request, sync_reply };

// Every SWIM message: its kind, and the updates it carries (piggy-backed
// gossip, or a whole membership table for the sync pair).
struct SwimMessage final : Message {
    SwimKind kind = SwimKind::ping;
    std::uint64_t sequence = 0;
    NodeId target = kNobody;  // ping-req: whom to probe
    bool want_nack = false;   // ping-req: Lifeguard's nack requested
    std::vector<Update> updates;

    std::string_view type() const override;
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24 + 16 * static_cast<std::uint32_t>(updates.size()); }
    std::uint64_t digest() const override;
};

class SwimObserver {
  public:
    virtual ~SwimObserver() = default;
    // `observer` now believes `now` of a member (a change of state).
    virtual void changed(NodeId observer, const Update& now) = 0;
};

class SwimNode final : public Node {
  public:
    SwimNode(SwimOptions options, SwimObserver* observer = nullptr);

    void start(Context& ctx) override { boot(ctx, false); }
    void recover(Context& ctx) override { boot(ctx, true); }
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    MemberState state_of(NodeId member) const { return members_.at(member.value).state; }
    std::uint32_t incarnation_of(NodeId member) const { return members_.at(member.value).incarnation; }
    std::uint32_t incarnation() const { return incarnation_of(self_); }
    int health_score() const { return awareness_.score(); }
    std::size_t relays_pending() const { return relays_.size(); }
    std::size_t queued_updates() const { return queue_.size(); }

  private:
    struct Member {
        bool in_cluster = false;
        MemberState state = MemberState::alive;
        std::uint32_t incarnation = 0;
    };
    struct Probe {
        bool active = false;
        std::uint64_t sequence = 0;
        NodeId target = kNobody;
        bool acked = false;
        int nacks_expected = 0;
        int nacks = 0;
    };
    struct Relay {
        std::uint64_t sequence = 0;  // of our ping to the target
        NodeId origin;
        std::uint64_t origin_sequence = 0;
        bool want_nack = false;
        TimerId timer = 0;
    };
    struct Suspicion {
        bool active = false;
        std::uint32_t incarnation = 0;
        Nanos started = 0;
        NodeId first = kNobody;
        std::vector<NodeId> confirmed;  // independent suspectors after the first
        TimerId timer = 0;
    };
    enum TimerKind : std::uint64_t {
        probe_tick = 1,
        probe_timeout = 2,
        relay_expiry = 3,
        suspicion_expiry = 4,
        push_pull = 5
    };

    void boot(Context& ctx, bool recovering);
    void tick(Context& ctx);
    void judge_probe(Context& ctx);
    void send_ping_reqs(Context& ctx);
    void send(Context& ctx, NodeId to, SwimKind kind, std::uint64_t sequence, NodeId target = kNobody);
    void send_table(Context& ctx, NodeId to, SwimKind kind);
    std::optional<NodeId> random_member(Context& ctx, NodeId except) const;

    void apply(Context& ctx, const Update& update);
    void on_alive(Context& ctx, const Update& update);
    void on_suspect(Context& ctx, const Update& update);
    void on_dead(Context& ctx, const Update& update);
    void refute(Context& ctx, std::uint32_t accused);
    void set_state(Context& ctx, const Update& update);
    void start_suspicion(Context& ctx, const Update& update);
    void confirm_suspicion(Context& ctx, const Update& update);
    void arm_suspicion(Context& ctx, NodeId member);

    SwimOptions options_;
    SwimObserver* observer_;
    NodeId self_;
    std::size_t cluster_size_ = 0;
    std::vector<Member> members_;  // by NodeId value
    std::vector<Suspicion> suspicions_;
    BroadcastQueue queue_;
    Awareness awareness_;
    std::vector<NodeId> order_;  // probe order, reshuffled each round
    std::size_t next_ = 0;
    Probe probe_;
    std::vector<Relay> relays_;  // bounded by kRelaysMax
    std::uint64_t sequence_ = 0;
    bool synced_ = true;  // false after a restart, until a peer sent its table
};

}  // namespace faultline::protocols::swim
