#include "protocols/raft/messages.h"

#include "base/hash.h"
#include "base/json.h"

namespace faultline::protocols::raft {

const char* role_name(Role role) {
    switch (role) {
        case Role::follower:
            return "follower";
        case Role::pre_candidate:
            return "pre-candidate";
        case Role::candidate:
            return "candidate";
        case Role::leader:
            return "leader";
    }
    return "?";
}

namespace {

std::uint64_t mix(std::initializer_list<std::uint64_t> words) {
    std::uint64_t state = 0x243f6a8885a308d3ULL;
    for (std::uint64_t word : words) state = hash_bytes(&word, sizeof word, state);
    return state;
}

Json entry_json(const LogEntry& entry) {
    return Json{{"index", entry.index.value},
                {"term", entry.term.value},
                {"type", entry.type == EntryType::noop ? "noop" : "command"},
                {"bytes", entry.data.size()}};
}

}  // namespace

nlohmann::json VoteRequest::to_json() const {
    return Json{{"type", type()},
                {"term", term.value},
                {"last_log_index", last_log_index.value},
                {"last_log_term", last_log_term.value},
                {"transfer", leadership_transfer}};
}

std::uint64_t VoteRequest::digest() const {
    return mix({term.value, last_log_index.value, last_log_term.value,
                static_cast<std::uint64_t>(pre_vote) << 1 | static_cast<std::uint64_t>(leadership_transfer)});
}

nlohmann::json VoteReply::to_json() const {
    return Json{{"type", type()}, {"term", term.value}, {"granted", granted}};
}

std::uint64_t VoteReply::digest() const {
    return mix({term.value, static_cast<std::uint64_t>(granted) << 1 | static_cast<std::uint64_t>(pre_vote)});
}

nlohmann::json AppendRequest::to_json() const {
    Json entries_json = Json::array();
    for (const LogEntry& entry : entries) entries_json.push_back(entry_json(entry));
    return Json{{"type", type()},
                {"term", term.value},
                {"prev_index", prev_index.value},
                {"prev_term", prev_term.value},
                {"entries", entries_json},
                {"commit", leader_commit.value},
                {"read_round", read_round}};
}

std::uint32_t AppendRequest::size_bytes() const {
    std::uint32_t bytes = 64;
    for (const LogEntry& entry : entries) bytes += entry.size_bytes();
    return bytes;
}

std::uint64_t AppendRequest::digest() const {
    std::uint64_t state = mix({term.value, prev_index.value, prev_term.value, leader_commit.value, read_round,
                               static_cast<std::uint64_t>(heartbeat)});
    for (const LogEntry& entry : entries) {
        state = hash_string(entry.data, mix({state, entry.term.value, entry.index.value}));
    }
    return state;
}

std::string AppendRequest::authenticated_bytes() const {
    std::string bytes;
    auto put = [&](std::uint64_t word) { bytes.append(reinterpret_cast<const char*>(&word), sizeof word); };
    put(term.value);
    put(prev_index.value);
    put(prev_term.value);
    put(leader_commit.value);
    put(leader_last_index.value);
    put(read_round);
    put(heartbeat ? 1 : 0);
    for (const LogEntry& entry : entries) {
        put(entry.term.value);
        put(entry.index.value);
        put(static_cast<std::uint64_t>(entry.type));
        put(entry.data.size());
        bytes += entry.data;
    }
    return bytes;
}

std::shared_ptr<const Message> AppendRequest::tampered(Prng& random) const {
    std::vector<std::size_t> commands;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].type == EntryType::command && !entries[i].data.empty()) commands.push_back(i);
    }
    if (commands.empty()) return nullptr;
    auto copy = std::make_shared<AppendRequest>(*this);
    std::string& data = copy->entries[commands[random.below(commands.size())]].data;
    const std::uint64_t bit = random.below(data.size() * 8);
    data[bit / 8] = static_cast<char>(data[bit / 8] ^ (1 << (bit % 8)));
    return copy;
}

nlohmann::json AppendReply::to_json() const {
    Json json{{"type", type()}, {"term", term.value}, {"success", success}, {"read_round", read_round}};
    if (success) {
        json["match_index"] = match_index.value;
    } else {
        json["rejected_index"] = rejected_index.value;
        json["conflict_term"] = conflict_term.value;
        json["conflict_index"] = conflict_index.value;
    }
    json["last_log_index"] = last_log_index.value;
    if (log_damaged) json["log_damaged"] = true;
    if (hard_state_lost) json["hard_state_lost"] = true;
    return json;
}

std::uint64_t AppendReply::digest() const {
    return mix({term.value, static_cast<std::uint64_t>(success), match_index.value, rejected_index.value,
                conflict_term.value, conflict_index.value, last_log_index.value, read_round});
}

nlohmann::json SnapshotRequest::to_json() const {
    return Json{{"type", type()},
                {"term", term.value},
                {"last_index", last_index.value},
                {"last_term", last_term.value},
                {"bytes", data.size()}};
}

std::uint64_t SnapshotRequest::digest() const {
    return hash_string(data, mix({term.value, last_index.value, last_term.value}));
}

nlohmann::json SnapshotReply::to_json() const {
    Json json{{"type", type()}, {"term", term.value}, {"last_index", last_index.value}};
    if (hard_state_lost) json["hard_state_lost"] = true;
    return json;
}

std::uint64_t SnapshotReply::digest() const {
    return mix({term.value, last_index.value});
}

nlohmann::json TimeoutNow::to_json() const {
    return Json{{"type", type()}, {"term", term.value}};
}

}  // namespace faultline::protocols::raft
