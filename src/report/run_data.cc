#include "report/run_data.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "report/trace_source.h"
#include "runner/store.h"

namespace faultline::report {

namespace fs = std::filesystem;

namespace {

Json json_of(simdjson::dom::element element) {
    return Json::parse(simdjson::minify(element), nullptr, false);
}

std::string short_json(const Json& value) {
    std::string text = value.is_null() ? "nil" : value.dump();
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return text;
}

// What an operation did, in a few words: "write 3 to k1", "read k1 = 4".
std::string op_label(const check::Operation& invoke, const check::Operation* completion) {
    const std::string key = invoke.key.is_null() ? "" : "k" + short_json(invoke.key);
    const bool ok = completion != nullptr && completion->type == check::OpType::ok;
    std::string label;
    if (invoke.f == "read") {
        label = key.empty() ? "read" : "read " + key;
        if (ok) label += " = " + short_json(completion->value);
    } else if (invoke.f == "write") {
        label = "write " + short_json(invoke.value) + (key.empty() ? "" : " to " + key);
    } else if (invoke.f == "cas" && invoke.value.is_array() && invoke.value.size() == 2) {
        label = fmt::format("cas {}{} -> {}", key.empty() ? "" : key + " ", short_json(invoke.value[0]),
                            short_json(invoke.value[1]));
    } else {
        label = invoke.f;
        if (!key.empty()) label += " " + key;
        const Json& shown = ok && !completion->value.is_null() ? completion->value : invoke.value;
        if (!shown.is_null()) label += " " + short_json(shown);
    }
    if (completion != nullptr && completion->type != check::OpType::ok) {
        label += fmt::format(" ({}{})", check::op_type_name(completion->type),
                             completion->error.is_null() ? "" : " " + short_json(completion->error));
    }
    return label;
}

// Pairs each invocation with its process's next completion.
std::vector<ClientOp> pair_ops(const check::History& history, Nanos end) {
    std::vector<ClientOp> ops;
    std::unordered_map<std::int64_t, std::size_t> open;  // process -> position in ops
    std::unordered_map<std::int64_t, const check::Operation*> invokes;
    for (const check::Operation& op : history) {
        if (op.type == check::OpType::invoke) {
            open[op.process] = ops.size();
            invokes[op.process] = &op;
            ops.push_back(ClientOp{op.index, -1, op.time, end, op.process, check::OpType::info, op_label(op, nullptr)});
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) continue;
        ClientOp& paired = ops[found->second];
        paired.complete_index = op.index;
        paired.completed = op.time;
        paired.outcome = op.type;
        paired.label = op_label(*invokes[op.process], &op);
        open.erase(found);
    }
    return ops;
}

// Reads one of the run's JSON files; a missing optional file is null.
Result<Json> read_json(const std::string& dir, const char* name, bool required) {
    const std::string path = (fs::path(dir) / name).string();
    std::error_code error;
    if (!required && !fs::exists(path, error)) return Json();
    return runner::read_json_file(path);
}

// Where bodies are kept: around the first anomaly, or at the start.
std::pair<Nanos, Nanos> body_window(const std::optional<std::pair<Nanos, Nanos>>& anomaly) {
    if (!anomaly) return {0, seconds(3)};
    return {anomaly->first - seconds(2), anomaly->second + seconds(1)};
}

// Builds lanes and arrows from the trace's events.
class TraceDigest {
  public:
    TraceDigest(RunData& run, const LoadOptions& options, bool keep_all_bodies)
        : run_(run), options_(options), keep_all_bodies_(keep_all_bodies), window_(body_window(run.anomaly)) {
        for (std::size_t i = 0; i < run_.lanes.size(); ++i) lane_index_[run_.lanes[i].name] = static_cast<int>(i);
    }

    void add(const TraceRecord& event) {
        switch (event.kind) {
            case sim::TraceKind::send: {
                Pending& pending = pending_[event.id];
                pending.sent = event.time;
                pending.from = lane(event.node);
                pending.to = lane(event.peer);
                pending.type = type(event.type);
                if (event.body && (keep_all_bodies_ || (event.time >= window_.first && event.time < window_.second)) &&
                    body_bytes_ < options_.body_bytes_max) {
                    std::string body = event.body();
                    body_bytes_ += body.size();
                    bodies_[event.id] = std::move(body);
                }
                break;
            }
            case sim::TraceKind::deliver:
            case sim::TraceKind::drop: {
                auto found = pending_.find(event.id);
                if (found == pending_.end()) break;
                Pending& pending = found->second;
                Arrow arrow{pending.sent, event.time, pending.from, pending.to, pending.type, 0, 0, event.id};
                if (pending.ended) arrow.flags |= Arrow::duplicate;
                pending.ended = true;
                if (event.kind == sim::TraceKind::drop) {
                    arrow.flags |= Arrow::dropped;
                    arrow.drop_reason = reason(event.reason);
                } else if (tampered_at_ == event.time && tampered_link_ == std::pair(pending.from, pending.to)) {
                    arrow.flags |= Arrow::tampered;
                    tampered_at_ = -1;
                }
                run_.arrows.push_back(arrow);
                break;
            }
            case sim::TraceKind::node_crash:
                open_span(event, "crashed");
                break;
            case sim::TraceKind::node_pause:
                open_span(event, "paused");
                break;
            case sim::TraceKind::node_restart:
            case sim::TraceKind::node_resume:
                close_span(lane(event.node), event.time);
                break;
            case sim::TraceKind::fault:
                note_fault(event);
                break;
            default:
                break;
        }
    }

    // Messages never delivered nor dropped, spans still open, and order.
    void finish() {
        for (const auto& [id, pending] : pending_) {
            if (!pending.ended) {
                run_.arrows.push_back(
                    Arrow{pending.sent, run_.end, pending.from, pending.to, pending.type, Arrow::in_flight, 0, id});
            }
        }
        for (auto& [lane_index, span] : open_spans_) {
            span.to = run_.end;
            run_.lane_spans.push_back(span);
        }
        std::sort(run_.arrows.begin(), run_.arrows.end(), [](const Arrow& a, const Arrow& b) {
            return std::tie(a.sent, a.message, a.ended) < std::tie(b.sent, b.message, b.ended);
        });
        std::sort(run_.lane_spans.begin(), run_.lane_spans.end(),
                  [](const LaneSpan& a, const LaneSpan& b) { return a.from < b.from; });
        if (options_.clip) {
            const auto [from, to] = *options_.clip;
            const auto outside = [&](const Arrow& arrow) { return arrow.ended < from || arrow.sent > to; };
            const auto kept = std::remove_if(run_.arrows.begin(), run_.arrows.end(), outside);
            run_.arrows_clipped = static_cast<std::uint64_t>(run_.arrows.end() - kept);
            run_.arrows.erase(kept, run_.arrows.end());
        }
        // A body goes with the first arrow of its message.
        for (std::size_t i = 0; i < run_.arrows.size(); ++i) {
            auto found = bodies_.find(run_.arrows[i].message);
            if (found == bodies_.end()) continue;
            run_.bodies[i] = std::move(found->second);
            bodies_.erase(found);
        }
    }

  private:
    struct Pending {
        Nanos sent = 0;
        std::uint16_t from = 0;
        std::uint16_t to = 0;
        std::uint16_t type = 0;
        bool ended = false;
    };

    std::uint16_t lane(std::string_view name) {
        auto found = lane_index_.find(name);
        if (found != lane_index_.end()) return static_cast<std::uint16_t>(found->second);
        run_.lanes.push_back(Lane{std::string(name), false});
        const int index = static_cast<int>(run_.lanes.size() - 1);
        lane_index_.emplace(std::string(name), index);
        return static_cast<std::uint16_t>(index);
    }

    std::uint16_t type(std::string_view name) {
        auto found = types_.find(name);
        if (found != types_.end()) return found->second;
        run_.message_types.emplace_back(name);
        const auto index = static_cast<std::uint16_t>(run_.message_types.size() - 1);
        types_.emplace(std::string(name), index);
        return index;
    }

    std::uint8_t reason(std::string_view name) {
        for (std::size_t i = 0; i < run_.drop_reasons.size(); ++i) {
            if (run_.drop_reasons[i] == name) return static_cast<std::uint8_t>(i);
        }
        run_.drop_reasons.emplace_back(name);
        return static_cast<std::uint8_t>(run_.drop_reasons.size() - 1);
    }

    void open_span(const TraceRecord& event, const char* state) {
        const std::uint16_t lane_index = lane(event.node);
        close_span(lane_index, event.time);
        open_spans_[lane_index] = LaneSpan{lane_index, event.time, event.time, state};
    }

    void close_span(std::uint16_t lane_index, Nanos at) {
        auto found = open_spans_.find(lane_index);
        if (found == open_spans_.end()) return;
        found->second.to = at;
        run_.lane_spans.push_back(found->second);
        open_spans_.erase(found);
    }

    // "tampered with append_entries from n1 to n3" comes just before that delivery.
    void note_fault(const TraceRecord& event) {
        run_.fault_marks.push_back(FaultMark{event.time, std::string(event.text)});
        constexpr std::string_view prefix = "tampered with ";
        if (!event.text.starts_with(prefix)) return;
        const auto from_at = event.text.rfind(" from ");
        const auto to_at = event.text.rfind(" to ");
        if (from_at == std::string_view::npos || to_at == std::string_view::npos || to_at < from_at) return;
        tampered_at_ = event.time;
        tampered_link_ = {lane(event.text.substr(from_at + 6, to_at - from_at - 6)),
                          lane(event.text.substr(to_at + 4))};
    }

    RunData& run_;
    const LoadOptions& options_;
    bool keep_all_bodies_;
    std::pair<Nanos, Nanos> window_;
    std::map<std::string, int, std::less<>> lane_index_;
    std::map<std::string, std::uint16_t, std::less<>> types_;
    std::unordered_map<std::uint64_t, Pending> pending_;
    std::unordered_map<std::uint64_t, std::string> bodies_;
    std::uint64_t body_bytes_ = 0;
    std::map<std::uint16_t, LaneSpan> open_spans_;
    Nanos tampered_at_ = -1;
    std::pair<std::uint16_t, std::uint16_t> tampered_link_;
};

// The lanes a run's config promises: its servers, then its clients.
std::vector<Lane> configured_lanes(const Json& config) {
    std::vector<Lane> lanes;
    const int nodes = config.value("nodes", 0);
    const int clients = config.value("clients", 0);
    for (int i = 0; i < nodes; ++i) lanes.push_back(Lane{fmt::format("n{}", i), true});
    for (int i = 0; i < clients; ++i) lanes.push_back(Lane{fmt::format("c{}", i), false});
    return lanes;
}

// The span [first invoked, last completed] of operations given by history index.
std::optional<std::pair<Nanos, Nanos>> span_of_ops(const Json& indexes, const check::History& history) {
    std::optional<std::pair<Nanos, Nanos>> span;
    if (!indexes.is_array()) return span;
    for (const Json& index : indexes) {
        if (!index.is_number_integer()) continue;
        const auto at = index.get<std::int64_t>();
        if (at < 0 || static_cast<std::size_t>(at) >= history.size()) continue;
        const check::Operation& op = history[static_cast<std::size_t>(at)];
        Nanos began = op.time;
        // A completion's operation began at its process's last invocation.
        for (std::size_t i = static_cast<std::size_t>(at); i-- > 0 && op.type != check::OpType::invoke;) {
            if (history[i].process == op.process && history[i].type == check::OpType::invoke) {
                began = history[i].time;
                break;
            }
        }
        if (!span) span = std::pair(began, op.time);
        span->first = std::min(span->first, began);
        span->second = std::max(span->second, op.time);
    }
    return span;
}

// A harness run (the user's node programs, docs/harness.md) keeps Maelstrom's
// results.json and no config.json: told here in a simulated run's terms. It
// ran in real time, so its command gives the same faults and operations again,
// not the same timings; and it records deliveries only, so it has no diagram.
void tell_harness_run(const Json& harness, RunData& run) {
    const Json config = harness.value("config", Json::object());
    const Json stats = harness.value("stats", Json::object());
    const Json net = harness.value("net", Json::object());
    const Json all = net.value("all", Json::object());
    std::string bin;
    const Json parts = harness.value("bin", Json::array());
    for (const Json& part : parts) {
        if (part.is_string()) bin += (bin.empty() ? "" : " ") + part.get<std::string>();
    }
    const std::string workload = harness.value("workload", "");
    run.config = Json{{"system", workload + " on " + bin},
                      {"seed", harness.value("seed", std::uint64_t{0})},
                      {"nodes", config.value("node_count", 0)},
                      {"clients", 0}};
    Json checks = Json::array();
    const Json harness_checks = harness.value("checks", Json::object());
    for (const auto& [name, check] : harness_checks.items()) {
        checks.push_back(Json{{"name", name},
                              {"verdict", check.value("valid", "unknown")},
                              {"summary", check.value("summary", "")},
                              {"details", check.value("details", Json())}});
    }
    run.results = Json{{"verdict", harness.value("valid", "unknown")},
                       {"checks", checks},
                       {"ops",
                        {{"invoked", stats.value("count", 0)},
                         {"ok", stats.value("ok_count", 0)},
                         {"fail", stats.value("fail_count", 0)},
                         {"info", stats.value("info_count", 0)}}},
                       {"messages",
                        {{"sent", all.value("send_count", 0)},
                         {"delivered", all.value("recv_count", 0)},
                         {"dropped", net.value("dropped", 0)}}},
                       {"simulated_ns", harness.value("duration_ns", Nanos{0})},
                       {"schedule", harness.value("schedule", Json::array())},
                       {"nemesis_log", harness.value("faults", Json::array())}};
    run.repro = fmt::format(
        "faultline test -w {} --bin {} --node-count {} --time-limit {}s --rate {} --nemesis {} --seed {}", workload,
        bin, config.value("node_count", 0), static_cast<double>(config.value("time_limit_ns", Nanos{0})) / 1e9,
        config.value("rate", 0.0), config.value("nemesis", "none"), harness.value("seed", std::uint64_t{0}));
    run.trace_note =
        "a run of node programs records the messages it delivers, not when each was sent "
        "(deliveries.jsonl)";
}

// A real run in a simulated run's terms (see run_data.h). It ran in real
// time: its command gives the same operations and fault schedule again, not
// the same timings. Its results count operations in their own words, so they
// are counted here from the history.
void tell_real_run(RunData& run) {
    run.real = true;
    run.lanes.clear();
    // Real nodes are named from n1 (realtime/real_test.cc, etcd/etcd_test.cc).
    for (int i = 1; i <= run.config.value("nodes", 0); ++i) run.lanes.push_back(Lane{fmt::format("n{}", i), true});
    const Json& stats = run.results.value("stats", Json::object());
    Nanos end = stats.value("wall_ns", Nanos{0});
    if (end == 0) end = static_cast<Nanos>(run.results.value("wall_seconds", 0.0) * 1e9);
    for (const check::Operation& op : run.history) end = std::max(end, op.time);
    run.end = end;
    std::int64_t invoked = 0, ok = 0, fail = 0, info = 0;
    for (const check::Operation& op : run.history) {
        invoked += op.type == check::OpType::invoke;
        ok += op.type == check::OpType::ok;
        fail += op.type == check::OpType::fail;
        info += op.type == check::OpType::info;
    }
    run.results["ops"] = Json{{"invoked", invoked}, {"ok", ok}, {"fail", fail}, {"info", info}};
    run.trace_note =
        "a real run has no message-level trace: the proxy between the nodes forwards their bytes without decoding "
        "them into messages, so there is no space-time diagram; the clients' operations are in history.jsonl and the "
        "faults, with their wall-clock times, in results.json";
}

}  // namespace

bool is_real_run(const Json& config) {
    return config.is_object() && (config.value("real", false) || config.value("system", "") == "etcd");
}

std::string repro_command(const std::string& dir, const Json& config) {
    if (is_real_run(config)) {
        const std::string command = config.value("command", "");
        if (!command.empty()) return command;
        // An etcd run stored before its config named its command.
        return fmt::format("faultline test --system {} --nodes {}{} --seed {}", config.value("system", "etcd"),
                           config.value("nodes", 3), config.value("serializable", false) ? " --etcd-serializable" : "",
                           config.value("seed", std::uint64_t{0}));
    }
    if (auto stored = runner::read_config(dir)) return stored->command_line();
    return fmt::format("faultline replay {}", dir);
}

int RunData::lane_of(const std::string& name) const {
    for (std::size_t i = 0; i < lanes.size(); ++i) {
        if (lanes[i].name == name) return static_cast<int>(i);
    }
    return -1;
}

int RunData::lane_of_process(std::int64_t process) const {
    // Client i runs processes i, i + clients, i + 2 clients, ... (runner/run.cc).
    const int clients = config.value("clients", 0);
    if (clients <= 0 || process < 0) return -1;
    return lane_of(fmt::format("c{}", process % clients));
}

std::optional<std::pair<Nanos, Nanos>> first_anomaly(const Json& results, const check::History& history) {
    std::optional<std::pair<Nanos, Nanos>> first;
    if (!results.contains("checks") || !results["checks"].is_array()) return first;
    for (const Json& check : results["checks"]) {
        if (check.value("verdict", "") != "invalid") continue;
        const Json& details = check.contains("details") ? check["details"] : Json();
        std::optional<std::pair<Nanos, Nanos>> span;
        if (details.is_object() && details.contains("counterexample")) {
            // The window of ops that cannot be ordered, and the op before it.
            const Json& counterexample = details["counterexample"];
            const Json& ops = counterexample.value("ops", Json::array());
            Json members = counterexample.value("window", Json::array());
            for (const char* single : {"op", "window_op", "window_start_after"}) {
                if (counterexample.contains(single) && counterexample[single].is_number_integer()) {
                    members.push_back(counterexample[single]);
                }
            }
            for (const Json& member : members) {
                const auto position = member.get<std::size_t>();
                if (position >= ops.size()) continue;
                const Json& op = ops[position];
                const Nanos began = op.value("invoke_time", Nanos{0});
                const Nanos ended = op.value("complete_time", began);
                if (!span) span = std::pair(began, ended);
                span->first = std::min(span->first, began);
                span->second = std::max(span->second, ended);
            }
        }
        if (!span && details.is_object() && details.contains("involved_ops")) {
            span = span_of_ops(details["involved_ops"], history);
        }
        if (check.contains("failed_at_ns") && check["failed_at_ns"].is_number_integer()) {
            const auto at = check["failed_at_ns"].get<Nanos>();
            if (!span) span = std::pair(at, at);
            span->second = std::max(span->second, at);
        }
        if (!span && details.is_object() && details.contains("window_start_ns")) {
            span = std::pair(details.value("window_start_ns", Nanos{0}), details.value("window_end_ns", Nanos{0}));
        }
        if (span && (!first || span->first < first->first)) first = span;
    }
    return first;
}

Result<check::History> read_history(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorCode::not_found, fmt::format("{}: cannot open", path));
    check::History history;
    simdjson::dom::parser parser;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) continue;
        simdjson::dom::object object;
        if (parser.parse(line).get(object) != simdjson::SUCCESS) {
            return make_error(ErrorCode::parse_error, fmt::format("{}:{}: not a JSON object", path, number));
        }
        check::Operation op;
        std::string_view type;
        std::int64_t value = 0;
        if (object["index"].get_int64().get(value) == simdjson::SUCCESS) op.index = value;
        if (object["time"].get_int64().get(value) == simdjson::SUCCESS) op.time = value;
        if (object["process"].get_int64().get(value) == simdjson::SUCCESS) op.process = value;
        if (object["type"].get_string().get(type) != simdjson::SUCCESS) {
            return make_error(ErrorCode::parse_error, fmt::format("{}:{}: no 'type'", path, number));
        }
        auto parsed = check::parse_op_type(type);
        if (!parsed)
            return make_error(ErrorCode::parse_error, fmt::format("{}:{}: {}", path, number, parsed.error().message));
        op.type = *parsed;
        std::string_view text;
        if (object["f"].get_string().get(text) == simdjson::SUCCESS) op.f = text;
        if (object["node"].get_string().get(text) == simdjson::SUCCESS) op.node = text;
        simdjson::dom::element field;
        if (object["key"].get(field) == simdjson::SUCCESS) op.key = json_of(field);
        if (object["value"].get(field) == simdjson::SUCCESS) op.value = json_of(field);
        if (object["error"].get(field) == simdjson::SUCCESS) op.error = json_of(field);
        history.push_back(std::move(op));
    }
    return history;
}

Result<RunData> load_run(const std::string& dir, const LoadOptions& options) {
    RunData run;
    run.dir = dir;
    auto results = read_json(dir, "results.json", true);
    if (!results) return results.error();
    std::error_code exists_error;
    if (!fs::exists(fs::path(dir) / "config.json", exists_error) && results->is_object() && results->contains("bin")) {
        tell_harness_run(*results, run);
    } else {
        auto config = read_json(dir, "config.json", true);
        if (!config) return config.error();
        run.config = std::move(*config);
        run.results = std::move(*results);
        run.repro = repro_command(dir, run.config);
    }
    run.end = run.results.value("simulated_ns", Nanos{0});
    const std::string history_path = (fs::path(dir) / "history.jsonl").string();
    std::error_code error;
    if (fs::exists(history_path, error)) {
        auto history = read_history(history_path);
        if (!history) return history.error();
        run.history = std::move(*history);
    }
    run.lanes = configured_lanes(run.config);
    if (is_real_run(run.config)) tell_real_run(run);
    run.ops = pair_ops(run.history, run.end);
    run.anomaly = first_anomaly(run.results, run.history);
    if (!options.trace) {
        if (!run.real) run.trace_note = "not read";
        return run;
    }
    if (!run.trace_note.empty()) return run;
    if (!trace_file(dir)) {
        run.trace_note = "this run was stored without its trace (--no-trace): `faultline replay --trace " + dir +
                         "` writes it, then `faultline report " + dir + "`";
        return run;
    }
    const Json& messages = run.results.value("messages", Json::object());
    const bool keep_all_bodies = messages.value("sent", std::uint64_t{0}) <= 20'000;
    TraceDigest digest(run, options, keep_all_bodies);
    if (auto status = for_each_trace_event(dir, [&](const TraceRecord& event) { digest.add(event); }); !status) {
        return status.error();
    }
    digest.finish();
    run.has_trace = true;
    return run;
}

}  // namespace faultline::report
