// TxnHistory: a history of transactions, in the compact form the isolation
// checker works on.
//
// A transaction is one Jepsen op whose f is "txn" and whose value is a list of
// micro-operations (Elle's workloads, Maelstrom's txn-list-append and
// txn-rw-register):
//   list-append   ["append", k, v]  appends v to the list at k
//                 ["r", k, [v...]]  read the list at k (nil: the key is absent)
//   rw-register   ["w", k, v]       writes v to the register k
//                 ["r", k, v]       read the register k (nil: never written)
// In Jepsen EDN these are vectors of keywords: [:append 3 2], [:r 3 [1 2]].
// Keys are integers or strings; values are integers (written values must be
// unique per key: that is what lets a read name the write it saw).
//
// Each transaction is its invocation paired with its completion from the same
// process: ok (committed; reads carry what they saw), fail (definitely
// aborted), or info / no completion (unknown: its writes may have taken effect,
// its reads tell nothing). Non-txn ops (a nemesis) are left out.
//
// `invoke_position` and `complete_position` are the events' positions in the
// history as read; realtime order is "completed before invoked" by these
// positions (as Elle does), which needs no clock and works for EDN without
// times. A transaction that never completed has complete_position = kNever.
//
// Everything is stored flat (micro-ops and read lists in shared vectors),
// because a million transactions must fit in a few hundred MiB.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "check/formats/history_formats.h"

namespace faultline::check::txn {

// Which transactional workload a history is.
enum class Workload : std::uint8_t { list_append, rw_register };
const char* workload_name(Workload workload);
Result<Workload> parse_workload(std::string_view name);

enum class MopKind : std::uint8_t { append, write, read };

enum class TxnStatus : std::uint8_t { ok, fail, info };
const char* txn_status_name(TxnStatus status);

// One micro-operation. For a read, the value seen is either nil or (for
// list-append) the list TxnHistory::read_values[read_begin, read_begin +
// read_size), or (for rw-register) `value`. A read of a transaction whose
// outcome is not ok has `known` false: nobody told us what it saw.
struct Mop {
    std::int64_t value = 0;
    std::uint32_t key = 0;  // an index into TxnHistory::key_names
    std::uint32_t read_begin = 0;
    std::uint32_t read_size = 0;
    MopKind kind = MopKind::read;
    bool nil = false;    // a read that saw nil
    bool known = false;  // a read whose result we were told
};

struct Txn {
    std::uint32_t mop_begin = 0;
    std::uint32_t mop_size = 0;
    TxnStatus status = TxnStatus::ok;
    std::int64_t process = 0;
    std::int64_t invoke_position = 0;
    std::int64_t complete_position = 0;
    std::int64_t index = 0;  // the invocation's op index, for people
    Nanos invoke_time = 0;
    Nanos complete_time = 0;
    std::int32_t line = 0;  // where the invocation is in its file (0: not from a file)

    static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
};

struct TxnHistory {
    Workload workload = Workload::list_append;
    std::vector<Txn> txns;
    std::vector<Mop> mops;
    std::vector<std::int64_t> read_values;
    std::vector<std::string> key_names;  // as they print: 3, "x"
    std::string file;                    // for messages; empty when built in memory

    std::span<const Mop> mops_of(const Txn& txn) const { return {mops.data() + txn.mop_begin, txn.mop_size}; }
    std::span<const std::int64_t> read_list(const Mop& mop) const {
        return {read_values.data() + mop.read_begin, mop.read_size};
    }
};

// Builds a TxnHistory in memory (the generators, tests and benchmarks): begin a
// transaction, add its micro-ops, end it. Keys are integers here.
class TxnHistoryBuilder {
  public:
    explicit TxnHistoryBuilder(Workload workload);

    void begin(std::int64_t process, std::int64_t invoke_position, std::int64_t complete_position,
               TxnStatus status = TxnStatus::ok);
    void append(std::int64_t key, std::int64_t value);
    void write(std::int64_t key, std::int64_t value);
    void read_list(std::int64_t key, std::span<const std::int64_t> values);
    void read_register(std::int64_t key, std::int64_t value);
    void read_nil(std::int64_t key);
    void end();

    TxnHistory take() { return std::move(history_); }

  private:
    std::uint32_t key_id(std::int64_t key);
    Mop& add(MopKind kind, std::int64_t key);

    TxnHistory history_;
    std::unordered_map<std::int64_t, std::uint32_t> keys_;
    bool open_ = false;
};

// Pairs a parsed history's txn invocations with their completions. Errors name
// the file and line of the op that is wrong ("h.edn:12: micro-op 2 of the
// transaction is [:append 1], expected [f key value]").
Result<TxnHistory> txn_history_from(const formats::ParsedHistory& parsed, Workload workload);

}  // namespace faultline::check::txn
