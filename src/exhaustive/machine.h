// A node of a tiny system, as the exhaustive explorer (explorer.h) drives it.
//
// The same sans-IO shape as node/node.h, cut down to what can be enumerated:
// a node reacts to its start and to each message delivered to it, and acts
// only by sending messages through the Outbox it is handed. There are no
// timers, no clock, no randomness and no disk: every choice a run could make
// (which message arrives next, whether it is lost, what a traitor says) is the
// explorer's, so that it can make each of them in turn.
//
// A machine must be deterministic (the same state and input give the same
// sends and the same next state) and must say what state it is in as bytes
// (encode): two states with the same bytes are one state, and the explorer
// visits it once.
#pragma once

#include <compare>
#include <memory>
#include <string>
#include <vector>

#include "base/assert.h"

namespace faultline::exhaustive {

// A message in flight. The body is the protocol's own encoding; the explorer
// only compares, orders and hashes it.
struct Message {
    int from = 0;
    int to = 0;
    std::string body;

    auto operator<=>(const Message&) const = default;
};

// Where a machine's sends go during one step.
class Outbox {
  public:
    Outbox(int self, int nodes, std::vector<Message>& sent) : self_(self), nodes_(nodes), sent_(&sent) {}

    void send(int to, std::string body) {
        FL_ASSERT_GE(to, 0);
        FL_ASSERT_LT(to, nodes_);
        FL_ASSERT_NE(to, self_);  // a node does not message itself: it would be a choice-free step
        sent_->push_back(Message{self_, to, std::move(body)});
    }
    int self() const { return self_; }
    int nodes() const { return nodes_; }

  private:
    int self_;
    int nodes_;
    std::vector<Message>* sent_;
};

class Machine {
  public:
    virtual ~Machine() = default;

    // A copy: the explorer changes the copy and keeps the original for the
    // other branches.
    virtual std::unique_ptr<Machine> clone() const = 0;
    // Once, before any message, in node order.
    virtual void start(Outbox& out) = 0;
    // A message delivered to this node (message.to is this node). A traitor's
    // message may carry a body its honest code would not have sent.
    virtual void receive(const Message& message, Outbox& out) = 0;
    // The state as bytes, appended to `out`: equal states give equal bytes,
    // and different states different bytes.
    virtual void encode(std::string& out) const = 0;
};

}  // namespace faultline::exhaustive
