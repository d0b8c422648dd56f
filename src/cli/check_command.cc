// `faultline check`: the standalone checkers. Reads each history file (Jepsen
// EDN, Porcupine kv, Jepsen log lines or history.jsonl; detected from the
// content unless --format says), checks it for linearizability against a model
// or, with --model list-append or rw-register, for transactional isolation
// against --consistency-models; prints one line per file and the
// counterexample of each failure.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "check/formats/history_formats.h"
#include "check/linearizability/checker.h"
#include "check/txn/checker.h"
#include "cli/commands.h"
#include "cli/options_cli.h"

namespace faultline::cli {

namespace {

// --configs-max: about ten days of search; beyond, a typo.
constexpr std::uint64_t kConfigsMaxMax = 1'000'000'000'000;

struct CheckOptions {
    std::string model = "auto";
    std::string format = "auto";
    std::string initial;
    bool no_split = false;
    bool no_quiescence = false;
    bool no_prechecks = false;
    bool stop_at_first = false;
    std::uint64_t configs_max = check::LinearizabilityOptions::kConfigsMaxDefault;
    std::string memory_limit = "1GiB";
    int threads = 0;
    std::string json_path;
    std::string consistency_models = "strict-serializable";
    std::uint64_t cycle_search_budget = check::txn::IsolationOptions::kCycleSearchBudgetDefault;
    std::vector<std::string> files;
};

Result<std::size_t> parse_bytes(const std::string& text) {
    std::size_t used = 0;
    double number = 0;
    try {
        number = std::stod(text, &used);
    } catch (...) {
        return make_error(ErrorCode::invalid_argument, fmt::format("bad size '{}'", text));
    }
    std::string unit = text.substr(used);
    double scale = 1;
    if (unit == "" || unit == "B")
        scale = 1;
    else if (unit == "K" || unit == "KiB" || unit == "KB")
        scale = 1024.0;
    else if (unit == "M" || unit == "MiB" || unit == "MB")
        scale = 1024.0 * 1024;
    else if (unit == "G" || unit == "GiB" || unit == "GB")
        scale = 1024.0 * 1024 * 1024;
    else
        return make_error(ErrorCode::invalid_argument, fmt::format("bad size unit in '{}' (B, KiB, MiB, GiB)", text));
    // NaN and infinity parse as numbers; neither is a size.
    if (!std::isfinite(number) || number <= 0)
        return make_error(ErrorCode::invalid_argument, fmt::format("size must be a positive number: '{}'", text));
    const double bytes = number * scale;
    if (bytes >= 0x1p63) return make_error(ErrorCode::invalid_argument, fmt::format("size too large: '{}'", text));
    return static_cast<std::size_t>(bytes);
}

std::string format_bytes(std::size_t bytes) {
    if (bytes >= (1u << 30)) return fmt::format("{:.1f} GiB", bytes / double(1u << 30));
    if (bytes >= (1u << 20)) return fmt::format("{:.1f} MiB", bytes / double(1u << 20));
    return fmt::format("{:.0f} KiB", bytes / 1024.0);
}

// What every file of a `faultline check` is checked with: the format and the
// model (none: detected per file), and the checker's options.
struct CheckPlan {
    std::optional<check::formats::Format> format;
    std::optional<check::models::ModelKind> model;
    check::LinearizabilityOptions base;
    // Set for the transactional workloads: an isolation check instead.
    std::optional<check::txn::Workload> txn_workload;
    check::txn::IsolationOptions isolation;
};

// The plan the options ask for; an error names the option that is wrong.
Result<CheckPlan> plan_check(const CheckOptions& options) {
    CheckPlan plan;
    if (options.format != "auto") {
        auto parsed = check::formats::parse_format_name(options.format);
        if (!parsed) return parsed.error();
        plan.format = *parsed;
    }
    // Parsed whatever the model: with auto, a history of list-append
    // transactions is checked for isolation too.
    auto models = check::txn::parse_models(options.consistency_models);
    if (!models) return make_error(models.error().code, "--consistency-models: " + models.error().message);
    plan.isolation.models = *models;
    plan.isolation.cycle_search_budget = options.cycle_search_budget;
    if (auto workload = check::txn::parse_workload(options.model)) {
        plan.txn_workload = *workload;
        return plan;
    }
    if (options.model != "auto") {
        auto parsed = check::models::parse_model_kind(options.model);
        if (!parsed) return parsed.error();
        plan.model = *parsed;
    }
    check::LinearizabilityOptions& base = plan.base;
    if (!options.initial.empty()) {
        base.initial = Json::parse(options.initial, nullptr, false);
        if (base.initial.is_discarded()) {
            return make_error(ErrorCode::invalid_argument, fmt::format("--init: not valid JSON: {}", options.initial));
        }
    }
    auto memory_limit = parse_bytes(options.memory_limit);
    if (!memory_limit) {
        return make_error(memory_limit.error().code, "--memory-limit: " + memory_limit.error().message);
    }
    base.configs_max = options.configs_max;
    base.memory_limit_bytes = *memory_limit;
    base.split_by_key = !options.no_split;
    base.split_at_quiescence = !options.no_quiescence;
    base.prechecks = !options.no_prechecks;
    base.stop_at_first_invalid = options.stop_at_first;
    base.threads =
        options.threads > 0 ? options.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    return plan;
}

// What the files checked so far came to, for the exit code.
struct CheckTally {
    bool any_error = false, any_invalid = false, any_unknown = false;
};

// A file that cannot be checked: the error on stderr and in the JSON.
void report_file_error(const std::string& path, const std::string& message, Json& all, CheckTally& tally) {
    print_error(message);
    tally.any_error = true;
    all.push_back({{"file", path}, {"error", message}});
}

// A file that yields nothing under its format was almost certainly read
// in the wrong format, or is empty: "linearizable, 0 ops" would be a
// silent pass. Not for EDN that held ops: a Jepsen history of only
// nemesis ops is legitimately empty for the model (Knossos'
// mongodb-v0-ack-rollback-.edn).
std::optional<std::string> empty_history_error(const std::string& path, const check::formats::ParsedHistory& parsed) {
    const bool only_non_client_ops = parsed.format == check::formats::Format::jepsen_edn && parsed.skipped_ops > 0;
    if (!parsed.history.empty() || only_non_client_ops) return std::nullopt;
    return parsed.format == check::formats::Format::jepsen_edn
               ? fmt::format("{}: no operations found (an empty history?)", path)
               : fmt::format("{}: no operations found as {} (wrong --format?)", path,
                             check::formats::format_name(parsed.format));
}

// The file's line: its verdict, model, format, size, keys, time and memory;
// then its counterexample, if any.
void print_file_result(const std::string& path, const check::formats::ParsedHistory& parsed,
                       check::models::ModelKind model, const check::LinearizabilityResult& result) {
    const char* verdict = result.verdict == check::Verdict::valid     ? "linearizable"
                          : result.verdict == check::Verdict::invalid ? "NOT linearizable"
                                                                      : "UNKNOWN";
    std::string detail;
    if (result.partitions.size() > 1) {
        const auto bad = std::count_if(result.partitions.begin(), result.partitions.end(),
                                       [](const auto& p) { return p.verdict == check::Verdict::invalid; });
        detail = fmt::format(", {} keys", result.partitions.size());
        if (bad > 0) detail += fmt::format(" ({} not linearizable)", bad);
    }
    if (result.verdict == check::Verdict::unknown) detail += ": " + result.unknown_reason;
    std::fprintf(stdout, "%s: %s (%s, %s, %zu ops%s) in %s, %s\n", path.c_str(), verdict,
                 check::models::model_kind_name(model), check::formats::format_name(parsed.format), result.operations,
                 detail.c_str(), format_duration(result.elapsed).c_str(), format_bytes(result.peak_bytes).c_str());
    if (result.counterexample) std::fputs(result.counterexample->to_text("    ").c_str(), stdout);
    std::fflush(stdout);
}

// Reads, checks and reports one history of transactions.
void check_txn_file(const std::string& path, const check::formats::ParsedHistory& parsed, const CheckPlan& plan,
                    Json& all, CheckTally& tally) {
    // Wall time is reported, never used to decide anything.
    const auto started = std::chrono::steady_clock::now();
    auto history = check::txn::txn_history_from(parsed, *plan.txn_workload);
    if (!history) {
        report_file_error(path, history.error().message, all, tally);
        return;
    }
    auto result = check::txn::check_isolation(*history, plan.isolation);
    if (!result) {
        report_file_error(path, result.error().message, all, tally);
        return;
    }
    const char* verdict = result->verdict == check::Verdict::valid     ? "valid"
                          : result->verdict == check::Verdict::invalid ? "INVALID"
                                                                       : "UNKNOWN";
    std::vector<std::string> models;
    for (check::txn::Model model : result->models) models.push_back(check::txn::model_name(model));
    std::string detail;
    if (result->verdict == check::Verdict::invalid) {
        std::vector<std::string> weakest;
        for (check::txn::Model model : check::txn::weakest(result->ruled_out)) {
            weakest.push_back(check::txn::model_name(model));
        }
        detail = fmt::format(": not {}", fmt::join(weakest, ", "));
    } else if (result->verdict == check::Verdict::unknown) {
        detail = ": " + result->unknown_reason;
    }
    std::fprintf(
        stdout, "%s: %s (%s, %s, %s, %zu txns, %zu edges)%s in %s\n", path.c_str(), verdict,
        check::txn::workload_name(result->workload), fmt::format("{}", fmt::join(models, ",")).c_str(),
        check::formats::format_name(parsed.format), result->txns, result->edges, detail.c_str(),
        format_duration(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started).count())
            .c_str());
    std::fputs(check::txn::isolation_result_to_text(*result, "    ").c_str(), stdout);
    std::fflush(stdout);
    Json json = check::txn::isolation_result_to_json(*result);
    json["file"] = path;
    json["model"] = check::txn::workload_name(result->workload);
    json["format"] = check::formats::format_name(parsed.format);
    all.push_back(std::move(json));
    tally.any_invalid = tally.any_invalid || result->verdict == check::Verdict::invalid;
    tally.any_unknown = tally.any_unknown || result->verdict == check::Verdict::unknown;
}

// Reads, checks and reports one history file.
// Whether a history holds transactions with appends (Elle's list-append):
// --model auto checks those for isolation. Transactions of reads and writes
// alone stay with the multi-register linearizability model, which judges
// them more strictly than any isolation level; --model rw-register asks for
// the isolation check instead.
bool appends_in_transactions(const check::History& history) {
    for (const check::Operation& op : history) {
        if (op.f != "txn" || !op.value.is_array()) continue;
        for (const Json& micro : op.value) {
            if (micro.is_array() && !micro.empty() && micro[0] == "append") return true;
        }
    }
    return false;
}

void check_file(const std::string& path, const CheckPlan& plan, Json& all, CheckTally& tally) {
    auto parsed = check::formats::read_history_file(path, plan.format);
    if (!parsed) {
        report_file_error(path, parsed.error().message, all, tally);
        return;
    }
    if (auto message = empty_history_error(path, *parsed)) {
        report_file_error(path, *message, all, tally);
        return;
    }
    if (plan.txn_workload) {
        check_txn_file(path, *parsed, plan, all, tally);
        return;
    }
    if (!plan.model && appends_in_transactions(parsed->history)) {
        CheckPlan isolation = plan;
        isolation.txn_workload = check::txn::Workload::list_append;
        check_txn_file(path, *parsed, isolation, all, tally);
        return;
    }
    check::LinearizabilityOptions run = plan.base;
    run.model = plan.model ? *plan.model : check::formats::infer_model(parsed->history);
    run.semantics = parsed->semantics;
    run.locate = parsed->locator();
    auto result = check::check_linearizability(parsed->history, run);
    if (!result) {
        report_file_error(path, result.error().message, all, tally);
        return;
    }
    print_file_result(path, *parsed, run.model, *result);
    Json json = check::linearizability_result_to_json(*result);
    json["file"] = path;
    json["model"] = check::models::model_kind_name(run.model);
    json["format"] = check::formats::format_name(parsed->format);
    all.push_back(std::move(json));
    tally.any_invalid = tally.any_invalid || result->verdict == check::Verdict::invalid;
    tally.any_unknown = tally.any_unknown || result->verdict == check::Verdict::unknown;
}

// --json: every file's result, to a file or (-) stdout. False if it cannot
// be written.
bool write_results_json(const std::string& json_path, const Json& all) {
    const std::string text = all.dump(2) + "\n";
    if (json_path == "-") {
        std::fputs(text.c_str(), stdout);
        return true;
    }
    std::ofstream out(json_path);
    out << text;
    if (!out) {
        print_error(fmt::format("{}: cannot write", json_path));
        return false;
    }
    return true;
}

int run_check(const CheckOptions& options) {
    auto plan = plan_check(options);
    if (!plan) {
        print_error(plan.error().message);
        return exit_usage;
    }
    CheckTally tally;
    Json all = Json::array();
    for (const std::string& path : options.files) check_file(path, *plan, all, tally);
    if (!options.json_path.empty() && !write_results_json(options.json_path, all)) return exit_runtime;
    if (tally.any_error) return exit_usage;
    if (tally.any_invalid) return exit_invalid;
    if (tally.any_unknown) return exit_unknown;
    return exit_valid;
}

}  // namespace

CommandAction add_check_command(CLI::App& app) {
    auto options = std::make_shared<CheckOptions>();
    CLI::App* check = app.add_subcommand("check",
                                         "Check histories for linearizability, or transactions for isolation "
                                         "(Jepsen EDN, Porcupine kv, Jepsen logs, history.jsonl)");
    check
        ->add_option("--model", options->model,
                     "Model: auto (from the operations; transactions with appends: list-append), or one of\n" +
                         check::models::describe_model_kinds() +
                         "\nor a transactional workload, checked for isolation: list-append, rw-register")
        ->capture_default_str();
    check->add_option("--format", options->format, "History format: auto, jepsen-edn, porcupine-kv, jepsen-log, jsonl")
        ->capture_default_str();
    check->add_option("--init", options->initial,
                      "Initial value as JSON (default: nil for registers, \"\" for kv-append, 0 for "
                      "counters, 0 for every register of a multi-register, as in Knossos' "
                      "multi-register data; for multi-register an object like {\"x\":1} sets the "
                      "registers it names, the others start at 0)");
    check->add_flag("--no-split", options->no_split, "Check keyed histories as one object instead of key by key");
    check->add_flag("--no-quiescence-split", options->no_quiescence, "Do not cut histories at quiescent points");
    check->add_flag("--no-prechecks", options->no_prechecks, "Skip the cheap pre-checks (search everything)");
    check->add_flag("--stop-at-first", options->stop_at_first,
                    "Stop checking a file's keys at its first non-linearizable one");
    // Budgets count work and memory, not time, so that a verdict depends only
    // on the history and the options, never on the machine or its load.
    check
        ->add_option("--configs-max", options->configs_max,
                     "Work budget per file: search configurations (about 1 M a second); when it "
                     "runs out the verdict is unknown, the same on any machine")
        ->transform(whole_number(1, kConfigsMaxMax))
        ->capture_default_str();
    check
        ->add_option("--memory-limit", options->memory_limit,
                     "Memory budget of each search, e.g. 512MiB, 2GiB (the same whatever "
                     "--threads)")
        ->capture_default_str();
    check
        ->add_option("--threads", options->threads,
                     "Threads for checking keys (0: one per core); never changes a result")
        ->transform(whole_number(0, 256))
        ->capture_default_str();
    check
        ->add_option("--consistency-models", options->consistency_models,
                     "For list-append and rw-register: the models to check, comma-separated; the verdict is invalid "
                     "iff an anomaly rules one out (" +
                         check::txn::describe_models() + ")")
        ->capture_default_str();
    check
        ->add_option("--cycle-search-budget", options->cycle_search_budget,
                     "For list-append and rw-register: edges a cycle search may follow per component and anomaly "
                     "before it gives up (then the verdict may be unknown, the same on any machine)")
        ->transform(whole_number(1, kConfigsMaxMax))
        ->capture_default_str();
    check->add_option("--json", options->json_path, "Also write results as JSON to this file (- for stdout)");
    check->add_option("files", options->files, "History files")->required();
    return [options] { return run_check(*options); };
}

}  // namespace faultline::cli
