// Multi-Paxos messages. Each is an immutable Message the simulator carries as is.
//
// Phase 1 covers every slot from `from_slot` on at once (the stable leader's
// one prepare); phase 2 carries one or more slots. Learning rides on the
// leader's messages: `chosen_below` says every slot below it is chosen, and a
// follower that accepted a slot in the leader's ballot learns it from that.
// A follower missing chosen values asks the leader for them (catch-up).
#pragma once

#include <cstdint>
#include <vector>

#include "node/message.h"
#include "protocols/paxos/types.h"

namespace faultline::protocols::paxos {

struct SlotValue {
    Slot slot = 0;
    Value value;
};

// Phase 1a: "promise me `ballot` for every slot from `from_slot` on".
struct Prepare final : Message {
    Ballot ballot;
    Slot from_slot = 0;

    std::string_view type() const override { return "prepare"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32; }
    std::uint64_t digest() const override;
};

// Phase 1b: the promise, with what this acceptor accepted from `from_slot` on,
// and the values its node already knows to be chosen there.
struct Promise final : Message {
    Ballot ballot;
    std::vector<std::pair<Slot, Accepted>> accepted;
    std::vector<SlotValue> chosen;

    std::string_view type() const override { return "promise"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override;
    std::uint64_t digest() const override;
};

// The acceptor refused `ballot`: it has promised the higher `promised`.
struct Nack final : Message {
    Ballot ballot;
    Ballot promised;

    std::string_view type() const override { return "nack"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32; }
    std::uint64_t digest() const override;
};

// Phase 2a for the listed slots. Every slot below `chosen_below` is chosen.
// The leader's periodic heartbeat is one too, resending what the acceptor has
// not acknowledged (often nothing).
struct Accept final : Message {
    Ballot ballot;
    std::vector<SlotValue> entries;
    Slot chosen_below = 0;
    bool heartbeat = false;

    std::string_view type() const override { return heartbeat ? "heartbeat" : "accept"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override;
    std::uint64_t digest() const override;
};

// Phase 2b: the acceptor accepted `ballot` at these slots (durably).
struct AcceptedReply final : Message {
    Ballot ballot;
    std::vector<Slot> slots;

    std::string_view type() const override { return "accepted"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24 + 8 * static_cast<std::uint32_t>(slots.size()); }
    std::uint64_t digest() const override;
};

// A learner behind the leader asks for chosen values from `from_slot` on.
struct CatchUpRequest final : Message {
    Slot from_slot = 0;

    std::string_view type() const override { return "catch_up"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16; }
    std::uint64_t digest() const override;
};

// Chosen values, consecutive from the slot asked for.
struct CatchUpReply final : Message {
    std::vector<SlotValue> chosen;
    Slot chosen_below = 0;  // the leader's: more to ask for if beyond the last

    std::string_view type() const override { return "catch_up_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override;
    std::uint64_t digest() const override;
};

}  // namespace faultline::protocols::paxos
