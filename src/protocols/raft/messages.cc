#include "protocols/raft/messages.h"

#include "base/hash.h"
#include "base/json.h"
#include "node/wire_codec.h"

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
    for (std::uint64_t word : words) state = hash_word(word, state);
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

// Wire codecs (node/wire_codec.h): every field, entries and snapshot bytes in
// hex, so that a Raft in another process receives exactly what was sent.
namespace {

Term term_at(const Json& json, const char* key) {
    return Term(json.at(key).get<std::uint64_t>());
}
LogIndex index_at(const Json& json, const char* key) {
    return LogIndex(json.at(key).get<std::uint64_t>());
}

Json encode_vote_request(const VoteRequest& m) {
    return Json{{"term", m.term.value},
                {"last_log_index", m.last_log_index.value},
                {"last_log_term", m.last_log_term.value},
                {"pre_vote", m.pre_vote},
                {"transfer", m.leadership_transfer}};
}
std::shared_ptr<VoteRequest> decode_vote_request(const Json& json) {
    auto m = std::make_shared<VoteRequest>();
    m->term = term_at(json, "term");
    m->last_log_index = index_at(json, "last_log_index");
    m->last_log_term = term_at(json, "last_log_term");
    m->pre_vote = json.at("pre_vote").get<bool>();
    m->leadership_transfer = json.at("transfer").get<bool>();
    return m;
}

Json encode_vote_reply(const VoteReply& m) {
    return Json{{"term", m.term.value}, {"granted", m.granted}, {"pre_vote", m.pre_vote}};
}
std::shared_ptr<VoteReply> decode_vote_reply(const Json& json) {
    auto m = std::make_shared<VoteReply>();
    m->term = term_at(json, "term");
    m->granted = json.at("granted").get<bool>();
    m->pre_vote = json.at("pre_vote").get<bool>();
    return m;
}

Json encode_append_request(const AppendRequest& m) {
    Json entries = Json::array();
    for (const LogEntry& entry : m.entries) {
        entries.push_back(
            Json::array({entry.term.value, entry.index.value, static_cast<int>(entry.type), hex_encode(entry.data)}));
    }
    return Json{{"term", m.term.value},
                {"prev_index", m.prev_index.value},
                {"prev_term", m.prev_term.value},
                {"entries", std::move(entries)},
                {"commit", m.leader_commit.value},
                {"leader_last_index", m.leader_last_index.value},
                {"heartbeat", m.heartbeat},
                {"read_round", m.read_round},
                {"mac", hex_encode(m.mac)}};
}
std::shared_ptr<AppendRequest> decode_append_request(const Json& json) {
    auto m = std::make_shared<AppendRequest>();
    m->term = term_at(json, "term");
    m->prev_index = index_at(json, "prev_index");
    m->prev_term = term_at(json, "prev_term");
    for (const Json& entry : json.at("entries")) {
        const int type = entry.at(2).get<int>();
        if (type != static_cast<int>(EntryType::noop) && type != static_cast<int>(EntryType::command)) return nullptr;
        m->entries.push_back(LogEntry{Term(entry.at(0).get<std::uint64_t>()),
                                      LogIndex(entry.at(1).get<std::uint64_t>()), static_cast<EntryType>(type),
                                      hex_decode(entry.at(3).get<std::string>())});
    }
    m->leader_commit = index_at(json, "commit");
    m->leader_last_index = index_at(json, "leader_last_index");
    m->heartbeat = json.at("heartbeat").get<bool>();
    m->read_round = json.at("read_round").get<std::uint64_t>();
    m->mac = hex_decode(json.at("mac").get<std::string>());
    return m;
}

Json encode_append_reply(const AppendReply& m) {
    return Json{{"term", m.term.value},
                {"success", m.success},
                {"heartbeat", m.heartbeat},
                {"match_index", m.match_index.value},
                {"rejected_index", m.rejected_index.value},
                {"conflict_term", m.conflict_term.value},
                {"conflict_index", m.conflict_index.value},
                {"last_log_index", m.last_log_index.value},
                {"read_round", m.read_round},
                {"log_damaged", m.log_damaged},
                {"hard_state_lost", m.hard_state_lost}};
}
std::shared_ptr<AppendReply> decode_append_reply(const Json& json) {
    auto m = std::make_shared<AppendReply>();
    m->term = term_at(json, "term");
    m->success = json.at("success").get<bool>();
    m->heartbeat = json.at("heartbeat").get<bool>();
    m->match_index = index_at(json, "match_index");
    m->rejected_index = index_at(json, "rejected_index");
    m->conflict_term = term_at(json, "conflict_term");
    m->conflict_index = index_at(json, "conflict_index");
    m->last_log_index = index_at(json, "last_log_index");
    m->read_round = json.at("read_round").get<std::uint64_t>();
    m->log_damaged = json.at("log_damaged").get<bool>();
    m->hard_state_lost = json.at("hard_state_lost").get<bool>();
    return m;
}

Json encode_snapshot_request(const SnapshotRequest& m) {
    return Json{{"term", m.term.value},
                {"last_index", m.last_index.value},
                {"last_term", m.last_term.value},
                {"data", hex_encode(m.data)}};
}
std::shared_ptr<SnapshotRequest> decode_snapshot_request(const Json& json) {
    auto m = std::make_shared<SnapshotRequest>();
    m->term = term_at(json, "term");
    m->last_index = index_at(json, "last_index");
    m->last_term = term_at(json, "last_term");
    m->data = hex_decode(json.at("data").get<std::string>());
    return m;
}

Json encode_snapshot_reply(const SnapshotReply& m) {
    return Json{{"term", m.term.value}, {"last_index", m.last_index.value}, {"hard_state_lost", m.hard_state_lost}};
}
std::shared_ptr<SnapshotReply> decode_snapshot_reply(const Json& json) {
    auto m = std::make_shared<SnapshotReply>();
    m->term = term_at(json, "term");
    m->last_index = index_at(json, "last_index");
    m->hard_state_lost = json.at("hard_state_lost").get<bool>();
    return m;
}

Json encode_timeout_now(const TimeoutNow& m) {
    return Json{{"term", m.term.value}};
}
std::shared_ptr<TimeoutNow> decode_timeout_now(const Json& json) {
    auto m = std::make_shared<TimeoutNow>();
    m->term = term_at(json, "term");
    return m;
}

const WireCodecRegistration wire_codecs[] = {
    WireCodecRegistration{
        wire_codec<VoteRequest>({"request_vote", "pre_vote"}, encode_vote_request, decode_vote_request)},
    WireCodecRegistration{
        wire_codec<VoteReply>({"request_vote_ok", "pre_vote_ok"}, encode_vote_reply, decode_vote_reply)},
    WireCodecRegistration{
        wire_codec<AppendRequest>({"append_entries", "heartbeat"}, encode_append_request, decode_append_request)},
    WireCodecRegistration{
        wire_codec<AppendReply>({"append_entries_ok", "heartbeat_ok"}, encode_append_reply, decode_append_reply)},
    WireCodecRegistration{
        wire_codec<SnapshotRequest>({"install_snapshot"}, encode_snapshot_request, decode_snapshot_request)},
    WireCodecRegistration{
        wire_codec<SnapshotReply>({"install_snapshot_ok"}, encode_snapshot_reply, decode_snapshot_reply)},
    WireCodecRegistration{wire_codec<TimeoutNow>({"timeout_now"}, encode_timeout_now, decode_timeout_now)},
};

}  // namespace

}  // namespace faultline::protocols::raft
