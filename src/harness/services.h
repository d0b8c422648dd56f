// The services every harness run offers its nodes, with Maelstrom's semantics
// (../docs/harness.md): node ids lin-kv, seq-kv, lww-kv and lin-tso.
//
//   lin-kv   one atomic map: linearizable. read {key} -> read_ok {value} or
//            error 20; write {key, value} -> write_ok; cas {key, from, to,
//            create_if_not_exists?} -> cas_ok, error 22 (from differs) or 20.
//   seq-kv   the same operations, sequentially consistent: it keeps the last
//            32 states and each caller's newest observed one; an operation
//            that changes nothing runs on a random state between the two (a
//            read may be stale, but never older than what that caller saw);
//            one that changes the state runs on the newest and makes a new one.
//   lww-kv   two replicas with Lamport clocks: each request first merges one
//            random replica into another (last write wins; on a tie the
//            destination keeps its value), then runs on a random replica. cas
//            has no create_if_not_exists. Reads may miss recent writes.
//   lin-tso  ts -> ts_ok {ts}: 0, 1, 2, ... (linearizable).
//
// A request of an unknown type gets no reply (the caller times out), as
// Maelstrom's services do. Services are nodes in the harness's process:
// sans-IO, drawing their randomness from the run's seed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "node/node.h"

namespace faultline::harness {

inline const std::vector<std::string> kServiceNames = {"lin-kv", "seq-kv", "lww-kv", "lin-tso"};

// The service of a name (one of kServiceNames).
std::unique_ptr<Node> make_service(const std::string& name);

}  // namespace faultline::harness
