// The sans-IO node API: the contract between protocol cores and runtimes.
//
// A Node is a deterministic state machine. It never touches a socket, a file, a
// thread, the system clock or an OS random source. It reacts to four inputs and
// acts only through the Context it is handed for the duration of each call:
//
//   start(ctx)            first boot, empty disk
//   recover(ctx)          boot after a crash: volatile state is gone; only what
//                         was synced to ctx.storage() survives
//   on_message(ctx, env)  a message arrived
//   on_timer(ctx, id, tag) a timer set through ctx.set_timer fired
//
// Effects (Context): send, set/cancel timers, read the node's *own* clock (which
// may be offset, drifting or stepped), draw from a seeded random stream, use
// storage, and log. The same core runs unchanged in the simulator and in real
// mode, which is what makes every simulated run replayable from its seed.
//
// Persist before you send: anything a message depends on (a vote, an
// acknowledged entry) must be synced before the message is sent. The simulator
// charges sync latency to the node, so sends after a sync leave later.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/prng.h"
#include "base/time.h"
#include "base/types.h"
#include "node/message.h"
#include "node/storage.h"

namespace faultline {

// Identifies a pending timer; unique within a run, never reused.
using TimerId = std::uint64_t;

class Context {
  public:
    virtual ~Context() = default;

    virtual NodeId self() const = 0;
    // The server nodes of the cluster, in id order (clients are not included).
    virtual std::span<const NodeId> cluster() const = 0;
    // A display name for a node: "n0", "c3".
    virtual std::string_view name_of(NodeId node) const = 0;

    // This node's own clock: true time transformed by its offset, drift and steps.
    virtual Nanos now() const = 0;

    virtual void send(NodeId to, MessagePtr message) = 0;

    // Fires on_timer(tag) after `after` of this node's clock has elapsed. Timers
    // measure elapsed time (like a monotonic clock): clock steps do not move
    // them, but drift stretches or shrinks them.
    virtual TimerId set_timer(Nanos after, std::uint64_t tag) = 0;
    // Cancelling a timer that already fired (or was cancelled) is a no-op.
    virtual void cancel_timer(TimerId timer) = 0;

    virtual Prng& random() = 0;
    virtual Storage& storage() = 0;
    virtual void log(std::string_view line) = 0;

    // Fault points, FoundationDB's BUGGIFY: a core names the places where a
    // fault is most revealing ("raft.vote-persisted": the vote is on disk and
    // the reply not yet sent). When a simulated run turns fault points on
    // (--search fault-points), the simulator may, by seed, act at one: crash
    // the node right there (what it would still send in this input is lost;
    // it restarts a little later), or just after this input once its sends
    // have left (a vote that reached its candidate, then the crash), stretch the timers it sets for the rest of
    // this input, or delay each message it sends for the rest of this input
    // by a random extra (reordering them). Anywhere else (real mode, the
    // process harness, a run that does not ask) nothing happens, at the cost
    // of one test of a flag. docs/simulator.md lists the points.
    void fault_point(std::string_view name) {
        if (fault_points_on_) [[unlikely]]
            hit_fault_point(name);
    }
    bool fault_points_on() const { return fault_points_on_; }

  protected:
    virtual void hit_fault_point(std::string_view name) { (void)name; }
    bool fault_points_on_ = false;
};

class Node {
  public:
    virtual ~Node() = default;

    virtual void start(Context& ctx) = 0;
    // Default: a node without durable state boots as on a fresh start.
    virtual void recover(Context& ctx) { start(ctx); }
    virtual void on_message(Context& ctx, const Envelope& envelope) = 0;
    virtual void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) = 0;
};

}  // namespace faultline
