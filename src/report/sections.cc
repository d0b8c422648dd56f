#include "report/sections.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <set>

#include "report/diagram.h"
#include "report/html.h"

namespace faultline::report {

namespace {

// Reads of results.json that tolerate a field of another shape (an older
// store, a harness run): the page says less rather than fail.
const Json& field(const Json& object, const char* key) {
    static const Json kNull;
    if (!object.is_object()) return kNull;
    auto found = object.find(key);
    return found == object.end() ? kNull : *found;
}

template <class T>
T number_of(const Json& object, const char* key, T fallback = T{}) {
    const Json& value = field(object, key);
    return value.is_number() ? value.get<T>() : fallback;
}

std::string text_of(const Json& object, const char* key) {
    const Json& value = field(object, key);
    return value.is_string() ? value.get<std::string>() : std::string();
}

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

std::string card(const std::string& label, const std::string& value) {
    return fmt::format("<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>",
                       escape(label), value);
}

// Latency quantiles of the operations that completed ok.
std::vector<std::pair<std::string, Nanos>> latency_quantiles(const RunData& run) {
    std::vector<Nanos> latencies;
    for (const ClientOp& op : run.ops) {
        if (op.outcome == check::OpType::ok) latencies.push_back(op.completed - op.invoked);
    }
    std::vector<std::pair<std::string, Nanos>> quantiles;
    if (latencies.empty()) return quantiles;
    std::sort(latencies.begin(), latencies.end());
    for (const auto& [name, q] :
         std::vector<std::pair<std::string, double>>{{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}}) {
        quantiles.emplace_back(name,
                               latencies[static_cast<std::size_t>(q * static_cast<double>(latencies.size() - 1))]);
    }
    quantiles.emplace_back("max", latencies.back());
    return quantiles;
}

const Json* check_named(const RunData& run, const std::string& name) {
    for (const Json& check : field(run.results, "checks")) {
        if (text_of(check, "name") == name) return &check;
    }
    return nullptr;
}

// "read of key 3 returned 1", "write 2 to key 3", "cas 1->2 on key 3".
std::string op_in_words(const Json& op, const std::string& key) {
    const std::string f = text_of(op, "f");
    const std::string description = text_of(op, "description");
    const Json& value = field(op, "value");
    const std::string on_key = key.empty() ? "" : " of key " + key;
    if (f == "read") return fmt::format("read{} returned {}", on_key, value.is_null() ? "nil" : value.dump());
    if (f == "write") return fmt::format("write {}{}", value.dump(), key.empty() ? "" : " to key " + key);
    return description + (key.empty() ? "" : " on key " + key);
}

std::string op_times(const Json& op) {
    const Nanos invoked = number_of<Nanos>(op, "invoke_time");
    if (!field(op, "complete_time").is_number())
        return fmt::format("invoked at {}, never completed", run_time(invoked));
    return fmt::format("{} to {}", run_time(invoked), run_time(number_of<Nanos>(op, "complete_time")));
}

std::string linearizability_section(const RunData& run, const Json& check) {
    const Json& details = field(check, "details");
    const Json& counterexample = field(details, "counterexample");
    std::string out = "<h3>linearizability</h3>\n";
    if (counterexample.is_object()) {
        out += "<div class=\"explain\">" + escape(explain_counterexample(counterexample)) + "</div>\n";
        out += counterexample_timeline(counterexample);
    }
    const Json& in_the_run = field(details, "in_the_run");
    if (in_the_run.is_array() && !in_the_run.empty()) {
        out += "<p><b>In the run:</b></p><ul>";
        for (const Json& line : in_the_run) {
            if (line.is_string()) out += "<li>" + escape(line.get<std::string>()) + "</li>";
        }
        out += "</ul>\n";
    }
    out += "<details><summary>The checker's whole account</summary><pre>" + escape(text_of(check, "summary")) +
           "</pre></details>\n";
    (void)run;
    return out;
}

// What each named node was doing at `at`, from the roles timeline.
std::string role_of(const RunData& run, const std::string& node, Nanos at) {
    std::string role;
    Nanos since = 0;
    for (const Json& change : field(run.results, "roles")) {
        if (number_of<Nanos>(change, "t") > at) break;
        if (text_of(change, "node") != node) continue;
        role = text_of(change, "role");
        if (role != "down") role += fmt::format(" of term {}", number_of<std::int64_t>(change, "term"));
        since = number_of<Nanos>(change, "t");
    }
    return role.empty() ? "" : fmt::format("{} since {}", role, run_time(since));
}

// The step at which an invariant broke: what the simulator did at that instant.
std::string step_at(const RunData& run, Nanos at) {
    for (const Arrow& arrow : run.arrows) {
        if (arrow.ended == at && !(arrow.flags & (Arrow::dropped | Arrow::in_flight))) {
            return fmt::format("{} received {} from {} (sent at {})", run.lanes[arrow.to].name,
                               run.message_types[arrow.type], run.lanes[arrow.from].name, run_time(arrow.sent));
        }
    }
    for (const LaneSpan& span : run.lane_spans) {
        if (span.from == at || span.to == at) return fmt::format("{} {}", run.lanes[span.lane].name, span.state);
    }
    for (const FaultMark& mark : run.fault_marks) {
        if (mark.time == at) return mark.text;
    }
    return run.has_trace ? "a timer firing (no message was delivered at that instant)" : "";
}

std::string invariant_section(const RunData& run, const Json& check) {
    const std::string name = text_of(check, "name");
    std::string out = "<h3>" + escape(name) + "</h3>\n";
    const Nanos at = number_of<Nanos>(check, "failed_at_ns", -1);
    std::vector<std::string> nodes;
    for (const Json& node : field(field(check, "details"), "nodes")) {
        if (node.is_string()) nodes.push_back(node.get<std::string>());
    }
    std::string words = fmt::format("The invariant {} broke", name);
    if (at >= 0) words += " at " + run_time(at);
    if (nodes.size() == 1) words += " at " + nodes.front();
    if (nodes.size() > 1) words += fmt::format(", between {}", fmt::join(nodes, " and "));
    words += ": " + text_of(check, "summary") + ".";
    out += "<div class=\"explain\">" + escape(words) + "</div>\n<table class=\"grid\">";
    if (at >= 0) {
        const std::string step = step_at(run, at);
        out += fmt::format("<tr><th>the step</th><td>{}{}</td></tr>", run_time(at),
                           step.empty() ? "" : ": " + escape(step));
    }
    // The facts that conflict: what each node involved held itself to be.
    for (const std::string& node : nodes) {
        const std::string role = at >= 0 ? role_of(run, node, at) : "";
        out += fmt::format("<tr><th>{}</th><td>{}</td></tr>", escape(node),
                           role.empty() ? "(no role recorded)" : escape(role));
    }
    out += "</table>\n";
    return out;
}

// The transactions of a cycle as the checker names them, from its explanation
// ("a cycle of 2 transactions: T100 < T102 < T100"), in cycle order.
std::vector<std::string> cycle_names(const std::string& explanation) {
    std::vector<std::string> names;
    const auto colon = explanation.rfind(": ");
    if (colon == std::string::npos) return names;
    std::string rest = explanation.substr(colon + 2);
    for (std::size_t at = 0; at <= rest.size();) {
        const auto next = rest.find(" < ", at);
        names.push_back(rest.substr(at, next == std::string::npos ? std::string::npos : next - at));
        if (next == std::string::npos) break;
        at = next + 3;
    }
    return names;
}

std::string txn_report(const std::string& anomaly, const Json& report) {
    const std::string explanation = text_of(report, "explanation");
    std::string out = fmt::format("<h3>{}</h3><div class=\"explain\">{}</div>\n", escape(anomaly), escape(explanation));
    const Json& cycle = field(report, "cycle");
    if (cycle.is_array() && !cycle.empty()) {
        out += "<div class=\"side-by-side\"><div>" + cycle_chart(cycle, cycle_names(explanation)) + "</div><div><ol>";
        for (const Json& step : field(report, "steps")) {
            if (step.is_string()) out += "<li>" + escape(step.get<std::string>()) + "</li>";
        }
        out += "</ol></div></div>\n";
    }
    const Json& txns = field(report, "txns");
    if (txns.is_array() && !txns.empty()) {
        out += "<pre>";
        for (const Json& txn : txns) {
            if (txn.is_string()) out += escape(txn.get<std::string>()) + "\n";
        }
        out += "</pre>\n";
    }
    return out;
}

std::string txn_section(const Json& check) {
    std::string out = "<h3>" + escape(text_of(check, "name")) + "</h3>\n";
    const Json& anomalies = field(field(check, "details"), "anomalies");
    if (!anomalies.is_object() || anomalies.empty()) {
        return out + "<pre>" + escape(text_of(check, "summary")) + "</pre>\n";
    }
    // The first few of each kind in full; the rest a click away.
    constexpr std::size_t kShown = 2;
    for (const auto& [anomaly, reports] : anomalies.items()) {
        std::string more;
        for (std::size_t i = 0; i < reports.size(); ++i) (i < kShown ? out : more) += txn_report(anomaly, reports[i]);
        if (!more.empty()) {
            out += fmt::format("<details><summary>{} more {}</summary>{}</details>\n", reports.size() - kShown,
                               escape(anomaly), more);
        }
    }
    return out;
}

}  // namespace

std::string explain_counterexample(const Json& counterexample) {
    const Json& ops = field(counterexample, "ops");
    const Json& key_json = field(counterexample, "key");
    const std::string key = key_json.is_null() ? "" : key_json.dump();
    auto op_at = [&](const char* name) -> const Json* {
        const Json& position = field(counterexample, name);
        if (!position.is_number_integer() || !ops.is_array()) return nullptr;
        const auto index = position.get<std::size_t>();
        return index < ops.size() ? &ops[index] : nullptr;
    };
    const Json* bad = op_at("window_op");
    if (bad == nullptr) bad = op_at("op");
    if (bad == nullptr) return "The history cannot be linearized (see the checker's account below).";
    std::string words =
        fmt::format("The {} ({}, process {}, #{}) cannot be placed in any order.", op_in_words(*bad, key),
                    op_times(*bad), number_of<std::int64_t>(*bad, "process"), number_of<std::int64_t>(*bad, "index"));
    const std::string reason = text_of(counterexample, "reason");
    if (!reason.empty()) words += " " + reason + ".";
    const std::string state = text_of(counterexample, "window_start_state");
    if (const Json* before = op_at("window_start_after")) {
        words += fmt::format(" Before it began at {}, the {} had completed (at {}, process {}, #{})",
                             run_time(number_of<Nanos>(*bad, "invoke_time")), op_in_words(*before, key),
                             run_time(number_of<Nanos>(*before, "complete_time")),
                             number_of<std::int64_t>(*before, "process"), number_of<std::int64_t>(*before, "index"));
        if (!state.empty())
            words += fmt::format(", so {} held {} then", key.empty() ? "the object" : "key " + key, state);
        words += ".";
    } else if (!state.empty()) {
        words += fmt::format(" {} held {} when it began.", key.empty() ? "The object" : "Key " + key, state);
    }
    std::vector<std::string> others;
    for (const Json& member : field(counterexample, "window")) {
        const Json* op = member.is_number_integer() && member.get<std::size_t>() < ops.size()
                             ? &ops[member.get<std::size_t>()]
                             : nullptr;
        if (op != nullptr && op != bad) {
            others.push_back(
                fmt::format("{} (#{})", text_of(*op, "description"), number_of<std::int64_t>(*op, "index")));
        }
    }
    if (others.empty()) {
        words += " Nothing that could have taken effect in between accounts for what it saw";
    } else {
        words += fmt::format(
            " No order of it and the {} concurrent operation{} that could have taken effect in between "
            "({}) works",
            others.size(), others.size() == 1 ? "" : "s", fmt::join(others, ", "));
    }
    // The checker's own reason for the last, illegal step.
    std::string error;
    const Json& paths = field(counterexample, "window_paths");
    if (paths.is_array() && !paths.empty() && paths[0].is_array() && !paths[0].empty()) {
        error = text_of(paths[0].back(), "error");
    }
    words += error.empty() ? "." : ": " + error + ".";
    return words;
}

std::string counterexample_timeline(const Json& counterexample, int width) {
    const Json& ops = field(counterexample, "ops");
    if (!ops.is_array() || ops.empty()) return "";
    // The ops worth showing: the window, the failing op, the op before the
    // window, those left pending, and the tail of the longest linearization.
    std::map<std::size_t, int> step_of;  // op position -> its step in the linearization
    const Json& linearization = field(counterexample, "linearization");
    const Json& steps = field(linearization, "steps");
    int step = number_of<int>(linearization, "omitted_steps");
    std::set<std::size_t> shown;
    if (steps.is_array()) {
        const std::size_t from = steps.size() > 8 ? steps.size() - 8 : 0;
        for (std::size_t i = 0; i < steps.size(); ++i) {
            ++step;
            const Json& op = field(steps[i], "op");
            if (!op.is_number_integer()) continue;
            step_of[op.get<std::size_t>()] = step;
            if (i >= from) shown.insert(op.get<std::size_t>());
        }
    }
    std::set<std::size_t> window;
    for (const char* list : {"window", "pending"}) {
        for (const Json& member : field(counterexample, list)) {
            if (member.is_number_integer()) shown.insert(member.get<std::size_t>());
            if (member.is_number_integer() && std::string(list) == "window") window.insert(member.get<std::size_t>());
        }
    }
    std::optional<std::size_t> failing;
    for (const char* single : {"op", "window_op", "window_start_after", "previous_ok"}) {
        const Json& member = field(counterexample, single);
        if (!member.is_number_integer()) continue;
        shown.insert(member.get<std::size_t>());
        if (std::string(single) == "window_op" || (std::string(single) == "op" && !failing)) {
            failing = member.get<std::size_t>();
        }
    }
    std::erase_if(shown, [&](std::size_t position) { return position >= ops.size(); });
    if (shown.empty()) return "";
    // The time axis spans the window, the failing op and the op before them:
    // operations of unknown outcome can last far longer, and are cut at its edges.
    Nanos lo = INT64_MAX, hi = 0;
    std::set<std::size_t> core = window;
    for (const char* single : {"op", "window_op", "window_start_after"}) {
        const Json& member = field(counterexample, single);
        if (member.is_number_integer() && member.get<std::size_t>() < ops.size())
            core.insert(member.get<std::size_t>());
    }
    for (std::size_t position : core.empty() ? shown : core) {
        const Json& op = ops[position];
        lo = std::min(lo, number_of<Nanos>(op, "invoke_time"));
        hi = std::max(hi, number_of<Nanos>(op, "complete_time", number_of<Nanos>(op, "invoke_time")));
    }
    const Nanos pad = std::max<Nanos>((hi - lo) / 5, microseconds(100));
    lo -= pad;
    hi += pad;
    std::erase_if(shown, [&](std::size_t position) {
        const Json& op = ops[position];
        const Nanos invoked = number_of<Nanos>(op, "invoke_time");
        const Nanos done = number_of<Nanos>(op, "complete_time", hi);
        return done < lo || invoked > hi;
    });
    std::map<std::int64_t, int> rows;  // process -> row
    for (std::size_t position : shown) rows.emplace(number_of<std::int64_t>(ops[position], "process"), 0);
    int row = 0;
    for (auto& [process, index] : rows) index = row++;
    const double left = 90, right = 20, top = 34, row_height = 34;
    const double plot = width - left - right;
    const double span = static_cast<double>(std::max<Nanos>(hi - lo, 1));
    const auto x = [&](Nanos t) { return left + static_cast<double>(t - lo) / span * plot; };
    const int height = static_cast<int>(top + row_height * static_cast<double>(rows.size()) + 30);
    const std::string key = field(counterexample, "key").is_null() ? "" : field(counterexample, "key").dump();
    std::string out = fmt::format(
        "<svg class=\"chart\" id=\"counterexample-timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
        "height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"counterexample timeline\">\n",
        width, height);
    out += fmt::format(
        "<text class=\"title\" x=\"{}\" y=\"14\">Operations on {} (numbers: the order of the longest linearization; "
        "red: the operation no order can place)</text>\n",
        left, key.empty() ? "the object" : "key " + escape(key));
    for (const auto& [process, index] : rows) {
        const double y = top + row_height * index;
        out +=
            fmt::format("<text x=\"{}\" y=\"{:.0f}\" text-anchor=\"end\">process {}</text>", left - 8, y + 16, process);
        out += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.0f}\" y2=\"{:.0f}\" stroke=\"#eceff1\"/>\n", left,
                           width - right, y + row_height - 4, y + row_height - 4);
    }
    for (std::size_t position : shown) {
        const Json& op = ops[position];
        const double y = top + row_height * rows[number_of<std::int64_t>(op, "process")];
        const Nanos invoked = number_of<Nanos>(op, "invoke_time");
        const bool completed = field(op, "complete_time").is_number();
        const Nanos done = completed ? number_of<Nanos>(op, "complete_time") : hi;
        const std::string type = text_of(op, "type");
        const bool is_failing = failing && position == *failing;
        const bool unknown = type == "info" || type == "pending";
        const char* fill = is_failing ? "#ffcdd2" : step_of.contains(position) ? "#c8e6c9" : "#eceff1";
        const char* stroke = is_failing ? "#c62828" : window.contains(position) ? "#ef6c00" : "#78909c";
        const double x0 = x(std::max(invoked, lo)), x1 = std::max(x(std::min(done, hi)), x0 + 3);
        std::string label = text_of(op, "description");
        if (unknown) label += " (outcome unknown)";
        if (auto found = step_of.find(position); found != step_of.end())
            label = fmt::format("{}. {}", found->second, label);
        out += fmt::format(
            "<g class=\"op\"><title>#{} process {}: {} ({}, {})</title><rect x=\"{:.1f}\" y=\"{:.0f}\" "
            "width=\"{:.1f}\" height=\"22\" rx=\"3\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{}\"{}/>",
            number_of<std::int64_t>(op, "index"), number_of<std::int64_t>(op, "process"), escape(label), escape(type),
            escape(op_times(op)), x0, y + 2, x1 - x0, fill, stroke, is_failing ? 2.5 : 1.2,
            unknown ? " stroke-dasharray=\"4 3\"" : "");
        out += fmt::format("<text x=\"{:.1f}\" y=\"{:.0f}\" style=\"fill:#1d2126\">{}</text></g>\n", x0 + 4, y + 17,
                           escape(label));
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", left,
                       height - 6, run_time(lo), width - right, height - 6, run_time(hi));
    out += "</svg>\n";
    return out;
}

std::string cycle_chart(const Json& cycle, const std::vector<std::string>& names, int size) {
    // Transactions in cycle order on a ring; the checker's own names when given.
    std::vector<std::string> txns;
    std::map<std::string, std::string> name_of;
    for (std::size_t i = 0; i < cycle.size(); ++i) {
        const std::string from = field(cycle[i], "from").dump();
        if (std::find(txns.begin(), txns.end(), from) != txns.end()) continue;
        txns.push_back(from);
        name_of[from] = i < names.size() && !names[i].empty() ? names[i] : "T" + from;
    }
    const double center = size / 2.0, radius = size / 2.0 - 34;
    std::map<std::string, std::pair<double, double>> at;
    for (std::size_t i = 0; i < txns.size(); ++i) {
        const double angle =
            2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(txns.size()) - std::numbers::pi / 2;
        at[txns[i]] = {center + radius * std::cos(angle), center + radius * std::sin(angle)};
    }
    std::string out = fmt::format(
        "<svg class=\"chart cycle\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{0}\" "
        "viewBox=\"0 0 {0} {0}\" role=\"img\" aria-label=\"dependency cycle\">\n"
        "<defs><marker id=\"cycle-head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
        "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c62828\"/></marker></defs>\n",
        size);
    for (const Json& edge : cycle) {
        const auto from = at[field(edge, "from").dump()];
        const auto to = at.contains(field(edge, "to").dump()) ? at[field(edge, "to").dump()] : from;
        const double dx = to.first - from.first, dy = to.second - from.second;
        const double length = std::max(1.0, std::hypot(dx, dy));
        // Bent to its left, so that two edges between the same pair both show.
        const double bend = 0.18 * length;
        const double cx = (from.first + to.first) / 2 + dy / length * bend;
        const double cy = (from.second + to.second) / 2 - dx / length * bend;
        const double shorten = 20 / length;
        out += fmt::format(
            "<path d=\"M{:.1f},{:.1f} Q{:.1f},{:.1f} {:.1f},{:.1f}\" fill=\"none\" stroke=\"#c62828\" "
            "stroke-width=\"1.6\" marker-end=\"url(#cycle-head)\"/><text x=\"{:.1f}\" y=\"{:.1f}\" "
            "style=\"fill:#c62828\">{}</text>\n",
            from.first + dx * shorten, from.second + dy * shorten, cx, cy, to.first - dx * shorten,
            to.second - dy * shorten, cx + 3, cy, escape(text_of(edge, "type")));
    }
    for (const auto& [id, point] : at) {
        out += fmt::format(
            "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"19\" fill=\"#fff\" stroke=\"#37474f\"/><text x=\"{:.1f}\" "
            "y=\"{:.1f}\" text-anchor=\"middle\" style=\"fill:#1d2126\">{}</text>\n",
            point.first, point.second, point.first, point.second + 4, escape(name_of[id]));
    }
    out += "</svg>\n";
    return out;
}

std::string summary_section(const RunData& run) {
    const Json& config = run.config;
    const Json& results = run.results;
    std::string out = "<h2 id=\"summary\">Summary</h2>\n<div class=\"cards\">";
    out += card("verdict", verdict_badge(text_of(results, "verdict")));
    const int clients = number_of<int>(config, "clients");
    out +=
        card("system", escape(fmt::format("{}, {} nodes{}", text_of(config, "system"), number_of<int>(config, "nodes"),
                                          clients > 0 ? fmt::format(", {} clients", clients) : "")));
    out += card("seed", escape(std::to_string(number_of<std::uint64_t>(config, "seed"))));
    const Json& ops = field(results, "ops");
    out +=
        card("operations",
             fmt::format("{} <span class=\"muted\" style=\"font-size:12px\">ok {} · fail {} · info "
                         "{}</span>",
                         grouped(number_of<std::int64_t>(ops, "invoked")), grouped(number_of<std::int64_t>(ops, "ok")),
                         grouped(number_of<std::int64_t>(ops, "fail")), grouped(number_of<std::int64_t>(ops, "info"))));
    out += card(run.real ? "wall clock" : "simulated", escape(human_duration(run.end)));
    if (const Json* availability = check_named(run, "availability")) {
        const Json& details = field(*availability, "details");
        if (field(details, "fraction").is_number()) {
            out += card("availability after healing",
                        fmt::format("{:.1f}%", 100 * number_of<double>(details, "fraction")));
        }
    }
    out += "</div>\n";
    const std::string bug = text_of(config, "bug");
    out += "<p><b>Run it again:</b></p><pre id=\"repro\">" + escape(run.repro) + "</pre>\n";
    if (!bug.empty()) out += "<p>A deliberately broken variant: <code>--bug " + escape(bug) + "</code>.</p>\n";

    out +=
        "<h3>Checks</h3><table class=\"grid\" id=\"checks\"><tr><th>check</th><th>verdict</th><th>what it "
        "found</th></tr>\n";
    for (const Json& check : field(results, "checks")) {
        out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", escape(text_of(check, "name")),
                           verdict_badge(text_of(check, "verdict")), escape(first_line(text_of(check, "summary"))));
    }
    out += "</table>\n";

    out += "<div class=\"side-by-side\"><div><h3>Latency of ok operations</h3><table class=\"grid\">";
    const auto quantiles = latency_quantiles(run);
    if (quantiles.empty()) out += "<tr><td class=\"muted\">no operation completed ok</td></tr>";
    for (const auto& [name, value] : quantiles) {
        out += fmt::format("<tr><th>{}</th><td class=\"num\">{}</td></tr>", name, human_duration(value));
    }
    out += "</table></div>\n";
    if (run.real) {
        // The proxy forwards bytes: no message is counted, but a partition's
        // refused connections show the cut was real.
        out += "<div><h3>Network</h3><table class=\"grid\">";
        const Json& proxy = field(results, "proxy");
        if (field(proxy, "refused").is_number()) {
            out += fmt::format("<tr><th>connections the proxy refused</th><td class=\"num\">{}</td></tr>",
                               grouped(number_of<std::int64_t>(proxy, "refused")));
        }
        out += "<tr><th>messages</th><td class=\"muted\">not recorded in a real run</td></tr></table></div></div>\n";
    } else {
        out += "<div><h3>Messages</h3><table class=\"grid\">";
        const Json& messages = field(results, "messages");
        const double invoked = std::max<double>(1, number_of<double>(ops, "invoked"));
        for (const char* name : {"sent", "delivered", "dropped", "duplicated", "tampered"}) {
            if (!field(messages, name).is_number()) continue;
            out += fmt::format("<tr><th>{}</th><td class=\"num\">{}</td></tr>", name,
                               grouped(number_of<std::int64_t>(messages, name)));
        }
        if (number_of<double>(ops, "invoked") > 0) {
            out += fmt::format("<tr><th>messages per operation</th><td class=\"num\">{:.1f}</td></tr>",
                               number_of<double>(messages, "sent") / invoked);
            if (field(messages, "bytes_sent").is_number()) {
                out += fmt::format("<tr><th>bytes per operation</th><td class=\"num\">{:.0f}</td></tr>",
                                   number_of<double>(messages, "bytes_sent") / invoked);
            }
        }
        out += "</table></div></div>\n";
    }

    const std::vector<FaultBand> bands = fault_bands(run);
    out += fmt::format("<h3>Faults injected</h3>\n");
    if (bands.empty()) {
        out += "<p class=\"muted\">None.</p>\n";
    } else {
        if (bands.size() > 6) {
            out += fmt::format("<details><summary>{} faults, from {} to {}</summary>", bands.size(),
                               run_time(bands.front().from), run_time(bands.back().to));
        }
        out += "<table class=\"grid\" id=\"faults\"><tr><th>from</th><th>to</th><th>fault</th></tr>\n";
        for (const FaultBand& band : bands) {
            out += fmt::format("<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                               run_time(band.from), run_time(band.to), escape(band.label));
        }
        out += "</table>\n";
        if (bands.size() > 6) out += "</details>\n";
    }
    const Json& log = field(results, "nemesis_log");
    if (log.is_array() && !log.empty()) {
        out += "<details><summary>What the nemesis did, in order</summary><pre>";
        for (const Json& line : log) {
            if (line.is_string()) out += escape(line.get<std::string>()) + "\n";
        }
        out += "</pre></details>\n";
    }
    const std::string stopped = text_of(results, "stopped_because");
    if (!stopped.empty()) out += "<p><b>The run stopped early:</b> " + escape(stopped) + "</p>\n";
    // What a real run saw that no check judges (a server that exited by itself).
    const Json& notes = field(results, "notes");
    if (notes.is_array() && !notes.empty()) {
        out += "<p><b>Notes:</b></p><ul id=\"notes\">";
        for (const Json& note : notes) {
            if (note.is_string()) out += "<li>" + escape(note.get<std::string>()) + "</li>";
        }
        out += "</ul>\n";
    }
    return out;
}

std::string anomaly_sections(const RunData& run) {
    std::string out;
    for (const Json& check : field(run.results, "checks")) {
        if (text_of(check, "verdict") != "invalid") continue;
        const std::string name = text_of(check, "name");
        const Json& details = field(check, "details");
        if (name == "linearizability") {
            out += linearizability_section(run, check);
        } else if (field(details, "anomalies").is_object()) {
            out += txn_section(check);
        } else if (field(details, "nodes").is_array() || field(check, "failed_at_ns").is_number()) {
            out += invariant_section(run, check);
        } else {
            out += "<h3>" + escape(name) + "</h3><pre>" + escape(text_of(check, "summary")) + "</pre>\n";
        }
    }
    return out;
}

std::vector<ScatterPoint> detector_points(const RunData& run, const std::string& label) {
    std::vector<ScatterPoint> points;
    const Json* accuracy = check_named(run, "accuracy");
    const Json* detection = check_named(run, "detection");
    if (accuracy == nullptr || detection == nullptr) return points;
    static const std::map<std::string, std::string> colours = {
        {"heartbeat", "#1565c0"}, {"ping", "#6a1b9a"}, {"phi", "#2e7d32"}};
    for (const Json& detector : field(field(*accuracy, "details"), "detectors")) {
        const std::string name = text_of(detector, "detector");
        double total = 0;
        int counted = 0;
        for (const Json& other : field(field(*detection, "details"), "detectors")) {
            if (text_of(other, "detector") != name) continue;
            for (const Json& time : field(other, "detection_ns")) {
                if (!time.is_number()) continue;
                total += time.get<double>() / 1e9;
                ++counted;
            }
        }
        if (counted == 0) continue;
        const auto colour = colours.find(name);
        points.push_back(ScatterPoint{number_of<double>(detector, "mistakes_per_hour"), total / counted,
                                      label.empty() ? name : label + " " + name,
                                      colour == colours.end() ? "#455a64" : colour->second, name});
    }
    return points;
}

std::vector<ScatterPoint> sync_error_points(const RunData& run) {
    std::vector<ScatterPoint> points;
    const Json* bound = check_named(run, "offset-bound");
    if (bound == nullptr) return points;
    for (const Json& sample : field(field(*bound, "details"), "series")) {
        if (!sample.is_array() || sample.size() != 3) continue;
        const double at = sample[0].get<double>() / 1e9;
        points.push_back(ScatterPoint{at, std::abs(sample[1].get<double>()) / 1e6, "", "#1565c0", "error"});
        points.push_back(ScatterPoint{at, sample[2].get<double>() / 1e6, "", "#c62828", "bound"});
    }
    return points;
}

}  // namespace faultline::report
