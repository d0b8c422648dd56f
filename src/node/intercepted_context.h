// InterceptedContext: a Context that hands everything to another one except
// the node's sends, which go to its owner's outgoing(outer, to, message).
//
// For wrappers that run a correct core and change what it sends (the
// Byzantine behaviours of protocols/kv and protocols/pbft): the core sees its
// usual time, timers, randomness and storage, and the owner decides what
// leaves. Lives for one input, on the stack.
#pragma once

#include <span>
#include <string_view>
#include <utility>

#include "node/node.h"

namespace faultline {

template <class Owner>
class InterceptedContext final : public Context {
  public:
    InterceptedContext(Owner& owner, Context& outer) : owner_(owner), outer_(outer) {}
    NodeId self() const override { return outer_.self(); }
    std::span<const NodeId> cluster() const override { return outer_.cluster(); }
    std::string_view name_of(NodeId node) const override { return outer_.name_of(node); }
    Nanos now() const override { return outer_.now(); }
    void send(NodeId to, MessagePtr message) override { owner_.outgoing(outer_, to, std::move(message)); }
    TimerId set_timer(Nanos after, std::uint64_t tag) override { return outer_.set_timer(after, tag); }
    void cancel_timer(TimerId timer) override { outer_.cancel_timer(timer); }
    Prng& random() override { return outer_.random(); }
    Storage& storage() override { return outer_.storage(); }
    void log(std::string_view line) override { outer_.log(line); }

  private:
    Owner& owner_;
    Context& outer_;
};

}  // namespace faultline
