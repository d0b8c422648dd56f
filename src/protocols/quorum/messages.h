// Messages between the replicas of the quorum systems (abd, dynamo). A
// coordinator (the server a client asked) runs each client operation as
// rounds of these against the replicas of its key; `op` ties a reply to the
// coordinator's operation (0: no reply wanted).
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "node/message.h"
#include "protocols/quorum/replica_store.h"

namespace faultline::protocols::quorum {

// "What do you hold for `key`?"
struct Query final : Message {
    std::uint64_t op = 0;
    std::int64_t key = 0;
    std::string_view type() const override { return "query"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 24; }
    std::uint64_t digest() const override;
};

// The replica's copy of `key` (found false: it holds none).
struct QueryReply final : Message {
    std::uint64_t op = 0;
    std::int64_t key = 0;
    bool found = false;
    Versioned copy;
    std::string_view type() const override { return "query_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 56; }
    std::uint64_t digest() const override;
};

// "Keep this copy of `key` if it is newer than yours" (a write, a write-back, a
// repair). With `hint_for`, the receiver is a stand-in: it keeps the copy as a
// hint for that replica and hands it back later (dynamo's sloppy quorum).
struct Store final : Message {
    std::uint64_t op = 0;
    std::int64_t key = 0;
    Versioned copy;
    std::optional<std::uint32_t> hint_for;
    std::string_view type() const override { return hint_for ? "store_hint" : "store"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 56; }
    std::uint64_t digest() const override;
};

// The replica holds `version` of `key` or newer, durably.
struct StoreReply final : Message {
    std::uint64_t op = 0;
    std::int64_t key = 0;
    Version version;
    std::string_view type() const override { return "store_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48; }
    std::uint64_t digest() const override;
};

// Anti-entropy, first half: the versions the sender holds of the keys that
// both it and the receiver replicate.
// With `rebuilding`, the sender lost its data and asks for every copy (it sends none).
struct SyncDigest final : Message {
    std::vector<std::pair<std::int64_t, Version>> versions;
    bool rebuilding = false;
    std::string_view type() const override { return "sync_digest"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16 + 32 * static_cast<std::uint32_t>(versions.size()); }
    std::uint64_t digest() const override;
};

// Anti-entropy, second half: the copies the receiver of the digest holds newer
// (or the sender lacked), and the keys it wants the sender's copy of.
// `damaged`: the answering node lost its own data and has nothing to vouch for.
struct SyncReply final : Message {
    std::vector<std::pair<std::int64_t, Versioned>> newer;
    std::vector<std::int64_t> wanted;
    bool damaged = false;
    std::string_view type() const override { return "sync_reply"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override {
        return 16 + 40 * static_cast<std::uint32_t>(newer.size()) + 8 * static_cast<std::uint32_t>(wanted.size());
    }
    std::uint64_t digest() const override;
};

nlohmann::json version_json(const Version& version);

}  // namespace faultline::protocols::quorum
