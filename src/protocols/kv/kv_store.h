// KvStore: the replicated state machine of the Raft KV, with client sessions.
//
// Keys and values are integers, as in Maelstrom's lin-kv workload. Operations
// and their outcomes follow lin-kv exactly:
//   write(k, v)         always succeeds
//   cas(k, from, to)    error 20 if k does not exist, 22 if its value is not `from`
//   read(k)             error 20 if k does not exist (reads are served by the
//                       server through ReadIndex, never through the log)
//
// Sessions make retries safe: every command carries (client, sequence). The
// store remembers each client's highest applied sequence and its result; a
// command it has already applied is not applied again, and the remembered
// result is returned instead. Sessions are part of the state (and of
// snapshots), so every replica deduplicates identically.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace faultline::protocols::kv {

// Maelstrom error codes this service uses.
enum ErrorCodes : int {
    error_indefinite = 13,  // "crash": the outcome is unknown
    error_unavailable = 11,
    error_key_missing = 20,
    error_precondition = 22,
};

enum class KvOp : std::uint8_t { read = 0, write = 1, cas = 2 };
const char* kv_op_name(KvOp op);

struct KvCommand {
    KvOp op = KvOp::write;
    std::int64_t key = 0;
    std::int64_t value = 0;  // write: the value; cas: `to`
    std::int64_t from = 0;   // cas only
    std::uint64_t client = 0;
    std::uint64_t sequence = 0;
    // Bytes of payload the value carries beyond its integer (a large value, for
    // bandwidth scenarios); replicated and stored like any bytes, never read.
    std::uint32_t padding = 0;

    std::string encode() const;
    static Result<KvCommand> decode(std::string_view bytes);
    bool operator==(const KvCommand&) const = default;
};

struct KvResult {
    int code = 0;  // 0: ok, else a Maelstrom error code
    std::int64_t value = 0;
    bool operator==(const KvResult&) const = default;
};

// Off only in deliberately broken variants (raft/bugs.h).
struct KvStoreOptions {
    bool deduplicate = true;           // off: the no-dedup bug
    bool sessions_in_snapshot = true;  // off: the sessions-not-in-snapshot bug
};

class KvStore {
  public:
    explicit KvStore(KvStoreOptions options = {}) : options_(options) {}

    KvResult apply(const KvCommand& command);
    KvResult read(std::int64_t key) const;

    std::string snapshot() const;
    Status restore(std::string_view data);

    const std::map<std::int64_t, std::int64_t>& data() const { return data_; }
    std::uint64_t applied_commands() const { return applied_; }
    // A digest of the whole state (data, sessions, applied count), for
    // checkers that compare replicas: replicas that applied the same entries,
    // directly or through a snapshot, have the same one.
    std::uint64_t fingerprint() const;

  private:
    struct Session {
        std::uint64_t sequence = 0;
        KvResult result;
    };

    KvStoreOptions options_;
    std::map<std::int64_t, std::int64_t> data_;
    std::map<std::uint64_t, Session> sessions_;
    std::uint64_t applied_ = 0;
};

}  // namespace faultline::protocols::kv
