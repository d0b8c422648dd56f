// `faultline test --system etcd`: a black-box test of a real etcd 3.4 cluster.
//
// It starts `nodes` etcd servers on free loopback ports, each in a folder of
// the run (data directory and log), with every peer URL pointing at a link of
// faultline's proxy that forwards to the real peer port, so the nemesis can
// cut any pair of members apart. Client threads run the lin-kv workload
// (read, write, cas on a few keys) against the members' client ports, the
// nemesis partitions, kills (-9, then restarts on the same data) and pauses
// members, and the history is checked for linearizability (check/linearizability).
//
// With `serializable`, reads ask etcd for serializable consistency: a member
// answers from its own state, so one cut off from the leader serves stale
// values, and the check is expected to find it. Without, reads are
// linearizable and the check is expected to pass.
//
// Everything is bounded: the run lasts `duration`, each request `request_timeout`,
// the operations `max_ops`; waiting for the cluster to start is bounded too.
// Randomness (operations, values, which fault, which member) comes from the
// seed; when things happen depends on real time, so a seed does not replay a
// run exactly.
//
// The run is stored like a simulated one: store/etcd/<time>-seed<N>/ with
// config.json, history.jsonl (written as it grows, so an interrupted run keeps
// it), results.json (with the faults played, as real mode stores them),
// node-logs/ (each member's log) and data/ (each member's data directory);
// store/latest points at it; `faultline test --system etcd` then writes its
// report.html (report/report.h). Every
// process started is stopped at the end, also on failure and on Ctrl-C
// (process/supervisor.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "check/outcome.h"

namespace faultline::etcd {

struct EtcdTestOptions {
    int nodes = 3;  // 3 or 5
    bool serializable = false;
    std::uint64_t seed = 1;
    int clients = 6;  // 1..64
    // "lin-kv" (read, write, cas on `keys` keys) or "puts" (writes only, for throughput).
    std::string workload = "lin-kv";
    int keys = 3;
    // Any of partition, kill, pause; empty: no faults.
    std::vector<std::string> nemesis = {"partition", "kill", "pause"};
    std::chrono::milliseconds duration{20'000};
    std::chrono::milliseconds fault_interval{3'000};  // a fault lasts this long, then as long healed
    std::chrono::milliseconds request_timeout{1'000};
    std::size_t max_ops = 100'000;
    std::string store = "store";
    std::string etcd_binary = "/usr/bin/etcd";
};

// An error for a setting out of its declared range.
Status validate(const EtcdTestOptions& options);

struct EtcdTestResult {
    check::Verdict verdict = check::Verdict::unknown;
    std::string run_dir;
    std::size_t operations = 0;  // completed client operations
    std::size_t ok = 0;
    double seconds = 0;                   // the workload's length
    double ops_per_second = 0;            // ok operations per second
    std::int64_t p50_us = 0, p99_us = 0;  // latency of ok operations
    std::string summary;                  // the checker's one line
    std::vector<std::string> nemesis_log;
};

// An error if etcd cannot be started or the cluster does not become ready.
Result<EtcdTestResult> run_etcd_test(const EtcdTestOptions& options);

}  // namespace faultline::etcd
