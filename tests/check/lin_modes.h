// Every way of running the linearizability checker that must not change its
// verdict: splitting by key or not, quiescent cuts off, at the default size or
// at every partition, pre-checks on or off, one thread or two, with or without
// counterexamples, stopping at the first bad key or not. Tests run a history
// through all of them and demand one verdict.
#pragma once

#include <fmt/format.h>

#include <string>
#include <vector>

#include "check/linearizability/checker.h"

namespace faultline::check::testing {

struct CheckMode {
    std::string name;
    LinearizabilityOptions options;
};

// `base` supplies the model, initial value and semantics. 24 modes: the 12
// combinations that change the search (split by key, quiescence: off /
// default / from the first op, pre-checks), each once with one thread and a
// counterexample and once with two threads, no counterexample and a stop at
// the first bad key.
inline std::vector<CheckMode> every_mode(const LinearizabilityOptions& base) {
    std::vector<CheckMode> modes;
    for (bool split : {true, false}) {
        for (int quiescence : {0, 1, 2}) {
            for (bool prechecks : {true, false}) {
                for (bool lean : {false, true}) {
                    LinearizabilityOptions options = base;
                    options.split_by_key = split;
                    options.split_at_quiescence = quiescence != 0;
                    if (quiescence == 2) options.quiescence_min_ops = 1;
                    options.prechecks = prechecks;
                    options.threads = lean ? 2 : 1;
                    options.counterexample = !lean;
                    options.stop_at_first_invalid = lean;
                    const char* cut = quiescence == 0 ? "no-cuts" : quiescence == 1 ? "cuts" : "cuts-always";
                    modes.push_back({fmt::format("{} {} {} {}", split ? "split" : "no-split", cut,
                                                 prechecks ? "prechecks" : "no-prechecks",
                                                 lean ? "threads=2 no-cx stop-first" : "threads=1"),
                                     options});
                }
            }
        }
    }
    return modes;
}

}  // namespace faultline::check::testing
