// txn-kv: a replicated transactional store of lists (Elle's list-append), whose
// isolation level is a setting, to show what each level lets through.
//
// A transaction is a list of micro-ops, ["append", k, v] and ["r", k, nil],
// sent in one request. The leader (the first server; there is no failover)
// runs it as an interactive transaction would run: one micro-op, then
// `op_interval` of think time, the next, and so on, then the commit. So
// transactions overlap, and the level decides what they see of each other:
//
//   read-uncommitted    a read sees the committed list, plus the appends not yet
//                       committed of the transaction holding the key's write
//                       lock. Writers take that lock (no wait: a conflict
//                       aborts), so two uncommitted appends never interleave
//                       (no G0), but a read may see what later aborts (G1a) or
//                       half of a transaction's appends (G1b).
//   read-committed      a read sees the newest committed list at the moment it
//                       runs (and its own appends, buffered to the commit).
//                       Writers take the same write lock, so that nobody
//                       commits under a transaction's own appends. Lost
//                       updates, non-repeatable reads and read skew are allowed.
//   snapshot-isolation  reads see the store as of the transaction's start (the
//                       log index then: each element remembers the index that
//                       committed it). At commit, if another transaction
//                       committed an append to a key this one appends to since
//                       the start, it aborts (first committer wins). Write skew
//                       is allowed.
//   serializable        as snapshot isolation, and the commit also aborts if a
//                       key it read changed since the start: every read is then
//                       still true at the commit, which is the instant the
//                       whole transaction takes effect (strict serializable).
//                       `validate_reads` off is the broken variant: snapshot
//                       isolation that calls itself serializable.
//
// Durability and replication: each outcome, commit or abort, is a record in a
// log, appended and synced before it takes effect and before anyone hears of
// it (aborts too: a late duplicate of an aborted request must not run again
// after a restart). The leader ships the log to the followers, which sync and
// acknowledge it; the client hears the outcome once a majority holds the
// record. A restart replays the log from disk; transactions in flight are lost
// (their clients time out: unknown outcome). Requests are deduplicated by
// (client, sequence): at most once, even when the network duplicates them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "node/node.h"

namespace faultline::protocols::txn {

enum class Isolation : std::uint8_t { read_uncommitted, read_committed, snapshot_isolation, serializable };

struct TxnKvOptions {
    Isolation isolation = Isolation::serializable;
    // Serializable only: check the read set at commit. Off is a bug.
    bool validate_reads = true;
    // Think time between a transaction's micro-ops (an interactive client).
    Nanos op_interval = milliseconds(2);
    Nanos resend_interval = milliseconds(50);
};

// Maelstrom's error codes.
inline constexpr int kTxnOk = 0;
inline constexpr int kTemporarilyUnavailable = 11;
inline constexpr int kTxnConflict = 30;

struct Mop {
    enum class Kind : std::uint8_t { append, read } kind = Kind::read;
    std::int64_t key = 0;
    std::int64_t value = 0;                           // append
    std::optional<std::vector<std::int64_t>> result;  // read: the list, or nil (key absent)
    bool operator==(const Mop&) const = default;
};

struct TxnRequest final : Message {
    std::uint64_t msg_id = 0;
    std::uint64_t client = 0;
    std::uint64_t sequence = 0;
    std::vector<Mop> mops;
    std::string_view type() const override { return "txn"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32 + 24 * static_cast<std::uint32_t>(mops.size()); }
    std::uint64_t digest() const override;
};

struct TxnReply final : Message {
    std::uint64_t in_reply_to = 0;
    int code = kTxnOk;
    std::vector<Mop> mops;  // ok: with the reads filled in
    std::string_view type() const override { return "txn_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override;
    std::uint64_t digest() const override;
};

// One outcome, as logged and replicated.
struct LogRecord {
    std::uint64_t client = 0;
    std::uint64_t sequence = 0;
    bool committed = false;
    std::vector<std::pair<std::int64_t, std::int64_t>> appends;  // (key, value), in order
    bool operator==(const LogRecord&) const = default;
};

// Records first_index, first_index + 1, ... of the leader's log.
struct Replicate final : Message {
    std::uint64_t first_index = 0;
    std::vector<LogRecord> records;
    std::string_view type() const override { return "txn_replicate"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16 + 32 * static_cast<std::uint32_t>(records.size()); }
    std::uint64_t digest() const override;
};

// The follower holds (synced) every record up to `index`.
struct ReplicateAck final : Message {
    std::uint64_t index = 0;
    std::string_view type() const override { return "txn_replicate_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16; }
    std::uint64_t digest() const override { return index; }
};

std::string encode_record(const LogRecord& record);
// Decodes records from the front of `bytes` until it ends; a torn tail is dropped.
std::vector<LogRecord> decode_records(std::string_view bytes);

class TxnKvNode final : public Node {
  public:
    explicit TxnKvNode(TxnKvOptions options) : options_(options) {}

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    // For tests: the committed list of a key (empty if absent), the log, and
    // how many transactions are running.
    std::vector<std::int64_t> committed(std::int64_t key) const;
    const std::vector<LogRecord>& log() const { return log_; }
    std::size_t running() const { return running_.size(); }

  private:
    struct Element {
        std::int64_t value = 0;
        std::uint64_t index = 0;  // the log index of the commit that appended it
    };
    struct Running {
        NodeId from;
        std::uint64_t msg_id = 0;
        std::uint64_t client = 0;
        std::uint64_t sequence = 0;
        std::vector<Mop> mops;
        std::size_t next = 0;                                       // the next micro-op to run
        std::uint64_t snapshot = 0;                                 // the log index at the start
        std::map<std::int64_t, std::vector<std::int64_t>> appends;  // buffered, per key
        std::set<std::int64_t> read_keys;
    };
    struct Waiting {  // an outcome the client has not heard yet
        NodeId to;
        std::uint64_t msg_id = 0;
        int code = kTxnOk;
        std::vector<Mop> mops;
    };

    bool leader(Context& ctx) const { return ctx.self() == ctx.cluster().front(); }
    void begin(Context& ctx, NodeId from, const TxnRequest& request);
    // Runs the transaction's next micro-op, or its commit when none is left.
    void step(Context& ctx, std::uint64_t txn);
    std::optional<std::vector<std::int64_t>> read(std::uint64_t txn, const Running& running, std::int64_t key) const;
    bool conflicts(const Running& running) const;
    void finish(Context& ctx, std::uint64_t txn, bool commit);
    // Persists and applies the record at the end of the log; false if the disk failed.
    bool append_record(Context& ctx, const LogRecord& record);
    void apply(const LogRecord& record);
    void replicate(Context& ctx, NodeId follower);
    void answer_majority(Context& ctx);

    TxnKvOptions options_;
    std::vector<LogRecord> log_;  // index i + 1 is log_[i]
    std::uint64_t log_bytes_ = 0;
    std::map<std::int64_t, std::vector<Element>> store_;
    std::map<std::uint64_t, std::uint64_t> last_sequence_;  // client -> the newest request seen
    // Leader only, volatile.
    std::map<std::uint64_t, Running> running_;
    std::map<std::int64_t, std::uint64_t> write_locks_;  // read-(un)committed: key -> its writer
    std::map<std::uint64_t, Waiting> waiting_;           // log index -> the outcome's answer
    std::map<NodeId, std::uint64_t> acked_;              // follower -> the index it holds
    std::uint64_t next_txn_ = 1;
};

}  // namespace faultline::protocols::txn
