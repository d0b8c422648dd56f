// WorkloadShape: what a search strategy asks of a run's clients beyond their
// number and rate. Swarm testing (runner/search.h) switches whole workload
// features on or off per seed: a write-heavy or read-mostly mix, few or many
// keys, and quiet windows in which no client starts an operation (a new
// leader then has nothing of its own term to replicate but its no-op: the
// setting of Raft's Figure 8).
//
// Every field is optional: what is unset keeps the system's own default. A
// system applies the mix and the keys it understands (System::shape_workload);
// the runner applies the quiet windows to every client.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/time.h"

namespace faultline::workload {

struct WorkloadShape {
    // Of the generated operations, in percent (a lin-kv workload: the rest
    // are compare-and-sets).
    std::optional<int> read_percent;
    std::optional<int> write_percent;
    std::optional<int> keys_active;  // keys in use at once
    // The clients' total rate, as a fraction of the configured one (a trickle
    // of writes leaves leaders idle: what a new leader must commit of earlier
    // terms then waits on its no-op alone).
    double rate_factor = 1;
    // Windows [from, to) of simulated time in which clients start nothing.
    std::vector<std::pair<Nanos, Nanos>> quiet;

    bool empty() const { return !read_percent && !write_percent && !keys_active && rate_factor == 1 && quiet.empty(); }
    // The end of the quiet window `at` falls in, or `at` if none.
    Nanos after_quiet(Nanos at) const {
        for (const auto& [from, to] : quiet) {
            if (at >= from && at < to) return to;
        }
        return at;
    }
    Json to_json() const {
        Json json = Json::object();
        if (read_percent) json["read_percent"] = *read_percent;
        if (write_percent) json["write_percent"] = *write_percent;
        if (keys_active) json["keys_active"] = *keys_active;
        if (rate_factor != 1) json["rate_factor"] = rate_factor;
        if (!quiet.empty()) {
            Json windows = Json::array();
            for (const auto& [from, to] : quiet) windows.push_back(Json{{"from_ns", from}, {"to_ns", to}});
            json["quiet"] = windows;
        }
        return json;
    }
};

}  // namespace faultline::workload
