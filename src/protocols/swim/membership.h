// SWIM's bookkeeping, apart from the messages: a member's state and the rules
// that order claims about it, the piggyback queue that disseminates them, the
// suspicion timeout (and Lifeguard's dogpile shrinking of it), and Lifeguard's
// local health score. Pure functions and small values: no Context, no clock.
//
// Ordering of claims about a member (Das, Gupta, Motivala, DSN 2002, §4.2; the
// rules of hashicorp/memberlist's state.go):
//   alive(i)    overrides suspect(j) and alive(j) when i > j
//   suspect(i)  overrides alive(j) when i >= j, and suspect(j) when i > j
//   dead(i)     overrides alive(j) and suspect(j) when i >= j
// and only the member itself raises its incarnation, to refute a suspicion or
// a death it hears of.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/time.h"
#include "base/types.h"

namespace faultline::protocols::swim {

// No member (an update's `from` when it names none, no buddy to put first).
inline constexpr NodeId kNobody{UINT32_MAX};

enum class MemberState : std::uint8_t { alive, suspect, dead };
const char* member_state_name(MemberState state);

// A claim about one member, as gossip carries it.
struct Update {
    NodeId member;
    MemberState state = MemberState::alive;
    std::uint32_t incarnation = 0;
    NodeId from = kNobody;  // who raised a suspicion or declared the death (for dogpile confirmations)
    bool operator==(const Update&) const = default;
};

// Does a claim (state, incarnation) override what is known (known, known_incarnation)?
bool overrides(MemberState state, std::uint32_t incarnation, MemberState known, std::uint32_t known_incarnation);

// The piggyback queue (memberlist's TransmitLimitedQueue): each update is sent
// at most `limit` times, fewest-sent first; a newer update about a member
// replaces the older one. Bounded by one entry per member.
class BroadcastQueue {
  public:
    void push(const Update& update);
    // Up to `max` updates for one message, counting each as sent once more.
    // `first`, if it is queued, goes first (Lifeguard's buddy system puts the
    // suspicion of the member being pinged there).
    std::vector<Update> take(std::size_t max, int limit, NodeId first = kNobody);
    std::size_t size() const { return entries_.size(); }
    void clear() { entries_.clear(); }

  private:
    struct Entry {
        Update update;
        int sent = 0;
        std::uint64_t order = 0;  // push order: ties go to the newest
    };
    std::vector<Entry> entries_;
    std::uint64_t pushes_ = 0;
};

// memberlist's retransmit limit: retransmit_mult * ceil(log10(n + 1)).
int retransmit_limit(int retransmit_mult, std::size_t members);

// memberlist's suspicion timeout for n members: suspicion_mult * max(1,
// log10(n)) * probe_interval (the "Min" of Lifeguard's dynamic timeout).
Nanos suspicion_timeout_min(int suspicion_mult, std::size_t members, Nanos probe_interval);

// Lifeguard's dynamic suspicion timeout after `confirmations` independent
// suspicions of `wanted`: max(min, max - (max - min) * log(C + 1) / log(K + 1)).
Nanos suspicion_timeout(Nanos min, Nanos max, int confirmations, int wanted);

// Lifeguard's Local Health Multiplier: a saturating score in [0, max - 1]; a
// node that misses acks and nacks or has to refute suspicions of itself is
// probably the slow one, and stretches its probe interval and timeout by
// (score + 1) instead of accusing others.
class Awareness {
  public:
    explicit Awareness(int max_multiplier) : max_(max_multiplier) {}
    void apply(int delta);
    int score() const { return score_; }
    Nanos scale(Nanos timeout) const { return timeout * (score_ + 1); }

  private:
    int max_;
    int score_ = 0;
};

}  // namespace faultline::protocols::swim
