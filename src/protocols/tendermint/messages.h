// Tendermint messages (Buchman, Kwon and Milosevic, "The latest gossip on BFT
// consensus", 2018): blocks, proposals, votes, and what the validators add for
// clients and catch-up.
//
// Authentication model, as PBFT's (protocols/pbft/messages.h): the network
// cannot forge the sender of a message, since the simulator's envelope names
// it. A proposal and a vote received directly are trusted only if their
// proposer or voter is the envelope's sender. Votes are also relayed (gossip,
// so that a validator that told peers different things is seen doing it) and
// carried in commit certificates, so each vote carries its voter's id and a
// modelled signature: sign(voter, content) is a keyed 64-bit hash only that
// voter can make. Correct and Byzantine code alike sign only as themselves; a
// relayed vote whose content was altered, or that claims another voter, fails
// verify(). Two valid votes by one voter for the same height, round and type
// and different blocks are duplicate-vote evidence anyone can check.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "node/message.h"
#include "protocols/kv/kv_store.h"

namespace faultline::protocols::tendermint {

using Height = std::uint64_t;
using Round = std::int64_t;  // -1: none (lockedRound, validRound)
using BlockId = std::uint64_t;
using Signature = std::uint64_t;

inline constexpr BlockId kNil = 0;

struct Vote;
using VotePtr = std::shared_ptr<const Vote>;

using Signature = std::uint64_t;
Signature sign_as(std::uint32_t voter, std::uint64_t content);

// A block: the client commands it orders at its height, and the commit of the
// height before (its last_commit: the signed precommits that decided it),
// whose weighted median timestamp is this block's time (BFT time). `variant`
// is zero for every block a correct proposer makes; a Byzantine proposer that
// tells two stories tells the second with variant 1 (a different id).
struct Block {
    Height height = 0;
    std::uint32_t proposer = 0;
    std::uint64_t variant = 0;
    std::vector<kv::KvCommand> commands;
    Nanos time = 0;
    std::vector<VotePtr> last_commit;

    // The id is a hash of the encoding, kept by seal() once the block is
    // built (a copy that is changed afterwards must be sealed again).
    BlockId id() const { return id_ != kNil ? id_ : compute_id(); }
    void seal() {
        id_ = kNil;
        id_ = compute_id();
    }
    BlockId compute_id() const;  // never kNil
    std::string encode() const;
    static bool decode(std::string_view bytes, Block& block);

  private:
    BlockId id_ = kNil;
};
using BlockPtr = std::shared_ptr<const Block>;

Signature sign_as(std::uint32_t voter, std::uint64_t content);

// Votes as bytes (a block's last commit, a validator's disk).
void encode_votes(std::string& out, const std::vector<VotePtr>& votes);
bool decode_votes(std::string_view& bytes, std::vector<VotePtr>& votes);

enum class VoteType : std::uint8_t { prevote = 0, precommit = 1 };
const char* vote_type_name(VoteType type);

// <PREVOTE, h, r, id(v)> and <PRECOMMIT, h, r, id(v)> (block kNil: nil),
// with the voter's clock reading (BFT time).
struct Vote final : Message {
    VoteType kind = VoteType::prevote;
    Height height = 0;
    Round round = 0;
    BlockId block = kNil;
    Nanos timestamp = 0;
    std::uint32_t voter = 0;
    Signature signature = 0;

    std::uint64_t content() const;
    void sign() { signature = sign_as(voter, content()); }
    bool verify() const { return signature == sign_as(voter, content()); }
    std::string_view type() const override { return vote_type_name(kind); }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 64; }
    std::uint64_t digest() const override { return content() ^ signature; }
};

// <PROPOSAL, h, r, v, vr> from proposer(h, r), signed like a vote so that a
// validator can pass on the proposal of its validValue (one that restarted,
// or missed it, needs it to vote for that value again).
struct Proposal final : Message {
    Height height = 0;
    Round round = 0;
    Round valid_round = -1;
    BlockPtr block;
    std::uint32_t proposer = 0;
    Signature signature = 0;

    std::uint64_t content() const;
    void sign() { signature = sign_as(proposer, content()); }
    bool verify() const { return block != nullptr && signature == sign_as(proposer, content()); }
    std::string_view type() const override { return "proposal"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override;
    std::uint64_t digest() const override;
};

// A client command a validator relays to the others (its mempool), so that
// whoever proposes next can include it.
struct Tx final : Message {
    kv::KvCommand command;
    std::string_view type() const override { return "tx"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48 + command.padding; }
    std::uint64_t digest() const override;
};

// A validator's height, sent now and then: a peer that already decided it
// answers with the commit.
struct Status final : Message {
    Height height = 0;
    std::string_view type() const override { return "status"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16; }
    std::uint64_t digest() const override { return height; }
};

// A decided block and the signed precommits (> 2/3 of the power, one round)
// that committed it: enough for a validator that missed the height to decide
// it (Algorithm 1, line 49). `sender_height` says how far the sender got.
struct Commit final : Message {
    BlockPtr block;
    Round round = 0;
    std::vector<VotePtr> precommits;
    Height sender_height = 0;
    std::string_view type() const override { return "commit"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override;
    std::uint64_t digest() const override;
};

}  // namespace faultline::protocols::tendermint
