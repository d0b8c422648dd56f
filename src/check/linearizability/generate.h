// Histories generated from a known-linearizable reference: concurrent clients
// run read / write / cas against a sequential key-value store, each operation
// taking effect atomically at a random instant between its invocation and its
// completion. The result is linearizable by construction, which is what the
// property tests and benchmarks need: a checker must accept every such history,
// and must reject it once one completed read is corrupted.
//
// Semantics match faultline's lin-kv histories (check/history.h): keys are
// integers, registers start absent; a read of an absent key or a cas whose
// expected value is not there completes `fail` (it did not happen: Maelstrom
// errors 20 and 22); a timed-out op completes `info`. A timed-out op takes
// effect before its timeout, later (even after the history ends... not
// recorded), or never, each with some probability; the timed-out process is
// retired and replaced by a fresh one, as in Jepsen.
//
// Deterministic for a seed (base/prng.h).
#pragma once

#include <cstdint>
#include <optional>

#include "check/history.h"

namespace faultline::check::lin {

struct GenerateOptions {
    std::uint64_t seed = 1;
    std::size_t operations = 1000;  // invocations
    int clients = 5;
    int keys = 1;  // 1: single-object history (no "key" field)
    double info_probability = 0.05;
    double read_fraction = 0.5;
    double write_fraction = 0.3;  // the rest are cas
    int values = 5;               // writes pick values in [0, values)
    // Every write and cas writes a fresh value (reads then name their writer).
    bool unique_values = false;
};

History generate_kv_history(const GenerateOptions& options);

// How a completed read was corrupted.
enum class Corruption : std::uint8_t {
    never_written,  // a value no operation wrote
    future,         // a value first written by an op invoked after the read returned
    stale,          // a value overwritten before the read was invoked
};

// Replaces the value of one ok read so that no linearization can explain it,
// choosing among reads where `kind` is possible (needs unique_values for
// future/stale). Returns the history position of the corrupted completion, or
// nullopt if no read qualifies.
std::optional<std::size_t> corrupt_one_read(History& history, Corruption kind, std::uint64_t seed);

}  // namespace faultline::check::lin
