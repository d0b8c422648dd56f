// The report: self-contained HTML pages drawn from the run store.
//
//   <run>/report.html        one run: summary, the failed checks explained, the
//                            space-time diagram, latency and throughput over time
//   sweeps/<sweep>/report.html    a sweep: seeds run, failures by check, each
//                            failing seed's repro and shrink commands, fault
//                            intensities of failing against passing seeds
//   scenarios/<group>/report.html  the runs of a scenario group (a naive design
//                            and a robust one) side by side
//   <store>/index.html       every stored run, sweep and scenario group
//
// Pages read only what the store holds (report/run_data.h), so any stored run
// can be drawn again later: `faultline report DIR`. Each page opens offline:
// its stylesheet, script and data are inline, and it fetches nothing.
#pragma once

#include <string>

#include "base/json.h"
#include "base/result.h"
#include "report/run_data.h"

namespace faultline::report {

// The page of one run.
std::string run_page(const RunData& run);
// Reads the run stored in `run_dir` and writes its report.html; returns its path.
Result<std::string> write_run_report(const std::string& run_dir);

// The page of a sweep (sweep.json in `sweep_dir`); returns its path.
Result<std::string> write_sweep_report(const std::string& sweep_dir);

// The page of a scenario group (scenario.json in `dir`); returns its path.
Result<std::string> write_scenario_report(const std::string& dir);

// The page of a `faultline fd` result (runner/fd.h's FdResult as JSON),
// written into `dir`; returns its path.
Result<std::string> write_fd_report(const std::string& dir, const Json& result);

// index.html over everything in the store; returns its path.
Result<std::string> write_store_index(const std::string& store);

// What `faultline report PATH` makes of a path: a run's, a sweep's or a
// scenario group's page, or the index of a store. Returns the page written.
Result<std::string> write_report(const std::string& path);

}  // namespace faultline::report
