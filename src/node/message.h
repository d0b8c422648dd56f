// Messages that nodes exchange, and the envelope the network carries them in.
//
// A message is a typed C++ object, never bytes: the simulator passes a shared
// pointer from sender to receiver without serializing it, which is what makes a
// simulated cluster fast. Every message can still render itself as JSON for
// traces and reports, and reports an approximate wire size for the bandwidth
// model. Messages are immutable once sent (shared_ptr<const>), so duplicating
// one in the network is free and safe.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string_view>
#include <typeinfo>

#include "base/prng.h"
#include "base/types.h"

namespace faultline {

class Message {
  public:
    virtual ~Message() = default;

    // A short stable name for traces and statistics ("append_entries", "echo").
    virtual std::string_view type() const = 0;
    // The message as JSON, for traces and reports. Not called on the hot path.
    virtual nlohmann::json to_json() const = 0;
    // Approximate encoded size in bytes, used by the bandwidth model.
    virtual std::uint32_t size_bytes() const { return 64; }
    // A cheap fingerprint of the content, folded into the trace hash so that two
    // runs with the same timing but different content hash differently.
    virtual std::uint64_t digest() const { return 0; }
    // A copy with some content altered, as a tampering network would deliver it
    // (the insecure-network fault); nullptr if this message carries nothing
    // worth altering.
    virtual std::shared_ptr<const Message> tampered(Prng& random) const {
        (void)random;
        return nullptr;
    }
};

using MessagePtr = std::shared_ptr<const Message>;

// Returns the message as M if it is exactly an M, else nullptr.
template <class M>
const M* message_as(const Message& message) {
    return typeid(message) == typeid(M) ? static_cast<const M*>(&message) : nullptr;
}

struct Envelope {
    NodeId from;
    NodeId to;
    MessagePtr message;
};

}  // namespace faultline
