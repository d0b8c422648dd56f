// Wire codecs: a node's typed messages as JSON and back, for runtimes whose
// nodes live in separate processes (`faultline node`, Maelstrom's protocol).
//
// The simulator hands messages from node to node as objects and never needs
// this. A process runtime sends each one as a Maelstrom body
//
//   {"type": "<Message::type()>", "faultline": <encode(message)>}
//
// and the receiving process turns it back into the same C++ message by the
// codec registered for that type name. Message::to_json() is for traces and
// may leave things out (an entry's bytes); a wire codec must not: decode after
// encode gives an equal message.
//
// Each protocol registers the codecs of its own messages beside them, at static
// initialization, the way systems register themselves:
//
//   const WireCodecRegistration gossip_codec{wire_codec<Gossip>({"gossip"}, encode_gossip, decode_gossip)};
//
// Decoders read JSON with nlohmann's checked accessors; a malformed body is a
// returned error (decode_wire catches what they throw), never a crash.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "node/message.h"

namespace faultline {

struct WireCodec {
    std::type_index message_type = typeid(void);
    // Every type() name the message can have (a VoteRequest is "request_vote" or "pre_vote").
    std::vector<std::string> types;
    std::function<Json(const Message&)> encode;
    std::function<MessagePtr(const Json&)> decode;  // may throw Json's exceptions
};

class WireCodecRegistration {
  public:
    explicit WireCodecRegistration(WireCodec codec);
};

// A codec for message type M from an encoder of M and a decoder to M.
template <class M>
WireCodec wire_codec(std::vector<std::string> types, Json (*encode)(const M&),
                     std::shared_ptr<M> (*decode)(const Json&)) {
    return WireCodec{
        .message_type = typeid(M),
        .types = std::move(types),
        .encode = [encode](const Message& message) { return encode(static_cast<const M&>(message)); },
        .decode = [decode](const Json& json) -> MessagePtr { return decode(json); },
    };
}

// The message's wire JSON, or nullopt when no codec is registered for its type.
std::optional<Json> encode_wire(const Message& message);
// The message a wire body's `faultline` member encodes. Errors: no codec for
// `type`, or a malformed body.
Result<MessagePtr> decode_wire(std::string_view type, const Json& json);
// Whether some codec decodes messages named `type`.
bool has_wire_codec(std::string_view type);

// Bytes (an entry's command, a snapshot) as lowercase hex, and back.
std::string hex_encode(std::string_view bytes);
std::string hex_decode(std::string_view hex);  // throws std::invalid_argument on a non-hex digit

}  // namespace faultline
