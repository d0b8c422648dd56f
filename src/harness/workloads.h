// The Maelstrom workloads the harness runs against a node program: each one's
// requests and replies on the wire, its operation generator, its final
// operations and its checks (../docs/harness.md lists them with their schemas).
//
//   echo         echo {echo} -> echo_ok {echo}               check: echo
//   unique-ids   generate -> generate_ok {id}                 check: unique-ids
//   broadcast    broadcast {message} -> broadcast_ok; read -> read_ok {messages};
//                topology {topology} -> topology_ok (once, after init)  check: set
//   g-set        add {element} -> add_ok; read -> read_ok {value}      check: set
//   g-counter    add {delta >= 0} -> add_ok; read -> read_ok {value}  check: counter
//   pn-counter   add {delta, may be negative}; read                   check: counter
//   lin-kv       read {key} / write {key, value} / cas {key, from, to}  check: linearizability
//   txn-list-append  txn {txn: [["r", k, null], ["append", k, v]]} -> txn_ok {txn}
//                    (reads filled with the list read)                 check: isolation
//   txn-rw-register  txn {txn: [["r", k, null], ["w", k, v]]} -> txn_ok {txn}  check: isolation
//   kafka        send {key, msg} -> send_ok {offset}; poll {offsets} -> poll_ok {msgs};
//                commit_offsets {offsets} -> commit_offsets_ok;
//                list_committed_offsets {keys} -> list_committed_offsets_ok {offsets}   check: kafka
//
// A reply is checked against its schema (closed, as Maelstrom's): keys other
// than the workload's and type, in_reply_to and msg_id make it malformed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/prng.h"
#include "base/result.h"
#include "check/history.h"
#include "check/outcome.h"
#include "workload/client.h"

namespace faultline::harness {

struct WorkloadOptions {
    std::string topology = "grid";  // broadcast: grid, line, total, tree2, tree3, tree4
    int key_count = 0;              // lin-kv and txn: keys in use at once (0: the workload's default)
    // txn-list-append and txn-rw-register:
    std::string consistency_models = "strict-serializable";
    int max_txn_length = 4;
    int max_writes_per_key = 16;
};

class Workload {
  public:
    virtual ~Workload() = default;
    virtual std::string name() const = 0;
    virtual workload::OpRequest next(Prng& random) = 0;
    // The next operation of client number `client` (0, 1, ...), for workloads
    // whose clients keep state of their own (kafka's positions); by default
    // the same for every client.
    virtual workload::OpRequest next_for(Prng& random, std::size_t client) {
        (void)client;
        return next(random);
    }
    // Tells the workload how one of client `client`'s operations ended.
    virtual void completed(std::size_t client, const workload::OpRequest& op, check::OpType type, const Json& value) {
        (void)client;
        (void)op;
        (void)type;
        (void)value;
    }
    // The request's body, without msg_id.
    virtual Json request_body(const workload::OpRequest& op) const = 0;
    // The value an ok reply observed, or why the reply is malformed.
    virtual Result<Json> ok_value(const workload::OpRequest& op, const Json& reply) const = 0;
    // Operations whose failure to answer changed nothing (Maelstrom's
    // idempotent sets): a timeout or an indefinite error fails them.
    virtual bool idempotent(const std::string& f) const {
        (void)f;
        return false;
    }
    // Operations after the time limit and the recovery window: one per server
    // or one per client (final reads).
    virtual std::vector<workload::OpRequest> final_ops(const std::vector<std::string>& servers) const {
        (void)servers;
        return {};
    }
    // Messages to each server once it answered init (broadcast's topology).
    virtual std::vector<Json> setup_bodies(const std::string& server, const std::vector<std::string>& servers) const {
        (void)server;
        (void)servers;
        return {};
    }
    // The names of the checks check() returns.
    virtual std::vector<std::string> checks() const = 0;
    virtual std::vector<check::Outcome> check(const check::History& history, Nanos finals_from) const = 0;
};

// The workloads, by Maelstrom's names.
const std::vector<std::string>& workload_names();
// An error lists the known names.
Result<std::unique_ptr<Workload>> make_workload(const std::string& name, const WorkloadOptions& options);

// Broadcast topologies, as Maelstrom builds them: each server's neighbours.
Result<Json> make_topology(const std::string& kind, const std::vector<std::string>& servers);

// Maelstrom's stable latencies of a set workload (broadcast, g-set), in ms,
// at the quantiles 0, 0.5, 0.95, 0.99 and 1: for each add, from its invocation
// until every read begun afterwards saw it (the completion of the last read
// that missed it). Adds never seen by the last reads have none.
Json stable_latencies(const check::History& history);

// The kafka check (a sound part of Jepsen's): no offset of a key holds two
// different messages, no message sits at two offsets, no poll returns an
// offset below the one it asked from, and no poll begun after a send was
// acknowledged skips that send's offset inside the run it returned (or
// starts past it): a lost write.
check::Outcome check_kafka(const check::History& history);

// The unique-ids check: every acknowledged id is distinct.
check::Outcome check_unique_ids(const check::History& history);
// The counters' check (g-counter and pn-counter, as Maelstrom's pn-counter
// checker): every final read lies in the set of totals the ok adds plus any
// subset of the adds of unknown outcome can make.
check::Outcome check_final_counter(const check::History& history, Nanos finals_from);

}  // namespace faultline::harness
