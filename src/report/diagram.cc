#include "report/diagram.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "nemesis/schedule.h"
#include "report/html.h"

namespace faultline::report {

namespace {

void append_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
}

std::string base64(const std::string& bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16 |
                                static_cast<std::uint8_t>(bytes[i + 1]) << 8 | static_cast<std::uint8_t>(bytes[i + 2]);
        out += kAlphabet[n >> 18 & 63];
        out += kAlphabet[n >> 12 & 63];
        out += kAlphabet[n >> 6 & 63];
        out += kAlphabet[n & 63];
    }
    if (i < bytes.size()) {
        std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
        out += kAlphabet[n >> 18 & 63];
        out += kAlphabet[n >> 12 & 63];
        out += i + 1 < bytes.size() ? kAlphabet[n >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

// Sends in [from, to), counted by binary search over the arrows' send times.
std::size_t sends_between(const std::vector<Arrow>& arrows, Nanos from, Nanos to) {
    const auto first =
        std::lower_bound(arrows.begin(), arrows.end(), from, [](const Arrow& a, Nanos t) { return a.sent < t; });
    const auto last =
        std::lower_bound(arrows.begin(), arrows.end(), to, [](const Arrow& a, Nanos t) { return a.sent < t; });
    return static_cast<std::size_t>(last - first);
}

}  // namespace

namespace {

// What a real run's nemesis did (results.json `faults`: kind, nodes, at,
// healed, and for a partition the connections it refused, for a latency its
// delay), in a few words.
std::string real_fault_label(const Json& fault) {
    const std::string kind = fault.value("kind", "fault");
    std::vector<std::string> nodes;
    for (const Json& node : fault.value("nodes", Json::array())) {
        if (node.is_string()) nodes.push_back(node.get<std::string>());
    }
    const std::string named = fmt::format("{}", fmt::join(nodes, ", "));
    if (kind == "kill") return "kill -9 " + named + ", then restart";
    if (kind == "pause") return "pause (SIGSTOP) " + named;
    if (kind == "restart") return "graceful restart of " + named;
    if (kind == "partition") {
        std::string label = "partition: " + named + " cut off from the rest";
        if (fault.contains("refused") && fault["refused"].is_number_integer()) {
            label += fmt::format(" ({} connections refused)", fault["refused"].get<std::int64_t>());
        }
        return label;
    }
    if (kind == "latency") {
        return fmt::format("latency {} on every link", human_duration(fault.value("latency_ns", Nanos{0})));
    }
    return kind + (named.empty() ? "" : " " + named);
}

std::vector<FaultBand> real_fault_bands(const RunData& run) {
    std::vector<FaultBand> bands;
    const Json& faults = run.results.value("faults", Json::array());
    for (const Json& fault : faults) {
        if (!fault.is_object() || !fault.contains("at")) continue;
        FaultBand band;
        band.from = fault.value("at", Nanos{0});
        // A restart is an instant, and a fault the run never healed lasted to its end.
        band.to = std::max(fault.value("healed", run.end), band.from + milliseconds(1));
        band.label = real_fault_label(fault);
        if (fault.value("kind", "") != "latency") {
            for (const Json& node : fault.value("nodes", Json::array())) {
                const int lane = node.is_string() ? run.lane_of(node.get<std::string>()) : -1;
                if (lane >= 0) band.lanes.push_back(lane);
            }
        }
        bands.push_back(std::move(band));
    }
    return bands;
}

}  // namespace

std::vector<FaultBand> fault_bands(const RunData& run) {
    if (run.real) return real_fault_bands(run);
    std::vector<FaultBand> bands;
    const Json& json = run.results.value("schedule", Json::array());
    auto schedule = nemesis::Schedule::from_json(json, run.config.value("nodes", 0));
    if (!schedule) return bands;
    for (const nemesis::Fault& fault : schedule->faults) {
        FaultBand band;
        band.from = fault.start;
        // A clock step is an instant: drawn as a sliver.
        band.to = std::max(fault.end(), fault.start + milliseconds(1));
        band.label = fault.what();
        // Network-wide bursts hit every link: no lanes of their own.
        const bool network = fault.kind == nemesis::FaultKind::loss || fault.kind == nemesis::FaultKind::latency ||
                             fault.kind == nemesis::FaultKind::duplicate ||
                             fault.kind == nemesis::FaultKind::bandwidth || fault.kind == nemesis::FaultKind::tamper;
        if (!network) {
            for (int node : fault.nodes) {
                const int lane = run.lane_of(fmt::format("n{}", node));
                if (lane >= 0) band.lanes.push_back(lane);
            }
        }
        bands.push_back(std::move(band));
    }
    return bands;
}

std::pair<Nanos, Nanos> focus_window(const RunData& run) {
    const Nanos end = std::max<Nanos>(run.end, 1);
    if (!run.anomaly) {
        // The start: the first 200 messages, at least 100 ms.
        Nanos to = milliseconds(100);
        if (run.arrows.size() > 200) to = std::max(to, run.arrows[200].sent);
        return {0, std::min(end, std::max(to, run.arrows.empty() ? end : to))};
    }
    auto [first, failed] = *run.anomaly;
    // A long anomaly (an availability window) opens on its beginning, where
    // things start to go wrong.
    if (failed - first > seconds(2)) failed = first + seconds(1);
    const Nanos span = std::max<Nanos>(failed - first, milliseconds(50));
    Nanos from = first - span * 6 / 10;
    Nanos to = failed + span * 4 / 10;
    // Wide enough to show some traffic, narrow enough to draw each message.
    while (sends_between(run.arrows, from, to) < 60 && to - from < end) {
        const Nanos grow = (to - from) / 2;
        from -= grow;
        to += grow;
    }
    while (sends_between(run.arrows, from, to) > 3000 && to - from > milliseconds(2) && to - from > failed - first) {
        from = failed - (failed - from) / 2;
        to = failed + (to - failed) / 2;
    }
    return {from, to};
}

std::vector<std::int64_t> anomaly_op_indexes(const Json& results) {
    std::set<std::int64_t> indexes;
    if (!results.contains("checks") || !results["checks"].is_array()) return {};
    for (const Json& check : results["checks"]) {
        if (check.value("verdict", "") != "invalid" || !check.contains("details")) continue;
        const Json& details = check["details"];
        if (!details.is_object()) continue;
        if (details.contains("involved_ops") && details["involved_ops"].is_array()) {
            for (const Json& index : details["involved_ops"]) {
                if (index.is_number_integer()) indexes.insert(index.get<std::int64_t>());
            }
        }
        if (details.contains("counterexample")) {
            const Json& counterexample = details["counterexample"];
            const Json& ops = counterexample.value("ops", Json::array());
            for (const Json& member : counterexample.value("window", Json::array())) {
                const auto position = member.get<std::size_t>();
                if (position < ops.size()) indexes.insert(ops[position].value("index", std::int64_t{-1}));
            }
        }
    }
    return {indexes.begin(), indexes.end()};
}

Json diagram_data(const RunData& run, const std::pair<Nanos, Nanos>& focus) {
    Json lanes = Json::array();
    for (const Lane& lane : run.lanes) lanes.push_back(Json{{"name", lane.name}, {"server", lane.server}});

    std::string sent, duration, from, to, type, flags;
    Nanos previous = 0;
    for (const Arrow& arrow : run.arrows) {
        append_varint(sent, static_cast<std::uint64_t>(std::max<Nanos>(0, arrow.sent - previous)));
        previous = std::max(previous, arrow.sent);
        append_varint(duration, static_cast<std::uint64_t>(std::max<Nanos>(0, arrow.ended - arrow.sent)));
        append_varint(from, arrow.from);
        append_varint(to, arrow.to);
        append_varint(type, arrow.type);
        append_varint(flags, static_cast<std::uint64_t>(arrow.flags) | static_cast<std::uint64_t>(arrow.drop_reason)
                                                                           << 4);
    }
    Json bodies = Json::object();
    for (const auto& [index, body] : run.bodies) bodies[std::to_string(index)] = body;

    // Operations on their clients' lanes, by invocation time.
    const std::vector<std::int64_t> highlighted_indexes = anomaly_op_indexes(run.results);
    const std::set<std::int64_t> highlighted(highlighted_indexes.begin(), highlighted_indexes.end());
    std::string invoked, op_duration, op_lane, outcome;
    Json labels = Json::array();
    Json highlight = Json::array();
    std::size_t op_count = 0;
    previous = 0;
    for (const ClientOp& op : run.ops) {
        const int lane = run.lane_of_process(op.process);
        if (lane < 0) continue;
        if (highlighted.contains(op.invoke_index) || highlighted.contains(op.complete_index)) {
            highlight.push_back(op_count);
        }
        append_varint(invoked, static_cast<std::uint64_t>(std::max<Nanos>(0, op.invoked - previous)));
        previous = std::max(previous, op.invoked);
        append_varint(op_duration, static_cast<std::uint64_t>(std::max<Nanos>(0, op.completed - op.invoked)));
        append_varint(op_lane, static_cast<std::uint64_t>(lane));
        append_varint(outcome, static_cast<std::uint64_t>(op.outcome));
        labels.push_back(op.label);
        ++op_count;
    }

    Json faults = Json::array();
    int row = 0;
    for (const FaultBand& band : fault_bands(run)) {
        faults.push_back(
            Json{{"from", band.from}, {"to", band.to}, {"label", band.label}, {"lanes", band.lanes}, {"row", row}});
        row = (row + 1) % 3;
    }
    Json spans = Json::array();
    for (const LaneSpan& span : run.lane_spans)
        spans.push_back(Json::array({span.lane, span.from, span.to, span.state}));
    Json roles = Json::array();
    for (const Json& change : run.results.value("roles", Json::array())) {
        const int lane = run.lane_of(change.value("node", ""));
        if (lane < 0) continue;
        roles.push_back(
            Json::array({change.value("t", Nanos{0}), lane, change.value("role", ""), change.value("term", 0)}));
    }
    return Json{
        {"lanes", lanes},
        {"types", run.message_types},
        {"reasons", run.drop_reasons},
        {"end", run.end},
        {"arrows",
         {{"count", run.arrows.size()},
          {"sent", base64(sent)},
          {"duration", base64(duration)},
          {"from", base64(from)},
          {"to", base64(to)},
          {"type", base64(type)},
          {"flags", base64(flags)}}},
        {"bodies", bodies},
        {"ops",
         {{"count", op_count},
          {"invoked", base64(invoked)},
          {"duration", base64(op_duration)},
          {"lane", base64(op_lane)},
          {"outcome", base64(outcome)},
          {"labels", labels},
          {"highlight", highlight}}},
        {"faults", faults},
        {"spans", spans},
        {"roles", roles},
        {"focus", Json::array({focus.first, focus.second})},
        {"anomaly", run.anomaly ? Json::array({run.anomaly->first, run.anomaly->second}) : Json()},
    };
}

std::string diagram_html(const RunData& run, const DiagramOptions& options) {
    const std::pair<Nanos, Nanos> focus = options.focus ? *options.focus : focus_window(run);
    std::string out =
        fmt::format("<div class=\"diagram\" id=\"{0}\" data-source=\"{0}-data\"{1}></div>\n", escape(options.id),
                    options.sync.empty() ? "" : fmt::format(" data-sync=\"{}\"", escape(options.sync)));
    out += fmt::format("<script type=\"application/json\" id=\"{}-data\">", escape(options.id));
    out += script_json(diagram_data(run, focus));
    out += "</script>\n";
    return out;
}

}  // namespace faultline::report
