// PBFT messages (Castro and Liskov, OSDI 1999), and the signatures they carry.
//
// Authentication model. The network cannot forge the sender of a message (the
// simulator's envelope names it), so a replica trusts `envelope.from` for what
// it receives directly. Messages that are relayed (prepared certificates inside
// a view-change, view-changes inside a new-view, checkpoint proofs, client
// requests inside pre-prepares) must be verifiable by a third party, so every
// protocol message and every client request carries a signature. A signature
// is modelled, not computed with public-key cryptography: sign(principal, d) is
// a keyed 64-bit hash of the content digest d under a key only that principal
// holds. Correct and Byzantine code alike sign only as themselves (the
// Byzantine wrapper signs with its own replica id); a message whose content
// was altered after signing, or that claims another signer, fails verify().
// This is the "digital signatures" variant of the paper, without the MAC
// authenticator optimisation.
//
// Principals: replica i (its index in the cluster) and client c (the session id
// the workload client puts in every command).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "node/message.h"
#include "protocols/kv/kv_store.h"

namespace faultline::protocols::pbft {

using View = std::uint64_t;
using Seq = std::uint64_t;
using Digest = std::uint64_t;
using Signature = std::uint64_t;

// The digest of the null request a new primary puts in a sequence-number gap.
inline constexpr Digest kNullDigest = 0;

Signature sign_as_replica(std::uint32_t replica, Digest content);
Signature sign_as_client(std::uint64_t client, Digest content);

// A client's operation, signed by the client: a replica executes only what a
// client asked for, whoever relays it.
struct ClientRequest {
    kv::KvCommand command;  // op, key, value, and the session (client, sequence)
    std::uint64_t msg_id = 0;
    Signature signature = 0;

    Digest digest() const;  // never kNullDigest
    bool verify() const { return signature == sign_as_client(command.client, digest()); }
};

// Client -> any replica (the workload codec encodes it).
struct RequestMessage final : Message {
    ClientRequest request;
    std::string_view type() const override { return kv::kv_op_name(request.command.op); }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 80 + request.command.padding; }
    std::uint64_t digest() const override { return request.digest(); }
    std::shared_ptr<const Message> tampered(Prng& random) const override;
};

// A replica that receives a request relays it to every replica, so that the
// primary orders it and the backups watch the primary (their view-change timer).
struct Forward final : Message {
    ClientRequest request;
    std::string_view type() const override { return "forward"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 80 + request.command.padding; }
    std::uint64_t digest() const override { return request.digest() ^ 0x5a; }
};

// Every replica-signed message: the signer, and its signature over content().
struct Signed : Message {
    std::uint32_t replica = 0;
    Signature signature = 0;
    virtual Digest content() const = 0;
    void sign() { signature = sign_as_replica(replica, content()); }
    bool verify() const { return signature == sign_as_replica(replica, content()); }
    std::uint64_t digest() const override { return content() ^ signature; }
};

// <PRE-PREPARE, v, n, d> with the request (none: the null request).
struct PrePrepare final : Signed {
    View view = 0;
    Seq seq = 0;
    Digest request_digest = kNullDigest;
    std::optional<ClientRequest> request;
    Digest content() const override;
    // The request matches the digest and its client signed it.
    bool well_formed() const;
    std::string_view type() const override { return "pre_prepare"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48 + (request ? 80 + request->command.padding : 0); }
    std::shared_ptr<const Message> tampered(Prng& random) const override;
};

// <PREPARE, v, n, d, i> and <COMMIT, v, n, d, i>.
struct Vote final : Signed {
    enum class Kind : std::uint8_t { prepare, commit } kind = Kind::prepare;
    View view = 0;
    Seq seq = 0;
    Digest request_digest = kNullDigest;
    Digest content() const override;
    std::string_view type() const override { return kind == Kind::prepare ? "prepare" : "commit"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48; }
    std::shared_ptr<const Message> tampered(Prng& random) const override;
};

// <CHECKPOINT, n, d, i>: the digest of the state after executing through n.
struct Checkpoint final : Signed {
    Seq seq = 0;
    Digest state_digest = 0;
    Digest content() const override;
    std::string_view type() const override { return "checkpoint"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 40; }
};

// A prepared certificate: the pre-prepare and 2f matching prepares from
// distinct backups, all signed, so that any replica can check it.
struct PreparedProof {
    std::shared_ptr<const PrePrepare> pre_prepare;
    std::vector<std::shared_ptr<const Vote>> prepares;
};

// <VIEW-CHANGE, v+1, n, C, P, i>: the last stable checkpoint n with its proof C
// (2f+1 checkpoint messages; empty for n = 0), and P, a prepared certificate
// for every sequence number above n that this replica prepared.
struct ViewChange final : Signed {
    View new_view = 0;
    Seq stable_seq = 0;
    Digest stable_digest = 0;
    std::vector<std::shared_ptr<const Checkpoint>> checkpoint_proof;
    std::vector<PreparedProof> prepared;
    Digest content() const override;
    std::string_view type() const override { return "view_change"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override;
};

// <NEW-VIEW, v+1, V, O>: the 2f+1 view-changes V the new primary collected,
// and O, the pre-prepares it re-issues (null requests for the gaps).
struct NewView final : Signed {
    View view = 0;
    std::vector<std::shared_ptr<const ViewChange>> view_changes;
    std::vector<std::shared_ptr<const PrePrepare>> pre_prepares;
    Digest content() const override;
    std::string_view type() const override { return "new_view"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override;
};

// <REPLY, v, t, c, i, r>, sent by every replica straight to the client; the
// client accepts a result once f+1 replicas sent it.
struct Reply final : Signed {
    View view = 0;
    std::uint64_t client = 0;
    std::uint64_t sequence = 0;
    std::uint64_t msg_id = 0;  // of the attempt that asked, so the client matches it
    kv::KvOp op = kv::KvOp::read;
    kv::KvResult result;
    Digest content() const override;
    std::string_view type() const override;
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 56; }
    std::shared_ptr<const Message> tampered(Prng& random) const override;
};

// A replica's periodic progress note; a peer that is ahead answers with what
// the sender misses (its log messages, the stable checkpoint's proof, the
// new-view of a later view). Messages are lost, and PBFT's normal case never
// resends, so this is how a replica that missed a commit catches up.
struct Status final : Signed {
    View view = 0;
    bool in_view_change = false;
    Seq stable_seq = 0;
    Seq executed = 0;
    Digest content() const override;
    std::string_view type() const override { return "status"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 40; }
};

// State transfer: a replica whose stable checkpoint is ahead of what it
// executed fetches that checkpoint's state and checks it against the digest.
struct FetchState final : Message {
    Seq seq = 0;
    std::string_view type() const override { return "fetch_state"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16; }
    std::uint64_t digest() const override { return seq * 31 + 7; }
};

struct StateReply final : Message {
    Seq seq = 0;
    std::string state;
    std::string_view type() const override { return "state"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16 + static_cast<std::uint32_t>(state.size()); }
    std::uint64_t digest() const override;
};

// The digest of a replica's state as its checkpoint names it.
Digest state_digest(std::string_view state);

}  // namespace faultline::protocols::pbft
