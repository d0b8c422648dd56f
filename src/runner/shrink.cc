#include "runner/shrink.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <set>
#include <unordered_set>
#include <utility>

#include "base/hash.h"
#include "base/prng.h"
#include "nemesis/schedule.h"
#include "runner/shrink_edits.h"
#include "runner/system.h"
#include "sim/latency.h"

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

using nemesis::Fault;
using nemesis::FaultKind;
using nemesis::PartitionShape;
using nemesis::TargetRole;

// A line of search ends after this many rounds in a row found nothing
// smaller (and made no fault simpler).
constexpr int kIdleRoundsMax = 2;

// Focused runs tried per number of faults kept: in a line's first round, and
// in its later ones (on a run it has already shortened). Each is in effect a
// new draw of a rare failure (the --bug variants fail in one seed in fifty to
// three hundred under the default faults), so a handful would rarely find one.
constexpr int kFocusAttempts = 40;
constexpr int kFocusAttemptsLater = 10;
// The lead a focused run has before its first fault: enough for the cluster
// to elect a leader (an election timeout is 300-600 ms by default) and for the
// clients to write the keys the failure reads.
constexpr Nanos kLeadMin = milliseconds(500);
constexpr Nanos kLeadMax = seconds(3);
// How much longer than to the failure a new draw runs: its failure may come a
// little later.
constexpr Nanos kSlackMax = seconds(1);

// Draws of a thinner workload per round: up to this many, and no more than a
// few per operation left (a run of two operations has little left to thin).
constexpr std::int64_t kThinAttempts = 60;
constexpr std::int64_t kThinAttemptsPerOperation = 10;

// Draws with faults left out at random, per round: up to this many, and a few
// per fault.
constexpr std::size_t kDropAttempts = 100;
constexpr std::size_t kDropAttemptsPerFault = 8;

// ddmin tries each piece alone up to this granularity, only complements
// beyond: a small piece rarely holds all that is needed, and each try is a run.
constexpr std::size_t kSubsetGranularityMax = 8;
// The runs the ddmin over client operations takes per round.
constexpr int kOperationRunsPerRound = 400;

// The line that searches small runs (Shrinker::find_small_run) comes after
// this many lines from the original run found nothing readable. Its runs have
// at most this many nodes, last this long, draw their faults this often and
// this long at most (each seed draws its own below), and it tries this many
// seeds before it gives up.
constexpr int kSmallRunsLine = 3;
constexpr int kSmallRunNodesMax = 3;
constexpr Nanos kSmallRunTimeLimit = seconds(5);
constexpr Nanos kSmallRunFaultInterval = seconds(1);
constexpr Nanos kSmallRunFaultDuration = milliseconds(500);
constexpr int kSmallRunAttempts = 2000;

// What the shrinker makes smaller: a candidate is kept only if it has no more
// faults and no more client operations than the best run so far.
struct Size {
    std::size_t faults = 0;
    std::int64_t operations = 0;
    bool operator==(const Size&) const = default;
};

// A fault point that acted is a fault too, one the schedule does not list: a
// run failing after 3 scheduled faults and 4 fault-point crashes has 7.
Size size_of(const RunResult& result) {
    return Size{faults_counted(result), result.ops.invoked};
}

// Fewer faults and operations in all; on a tie, fewer faults.
bool smaller(const Size& a, const Size& b) {
    const auto total = [](const Size& size) { return static_cast<std::int64_t>(size.faults) + size.operations; };
    if (total(a) != total(b)) return total(a) < total(b);
    return a.faults < b.faults;
}

// A run small enough to read at a glance: once a line of search has found
// one, the shrinker starts no other.
constexpr std::size_t kReadableFaults = 5;
constexpr std::int64_t kReadableOperations = 20;

bool readable(const Size& size) {
    return size.faults <= kReadableFaults && size.operations <= kReadableOperations;
}

// `config` playing the run `played` as data: the schedule it played and the
// settings its plan chose (knobs), so that the shrinker's edits, and
// candidates with other seeds, change only what they mean to.
RunConfig as_played(RunConfig config, const RunResult& played) {
    config.schedule = played.schedule.to_json();
    config.system_options = played.config.system_options;
    return config;
}

// Fault-point action `action` left out of `config`'s run (the list stays sorted).
void leave_out_fault_point_action(RunConfig& config, int action) {
    std::vector<int>& skipped = config.fault_point_actions_skipped;
    skipped.insert(std::upper_bound(skipped.begin(), skipped.end(), action), action);
}

class Shrinker {
  public:
    Shrinker(RunConfig config, RunResult original, std::vector<std::string> target, const ShrinkOptions& options)
        : start_config_(std::move(config)),
          start_result_(std::move(original)),
          target_(std::move(target)),
          options_(options),
          random_(Prng::stream(start_config_.seed, "shrink")),
          best_config_(start_config_),
          best_result_(start_result_) {}

    // Lines of search from the original run while the budget lasts and none
    // has found a readable run; the smallest any line found becomes the best.
    void search() {
        std::optional<std::pair<RunConfig, RunResult>> smallest;
        for (int line = 1; !out_of_budget() && !(smallest && readable(size_of(smallest->second))); ++line) {
            restart();
            if (line == kSmallRunsLine) {
                progress(fmt::format("line {}: small runs of the same faults", line));
                if (!find_small_run()) continue;
            } else if (line > 1) {
                progress(fmt::format("line {}: the original run again", line));
            }
            search_line();
            if (!smallest || smaller(size(), size_of(smallest->second))) smallest.emplace(best_config_, best_result_);
        }
        if (smallest) {
            best_config_ = std::move(smallest->first);
            best_result_ = std::move(smallest->second);
        }
        end_faults_by_time_limit();
    }

    const RunConfig& best_config() const { return best_config_; }
    RunResult take_best_result() { return std::move(best_result_); }
    int runs() const { return runs_; }
    bool out_of_budget() const { return runs_ >= options_.runs_max; }

  private:
    Size size() const { return size_of(best_result_); }

    // One line of search: rounds while one still makes the run smaller or a
    // fault simpler (a smaller run may need fewer faults, nodes or operations
    // still), until a few in a row find nothing.
    void search_line() {
        for (int round = 0, idle_rounds = 0; idle_rounds < kIdleRoundsMax && !out_of_budget(); ++round) {
            const Size before = size();
            const int simplified_before = simplified_;
            drop_recovery_and_final_reads();
            fewer_fault_point_actions();
            skip_fault_point_actions();
            cut_at_failure();
            shorten_run();
            plain_network();
            smaller_scale();
            focus_on_failure(round == 0 ? kFocusAttempts : kFocusAttemptsLater);
            cut_at_failure();
            pin_aimed_faults();
            merge_faults();
            // The faults first: fewer and surer faults make every later step
            // a smaller change to the run.
            minimize_faults();
            make_faults_certain();
            drop_faults_drawn();
            // Then the operations, before the faults are made simpler: a
            // simpler fault (shorter, milder, on fewer nodes) fails in fewer
            // draws, and in a chaotic run every operation left out is a draw.
            thin_workload();
            cut_at_failure();
            fewer_clients();
            lower_rate();
            start_workload_later();
            only_one_key();
            minimize_operations();
            simplify_faults();
            fewer_nodes();
            cut_at_failure();
            bool idle = size() == before && simplified_ == simplified_before;
            // Stuck with fault-point crashes the steps above cannot touch:
            // the schedule takes them over, and the next round works on them.
            if (idle && fault_point_crashes_as_kills()) idle = false;
            // Stuck with kills or pauses of several nodes at once: as one.
            if (idle && join_faults()) idle = false;
            idle_rounds = idle ? idle_rounds + 1 : 0;
        }
    }

    // A new start for a line, when shrinking the original run keeps getting
    // stuck: a failure that needs a long chain of events (Figure 8 of the Raft
    // paper needs four leader changes in a given order) is often reached, in
    // a long run, by a chain longer than it needs, and no fault of that chain
    // can go without losing the failure. Small runs (few nodes, a few seconds,
    // frequent faults of the kinds the original played, each seed drawing the
    // rest of its plan) reach the same failure in a few percent of seeds, by
    // shorter chains. The first that fails the same checks becomes the best
    // run; false if none of kSmallRunAttempts did. Everything is drawn from
    // the shrinker's stream, so the same input still shrinks the same way.
    bool find_small_run() {
        std::set<std::string> kinds;
        for (const Fault& fault : start_result_.played.faults) kinds.insert(nemesis::fault_kind_name(fault.kind));
        if (kinds.empty()) return false;
        RunConfig small = start_config_;
        small.schedule = Json();
        small.nemesis = fmt::format("{}", fmt::join(kinds, ","));
        small.nodes = std::min(small.nodes, kSmallRunNodesMax);
        small.time_limit = std::min(small.time_limit, kSmallRunTimeLimit);
        small.fault_interval = std::min(small.fault_interval, kSmallRunFaultInterval);
        small.fault_duration = std::min(small.fault_duration, kSmallRunFaultDuration);
        // The knobs as the original had them: a seed flips those a run
        // leaves unset (search.h), and the failure may need the original's
        // (Figure 8 needs no PreVote).
        const SystemDescription* description = find_system(small.system);
        if (description != nullptr && description->options != nullptr) {
            auto own = description->options->normalize(small.system_options);
            for (const std::string& knob : description->knobs) {
                if (own && own->contains(knob)) small.system_options[knob] = (*own)[knob];
            }
        }
        small.workload_start = 0;
        small.only_ops.reset();
        small.only_keys.clear();
        // A system that needs more nodes (3f + 1 for a Byzantine one) keeps its own.
        if (!small.validate()) small.nodes = start_config_.nodes;
        for (int attempt = 0; attempt < kSmallRunAttempts && !out_of_budget(); ++attempt) {
            small.seed = 1 + random_.below(std::uint64_t{1} << 31);
            if (!try_config(small)) continue;
            // Played as data, as the original is (shrink()): the same run,
            // which the other steps can then edit.
            if (try_config(as_played(best_config_, best_result_))) {
                progress(fmt::format("small run: seed {}, {} faults", small.seed, size().faults));
                return true;
            }
        }
        return false;
    }

    // Back to the original run, for a new line of search. The random stream
    // goes on, so the new line draws other runs.
    void restart() {
        best_config_ = start_config_;
        best_result_ = start_result_;
        operations_ddmin_ = DdminState{};
    }

    // Runs a candidate; keeps it as the best if it fails the same way and is
    // no larger. A candidate the config's own rules refuse is never run.
    bool try_config(const RunConfig& candidate) {
        if (out_of_budget()) return false;
        // A run is deterministic: a candidate that did not fail the same way
        // will not the next time it is proposed (later rounds and lines
        // propose many of the same ones).
        const std::uint64_t key = hash_string(candidate.to_json().dump());
        if (not_failing_.contains(key) || !candidate.validate()) return false;
        ++runs_;
        auto result = run(candidate, RunOptions{.keep_node_logs = true});
        if (!result) return false;
        // The same failure: exactly the checks the original failed. A run an
        // invariant stopped early also fails the checks of its cut-off
        // history, and that is another story.
        if (failing_checks(*result) != target_) {
            not_failing_.insert(key);
            return false;
        }
        const Size now = size();
        const Size candidate_size = size_of(*result);
        if (candidate_size.faults > now.faults || candidate_size.operations > now.operations) return false;
        best_config_ = candidate;
        best_result_ = std::move(*result);
        return true;
    }

    RunConfig with_faults(const std::vector<Fault>& faults) const {
        RunConfig candidate = best_config_;
        candidate.schedule = nemesis::Schedule{faults}.to_json();
        return candidate;
    }

    std::vector<Fault> faults() const {
        auto schedule = nemesis::Schedule::from_json(best_config_.schedule, best_config_.nodes);
        FL_ASSERT(schedule.has_value());
        return schedule->faults;
    }

    // When the best run's failure was complete: the latest of the target
    // checks' failures (none if one of them cannot say when).
    std::optional<Nanos> failure_time() const {
        std::optional<Nanos> failed_at;
        for (const CheckOutcome& check : best_result_.checks) {
            if (std::find(target_.begin(), target_.end(), check.name) == target_.end()) continue;
            if (!check.failed_at) return std::nullopt;
            failed_at = std::max(failed_at.value_or(0), *check.failed_at);
        }
        return failed_at;
    }

    // ddmin (Zeller): at granularity n, try each of n pieces alone, then each
    // complement (everything but one piece); on success restart coarser, else
    // refine. `fails` runs a candidate (and keeps it as the best when it fails).
    // Most elements are usually irrelevant, so complements do most of the work.
    // `granularity` is where to start, and where it stopped when it returns
    // after `runs_max` more runs, so that a later call can resume.
    template <class T, class Fails>
    std::vector<T> ddmin(std::vector<T> current, Fails fails, const char* what, std::size_t& granularity,
                         int runs_max) {
        const int runs_end = runs_ + runs_max;
        while (current.size() >= 2 && !out_of_budget() && runs_ < runs_end) {
            const std::size_t size_before = current.size();
            granularity = std::min(granularity, current.size());
            std::vector<std::vector<T>> pieces;
            for (std::size_t i = 0; i < granularity; ++i) {
                const std::size_t begin = current.size() * i / granularity;
                const std::size_t end = current.size() * (i + 1) / granularity;
                pieces.emplace_back(current.begin() + static_cast<std::ptrdiff_t>(begin),
                                    current.begin() + static_cast<std::ptrdiff_t>(end));
            }
            bool reduced = false;
            for (std::size_t i = 0; i < pieces.size() && granularity <= kSubsetGranularityMax; ++i) {
                if (fails(pieces[i])) {
                    current = pieces[i];
                    granularity = 2;
                    reduced = true;
                    break;
                }
            }
            // Last piece first: what comes just before the failure is the
            // likeliest to go without changing how the run gets there.
            for (std::size_t i = pieces.size(); i-- > 0 && !reduced && granularity > 2;) {
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
            if (current.size() < size_before) progress(fmt::format("{}: {}", what, current.size()));
        }
        if (current.size() == 1 && !out_of_budget() && runs_ < runs_end && fails({})) {
            current.clear();
            progress(fmt::format("{}: none", what));
        }
        return current;
    }

    // Nothing after the failure can have caused it: end the run there, or
    // the recovery window if that is where it failed. The run up to the cut
    // is the same run, so this nearly always holds.
    void cut_at_failure() {
        const std::optional<Nanos> failed_at = failure_time();
        if (!failed_at) return;
        const Nanos cut = *failed_at + milliseconds(1);
        if (cut >= best_config_.time_limit) {
            if (cut >= best_config_.time_limit + best_config_.recovery) return;
            RunConfig candidate = best_config_;
            candidate.recovery = cut - best_config_.time_limit;
            if (try_config(candidate)) {
                progress(fmt::format("recovery window: {}", format_duration(best_config_.recovery)));
            }
            return;
        }
        // Faults that outlast the cut keep their length: everything heals at
        // the time limit anyway, and a later draw that fails a little later
        // still has them. end_faults_by_time_limit tidies them at the end.
        std::vector<Fault> kept = faults();
        std::erase_if(kept, [cut](const Fault& fault) { return fault.start >= cut; });
        RunConfig candidate = with_faults(kept);
        candidate.time_limit = cut;
        candidate.workload_start = std::min(candidate.workload_start, cut);
        if (try_config(candidate)) progress(fmt::format("cut at the failure: {}", format_duration(cut)));
    }

    // A failure that cannot say when it happened (liveness, availability)
    // cannot be cut at: a shorter run is tried instead, the largest cut first.
    void shorten_run() {
        if (failure_time()) return;
        bool shortened = true;
        while (shortened && !out_of_budget()) {
            shortened = false;
            for (const Nanos divisor : {8, 4, 2}) {
                const Nanos limit = best_config_.time_limit / divisor;
                if (limit < best_config_.workload_start || limit < milliseconds(1)) continue;
                std::vector<Fault> kept = faults();
                std::erase_if(kept, [limit](const Fault& fault) { return fault.start >= limit; });
                RunConfig candidate = with_faults(kept);
                candidate.time_limit = limit;
                if (try_config(candidate)) {
                    progress(fmt::format("run: {} long", format_duration(limit)));
                    shortened = true;
                    break;
                }
            }
        }
    }

    // The recovery window only matters to the availability check, and the
    // final reads come after the failure, unless they are what fails.
    void drop_recovery_and_final_reads() {
        if (best_config_.recovery > 0 && std::find(target_.begin(), target_.end(), "availability") == target_.end()) {
            RunConfig candidate = best_config_;
            candidate.recovery = 0;
            if (try_config(candidate)) progress("recovery window: none");
        }
        if (best_config_.final_ops) {
            RunConfig candidate = best_config_;
            candidate.final_ops = false;
            if (try_config(candidate)) progress("final reads: none");
        }
    }

    // Fewer fault-point actions, only the first ones: none at all if the run
    // fails without (whatever they did is then in the schedule, where a reader
    // sees it and the other steps can make it simpler), else as few as do.
    void fewer_fault_point_actions() {
        const int hits = best_result_.fault_point_hits();
        if (hits == 0) return;
        std::vector<int> limits{0};
        for (int limit = 1; limit < hits; limit *= 2) limits.push_back(limit);
        if (limits.back() != hits - 1) limits.push_back(hits - 1);
        for (int limit : limits) {
            if (out_of_budget()) return;
            RunConfig candidate = best_config_;
            candidate.fault_point_actions_max = limit;
            if (try_config(candidate)) {
                progress(fmt::format("fault-point actions: {}", best_result_.fault_point_hits()));
                return;
            }
        }
    }

    // Each fault-point action left out on its own, the latest first: the first
    // few (fewer_fault_point_actions) may be needed while a later one is not,
    // or the other way round. Leaving one out changes what comes after it, so
    // the later actions may then be others.
    void skip_fault_point_actions() {
        const std::vector<int> acted = best_result_.fault_point_acted;
        for (auto action = acted.rbegin(); action != acted.rend() && !out_of_budget(); ++action) {
            RunConfig candidate = best_config_;
            leave_out_fault_point_action(candidate, *action);
            if (try_config(candidate)) {
                progress(
                    fmt::format("fault-point action {} left out: {} act", *action, best_result_.fault_point_hits()));
            }
        }
    }

    // Each fault-point crash played instead as a scheduled kill of the same
    // node, from the same instant to its restart: the same count, but a kill
    // in the schedule is something the other steps can merge, leave out or
    // make simpler, and leaving out another fault no longer moves it. A crash
    // after the input's sends is a kill just after the input; a crash that
    // sent nothing falls between a kill just before the input (nothing of it
    // happens) and one just after (its sends leave), so both are tried. True
    // if one was played as a kill.
    bool fault_point_crashes_as_kills() {
        bool converted = false;
        const std::vector<sim::Simulation::FaultPointCrash> crashes = best_result_.fault_point_crashes;
        for (auto crash = crashes.rbegin(); crash != crashes.rend() && !out_of_budget(); ++crash) {
            const Nanos end = crash->restart_at > crash->at ? crash->restart_at : best_config_.time_limit;
            std::vector<Nanos> starts{crash->at + 1};
            if (!crash->after_sends) starts.push_back(crash->at);
            for (const Nanos start : starts) {
                if (start >= end) continue;
                std::vector<Fault> schedule = faults();
                const Fault kill{.kind = FaultKind::kill,
                                 .start = start,
                                 .duration = end - start,
                                 .nodes = {static_cast<int>(crash->node.value)}};
                schedule.insert(std::upper_bound(schedule.begin(), schedule.end(), kill,
                                                 [](const Fault& a, const Fault& b) { return a.start < b.start; }),
                                kill);
                RunConfig candidate = with_faults(schedule);
                leave_out_fault_point_action(candidate, crash->action);
                if (try_config(candidate)) {
                    progress(fmt::format("fault-point action {} as a kill: {}", crash->action, kill.describe()));
                    converted = true;
                    break;
                }
            }
        }
        return converted;
    }

    // The same run on a plain network (see make_network_plain).
    void plain_network() {
        RunConfig candidate = best_config_;
        if (make_network_plain(candidate) && try_config(candidate)) {
            progress(fmt::format("network: {} latency", best_config_.latency));
        }
    }

    // The system's own settings that bring the same behaviour at a smaller
    // scale (SystemDescription::scale_downs), smallest first: a failure that
    // needs a snapshot keeps the 2,000 operations that lead to one, and a
    // snapshot after a few entries lets the operations go.
    void smaller_scale() {
        const SystemDescription* description = find_system(best_config_.system);
        if (description == nullptr || description->options == nullptr) return;
        for (const auto& [option, values] : description->scale_downs) {
            // The run's own setting, its default if the config leaves it out.
            auto own = description->options->normalize(best_config_.system_options);
            if (!own) return;
            for (const Json& value : values) {
                // Only ever down from the run's own setting.
                if (!(value < own->value(option, Json{}))) break;
                RunConfig candidate = best_config_;
                candidate.system_options[option] = value;
                if (try_config(candidate)) {
                    progress(fmt::format("{}: {}", option, value.dump()));
                    break;
                }
            }
        }
    }

    // The last few faults before the failure, moved earlier so that the run
    // starts a short lead before the first of them: the run before them
    // mostly sets the stage, and any stage will do if the faults find the
    // same bug. Since each such run is a new draw, many are tried per number
    // of faults kept (1, 2, 4, ... all); on a plain network first (see
    // make_network_plain), on the run's own only if none of those fails.
    void focus_on_failure(int attempts) {
        const std::vector<Fault> all = faults();
        RunConfig plain = best_config_;
        const bool can_be_plainer = make_network_plain(plain);
        for (const bool make_plain : {true, false}) {
            if (!make_plain && !can_be_plainer) return;
            // Nothing failed on a plain network: this failure seems to need
            // the run's own, and thin_workload stops trying it.
            if (!make_plain) plain_network_fails_ = true;
            for (std::size_t kept_count = std::min<std::size_t>(1, all.size());;
                 kept_count = std::min(kept_count * 2, all.size())) {
                // The schedule is in start order: keep its tail.
                const std::vector<Fault> kept(all.end() - static_cast<std::ptrdiff_t>(kept_count), all.end());
                for (int attempt = 0; attempt < attempts && !out_of_budget(); ++attempt) {
                    if (try_config(drawn(kept, /*thinner=*/false, make_plain))) {
                        progress(fmt::format("focus: {} faults, {} long, latency {}", kept_count,
                                             format_duration(best_config_.time_limit), best_config_.latency));
                        return;
                    }
                }
                if (kept_count == all.size() || out_of_budget()) break;
            }
        }
    }

    // A new draw of the best run with only `kept` of its faults: they are
    // moved so that the first of them comes a random lead after the start,
    // the clients start a random part of that lead before it (or with no
    // faults, the run is its last lead), and the run goes a little longer
    // than to the failure. `thinner`: fewer clients (each at its rate, or a
    // half, a quarter or an eighth of it) too; `plain`: on a plain network.
    RunConfig drawn(const std::vector<Fault>& kept, bool thinner, bool plain) {
        const Nanos first = kept.empty() ? best_config_.time_limit : kept.front().start;
        const Nanos lead = random_.between(kLeadMin, kLeadMax);
        const Nanos stage = random_.between(0, lead);
        const Nanos slack = random_.between(0, kSlackMax);
        // Moved earlier only if it was later: a run is never made longer
        // before its faults.
        const Nanos shift = std::max<Nanos>(0, first - lead);
        std::vector<Fault> moved = kept;
        for (Fault& fault : moved) fault.start -= shift;
        RunConfig candidate = with_faults(moved);
        candidate.time_limit = best_config_.time_limit - shift + slack;
        // Never earlier than the clients started before: that would add operations.
        const Nanos earliest = std::max<Nanos>(0, best_config_.workload_start - shift);
        candidate.workload_start =
            std::min(candidate.time_limit, std::max(earliest, std::max<Nanos>(0, first - shift - stage)));
        if (plain) make_network_plain(candidate);
        if (thinner) {
            candidate.clients = 1 + static_cast<int>(random_.below(static_cast<std::uint64_t>(best_config_.clients)));
            const double divisor = std::pow(2.0, static_cast<double>(random_.below(4)));
            candidate.rate = readable_rate(best_config_.rate * candidate.clients / best_config_.clients / divisor);
        }
        // Generated operations are numbered from the workload's start, which
        // may have moved: the filters no longer name the same ones.
        candidate.only_ops.reset();
        candidate.only_keys.clear();
        return candidate;
    }

    // The same faults with a thinner workload, drawn again and again from the
    // best run so far (see drawn). Fewer clients matter most while the
    // cluster cannot serve: each then has one operation out per timeout,
    // whatever the rate.
    void thin_workload() {
        if (best_config_.clients == 0) return;
        const std::int64_t attempts =
            std::min<std::int64_t>(kThinAttempts, kThinAttemptsPerOperation * size().operations);
        for (std::int64_t attempt = 0; attempt < attempts && !out_of_budget(); ++attempt) {
            const bool plain = !plain_network_fails_ && random_.below(4) != 0;
            if (try_config(drawn(faults(), /*thinner=*/true, plain))) {
                progress(fmt::format("thinner: {} clients, {} ops/s", best_config_.clients, best_config_.rate));
            }
        }
    }

    // Faults aimed at a role (kill longest-log) or at whoever leads, pinned on
    // the nodes they struck, when they struck (Nemesis::played). Aimed, each
    // fault's node depends on every fault before it: leave one out and the
    // next kill may find another longest log, so nearly every removal is a new
    // draw. Pinned, a removal changes only what that fault did.
    void pin_aimed_faults() {
        const std::vector<Fault>& played = best_result_.played.faults;
        if (played == faults()) return;
        if (try_config(with_faults(played))) progress(fmt::format("faults: {}, pinned on their nodes", played.size()));
    }

    // Two kills (or pauses, or partitions) of the same nodes made one. While
    // they overlap, one spanning both does exactly what they did (a node stays
    // down while any kill holds it, a link cut while any partition cuts it),
    // so all of those are merged at once; then each pair in a row with a gap
    // between them, as a new draw (the node now stays down through the gap).
    // Not a pair with other faults between: one spanning those changes what
    // each of them does.
    void merge_faults() {
        std::vector<Fault> merged = faults();
        if (merge_overlapping(merged) && try_config(with_faults(merged))) {
            progress(fmt::format("faults: {}, overlapping ones merged", merged.size()));
        }
        std::vector<Fault> current = faults();
        for (std::size_t i = 0; i + 1 < current.size() && !out_of_budget(); ++i) {
            if (!same_effect(current[i], current[i + 1])) continue;
            std::vector<Fault> candidate = current;
            candidate[i].duration = std::max(current[i].end(), current[i + 1].end()) - current[i].start;
            candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(i + 1));
            if (try_config(with_faults(candidate))) {
                current = faults();
                progress(fmt::format("faults: {}, faults {} and {} made one", current.size(), i + 1, i + 2));
            }
        }
    }

    // Kills, or pauses, of different nodes that overlap in time made one
    // fault on all their nodes (see joined). Each node is then down a little
    // longer: another run, tried once the exact steps are stuck. True if two
    // were made one.
    bool join_faults() {
        bool joined_any = false;
        std::vector<Fault> current = faults();
        for (std::size_t i = 0; i < current.size() && !out_of_budget(); ++i) {
            for (std::size_t j = i + 1; j < current.size() && current[j].start <= current[i].end(); ++j) {
                const std::optional<Fault> joint = joined(current[i], current[j]);
                if (!joint) continue;
                std::vector<Fault> candidate = current;
                candidate[i] = *joint;
                candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(j));
                if (!try_config(with_faults(candidate))) continue;
                current = faults();
                joined_any = true;
                progress(fmt::format("faults: {}, faults {} and {} made one: {}", current.size(), i + 1, j + 1,
                                     joint->what()));
                j = i;  // the fault grew: look again from just after it
            }
        }
        return joined_any;
    }

    void minimize_faults() {
        std::size_t granularity = 2;
        ddmin(
            faults(), [this](const std::vector<Fault>& kept) { return try_config(with_faults(kept)); }, "faults",
            granularity, options_.runs_max);
    }

    // Faults left out at random, one or a few, each in a new draw: a fault
    // the failure needs in one draw may not be needed in another, and ddmin
    // has already tried each removal in this one.
    void drop_faults_drawn() {
        const std::size_t attempts = std::min(kDropAttempts, kDropAttemptsPerFault * faults().size());
        for (std::size_t attempt = 0; attempt < attempts && !out_of_budget(); ++attempt) {
            std::vector<Fault> kept = faults();
            if (kept.empty()) return;
            // Mostly one, sometimes more: the fewer left out, the likelier it still fails.
            const std::size_t drop = 1 + random_.below(1 + random_.below(kept.size()));
            for (std::size_t i = 0; i < drop && !kept.empty(); ++i) {
                kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(random_.below(kept.size())));
            }
            if (try_config(drawn(kept, /*thinner=*/false, /*plain=*/true))) {
                progress(fmt::format("faults: {}", kept.size()));
            }
        }
    }

    // Each fault that strikes messages or reads by chance (loss,
    // duplication, tampering, bit flips) made to strike every one: a sure
    // fault is simpler to follow, and it draws nothing, so what is left out
    // later no longer changes which messages it strikes. A loss that cannot
    // be made sure (losing every message cuts every node off) may be the
    // leader cut off: what most failures under loss come from, whoever leads
    // at some point of it.
    void make_faults_certain() {
        std::vector<Fault> current = faults();
        for (std::size_t i = 0; i < current.size() && !out_of_budget(); ++i) {
            if (!strikes_by_chance(current[i].kind) || current[i].amount >= 1) continue;
            std::vector<Fault> candidate = current;
            candidate[i].amount = 1;
            bool certain = try_config(with_faults(candidate));
            for (int quarter = 0; quarter < 4 && !certain && current[i].kind == FaultKind::loss; ++quarter) {
                const Nanos offset = current[i].duration * quarter / 4;
                candidate[i] = Fault{.kind = FaultKind::partition,
                                     .start = current[i].start + offset,
                                     .duration = current[i].duration - offset,
                                     .shape = PartitionShape::isolate_leader};
                certain = try_config(with_faults(candidate));
            }
            if (certain) {
                current = faults();
                progress(fmt::format("fault {}: {}", i + 1, current[i].what()));
            }
        }
    }

    // Each fault made simpler, one step at a time, while the run still fails.
    void simplify_faults() {
        std::vector<Fault> current = faults();
        for (std::size_t i = 0; i < current.size() && !out_of_budget(); ++i) {
            bool simpler = true;
            while (simpler && !out_of_budget()) {
                simpler = false;
                for (const Fault& version : simpler_versions(current[i])) {
                    std::vector<Fault> candidate = current;
                    candidate[i] = version;
                    if (try_config(with_faults(candidate))) {
                        current = faults();
                        simpler = true;
                        ++simplified_;
                        progress(fmt::format("fault {}: {}", i + 1, current[i].describe()));
                        break;
                    }
                }
            }
        }
    }

    // The smallest cluster that still fails, its faults mapped onto it. Not
    // below three servers: with fewer, no majority outlives a fault, and a
    // failure there says little about the protocol's fault tolerance.
    void fewer_nodes() {
        for (int nodes = 3; nodes < best_config_.nodes && !out_of_budget(); ++nodes) {
            RunConfig candidate = with_faults(faults_for_nodes(faults(), nodes));
            candidate.nodes = nodes;
            if (try_config(candidate)) {
                progress(fmt::format("nodes: {}", nodes));
                return;
            }
        }
    }

    // No clients at all if the failure needs none (an invariant can break
    // with no client in sight), else the fewest, each at its rate.
    void fewer_clients() {
        for (int clients = 0; clients < best_config_.clients && !out_of_budget(); ++clients) {
            RunConfig candidate = best_config_;
            candidate.clients = clients;
            candidate.rate = best_config_.rate * clients / best_config_.clients;
            if (clients == 0) {
                candidate.only_ops.reset();
                candidate.only_keys.clear();
            } else if (candidate.rate == 0) {
                continue;
            } else if (candidate.only_ops) {
                // The operations of the clients left out go with them.
                std::erase_if(*candidate.only_ops, [clients](const std::string& text) {
                    const std::optional<OpRef> ref = parse_op_ref(text);
                    return !ref || ref->client >= static_cast<std::uint32_t>(clients);
                });
            }
            if (try_config(candidate)) {
                progress(fmt::format("clients: {}", clients));
                return;
            }
        }
    }

    // Fewer operations per second, while it still fails; the largest cut first,
    // since each is a new draw rather than a step down a slope.
    void lower_rate() {
        bool lowered = true;
        while (lowered && best_config_.rate > 1 && !out_of_budget()) {
            lowered = false;
            for (double divisor : {8.0, 4.0, 2.0}) {
                RunConfig candidate = best_config_;
                candidate.rate = std::max(1.0, std::floor(best_config_.rate / divisor));
                if (candidate.rate >= best_config_.rate) continue;
                if (try_config(candidate)) {
                    lowered = true;
                    progress(fmt::format("rate: {} ops/s", best_config_.rate));
                    break;
                }
            }
        }
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
            if (candidate.workload_start <= best_config_.workload_start) return;
            // The operations are numbered from the workload's start.
            candidate.only_ops.reset();
            if (try_config(candidate)) {
                progress(fmt::format("clients start at {}", format_duration(best_config_.workload_start)));
                return;
            }
        }
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

    // Each client operation not needed to fail, a slice of runs per round:
    // in a chaotic run most removals are new draws, so ddmin may find only
    // one operation to leave out in every few dozen runs, and the draws of
    // the next round may do better. The next round resumes where this one
    // stopped if nothing else changed the operations sent.
    void minimize_operations() {
        std::vector<std::string> sent;
        for (const OpRef& ref : best_result_.sent_ops) sent.push_back(format_op_ref(ref));
        if (sent != operations_ddmin_.left) operations_ddmin_ = DdminState{};
        operations_ddmin_.left = ddmin(
            sent,
            [this](const std::vector<std::string>& kept) {
                RunConfig candidate = best_config_;
                candidate.only_ops = kept;
                return try_config(candidate);
            },
            "operations", operations_ddmin_.granularity, kOperationRunsPerRound);
    }

    // Faults end by the time limit, as the run ends them: what the shrunk
    // schedule says is then what happened.
    void end_faults_by_time_limit() {
        std::vector<Fault> clipped = faults();
        bool changed = false;
        for (Fault& fault : clipped) {
            if (fault.end() <= best_config_.time_limit) continue;
            fault.duration = best_config_.time_limit - fault.start;
            changed = true;
        }
        if (changed) try_config(with_faults(clipped));
    }

    void progress(const std::string& line) {
        if (options_.progress) options_.progress(fmt::format("  {:<30} ({} runs)", line, runs_));
    }

    // Where every line starts: the original run.
    const RunConfig start_config_;
    const RunResult start_result_;
    const std::vector<std::string> target_;
    const ShrinkOptions& options_;
    // The shrinker's own choices (the leads, starts and workloads it draws),
    // from a stream of the run's seed: the same run always shrinks the same way.
    Prng random_;
    RunConfig best_config_;
    RunResult best_result_;
    int runs_ = 0;
    // The configs run so far that did not fail the same way, by hash.
    std::unordered_set<std::uint64_t> not_failing_;
    // Where the ddmin over operations stopped: the operations it left, at
    // which granularity.
    struct DdminState {
        std::vector<std::string> left;
        std::size_t granularity = 2;
    };
    DdminState operations_ddmin_;
    // No focused run failed on a plain network.
    bool plain_network_fails_ = false;
    // Faults made simpler so far: a round that did so was not idle.
    int simplified_ = 0;
};

}  // namespace

std::size_t faults_counted(const RunResult& result) {
    return result.schedule.faults.size() + static_cast<std::size_t>(result.fault_point_hits());
}

Result<ShrinkResult> shrink(const RunConfig& config, const RunResult& original, const ShrinkOptions& options) {
    std::vector<std::string> target = failing_checks(original);
    if (target.empty()) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("the run of seed {} did not fail a check: nothing to shrink", config.seed));
    }
    ShrinkResult result;
    result.failing = target;
    result.faults_before = size_of(original).faults;
    result.operations_before = original.ops.invoked;
    const auto wall_start = std::chrono::steady_clock::now();
    Shrinker shrinker(as_played(config, original), original, std::move(target), options);
    shrinker.search();
    result.config = shrinker.best_config();
    result.result = shrinker.take_best_result();
    result.faults_after = size_of(result.result).faults;
    result.operations_after = result.result.ops.invoked;
    result.runs = shrinker.runs();
    result.budget_exhausted = shrinker.out_of_budget();
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return result;
}

}  // namespace faultline::runner
