// The pages over several runs: a sweep's, a scenario group's, and the store's index.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "report/assets.h"
#include "report/charts.h"
#include "report/diagram.h"
#include "report/html.h"
#include "report/report.h"
#include "report/sections.h"
#include "runner/store.h"

namespace faultline::report {

namespace fs = std::filesystem;

namespace {

// A run directory named in a sweep's or scenario group's file: as written
// (relative to where the command ran), or found beside the page in the same
// store (<store>/<system>/<run>), so a store read from elsewhere still links up.
std::string locate_run(const fs::path& page_dir, const std::string& named) {
    std::error_code error;
    if (named.empty()) return "";
    if (fs::exists(fs::path(named) / "results.json", error)) return named;
    const fs::path path(named);
    const fs::path beside = page_dir / ".." / ".." / path.parent_path().filename() / path.filename();
    if (fs::exists(beside / "results.json", error)) return beside.lexically_normal().string();
    const fs::path within = page_dir / path;
    if (fs::exists(within / "results.json", error)) return within.lexically_normal().string();
    return "";
}

std::string link_to(const fs::path& from_dir, const std::string& run_dir, const std::string& text) {
    if (run_dir.empty()) return escape(text);
    std::error_code error;
    const fs::path report = fs::path(run_dir) / "report.html";
    const fs::path target = fs::exists(report, error) ? report : fs::path(run_dir);
    const fs::path relative = fs::relative(target, from_dir, error);
    return fmt::format("<a href=\"{}\">{}</a>", escape(error ? target.string() : relative.string()), escape(text));
}

Result<std::string> write_beside(const fs::path& dir, const char* name, const std::string& html) {
    const std::string path = (dir / name).string();
    std::string error;
    if (!write_page(path, html, error)) return make_error(ErrorCode::io_error, error);
    return path;
}

const char* colour_of(const std::string& verdict) {
    return verdict == "valid" ? "#2e7d32" : verdict == "invalid" ? "#c62828" : "#6d4c41";
}

}  // namespace

Result<std::string> write_sweep_report(const std::string& sweep_dir) {
    const fs::path dir(sweep_dir);
    auto sweep = runner::read_json_file((dir / "sweep.json").string());
    if (!sweep) return sweep.error();
    const Json& json = *sweep;
    const std::string command = json.value("command", "");
    std::string body = "<h2 id=\"summary\">Summary</h2><div class=\"cards\">";
    const auto runs = json.value("runs", std::int64_t{0});
    const auto valid = json.value("valid", std::int64_t{0});
    const Json& failures = json.contains("failures") ? json["failures"] : Json::array();
    body += fmt::format(
        "<div class=\"card\"><div class=\"label\">seeds</div><div class=\"value\">{}</div></div>"
        "<div class=\"card\"><div class=\"label\">runs</div><div class=\"value\">{}</div></div>"
        "<div class=\"card\"><div class=\"label\">valid</div><div class=\"value\">{}</div></div>"
        "<div class=\"card\"><div class=\"label\">failed</div><div class=\"value\">{}</div></div>",
        escape(json.value("seeds", "")), grouped(runs), grouped(valid), grouped(runs - valid));
    body += "</div>\n<p><b>The sweep:</b></p><pre>" + escape(command) + "</pre>\n";
    // An interrupted sweep counts only the seeds it ran: say so, and which.
    if (json.contains("interrupted") && json["interrupted"] == true) {
        const std::string because = json.contains("stopped_because") && json["stopped_because"].is_string()
                                        ? json["stopped_because"].get<std::string>()
                                        : "not every seed ran";
        body += "<p id=\"interrupted\"><b>Interrupted:</b> " + escape(because) + ".</p>\n";
    }
    // A merge of shards (faultline merge) says what did not add up: seeds no
    // shard ran are not among the valid ones.
    if (json.contains("merge") && json["merge"].is_object()) {
        const Json& merge = json["merge"];
        body += fmt::format("<p id=\"merge\">Merged from {} shard summaries of {} shards.",
                            merge.value("shards_given", 0), merge.value("shard_count", 0));
        const auto missing_seeds = merge.value("missing_seeds", std::uint64_t{0});
        if (missing_seeds > 0) {
            body += fmt::format(" <b>{} seeds no shard ran</b> (not counted as passing): {}.",
                                grouped(static_cast<std::int64_t>(missing_seeds)), escape(merge.value("missing", "")));
        }
        for (const Json& shard : merge.value("interrupted_shards", Json::array())) {
            if (!shard.is_object()) continue;
            body += fmt::format(" <b>Shard {} was interrupted</b> after {} seeds ({}).", shard.value("shard", 0),
                                shard.value("runs", 0), escape(shard.value("seeds_run", "")));
        }
        const auto duplicated_seeds = merge.value("duplicated_seeds", std::uint64_t{0});
        if (duplicated_seeds > 0) {
            body += fmt::format(" {} seeds ran in more than one shard (counted once): {}.",
                                grouped(static_cast<std::int64_t>(duplicated_seeds)),
                                escape(merge.value("duplicated", "")));
        }
        body += "</p>\n";
    }

    // Failures by check.
    std::map<std::string, int> by_check;
    for (const Json& failure : failures) {
        for (const Json& check : failure.value("checks", Json::array())) by_check[check.get<std::string>()]++;
    }
    body += "<h2 id=\"by-check\">Failures by check</h2>";
    if (by_check.empty()) {
        body += "<p class=\"muted\">No seed failed.</p>\n";
    } else {
        body += "<table class=\"grid\"><tr><th>check</th><th>failing seeds</th></tr>";
        for (const auto& [check, count] : by_check) {
            body += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td></tr>", escape(check), count);
        }
        body += "</table>\n";
    }

    // How hard the faults hit the seeds that failed, against those that passed.
    const Json& seeds = json.contains("seeds_run") ? json["seeds_run"] : Json::array();
    if (!seeds.empty()) {
        double load_max = 0;
        double faults_max = 0;
        for (const Json& seed : seeds) {
            load_max = std::max(load_max, seed.value("fault_load", 0.0));
            faults_max = std::max(faults_max, seed.value("faults", 0.0));
        }
        constexpr int kBins = 12;
        const auto histogram = [&](const char* field, double top, const char* title, const char* axis) {
            const double width = top > 0 ? top / kBins : 1;
            std::vector<double> edges;
            for (int i = 0; i <= kBins; ++i) edges.push_back(width * i);
            std::vector<double> failed(kBins, 0), passed(kBins, 0);
            for (const Json& seed : seeds) {
                const int bin = std::min(kBins - 1, static_cast<int>(seed.value(field, 0.0) / width));
                (seed.value("verdict", "valid") == "valid" ? passed : failed)[bin] += 1;
            }
            return histogram_chart(
                title, axis, edges,
                {HistogramSeries{"failed", "#c62828", failed}, HistogramSeries{"passed", "#2e7d32", passed}});
        };
        body +=
            "<h2 id=\"intensity\">Fault intensity: failing seeds against passing ones</h2>"
            "<p class=\"muted\">Each seed draws its own fault intensity. The load is the faults' summed "
            "durations over the fault phase (overlapping faults add up).</p>\n<div class=\"side-by-side\" "
            "id=\"histograms\"><div>";
        body += histogram("fault_load", load_max, "Seeds by fault load", "fault load");
        body += "</div><div>";
        body += histogram("faults", faults_max, "Seeds by number of faults", "faults");
        body += "</div></div>\n";
        body +=
            "<details><summary>Every seed</summary><table class=\"grid\"><tr><th>seed</th><th>verdict</th>"
            "<th>faults</th><th>fault load</th></tr>";
        for (const Json& seed : seeds) {
            body += fmt::format(
                "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td "
                "class=\"num\">{:.2f}</td></tr>",
                seed.value("seed", std::uint64_t{0}), escape(seed.value("verdict", "")), seed.value("faults", 0),
                seed.value("fault_load", 0.0));
        }
        body += "</table></details>\n";
    }
    body += "<h2 id=\"failures\">Failing seeds</h2>";
    if (failures.empty()) {
        body += "<p class=\"muted\">None.</p>\n";
    } else {
        body +=
            "<table class=\"grid\" id=\"failing-seeds\"><tr><th>seed</th><th>verdict</th><th>failed</th>"
            "<th>run it again</th><th>cut it down</th><th></th></tr>\n";
    }
    for (const Json& failure : failures) {
        const std::string run_dir = locate_run(dir, failure.value("stored", ""));
        std::string checks;
        for (const Json& check : failure.value("checks", Json::array())) {
            checks += (checks.empty() ? "" : ", ") + check.get<std::string>();
        }
        const std::string stored = failure.value("stored", "");
        body += fmt::format(
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td><code class=\"repro\">{}</code></td>"
            "<td><code class=\"shrink\">{}</code></td><td>{}</td></tr>\n",
            failure.value("seed", std::uint64_t{0}), verdict_badge(failure.value("verdict", "invalid")), escape(checks),
            escape(failure.value("repro", "")),
            escape(stored.empty() ? "not stored: run it again, then faultline shrink store/latest"
                                  : "faultline shrink " + stored),
            run_dir.empty() ? "" : link_to(dir, run_dir, "report"));
    }
    if (!failures.empty()) body += "</table>\n";
    return write_beside(
        dir, "report.html",
        page(fmt::format("faultline sweep: {} seeds {}", json.value("system", ""), json.value("seeds", "")), body));
}

Result<std::string> write_scenario_report(const std::string& scenario_dir) {
    const fs::path dir(scenario_dir);
    auto file = runner::read_json_file((dir / "scenario.json").string());
    if (!file) return file.error();
    const Json& json = *file;
    struct Member {
        Json entry;
        std::optional<RunData> run;
    };
    std::vector<Member> members;
    for (const Json& entry : json.value("runs", Json::array())) {
        Member member{entry, std::nullopt};
        const std::string run_dir = locate_run(dir, entry.value("dir", ""));
        if (!run_dir.empty()) {
            if (auto run = load_run(run_dir, LoadOptions{.trace = false})) member.run = std::move(*run);
        }
        members.push_back(std::move(member));
    }
    // Every run is drawn over the same window: where the first failing one
    // fails, which is where the designs differ.
    std::optional<std::pair<Nanos, Nanos>> window;
    for (const Member& member : members) {
        if (member.run && member.run->anomaly && !window) window = member.run->anomaly;
    }
    // A long anomaly (an availability window) is shown from its beginning.
    if (window && window->second - window->first > seconds(2)) window->second = window->first + seconds(1);
    std::string body = fmt::format("<p>{}</p>\n", escape(json.value("description", "")));
    body += "<h2 id=\"summary\">The runs side by side</h2><div class=\"side-by-side\" id=\"runs\">";
    std::vector<ScatterPoint> detectors;
    std::string diagrams, latencies;
    int index = 0;
    for (Member& member : members) {
        const Json& entry = member.entry;
        const std::string name = entry.value("name", "");
        body += "<div class=\"run\"><h3>" + escape(name) + "</h3>";
        body += "<p class=\"muted\">" + escape(entry.value("description", "")) + "</p>";
        body += fmt::format("<p>expected {}, got {} {}</p>", verdict_badge(entry.value("expected", "")),
                            verdict_badge(entry.value("verdict", "")),
                            entry.value("as_expected", false) ? "(as the scenario teaches)" : "<b>(a surprise)</b>");
        if (!member.run) {
            body += "<p class=\"muted\">(its run is not in the store)</p></div>";
            continue;
        }
        RunData& run = *member.run;
        body += fmt::format("<p>seed {} · {}</p>", entry.value("seed", std::uint64_t{0}),
                            link_to(dir, run.dir, "the run's own report"));
        body += "<table class=\"grid\">";
        for (const Json& check : run.results.value("checks", Json::array())) {
            const std::string summary = check.value("summary", "");
            body +=
                fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape(check.value("name", "")),
                            verdict_badge(check.value("verdict", "")), escape(summary.substr(0, summary.find('\n'))));
        }
        body += "</table>";
        const std::string anomalies = anomaly_sections(run);
        if (!anomalies.empty()) body += "<details open><summary>What went wrong</summary>" + anomalies + "</details>";
        body += "</div>";
        latencies += "<div>" + latency_chart(run, 640, 220) + "</div>";
        // The diagram opens on the shared window (or, when no run failed, on
        // each run's start), and its data covers that with a margin to scroll into.
        const std::pair<Nanos, Nanos> opening =
            window ? std::pair(window->first - (window->second - window->first) - milliseconds(200),
                               window->second + (window->second - window->first) / 2 + milliseconds(100))
                   : std::pair<Nanos, Nanos>(0, seconds(1));
        const Nanos margin = std::max<Nanos>(seconds(2), (opening.second - opening.first) * 3);
        auto clipped =
            load_run(run.dir, LoadOptions{.clip = std::pair(opening.first - margin, opening.second + margin)});
        if (clipped && clipped->has_trace) {
            diagrams += "<div><h3>" + escape(name) + "</h3>" +
                        diagram_html(*clipped, DiagramOptions{.id = fmt::format("diagram-{}", index),
                                                              .sync = "runs",
                                                              .focus = window ? opening : focus_window(*clipped)}) +
                        "</div>";
        }
        for (ScatterPoint& point : detector_points(run, name.substr(name.rfind('/') + 1))) {
            detectors.push_back(std::move(point));
        }
        ++index;
    }
    body += "</div>\n";
    if (!diagrams.empty()) {
        body +=
            "<section id=\"spacetime\"><h2>Space-time diagrams, over the same window</h2><p class=\"muted\">They "
            "move and zoom together; each run's full diagram is on its own page.</p><div class=\"side-by-side\">" +
            diagrams + "</div></section>\n";
    }
    if (!latencies.empty()) {
        body += "<section id=\"latency\"><h2>Latency over time</h2><div class=\"side-by-side\">" + latencies +
                "</div></section>\n";
    }
    if (!detectors.empty()) {
        body +=
            "<section id=\"detectors\"><h2>The failure detectors' trade-off</h2><p class=\"muted\">Each detector of "
            "each "
            "run: how often it suspected a live node, against how long it took to suspect a crashed one. "
            "Lower left is better.</p>" +
            scatter_chart("Detection time against false suspicions", "false suspicions per hour",
                          "mean detection time (s)", detectors, 760, 360) +
            "</section>\n";
    }
    return write_beside(dir, "report.html",
                        page("faultline scenarios: " + json.value("group", std::string("")), body,
                             diagrams.empty() ? "" : kDiagramScript));
}

Result<std::string> write_store_index(const std::string& store) {
    const fs::path root(store);
    std::error_code error;
    struct Row {
        std::string dir, system, verdict, repro;
        std::uint64_t seed = 0;
    };
    std::vector<Row> runs;
    std::vector<std::pair<std::string, Json>> sweeps, groups;
    for (const auto& entry : fs::directory_iterator(root, error)) {
        if (!entry.is_directory() || entry.is_symlink()) continue;
        const std::string name = entry.path().filename().string();
        for (const auto& leaf : fs::directory_iterator(entry.path(), error)) {
            if (!leaf.is_directory()) continue;
            if (name == "sweeps" || name == "scenarios") {
                const char* file = name == "sweeps" ? "sweep.json" : "scenario.json";
                if (auto json = runner::read_json_file((leaf.path() / file).string())) {
                    (name == "sweeps" ? sweeps : groups).emplace_back(leaf.path().string(), std::move(*json));
                }
                continue;
            }
            auto results = runner::read_json_file((leaf.path() / "results.json").string());
            auto config = runner::read_json_file((leaf.path() / "config.json").string());
            if (!results || !config) continue;
            // A real run (real processes, or etcd) is listed beside the simulated ones, marked as real.
            const bool real = is_real_run(*config);
            std::string system = config->value("system", name);
            if (real && system != "etcd") system += " (real)";
            runs.push_back(Row{leaf.path().string(), system, results->value("verdict", "unknown"),
                               repro_command(leaf.path().string(), *config), config->value("seed", std::uint64_t{0})});
        }
    }
    // Newest first: run directories start with their time.
    std::sort(runs.begin(), runs.end(),
              [](const Row& a, const Row& b) { return fs::path(a.dir).filename() > fs::path(b.dir).filename(); });
    std::string body = fmt::format("<p class=\"muted\">{} runs, {} sweeps, {} scenario groups in {}.</p>\n",
                                   runs.size(), sweeps.size(), groups.size(), escape(store));
    body +=
        "<h2 id=\"runs\">Runs</h2><table class=\"grid\" id=\"run-index\"><tr><th>run</th><th>system</th>"
        "<th>seed</th><th>verdict</th><th>repro</th></tr>\n";
    for (const Row& row : runs) {
        body += fmt::format(
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td><code>{}</code></td>"
            "</tr>\n",
            link_to(root, row.dir, fs::relative(row.dir, root, error).string()), escape(row.system), row.seed,
            verdict_badge(row.verdict), escape(row.repro));
    }
    body += "</table>\n<h2 id=\"sweeps\">Sweeps</h2>";
    if (sweeps.empty()) body += "<p class=\"muted\">None.</p>";
    for (const auto& [dir, json] : sweeps) {
        const std::string page_path = (fs::path(dir) / "report.html").string();
        const std::string link = fs::exists(page_path, error) ? fs::relative(page_path, root, error).string()
                                                              : fs::relative(dir, root).string();
        body += fmt::format("<p><a href=\"{}\">{}</a>: {} runs, {} failed <code>{}</code></p>\n", escape(link),
                            escape(fs::relative(dir, root, error).string()), json.value("runs", 0),
                            json.value("runs", 0) - json.value("valid", 0), escape(json.value("command", "")));
    }
    body += "<h2 id=\"scenarios\">Scenario groups</h2>";
    if (groups.empty()) body += "<p class=\"muted\">None.</p>";
    for (const auto& [dir, json] : groups) {
        const std::string page_path = (fs::path(dir) / "report.html").string();
        std::string verdicts;
        for (const Json& run : json.value("runs", Json::array())) {
            verdicts += fmt::format(" {} <span style=\"color:{}\">{}</span>", escape(run.value("name", "")),
                                    colour_of(run.value("verdict", "")), escape(run.value("verdict", "")));
        }
        body += fmt::format(
            "<p><a href=\"{}\">{}</a>:{}</p>\n",
            escape(
                fs::relative(fs::exists(page_path, error) ? fs::path(page_path) : fs::path(dir), root, error).string()),
            escape(json.value("group", "")), verdicts);
    }
    return write_beside(root, "index.html", page("faultline store: " + store, body));
}

}  // namespace faultline::report
