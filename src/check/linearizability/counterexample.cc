#include "check/linearizability/counterexample.h"

#include <fmt/format.h>

#include "check/models/value_table.h"

namespace faultline::check {

namespace {

Json op_to_json(const CounterexampleOp& op) {
    Json json;
    json["index"] = op.index;
    json["invoke_index"] = op.invoke_index;
    json["process"] = op.process;
    json["f"] = op.f;
    json["value"] = op.value;
    json["type"] = op.completed ? op_type_name(op.type) : "pending";
    json["invoke_time"] = op.invoke_time;
    if (op.completed) json["complete_time"] = op.complete_time;
    json["description"] = op.description;
    return json;
}

Json step_to_json(const CounterexampleStep& step) {
    Json json;
    json["op"] = step.op ? Json(*step.op) : Json(nullptr);
    if (step.error.empty()) {
        json["state"] = step.state;
    } else {
        json["error"] = step.error;
    }
    return json;
}

Json paths_to_json(const std::vector<std::vector<CounterexampleStep>>& paths) {
    Json json = Json::array();
    for (const auto& path : paths) {
        Json steps = Json::array();
        for (const auto& step : path) steps.push_back(step_to_json(step));
        json.push_back(std::move(steps));
    }
    return json;
}

}  // namespace

Json Counterexample::to_json() const {
    Json json;
    json["key"] = key;
    json["completed_ops"] = required_ops;
    json["linearized_prefix"] = linearized_prefix;
    json["op"] = op ? Json(*op) : Json(nullptr);
    json["previous_ok"] = previous_ok ? Json(*previous_ok) : Json(nullptr);
    if (!reason.empty()) json["reason"] = reason;
    json["pending"] = pending;
    json["prefix_states"] = prefix_states;
    json["final_paths"] = paths_to_json(final_paths);
    json["window"] = window;
    json["window_op"] = window_op ? Json(*window_op) : Json(nullptr);
    json["window_start_state"] = window_start_state;
    json["window_start_after"] = window_start_after ? Json(*window_start_after) : Json(nullptr);
    json["window_minimal"] = window_minimal;
    json["window_paths"] = paths_to_json(window_paths);
    Json steps = Json::array();
    for (const auto& step : linearization) steps.push_back(step_to_json(step));
    json["linearization"] = {
        {"start_state", start_state}, {"omitted_steps", linearization_omitted}, {"steps", std::move(steps)}};
    json["truncated"] = truncated;
    Json op_list = Json::array();
    for (const auto& item : ops) op_list.push_back(op_to_json(item));
    json["ops"] = std::move(op_list);
    return json;
}

namespace {

std::string name_op(const CounterexampleOp& op) {
    std::string where =
        op.completed ? fmt::format("#{}", op.index) : fmt::format("#{} (never completed)", op.invoke_index);
    if (op.completed && op.type == OpType::info) where += " (outcome unknown)";
    return fmt::format("{} process {} {}", where, op.process, op.description);
}

void print_ops(std::string& out, const std::string& indent, const std::string& title,
               const std::vector<std::size_t>& list, const std::vector<CounterexampleOp>& ops) {
    if (list.empty()) return;
    static constexpr std::size_t kShownOps = 10;
    out += fmt::format("{}{}\n", indent, title);
    for (std::size_t k = 0; k < list.size() && k < kShownOps; ++k) {
        out += fmt::format("{}  {}\n", indent, name_op(ops[list[k]]));
    }
    if (list.size() > kShownOps) {
        out += fmt::format("{}  ... and {} more (see --json)\n", indent, list.size() - kShownOps);
    }
}

// The paths ending at `first` first; the terminal shows a few, the JSON has
// them all.
void print_paths(std::string& out, const std::string& indent, const std::string& title,
                 const std::vector<std::vector<CounterexampleStep>>& paths, std::optional<std::size_t> first,
                 const std::vector<CounterexampleOp>& ops) {
    if (paths.empty()) return;
    static constexpr std::size_t kShown = 8;
    std::vector<const std::vector<CounterexampleStep>*> order;
    for (const auto& path : paths) {
        if (first && path.back().op == first) order.push_back(&path);
    }
    for (const auto& path : paths) {
        if (!first || path.back().op != first) order.push_back(&path);
    }
    out += fmt::format("{}{}\n", indent, title);
    for (std::size_t p = 0; p < order.size() && p < kShown; ++p) {
        const auto& path = *order[p];
        std::string line;
        for (std::size_t k = 0; k < path.size(); ++k) {
            const CounterexampleStep& step = path[k];
            if (k > 0) line += "; ";
            if (!step.op) {
                line += fmt::format("from {}", step.state);
            } else if (!step.error.empty()) {
                line +=
                    fmt::format("{} [#{}] -> illegal: {}", ops[*step.op].description, ops[*step.op].index, step.error);
            } else {
                line += fmt::format("{} [#{}] -> {}", ops[*step.op].description, ops[*step.op].index, step.state);
            }
        }
        out += fmt::format("{}  {}\n", indent, line);
    }
    if (order.size() > kShown) {
        out += fmt::format("{}  ... and {} more orders (see --json)\n", indent, order.size() - kShown);
    }
}

}  // namespace

std::string Counterexample::to_text(const std::string& indent) const {
    std::string out;
    const std::string where = key.is_null() ? std::string() : fmt::format(" for key {}", models::describe_json(key));
    if (op) {
        const CounterexampleOp& bad = ops[*op];
        out += fmt::format("{}cannot linearize {} (invoked at #{}){}\n", indent, name_op(bad), bad.invoke_index, where);
    }
    if (!reason.empty()) out += fmt::format("{}  {}\n", indent, reason);
    out +=
        fmt::format("{}longest linearizable prefix: {} of {} completed ops", indent, linearized_prefix, required_ops);
    if (previous_ok) out += fmt::format(", ending with {}", name_op(ops[*previous_ok]));
    out += "\n";
    if (!prefix_states.empty()) {
        std::string states;
        for (std::size_t i = 0; i < prefix_states.size() && i < 8; ++i) {
            states += (i ? ", " : "") + prefix_states[i];
        }
        if (prefix_states.size() > 8) states += fmt::format(", ... ({} states)", prefix_states.size());
        out += fmt::format("{}state after that prefix: {}\n", indent, states);
    }
    print_ops(out, indent, "concurrent ops still pending there:", pending, ops);
    // The paths ending at the op itself first.
    print_paths(out, indent,
                fmt::format("no order of them works{}:", truncated ? " (a sample of the orders tried)" : ""),
                final_paths, op, ops);
    if (!window.empty()) {
        std::string from = window_start_state;
        if (window_start_after) {
            from += fmt::format(", after #{}", ops[*window_start_after].index);
        }
        print_ops(out, indent,
                  fmt::format("smallest set of concurrent ops that cannot be ordered{} ({} op{}, "
                              "from {}){}:",
                              window_minimal ? "" : " (not shown minimal: out of budget)", window.size(),
                              window.size() == 1 ? "" : "s", from,
                              window_op && window_op != op
                                  ? fmt::format("; the op that fails there is #{}", ops[*window_op].index)
                                  : std::string()),
                  window, ops);
        print_paths(out, indent, "every order of them fails:", window_paths, window_op, ops);
    }
    return out;
}

}  // namespace faultline::check
