// Runs of the broadcast levels shared by the fast and the slow tests.
#pragma once

#include <string>

#include "runner/run.h"

namespace faultline::runner {

inline const char* const kLevels[] = {"best-effort", "reliable-eager", "reliable-lazy", "uniform",
                                      "fifo",        "causal",         "total",         "total-raft"};

// Loss and duplication bursts, reordering, a partition that heals, and n4
// crashing for good (crash-stop; n0, the sequencer of `total`, stays up).
inline RunConfig faulty_run(const std::string& level, std::uint64_t seed) {
    RunConfig config;
    config.system = "broadcast";
    config.nodes = 5;
    config.clients = 5;
    config.rate = 100;
    config.time_limit = seconds(8);
    config.recovery = seconds(4);
    config.seed = seed;
    config.search = "random";  // the faults and load as written, not a swarm's
    config.reorder = 0.2;
    config.reorder_delay = milliseconds(30);
    config.system_options["level"] = level;
    auto fault = [](const char* kind, double start_s, double duration_s) {
        return Json{{"kind", kind},
                    {"start_ns", static_cast<Nanos>(start_s * 1e9)},
                    {"duration_ns", static_cast<Nanos>(duration_s * 1e9)},
                    {"nodes", Json::array()}};
    };
    Json loss = fault("loss", 1, 2);
    loss["amount"] = 0.2;
    Json duplicate = fault("duplicate", 1.5, 2);
    duplicate["amount"] = 0.2;
    Json partition = fault("partition", 3, 1.5);
    partition["shape"] = "halves";
    partition["nodes"] = {3, 1, 0, 2, 4};
    Json kill = fault("kill", 5, 3);
    kill["nodes"] = {4};
    config.schedule = Json::array({loss, duplicate, partition, kill});
    return config;
}

inline std::string failures(const RunResult& result) {
    std::string out;
    for (const CheckOutcome& check : result.checks) {
        if (check.verdict != Verdict::valid) out += "\n  " + check.name + ": " + check.summary;
    }
    return out;
}

}  // namespace faultline::runner
