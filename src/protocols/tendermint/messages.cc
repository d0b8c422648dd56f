#include "protocols/tendermint/messages.h"

#include <fmt/format.h>

#include "base/coding.h"
#include "base/hash.h"
#include "base/json.h"

namespace faultline::protocols::tendermint {

namespace {

// The key behind the modelled signatures, a constant no message carries.
constexpr std::uint64_t kVoterKey = 0x7f4a7c159e3779b9ULL;

Json command_json(const kv::KvCommand& command) {
    Json json{{"op", kv::kv_op_name(command.op)}, {"key", command.key}};
    if (command.op != kv::KvOp::read) json["value"] = command.value;
    if (command.op == kv::KvOp::cas) json["from"] = command.from;
    json["session"] = {command.client, command.sequence};
    return json;
}

std::string id_text(BlockId id) {
    return id == kNil ? "nil" : fmt::format("{:016x}", id);
}

}  // namespace

void encode_votes(std::string& out, const std::vector<VotePtr>& votes) {
    put_u32(out, static_cast<std::uint32_t>(votes.size()));
    for (const auto& vote : votes) {
        put_u8(out, static_cast<std::uint8_t>(vote->kind));
        put_u64(out, vote->height);
        put_u64(out, static_cast<std::uint64_t>(vote->round));
        put_u64(out, vote->block);
        put_u64(out, static_cast<std::uint64_t>(vote->timestamp));
        put_u32(out, vote->voter);
        put_u64(out, vote->signature);
    }
}

bool decode_votes(std::string_view& bytes, std::vector<VotePtr>& votes) {
    std::uint32_t count = 0;
    if (!take_u32(bytes, count)) return false;
    votes.clear();
    for (std::uint32_t i = 0; i < count; ++i) {
        auto vote = std::make_shared<Vote>();
        std::uint8_t kind = 0;
        std::uint64_t round = 0, timestamp = 0;
        if (!take_u8(bytes, kind) || kind > 1 || !take_u64(bytes, vote->height) || !take_u64(bytes, round) ||
            !take_u64(bytes, vote->block) || !take_u64(bytes, timestamp) || !take_u32(bytes, vote->voter) ||
            !take_u64(bytes, vote->signature)) {
            return false;
        }
        vote->kind = static_cast<VoteType>(kind);
        vote->round = static_cast<Round>(round);
        vote->timestamp = static_cast<Nanos>(timestamp);
        votes.push_back(std::move(vote));
    }
    return true;
}

BlockId Block::compute_id() const {
    const BlockId id = hash_string(encode(), 0x5bd1e995);
    return id == kNil ? 1 : id;
}

std::string Block::encode() const {
    std::string out;
    put_u64(out, height);
    put_u32(out, proposer);
    put_u64(out, variant);
    put_u32(out, static_cast<std::uint32_t>(commands.size()));
    for (const auto& command : commands) {
        const std::string bytes = command.encode();
        put_u32(out, static_cast<std::uint32_t>(bytes.size()));
        out += bytes;
    }
    put_u64(out, static_cast<std::uint64_t>(time));
    encode_votes(out, last_commit);
    return out;
}

bool Block::decode(std::string_view bytes, Block& block) {
    std::uint32_t count = 0;
    if (!take_u64(bytes, block.height) || !take_u32(bytes, block.proposer) || !take_u64(bytes, block.variant) ||
        !take_u32(bytes, count)) {
        return false;
    }
    block.commands.clear();
    for (std::uint32_t i = 0; i < count; ++i) {
        std::uint32_t size = 0;
        if (!take_u32(bytes, size) || size > bytes.size()) return false;
        auto command = kv::KvCommand::decode(bytes.substr(0, size));
        if (!command) return false;
        block.commands.push_back(*command);
        bytes.remove_prefix(size);
    }
    std::uint64_t time = 0;
    if (!take_u64(bytes, time) || !decode_votes(bytes, block.last_commit)) return false;
    block.time = static_cast<Nanos>(time);
    block.seal();
    return bytes.empty();
}

Signature sign_as(std::uint32_t voter, std::uint64_t content) {
    return hash_words({content, voter}, kVoterKey);
}

const char* vote_type_name(VoteType type) {
    return type == VoteType::prevote ? "prevote" : "precommit";
}

std::uint64_t Vote::content() const {
    return hash_words({static_cast<std::uint64_t>(kind), height, static_cast<std::uint64_t>(round), block,
                       static_cast<std::uint64_t>(timestamp), voter});
}

Json Vote::to_json() const {
    return Json{{"type", type()},          {"height", height}, {"round", round},
                {"block", id_text(block)}, {"voter", voter},   {"timestamp", timestamp}};
}

Json Proposal::to_json() const {
    Json commands = Json::array();
    for (const auto& command : block->commands) commands.push_back(command_json(command));
    return Json{{"type", type()},
                {"height", height},
                {"round", round},
                {"valid_round", valid_round},
                {"block", id_text(block->id())},
                {"commands", commands}};
}

std::uint32_t Proposal::size_bytes() const {
    std::uint32_t bytes = 64;
    for (const auto& command : block->commands) bytes += 48 + command.padding;
    return bytes;
}

std::uint64_t Proposal::content() const {
    return hash_words(
        {height, static_cast<std::uint64_t>(round), static_cast<std::uint64_t>(valid_round), block->id(), proposer});
}

std::uint64_t Proposal::digest() const {
    return content() ^ signature;
}

Json Tx::to_json() const {
    Json json = command_json(command);
    json["type"] = type();
    return json;
}

std::uint64_t Tx::digest() const {
    return hash_string(command.encode(), 0x17);
}

Json Status::to_json() const {
    return Json{{"type", type()}, {"height", height}};
}

Json Commit::to_json() const {
    return Json{{"type", type()},
                {"height", block->height},
                {"round", round},
                {"block", id_text(block->id())},
                {"precommits", precommits.size()},
                {"sender_height", sender_height}};
}

std::uint32_t Commit::size_bytes() const {
    std::uint32_t bytes = 64 + 64 * static_cast<std::uint32_t>(precommits.size());
    for (const auto& command : block->commands) bytes += 48 + command.padding;
    return bytes;
}

std::uint64_t Commit::digest() const {
    return hash_words({block->id(), static_cast<std::uint64_t>(round), precommits.size(), sender_height});
}

}  // namespace faultline::protocols::tendermint
