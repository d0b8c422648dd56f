// Generated histories of transactions, for tests and benchmarks.
//
// generate_serial: clients run transactions against one in-memory store; each
// transaction takes effect atomically at one instant between its invocation
// and its completion, in a random interleaving of the clients' steps. The
// history is therefore strict-serializable by construction, whatever the
// interleaving: the isolation checker must never flag it. Some transactions
// fail (no effect) and some end in info (an effect or none, by a coin).
//
// generate_stale_reads: a list-append history in which every transaction reads
// one key slightly stale and appends to another; the stale reads give rw edges
// back in time against the ww and wr edges forward, so that (nearly) every
// transaction sits in one large strongly connected component: the worst case
// of the cycle search.
#pragma once

#include <cstddef>
#include <cstdint>

#include "check/txn/txn_history.h"

namespace faultline::check::txn {

struct SerialGenerateOptions {
    Workload workload = Workload::list_append;
    std::uint64_t seed = 1;
    std::size_t txns = 100;
    int clients = 5;
    int keys = 4;  // in use at any time
    // As in Elle's generator (and Maelstrom's --max-writes-per-key), a key
    // that has taken this many writes is replaced by a fresh one.
    int max_writes_per_key = 16;
    int max_txn_length = 4;
    double read_fraction = 0.5;
    double fail_probability = 0.0;
    double info_probability = 0.0;
};

TxnHistory generate_serial(const SerialGenerateOptions& options);

TxnHistory generate_stale_reads(std::size_t txns, int keys, std::uint64_t seed);

}  // namespace faultline::check::txn
