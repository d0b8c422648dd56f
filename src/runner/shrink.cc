#include "runner/shrink.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "nemesis/schedule.h"

namespace faultline::runner {

std::vector<std::string> failing_checks(const RunResult& result) {
    std::vector<std::string> failing;
    for (const CheckOutcome& check : result.checks) {
        // "run" only repeats why the simulation stopped; the invariant check names it.
        if (check.verdict == Verdict::invalid && check.name != "run") failing.push_back(check.name);
    }
    return failing;
}

namespace {

class Shrinker {
  public:
    Shrinker(RunConfig config, RunResult original, std::vector<std::string> target, const ShrinkOptions& options)
        : best_config_(std::move(config)),
          best_result_(std::move(original)),
          target_(std::move(target)),
          options_(options) {}

    bool out_of_budget() const { return runs_ >= options_.runs_max; }

    // Runs a candidate; keeps it as the best if it fails the same way.
    bool try_config(const RunConfig& candidate) {
        if (out_of_budget()) return false;
        ++runs_;
        auto result = run(candidate, RunOptions{.keep_node_logs = true});
        if (!result) return false;
        const std::vector<std::string> failing = failing_checks(*result);
        for (const std::string& check : target_) {
            if (std::find(failing.begin(), failing.end(), check) == failing.end()) return false;
        }
        best_config_ = candidate;
        best_result_ = std::move(*result);
        return true;
    }

    RunConfig with_faults(const std::vector<nemesis::Fault>& faults) const {
        RunConfig candidate = best_config_;
        candidate.schedule = nemesis::Schedule{faults}.to_json();
        return candidate;
    }

    std::vector<nemesis::Fault> faults() const {
        auto schedule = nemesis::Schedule::from_json(best_config_.schedule, best_config_.nodes);
        FL_ASSERT(schedule.has_value());
        return schedule->faults;
    }

    // ddmin (Zeller): at granularity n, try each of n pieces alone, then each
    // complement (everything but one piece); on success restart coarser, else
    // refine. `fails` runs a candidate (and keeps it as the best when it fails).
    // Most elements are usually irrelevant, so complements do most of the work.
    template <class T, class Fails>
    std::vector<T> ddmin(std::vector<T> current, Fails fails, const char* what) {
        std::size_t granularity = 2;
        while (current.size() >= 2 && !out_of_budget()) {
            granularity = std::min(granularity, current.size());
            std::vector<std::vector<T>> pieces;
            for (std::size_t i = 0; i < granularity; ++i) {
                const std::size_t begin = current.size() * i / granularity;
                const std::size_t end = current.size() * (i + 1) / granularity;
                pieces.emplace_back(current.begin() + static_cast<std::ptrdiff_t>(begin),
                                    current.begin() + static_cast<std::ptrdiff_t>(end));
            }
            bool reduced = false;
            for (const auto& piece : pieces) {
                if (fails(piece)) {
                    current = piece;
                    granularity = 2;
                    reduced = true;
                    break;
                }
            }
            for (std::size_t i = 0; i < pieces.size() && !reduced && granularity > 2; ++i) {
                std::vector<T> rest;
                for (std::size_t j = 0; j < pieces.size(); ++j) {
                    if (j != i) rest.insert(rest.end(), pieces[j].begin(), pieces[j].end());
                }
                if (fails(rest)) {
                    current = rest;
                    granularity = std::max<std::size_t>(granularity - 1, 2);
                    reduced = true;
                }
            }
            if (!reduced) {
                if (granularity >= current.size()) break;
                granularity = std::min(current.size(), granularity * 2);
            }
            progress(fmt::format("{}: {}", what, current.size()));
        }
        if (current.size() == 1 && !out_of_budget() && fails({})) current.clear();
        return current;
    }

    void minimize_faults() {
        ddmin(
            faults(), [this](const std::vector<nemesis::Fault>& kept) { return try_config(with_faults(kept)); },
            "faults");
    }

    // Operations on one key only, the others drawn but not sent. The key a
    // counterexample names comes first; since leaving out operations shifts the
    // timing of everything else, the failure may well move to another key, so
    // each key of the history is tried in turn.
    void only_one_key() {
        if (!best_config_.only_keys.empty()) return;
        std::vector<Json> keys;
        for (const CheckOutcome& check : best_result_.checks) {
            if (check.verdict != Verdict::invalid || !check.details.is_object()) continue;
            auto counterexample = check.details.find("counterexample");
            if (counterexample == check.details.end() || !counterexample->is_object()) continue;
            auto key = counterexample->find("key");
            if (key != counterexample->end() && !key->is_null()) keys.push_back(*key);
        }
        for (const check::Operation& op : best_result_.history) {
            if (op.key.is_null() || std::find(keys.begin(), keys.end(), op.key) != keys.end()) continue;
            keys.push_back(op.key);
        }
        for (const Json& key : keys) {
            if (out_of_budget()) return;
            RunConfig candidate = best_config_;
            candidate.only_keys = {key};
            if (try_config(candidate)) {
                progress(fmt::format("only key {}", key.dump()));
                return;
            }
        }
    }

    // The final reads, and then each client operation not needed to fail.
    void minimize_operations() {
        if (best_config_.final_ops) {
            RunConfig candidate = best_config_;
            candidate.final_ops = false;
            if (try_config(candidate)) progress("final reads: none");
        }
        std::vector<std::string> sent;
        for (const OpRef& ref : best_result_.sent_ops) sent.push_back(format_op_ref(ref));
        ddmin(
            sent,
            [this](const std::vector<std::string>& kept) {
                RunConfig candidate = best_config_;
                candidate.only_ops = kept;
                return try_config(candidate);
            },
            "operations");
    }

    void shorten_faults() {
        std::vector<nemesis::Fault> current = faults();
        for (std::size_t i = 0; i < current.size() && !out_of_budget(); ++i) {
            while (current[i].duration > milliseconds(10) && !out_of_budget()) {
                std::vector<nemesis::Fault> candidate = current;
                candidate[i].duration /= 2;
                if (!try_config(with_faults(candidate))) break;
                current = candidate;
            }
        }
    }

    // The shortest time limit that still fails (the schedule is cut to fit).
    void shorten_run() {
        Nanos low = 0;
        Nanos high = best_config_.time_limit;
        for (const nemesis::Fault& fault : faults()) low = std::max(low, fault.start);
        while (high - low > milliseconds(200) && !out_of_budget()) {
            const Nanos middle = low + (high - low) / 2;
            RunConfig candidate = best_config_;
            candidate.time_limit = middle;
            std::vector<nemesis::Fault> cut = faults();
            for (nemesis::Fault& fault : cut) fault.duration = std::min(fault.duration, middle - fault.start);
            candidate.schedule = nemesis::Schedule{cut}.to_json();
            if (try_config(candidate)) {
                high = middle;
            } else {
                low = middle;
            }
        }
        progress(fmt::format("time limit: {}", format_duration(best_config_.time_limit)));
    }

    // Nothing after the failure can have caused it: end the run there.
    void cut_at_failure(const RunResult& original) {
        std::optional<Nanos> failed_at;
        for (const CheckOutcome& check : original.checks) {
            if (std::find(target_.begin(), target_.end(), check.name) == target_.end()) continue;
            if (!check.failed_at) return;  // one of them cannot say when: keep the run
            failed_at = std::max(failed_at.value_or(0), *check.failed_at);
        }
        if (!failed_at || *failed_at + milliseconds(1) >= best_config_.time_limit) return;
        const Nanos cut = *failed_at + milliseconds(1);
        std::vector<nemesis::Fault> kept;
        for (nemesis::Fault fault : faults()) {
            if (fault.start >= cut) continue;
            fault.duration = std::min(fault.duration, cut - fault.start);
            kept.push_back(fault);
        }
        RunConfig candidate = with_faults(kept);
        candidate.time_limit = cut;
        if (try_config(candidate)) progress(fmt::format("cut at the failure: {}", format_duration(cut)));
    }

    // The recovery window only matters to the availability check.
    void drop_recovery() {
        if (std::find(target_.begin(), target_.end(), "availability") != target_.end()) return;
        RunConfig candidate = best_config_;
        candidate.recovery = 0;
        if (try_config(candidate)) progress("recovery window: none");
    }

    // Move every fault earlier by the same amount, and end the run that much
    // sooner: the operations before the faults are usually not needed.
    void shift_earlier() {
        Nanos first = best_config_.time_limit;
        for (const nemesis::Fault& fault : faults()) first = std::min(first, fault.start);
        // Largest shifts first; like the workload start, failure is not monotonic.
        for (Nanos shift = first; shift > milliseconds(100) && !out_of_budget(); shift /= 2) {
            std::vector<nemesis::Fault> moved = faults();
            for (nemesis::Fault& fault : moved) fault.start -= shift;
            RunConfig candidate = with_faults(moved);
            candidate.time_limit = best_config_.time_limit - shift;
            if (try_config(candidate)) break;
        }
        progress(fmt::format("run: {} long", format_duration(best_config_.time_limit)));
    }

    // Clients start as late as possible: operations long before the failure
    // rarely matter.
    void start_workload_later() {
        // Not a bisection: whether a run fails is not monotonic in when its
        // clients start. Try starts ever further back from the end, latest first.
        const Nanos end = best_config_.time_limit;
        for (Nanos back = milliseconds(250); back < end && !out_of_budget(); back *= 2) {
            RunConfig candidate = best_config_;
            candidate.workload_start = end - back;
            if (candidate.workload_start <= best_config_.workload_start) break;
            if (try_config(candidate)) break;
        }
        progress(fmt::format("clients start at {}", format_duration(best_config_.workload_start)));
    }

    // Fewer operations per second, while it still fails.
    void lower_rate() {
        while (best_config_.rate > 1 && !out_of_budget()) {
            RunConfig candidate = best_config_;
            candidate.rate = best_config_.rate / 2;
            if (!try_config(candidate)) break;
        }
        progress(fmt::format("rate: {} ops/s", best_config_.rate));
    }

    void fewer_clients() {
        for (int clients = 1; clients < best_config_.clients && !out_of_budget(); ++clients) {
            RunConfig candidate = best_config_;
            // Keep the per-client rate: fewer clients, fewer operations.
            candidate.rate = best_config_.rate * clients / best_config_.clients;
            candidate.clients = clients;
            if (candidate.rate > 0 && try_config(candidate)) break;
        }
        progress(fmt::format("clients: {}", best_config_.clients));
    }

    void progress(const std::string& line) {
        if (options_.progress) options_.progress(fmt::format("  {:<22} ({} runs)", line, runs_));
    }

    RunConfig best_config_;
    RunResult best_result_;
    std::vector<std::string> target_;
    const ShrinkOptions& options_;
    int runs_ = 0;
};

}  // namespace

Result<ShrinkResult> shrink(const RunConfig& config, const RunResult& original, const ShrinkOptions& options) {
    std::vector<std::string> target = failing_checks(original);
    if (target.empty()) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("the run of seed {} did not fail a check: nothing to shrink", config.seed));
    }
    // Shrink the schedule the run actually played, as data.
    RunConfig start = config;
    start.schedule = original.schedule.to_json();
    ShrinkResult result;
    result.failing = target;
    result.faults_before = original.schedule.faults.size();
    result.operations_before = original.ops.invoked;
    const auto wall_start = std::chrono::steady_clock::now();
    Shrinker shrinker(start, original, target, options);
    shrinker.drop_recovery();
    shrinker.cut_at_failure(original);
    shrinker.minimize_faults();
    shrinker.shorten_faults();
    shrinker.shorten_run();
    shrinker.shift_earlier();
    shrinker.start_workload_later();
    shrinker.fewer_clients();
    shrinker.lower_rate();
    shrinker.only_one_key();
    shrinker.minimize_operations();
    shrinker.minimize_faults();  // a smaller run may need fewer faults still
    result.config = shrinker.best_config_;
    result.result = std::move(shrinker.best_result_);
    result.faults_after = result.result.schedule.faults.size();
    result.operations_after = result.result.ops.invoked;
    result.runs = shrinker.runs_;
    result.budget_exhausted = shrinker.out_of_budget();
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return result;
}

}  // namespace faultline::runner
