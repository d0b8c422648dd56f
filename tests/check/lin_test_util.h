// Helpers for the linearizability tests: check a history written inline in one
// of the file formats, and locate the shared test data.
#pragma once

#include <optional>
#include <string>

#include "check/formats/history_formats.h"
#include "check/linearizability/checker.h"

namespace faultline::check::testing {

inline std::string lin_data(const std::string& relative) {
    return std::string(FAULTLINE_SOURCE_DIR) + "/tests/data/lin-data/" + relative;
}

struct Checked {
    Verdict verdict = Verdict::unknown;
    std::optional<Counterexample> counterexample;
    LinearizabilityResult result;
};

// Checks a parsed history with its own semantics and locator.
inline Result<Checked> check_parsed(const formats::ParsedHistory& parsed, models::ModelKind model,
                                    LinearizabilityOptions options) {
    options.model = model;
    options.semantics = parsed.semantics;
    options.locate = parsed.locator();
    auto result = check_linearizability(parsed.history, options);
    if (!result) return result.error();
    Checked checked;
    checked.verdict = result->verdict;
    checked.counterexample = result->counterexample;
    checked.result = std::move(*result);
    return checked;
}

// Short EDN op maps: op(0, "invoke", "write", "1") is
// {:process 0 :type :invoke :f :write :value 1}.
inline std::string op(int process, const char* type, const char* f, const std::string& value = "nil",
                      const std::string& key = "") {
    std::string out = "{:process " + std::to_string(process) + " :type :" + type + " :f :" + f + " :value " + value;
    if (!key.empty()) out += " :key " + key;
    return out + "}\n";
}

// Parses `text` (format detected from the content, or forced) and checks it.
inline Result<Checked> check_text(const std::string& text, models::ModelKind model, LinearizabilityOptions options = {},
                                  std::optional<formats::Format> format = std::nullopt) {
    auto parsed = formats::parse_history(text, "inline", format);
    if (!parsed) return parsed.error();
    return check_parsed(*parsed, model, std::move(options));
}

inline Result<Checked> check_file(const std::string& path, models::ModelKind model,
                                  LinearizabilityOptions options = {}) {
    auto parsed = formats::read_history_file(path);
    if (!parsed) return parsed.error();
    return check_parsed(*parsed, model, std::move(options));
}

// Appends one operation on `key` to `history`, its index and time the next
// ones (for histories built in code rather than written as text).
inline void append_op(History& history, std::int64_t process, OpType type, const char* f, int key, Json value) {
    Operation op;
    op.index = static_cast<std::int64_t>(history.size());
    op.time = op.index + 1;
    op.process = process;
    op.type = type;
    op.f = f;
    op.key = key;
    op.value = std::move(value);
    history.push_back(std::move(op));
}

}  // namespace faultline::check::testing
