#include "protocols/kv/kv_store.h"

#include <fmt/format.h>

#include <vector>

#include "base/assert.h"
#include "base/coding.h"
#include "base/hash.h"

namespace faultline::protocols::kv {

const char* kv_op_name(KvOp op) {
    switch (op) {
        case KvOp::read:
            return "read";
        case KvOp::write:
            return "write";
        case KvOp::cas:
            return "cas";
    }
    return "?";
}

std::string KvCommand::encode() const {
    std::string out;
    out.reserve(41 + padding);
    out.push_back(static_cast<char>(op));
    put_u64(out, static_cast<std::uint64_t>(key));
    put_u64(out, static_cast<std::uint64_t>(value));
    put_u64(out, static_cast<std::uint64_t>(from));
    put_u64(out, client);
    put_u64(out, sequence);
    out.append(padding, 'v');
    return out;
}

Result<KvCommand> KvCommand::decode(std::string_view bytes) {
    KvCommand command;
    if (bytes.size() < 41) {
        return make_error(ErrorCode::parse_error,
                          fmt::format("kv command of {} bytes, expected at least 41", bytes.size()));
    }
    command.padding = static_cast<std::uint32_t>(bytes.size() - 41);
    const auto op = static_cast<std::uint8_t>(bytes[0]);
    if (op > 2) return make_error(ErrorCode::parse_error, fmt::format("unknown kv op {}", op));
    command.op = static_cast<KvOp>(op);
    bytes.remove_prefix(1);
    std::uint64_t key = 0, value = 0, from = 0;
    take_u64(bytes, key);
    take_u64(bytes, value);
    take_u64(bytes, from);
    take_u64(bytes, command.client);
    take_u64(bytes, command.sequence);
    command.key = static_cast<std::int64_t>(key);
    command.value = static_cast<std::int64_t>(value);
    command.from = static_cast<std::int64_t>(from);
    return command;
}

KvResult KvStore::apply(const KvCommand& command) {
    FL_ASSERT(command.op != KvOp::read);
    if (options_.deduplicate && command.client != 0) {
        auto found = sessions_.find(command.client);
        if (found != sessions_.end() && command.sequence <= found->second.sequence) {
            // Applied before (a retry or a duplicated request). Only the latest
            // result is kept; an older sequence's reply is long gone anyway.
            return found->second.result;
        }
    }
    ++applied_;
    KvResult result;
    if (command.op == KvOp::write) {
        data_[command.key] = command.value;
    } else {
        auto found = data_.find(command.key);
        if (found == data_.end()) {
            result.code = error_key_missing;
        } else if (found->second != command.from) {
            result.code = error_precondition;
            result.value = found->second;
        } else {
            found->second = command.value;
        }
    }
    if (options_.deduplicate && command.client != 0) sessions_[command.client] = Session{command.sequence, result};
    return result;
}

KvResult KvStore::read(std::int64_t key) const {
    auto found = data_.find(key);
    if (found == data_.end()) return KvResult{error_key_missing, 0};
    return KvResult{0, found->second};
}

std::string KvStore::snapshot() const {
    std::string out;
    put_u64(out, applied_);
    put_u64(out, data_.size());
    for (const auto& [key, value] : data_) {
        put_u64(out, static_cast<std::uint64_t>(key));
        put_u64(out, static_cast<std::uint64_t>(value));
    }
    // Without the sessions, a replica restored from this snapshot would apply
    // a retried command again (the sessions-not-in-snapshot bug leaves them out).
    if (!options_.sessions_in_snapshot) {
        put_u64(out, 0);
        return out;
    }
    put_u64(out, sessions_.size());
    for (const auto& [client, session] : sessions_) {
        put_u64(out, client);
        put_u64(out, session.sequence);
        put_u64(out, static_cast<std::uint64_t>(session.result.code));
        put_u64(out, static_cast<std::uint64_t>(session.result.value));
    }
    return out;
}

std::uint64_t KvStore::fingerprint() const {
    // Runs after every step that applied something, on every replica: the
    // words go into one buffer hashed in one call, which gives the digest a
    // streaming Hasher fed word by word gives (XXH3 is the same either way),
    // at a tenth of the cost of a call and a state per word.
    std::vector<std::uint64_t> words;
    words.reserve(3 + 2 * data_.size() + 4 * sessions_.size());
    words.push_back(applied_);
    words.push_back(data_.size());
    for (const auto& [key, value] : data_) {
        words.push_back(static_cast<std::uint64_t>(key));
        words.push_back(static_cast<std::uint64_t>(value));
    }
    words.push_back(sessions_.size());
    for (const auto& [client, session] : sessions_) {
        words.push_back(client);
        words.push_back(session.sequence);
        words.push_back(static_cast<std::uint64_t>(session.result.code));
        words.push_back(static_cast<std::uint64_t>(session.result.value));
    }
    return hash_bytes(words.data(), words.size() * sizeof(std::uint64_t));
}

Status KvStore::restore(std::string_view data) {
    std::map<std::int64_t, std::int64_t> restored;
    std::map<std::uint64_t, Session> sessions;
    std::uint64_t applied = 0, count = 0;
    auto corrupt = [] { return make_error(ErrorCode::corruption, "kv snapshot is truncated"); };
    if (!take_u64(data, applied) || !take_u64(data, count)) return corrupt();
    for (std::uint64_t i = 0; i < count; ++i) {
        std::uint64_t key = 0, value = 0;
        if (!take_u64(data, key) || !take_u64(data, value)) return corrupt();
        restored[static_cast<std::int64_t>(key)] = static_cast<std::int64_t>(value);
    }
    if (!take_u64(data, count)) return corrupt();
    for (std::uint64_t i = 0; i < count; ++i) {
        std::uint64_t client = 0, sequence = 0, code = 0, value = 0;
        if (!take_u64(data, client) || !take_u64(data, sequence) || !take_u64(data, code) || !take_u64(data, value)) {
            return corrupt();
        }
        sessions[client] = Session{sequence, KvResult{static_cast<int>(code), static_cast<std::int64_t>(value)}};
    }
    data_ = std::move(restored);
    sessions_ = std::move(sessions);
    applied_ = applied;
    return ok_status();
}

}  // namespace faultline::protocols::kv
