// The page of one run, and `faultline report PATH`'s choice of page.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "report/assets.h"
#include "report/charts.h"
#include "report/diagram.h"
#include "report/html.h"
#include "report/report.h"
#include "report/sections.h"

namespace faultline::report {

namespace fs = std::filesystem;

namespace {

std::string diagram_legend() {
    return "<p class=\"legend\"><span><i style=\"background:#455a64\"></i>message (colour by type)</span>"
           "<span><i style=\"background:#d32f2f\"></i>dropped ×</span>"
           "<span><i style=\"background:#7b1fa2\"></i>duplicate (dashed)</span>"
           "<span><i style=\"background:#ff6f00\"></i>tampered !</span>"
           "<span><i style=\"background:rgba(198,40,40,0.25)\"></i>fault on a node</span>"
           "<span><i style=\"background:rgba(239,108,0,0.25)\"></i>fault on the network</span>"
           "<span><i style=\"background:#1565c0\"></i>leader</span>"
           "<span><i style=\"background:#f9a825\"></i>candidate</span>"
           "<span><i style=\"background:rgba(55,71,79,0.4)\"></i>crashed / paused</span>"
           "<span><i style=\"background:rgba(46,125,50,0.5)\"></i>operation ok</span>"
           "<span><i style=\"background:rgba(198,40,40,0.5)\"></i>fail</span>"
           "<span><i style=\"background:rgba(239,108,0,0.5)\"></i>info</span></p>\n";
}

// Links to the files of the run, relative to its page.
std::string files_section(const RunData& run) {
    std::string out = "<h2 id=\"files\">Files of this run</h2><p>";
    for (const char* name :
         {"config.json", "results.json", "history.jsonl", "trace.bin.zst", "trace.jsonl", "trace.jsonl.zst"}) {
        std::error_code error;
        if (fs::exists(fs::path(run.dir) / name, error)) out += fmt::format("<a href=\"{0}\">{0}</a> &nbsp; ", name);
    }
    std::error_code error;
    if (fs::is_directory(fs::path(run.dir) / "node-logs", error)) out += "<a href=\"node-logs/\">node-logs/</a>";
    out += "</p>\n";
    if (!run.real) return out;
    // A real run's nodes are processes: each wrote its own log, and keeps its data directory.
    std::vector<std::string> logs;
    for (const auto& entry : fs::directory_iterator(fs::path(run.dir) / "node-logs", error)) {
        if (entry.is_regular_file()) logs.push_back(entry.path().filename().string());
    }
    std::sort(logs.begin(), logs.end());
    out += fmt::format("<p id=\"node-logs\">Each node's log (its process's output) is in <code>{}</code>:",
                       escape((fs::path(run.dir) / "node-logs").string()));
    for (const std::string& log : logs) out += fmt::format(" <a href=\"node-logs/{0}\">{0}</a>", escape(log));
    if (logs.empty()) out += " <span class=\"muted\">none written</span>";
    out += ".";
    if (fs::is_directory(fs::path(run.dir) / "data", error)) {
        out += " Its data directory is in <code>" + escape((fs::path(run.dir) / "data").string()) + "</code>.";
    }
    out += "</p>\n";
    return out;
}

// A real run's faults and what its page cannot show: it has no trace.
std::string nemesis_section(const RunData& run) {
    std::string out = "<section id=\"nemesis\"><h2>Nemesis timeline</h2>\n";
    out += fmt::format(
        "<p class=\"muted\">What the nemesis did to the processes and the links between them, at wall-clock times "
        "from the start of the workload ({} faults). Hover a bar for what it did.</p>\n",
        fault_bands(run).size());
    out += "<div id=\"nemesis-plot\">" + nemesis_timeline_chart(run) + "</div>\n";
    out += "<p id=\"absent\"><b>Not in a real run:</b> " + escape(run.trace_note) + ".</p>\n</section>\n";
    return out;
}

}  // namespace

std::string run_page(const RunData& run) {
    const std::string title =
        fmt::format("faultline: {} seed {} — {}", run.config.value("system", "?"),
                    run.config.value("seed", std::uint64_t{0}), run.results.value("verdict", "unknown"));
    std::string body = "<nav class=\"toc\"><a href=\"#summary\">summary</a>";
    const std::string anomalies = anomaly_sections(run);
    if (!anomalies.empty()) body += "<a href=\"#counterexample\">what went wrong</a>";
    body += run.real ? "<a href=\"#nemesis\">nemesis timeline</a>" : "<a href=\"#spacetime\">space-time diagram</a>";
    body +=
        "<a href=\"#latency\">latency</a><a href=\"#throughput\">throughput</a><a href=\"#files\">files</a></nav>\n";
    body += summary_section(run);
    if (!anomalies.empty()) {
        body += "<section id=\"counterexample\"><h2>What went wrong</h2>\n" + anomalies + "</section>\n";
    }
    if (run.real) {
        body += nemesis_section(run);
    } else if (run.has_trace) {
        body += "<section id=\"spacetime\"><h2>Space-time diagram</h2>\n";
        body += fmt::format(
            "<p class=\"muted\">Every message of the run, from its sender's lane to its receiver's ({} in all). It "
            "opens on {}; scroll or drag to move, Ctrl+scroll or the buttons to zoom, hover for details. Client "
            "operations are bars on their client's lane.</p>\n",
            grouped(static_cast<std::int64_t>(run.arrows.size())),
            run.anomaly ? "the first anomaly (shaded red)" : "the start of the run");
        body += diagram_legend();
        body += diagram_html(run, DiagramOptions{.id = "diagram"});
        body += "</section>\n";
    } else {
        body += "<section id=\"spacetime\"><h2>Space-time diagram</h2>\n<p class=\"muted\">No diagram: " +
                escape(run.trace_note) + ".</p>\n</section>\n";
    }
    body += "<section id=\"latency\"><h2>Latency over time</h2>\n<div id=\"latency-plot\">" + latency_chart(run) +
            "</div></section>\n";
    body += "<section id=\"throughput\"><h2>Throughput over time</h2>\n<div id=\"throughput-plot\">" +
            throughput_chart(run) + "</div></section>\n";
    const std::vector<ScatterPoint> detectors = detector_points(run, "");
    if (!detectors.empty()) {
        body += "<section id=\"detectors\"><h2>Failure detectors</h2>\n" +
                scatter_chart("Detection time against false suspicions", "false suspicions per hour",
                              "mean detection time (s)", detectors) +
                "</section>\n";
    }
    const std::vector<ScatterPoint> sync = sync_error_points(run);
    if (!sync.empty()) {
        body +=
            "<section id=\"clock-sync\"><h2>Clock sync: offset error against its bound</h2>\n<p class=\"muted\">"
            "Each exchange's estimation error (blue) and half its round trip (red): Cristian's and NTP's "
            "estimates stay under the red line; asymmetric routes bring the blue up to it.</p>" +
            scatter_chart("Offset error over time", "time (s)", "milliseconds", sync) + "</section>\n";
    }
    body += files_section(run);
    return page(title, body, run.has_trace ? kDiagramScript : "");
}

Result<std::string> write_run_report(const std::string& run_dir) {
    auto run = load_run(run_dir);
    if (!run) return run.error();
    const std::string path = (fs::path(run_dir) / "report.html").string();
    std::string error;
    if (!write_page(path, run_page(*run), error)) return make_error(ErrorCode::io_error, error);
    return path;
}

Result<std::string> write_report(const std::string& path) {
    std::error_code error;
    const fs::path dir(path);
    if (!fs::is_directory(dir, error)) {
        return make_error(ErrorCode::not_found, fmt::format("{}: not a directory (a stored run, a sweep, a scenario "
                                                            "group or a store)",
                                                            path));
    }
    if (fs::exists(dir / "results.json", error)) return write_run_report(path);
    if (fs::exists(dir / "sweep.json", error)) return write_sweep_report(path);
    if (fs::exists(dir / "scenario.json", error)) return write_scenario_report(path);
    return write_store_index(path);
}

}  // namespace faultline::report
