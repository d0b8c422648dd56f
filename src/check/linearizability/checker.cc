#include "check/linearizability/checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "base/assert.h"
#include "check/linearizability/search.h"
#include "check/linearizability/state_space.h"
#include "check/models/kv_append.h"
#include "check/models/map_model.h"
#include "check/models/multi_register.h"
#include "check/models/register.h"
#include "check/models/small_models.h"

namespace faultline::check {

const char* linearizability_verdict_text(Verdict verdict) {
    switch (verdict) {
        case Verdict::valid:
            return "linearizable";
        case Verdict::invalid:
            return "not linearizable";
        case Verdict::unknown:
            return "unknown";
    }
    FL_UNREACHABLE();
}

namespace {

using Clock = std::chrono::steady_clock;
using lin::Outcome;
using lin::PairedOp;
using lin::SearchOp;
using models::kNever;

// Limits on the counterexample's final paths: they illustrate, the proof is the
// exhausted search, so a bounded sample is enough.
constexpr std::size_t kMaxFinalPaths = 32;
constexpr std::size_t kMaxPathNodes = 20000;
constexpr std::size_t kMaxWindowForPaths = 24;
constexpr std::size_t kLinearizationTail = 64;
// Explaining a verdict already reached is bounded by work of its own, not by
// what the verdict's searches left: a counterexample then depends only on its
// partition, never on how much other keys used (nor on the clock). Shrinking
// the window to a minimal set: the configurations its searches may explore in
// all; past it, the set found so far is reported, not claimed minimal. About
// half a second of search (BENCHMARKS.md).
constexpr std::uint64_t kWindowConfigs = 500'000;
// Explaining an anomaly a pre-check found, or a key of a --no-split failure
// found key by key: configurations in all, about two seconds of search.
constexpr std::uint64_t kExplainConfigs = 2'000'000;
// Quiescent splitting: segments hold at least this many ops, the frontier of
// (state, unused optional ops) carried across a cut at most kMaxFrontier
// entries, and enumerating a segment's end configurations explores at most
// kSegmentConfigsPerOp configurations per op of the segment (plus a constant);
// beyond these limits the partition is searched whole.
constexpr std::size_t kMinSegmentOps = 32;
constexpr std::size_t kMaxFrontier = 512;
constexpr std::uint64_t kSegmentConfigsPerOp = 50;
constexpr std::uint64_t kSegmentConfigsBase = 2000;
// The most reads of later segments a segment's search tests its states
// against before it merges them as unobservable (add_later_reads); past it,
// nothing of that part of the state is merged in that segment.
constexpr std::size_t kMaxLaterReads = 256;

const char* outcome_reason(Outcome outcome) {
    switch (outcome) {
        case Outcome::out_of_memory:
            return "memory limit reached";
        case Outcome::cancelled:
            return "cancelled";
        case Outcome::out_of_configs:
            return "configuration budget reached";
        default:
            return "";
    }
}

bool key_less(const Json& a, const Json& b);

// Everything a partition check needs to know about the history, shared by all
// partitions.
struct Context {
    const History* history;
    const std::vector<PairedOp>* paired;
    const LinearizabilityOptions* options;
};

// What one partition check may spend: configurations for the searches that
// decide its verdict (in all), bytes per search, and a cancel flag for work
// that may be thrown away.
struct Budget {
    std::uint64_t configs = 0;
    std::size_t bytes = 0;
    const std::atomic<bool>* cancel = nullptr;
};

// Why a partition check stopped short, if it did: its verdict's budget ran out
// (then the verdict is unknown), or some search, of the verdict or of its
// explanation, ran out of memory or was cancelled. A check that stopped for
// neither gives the same result under any budget at least as large as what it
// used (check_with relies on this).
enum class Stop : std::uint8_t { none, configs, other };

// One partition of encoded ops.
template <class M>
struct Partition {
    Json key;
    std::vector<typename M::Op> ops;
    std::vector<std::uint32_t> paired;  // index into Context::paired, per op
    std::vector<SearchOp> times;        // call/ret ranks; op = own index
};

template <class M>
class PartitionChecker {
  public:
    using Space = lin::StateSpace<M>;
    using Search = lin::Search<Space>;

    PartitionChecker(const M& model, const Partition<M>& part, const Context& context,
                     const Budget& budget)
        : model_(model),
          part_(part),
          context_(context),
          space_(model, part.ops),
          configs_max_(budget.configs) {
        limits_.max_bytes = budget.bytes;
        limits_.cancel = budget.cancel;
        for (const SearchOp& op : part.times) required_ += op.required() ? 1 : 0;
        // The ops the search considers: all but optional ones the model calls
        // useless (see models/model.h).
        std::vector<char> useless(part.ops.size(), 0);
        if constexpr (requires(const M& m, std::span<const models::TimedOp<typename M::Op>> ops) {
                          m.useless(ops);
                      }) {
            useless = model.useless(timed_ops());
        }
        for (std::size_t i = 0; i < part.times.size(); ++i) {
            if (!useless[i]) active_.push_back(part.times[i]);
        }
    }

    PartitionResult check(std::optional<Counterexample>* counterexample) {
        result_.key = part_.key;
        result_.operations = part_.ops.size();
        result_.optional_ops = part_.ops.size() - required_;
        cx_ = counterexample;
        if (context_.options->prechecks && precheck()) return result_;
        // Nothing left (the keys before used it all): not even a first
        // configuration, so the check as a whole spends at most one past its
        // budget.
        if (configs_left() == 0) {
            give_up(Outcome::out_of_configs);
            return result_;
        }
        if (context_.options->split_at_quiescence &&
            part_.ops.size() >= context_.options->quiescence_min_ops && check_segmented()) {
            return result_;
        }
        check_whole();
        return result_;
    }

    Stop stop() const { return stop_; }

  private:
    // --- pre-checks

    std::vector<models::TimedOp<typename M::Op>> timed_ops() const {
        std::vector<models::TimedOp<typename M::Op>> timed;
        timed.reserve(part_.ops.size());
        for (std::size_t i = 0; i < part_.ops.size(); ++i) {
            timed.push_back({part_.ops[i], part_.times[i].call, part_.times[i].ret});
        }
        return timed;
    }

    bool precheck() {
        if constexpr (requires(const M& m, std::span<const models::TimedOp<typename M::Op>> ops) {
                          m.impossible(ops);
                      }) {
            std::vector<models::Impossible> found = model_.impossible(timed_ops());
            if (found.empty()) return false;
            // The impossible op that completed first: every op completed before it
            // decides the counterexample, so search only up to there.
            const auto first =
                std::min_element(found.begin(), found.end(), [&](const auto& a, const auto& b) {
                    return part_.times[a.op].ret < part_.times[b.op].ret;
                });
            result_.verdict = Verdict::invalid;
            result_.decided_by_precheck = true;
            if (cx_ != nullptr && context_.options->counterexample) {
                explain_impossible(first->op, first->reason);
            }
            return true;
        }
        return false;
    }

    // Searches the history up to the impossible op's completion (later ops become
    // optional: they can only matter as effects before it), which must fail and
    // yields the exact first failing op and its context.
    void explain_impossible(std::uint32_t bad, const std::string& reason) {
        if constexpr (Space::kGrouped) {
            // The impossible op's key alone explains it (see explain_by_key).
            (void)reason;
            explain_by_key(std::uint64_t{1} << part_.ops[bad].key);
            return;
        }
        // The verdict is settled; the explanation gets a budget of its own, and
        // says so if it runs out.
        lin::Limits limits = limits_;
        limits.max_configs = kExplainConfigs;
        const std::uint32_t until = part_.times[bad].ret;
        // First: are the ops completed before it linearizable without it? Then it
        // is the first op that cannot be linearized, and one linearization of
        // everything before it (usually found at once) is the context.
        std::vector<SearchOp> before;
        for (const SearchOp& op : active_) {
            if (op.call > until || op.op == bad) continue;
            SearchOp copy = op;
            if (copy.ret != kNever && copy.ret > until) copy.ret = kNever;
            before.push_back(copy);
        }
        std::uint64_t spent = 0;
        {
            Search search(before, space_, limits);
            const Outcome outcome = search.run(space_.initial(), {}, false);
            note_explain(search, outcome);
            spent = search.stats().configs;
            if (outcome == Outcome::success) {
                build_impossible_counterexample(search, bad, reason);
                return;
            }
        }
        // Something completed earlier fails too: search with it for the first one.
        std::vector<SearchOp> ops = before;
        SearchOp with_bad = part_.times[bad];
        ops.push_back(with_bad);
        limits.max_configs = kExplainConfigs - std::min(spent, kExplainConfigs);
        Search search(ops, space_, limits);
        const Outcome outcome = search.run(space_.initial(), {}, false);
        note_explain(search, outcome);
        if (outcome == Outcome::failure) {
            build_counterexample(search, 0);
            Counterexample& cx = **cx_;
            if (cx.op && cx.ops[*cx.op].index == op_index(bad)) cx.reason = reason;
            return;
        }
        FL_ASSERT_MSG(outcome != Outcome::success,
                      "a pre-check found an impossible op but the search linearized it");
        // Out of budget: report what the pre-check proved.
        Counterexample cx;
        cx.key = part_.key;
        cx.required_ops = required_;
        cx.op = add_op(cx, bad);
        cx.reason = reason;
        cx.truncated = true;
        *cx_ = std::move(cx);
    }

    // The counterexample when everything completed before the impossible op
    // `bad` linearizes: `search` succeeded on those ops, and its linearization
    // ends in the state(s) `bad` cannot be explained from.
    void build_impossible_counterexample(const Search& search, std::uint32_t bad,
                                         const std::string& reason) {
        op_slots_.clear();
        Counterexample cx;
        cx.key = part_.key;
        cx.required_ops = required_;
        cx.op = add_op(cx, bad);
        cx.reason = reason;
        const std::uint32_t until = part_.times[bad].ret;
        std::optional<std::uint32_t> previous;
        for (std::uint32_t i = 0; i < part_.times.size(); ++i) {
            const SearchOp& op = part_.times[i];
            if (!op.required() || op.ret >= until) continue;
            ++cx.linearized_prefix;
            if (!previous || op.ret > part_.times[*previous].ret) previous = i;
        }
        if (previous) cx.previous_ok = add_op(cx, *previous);
        const auto& path = search.best_path();
        std::vector<char> linearized(part_.ops.size(), 0);
        std::uint32_t last_change = kNever;
        std::uint64_t state = search.best_start_state();
        for (const lin::PathStep& step : path) {
            linearized[step.op] = 1;
            if (step.state != state) last_change = step.op;
            state = step.state;
        }
        std::vector<std::uint32_t> window;
        for (const SearchOp& op : active_) {
            if (op.call < until && op.op != bad && !linearized[op.op]) window.push_back(op.op);
        }
        std::sort(window.begin(), window.end(), [&](std::uint32_t a, std::uint32_t b) {
            return part_.times[a].call < part_.times[b].call;
        });
        for (std::uint32_t i : window) cx.pending.push_back(add_op(cx, i));
        cx.prefix_states.push_back(describe(state));
        std::vector<std::uint32_t> pool = window;
        if (pool.size() > kMaxWindowForPaths) {
            pool.resize(kMaxWindowForPaths);
            cx.truncated = true;
        }
        pool.push_back(bad);
        std::vector<CounterexampleStep> steps;
        CounterexampleStep start;
        if (last_change != kNever) start.op = add_op(cx, last_change);
        start.state = describe(state);
        steps.push_back(start);
        std::vector<char> used(pool.size(), 0);
        std::set<std::pair<std::uint64_t, std::vector<char>>> visited;
        std::size_t nodes = 0;
        explore_paths(cx, pool, bad, state, used, steps, visited, nodes);
        record_linearization_tail(cx, search.best_start_state(), path);
        find_window(cx, search.best_start_state(), path, bad);
        *cx_ = std::move(cx);
    }

    // --- quiescent segments

    struct FrontierConfig {
        std::uint64_t state;
        std::vector<std::uint32_t> available;  // optional ops not yet used, sorted
    };

    // Returns true if it decided the partition (or ran out of budget).
    bool check_segmented() {
        const std::vector<std::vector<std::uint32_t>> segments = cut_segments();
        if (segments.size() < 2) return false;
        result_.segments = segments.size();
        std::vector<FrontierConfig> frontier{{space_.initial(), {}}};
        std::size_t required_before = 0;
        for (std::size_t s = 0; s < segments.size(); ++s) {
            const bool last = s + 1 == segments.size();
            std::vector<std::uint32_t> carried;
            for (const FrontierConfig& config : frontier) {
                carried.insert(carried.end(), config.available.begin(), config.available.end());
            }
            std::sort(carried.begin(), carried.end());
            carried.erase(std::unique(carried.begin(), carried.end()), carried.end());
            std::vector<SearchOp> ops;
            for (std::uint32_t i : segments[s]) ops.push_back(part_.times[i]);
            for (std::uint32_t i : carried) ops.push_back(part_.times[i]);
            // Enumerating a segment's ends can explode where a search of the
            // whole partition, which stops at its first linearization, is
            // quick: past a budget of its own, even within one run, give up on
            // cuts. Past what is left of the partition's budget, give up.
            const std::uint64_t budget = kSegmentConfigsBase + kSegmentConfigsPerOp * ops.size();
            const bool segment_bound = !last && budget < configs_left();
            lin::Limits limits = limits_;
            limits.max_configs = segment_bound ? budget : configs_left();
            Search search(ops, space_, limits);
            if (!last) add_later_reads(search, ops, part_.times[segments[s + 1].front()].call);
            bool success = false;
            std::vector<std::uint32_t> spent;
            for (const FrontierConfig& config : frontier) {
                spent.clear();
                std::set_difference(carried.begin(), carried.end(), config.available.begin(),
                                    config.available.end(), std::back_inserter(spent));
                const Outcome outcome = search.run(config.state, spent, !last);
                if (outcome == Outcome::success) {
                    success = true;
                    if (last) break;
                } else if (outcome != Outcome::failure) {
                    note_stats(search);
                    if (outcome == Outcome::out_of_configs && segment_bound) return false;
                    give_up(outcome);
                    return true;
                }
            }
            note_stats(search);
            if (!success) {
                result_.verdict = Verdict::invalid;
                if (cx_ != nullptr && context_.options->counterexample) {
                    explain(search, required_before, false);
                }
                return true;
            }
            if (last) return true;
            frontier = reduce_frontier(search.ends());
            if (frontier.size() > kMaxFrontier) return false;
            for (std::uint32_t i : segments[s])
                required_before += part_.times[i].required() ? 1 : 0;
        }
        FL_UNREACHABLE();
    }

    // The search of a segment that ends at `cut` (the first invocation of the
    // next one) merges states no read can observe any more (search.h); its end
    // states cross the cut, so the reads of later segments count too. For each
    // part of the state the segment's ops change, those are the completed
    // reads invoked after the cut and before the first completion of a
    // required reset after it (which must come between the cut and any later
    // read). The list stops at the first read no reset may precede (none is
    // invoked before it completes): a state that read cannot reach is a dead
    // end whether merged or not, so no later read needs testing.
    void add_later_reads(Search& search, const std::vector<SearchOp>& ops, std::uint32_t cut) {
        if constexpr (Space::kUnobservable) {
            if (readers_.empty()) index_readers();
            std::vector<char> touched(readers_.size(), 0);
            for (const SearchOp& op : ops) {
                if (!space_.read_only(op.op)) touched[space_.group(op.op)] = 1;
            }
            auto call_before = [&](std::uint32_t i, std::uint32_t rank) {
                return part_.times[i].call < rank;
            };
            for (std::uint32_t g = 0; g < readers_.size(); ++g) {
                if (!touched[g]) continue;
                const Readers& r = readers_[g];
                const auto k = static_cast<std::size_t>(
                    std::lower_bound(r.resets.begin(), r.resets.end(), cut, call_before) -
                    r.resets.begin());
                const std::uint32_t bound = k < r.resets.size() ? r.min_ret[k] : kNever;
                // An optional reset invoked before the cut may still take effect
                // after it, at any time.
                const std::uint32_t rescue = r.first_optional_reset < cut ? 0
                                             : k < r.resets.size() ? part_.times[r.resets[k]].call
                                                                   : kNever;
                std::size_t listed = 0;
                for (auto it = std::lower_bound(r.reads.begin(), r.reads.end(), cut, call_before);
                     it != r.reads.end() && part_.times[*it].call < bound; ++it) {
                    if (++listed > kMaxLaterReads) {
                        search.keep_observable(g);
                        break;
                    }
                    search.add_outside_read(*it);
                    if (part_.times[*it].ret < rescue) break;
                }
            }
        } else {
            (void)search;
            (void)ops;
            (void)cut;
        }
    }

    void index_readers() {
        if constexpr (Space::kUnobservable) {
            readers_.resize(space_.group_count());
            std::vector<std::uint32_t> order;
            for (const SearchOp& op : active_) order.push_back(op.op);
            std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
                return part_.times[a].call < part_.times[b].call;
            });
            for (std::uint32_t i : order) {
                Readers& r = readers_[space_.group(i)];
                const bool required = part_.times[i].required();
                if (space_.resets(i)) {
                    r.resets.push_back(i);
                    if (!required) {
                        r.first_optional_reset =
                            std::min(r.first_optional_reset, part_.times[i].call);
                    }
                } else if (space_.read_only(i) && required) {
                    r.reads.push_back(i);
                }
            }
            for (Readers& r : readers_) {
                r.min_ret.resize(r.resets.size());
                std::uint32_t earliest = kNever;
                for (std::size_t k = r.resets.size(); k-- > 0;) {
                    earliest = std::min(earliest, part_.times[r.resets[k]].ret);
                    r.min_ret[k] = earliest;
                }
            }
        }
    }

    // Groups ops (by index) into segments at quiescent points: a cut before an
    // invocation that comes after every earlier required op completed.
    std::vector<std::vector<std::uint32_t>> cut_segments() const {
        std::vector<std::uint32_t> order;
        for (const SearchOp& op : active_) order.push_back(op.op);
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            return part_.times[a].call < part_.times[b].call;
        });
        std::vector<std::vector<std::uint32_t>> segments(1);
        std::uint32_t reach = 0;
        bool any_required = false;
        bool any_optional = false;
        for (std::uint32_t i : order) {
            const SearchOp& op = part_.times[i];
            // No cut after an op of unknown outcome: it would be carried across
            // every later cut, and enumerating each piece's ends with it costs far
            // more than one search of the whole (it could take effect anywhere).
            if (any_required && !any_optional && reach < op.call &&
                segments.back().size() >= kMinSegmentOps) {
                segments.emplace_back();
                any_required = false;
            }
            segments.back().push_back(i);
            if (op.required()) {
                reach = std::max(reach, op.ret);
                any_required = true;
            } else {
                any_optional = true;
            }
        }
        // A trailing segment of only optional ops belongs with its predecessor.
        if (segments.size() > 1 &&
            std::none_of(segments.back().begin(), segments.back().end(),
                         [&](std::uint32_t i) { return part_.times[i].required(); })) {
            auto tail = std::move(segments.back());
            segments.pop_back();
            segments.back().insert(segments.back().end(), tail.begin(), tail.end());
        }
        return segments;
    }

    // Drops duplicate end configurations and those another one dominates (same
    // state, a superset of optional ops still available: anything reachable from
    // the smaller set is reachable from the larger one).
    static std::vector<FrontierConfig> reduce_frontier(const std::vector<lin::EndConfig>& ends) {
        std::map<std::uint64_t, std::vector<std::vector<std::uint32_t>>> by_state;
        for (const lin::EndConfig& end : ends) by_state[end.state].push_back(end.available);
        std::vector<FrontierConfig> frontier;
        for (auto& [state, sets] : by_state) {
            std::sort(sets.begin(), sets.end(), [](const auto& a, const auto& b) {
                return a.size() != b.size() ? a.size() > b.size() : a < b;
            });
            sets.erase(std::unique(sets.begin(), sets.end()), sets.end());
            std::vector<const std::vector<std::uint32_t>*> kept;
            for (const auto& set : sets) {
                const bool dominated = std::any_of(kept.begin(), kept.end(), [&](const auto* big) {
                    return std::includes(big->begin(), big->end(), set.begin(), set.end());
                });
                if (!dominated) kept.push_back(&set);
            }
            for (const auto* set : kept) frontier.push_back({state, *set});
        }
        return frontier;
    }

    // --- the whole partition at once

    void check_whole() {
        lin::Limits limits = limits_;
        limits.max_configs = configs_left();
        Search search(active_, space_, limits);
        const Outcome outcome = search.run(space_.initial(), {}, false);
        note_stats(search);
        result_.segments = 1;
        if (outcome == Outcome::success) return;
        if (outcome != Outcome::failure) {
            give_up(outcome);
            return;
        }
        result_.verdict = Verdict::invalid;
        if (cx_ != nullptr && context_.options->counterexample) explain(search, 0, true);
    }

    // `whole`: `search` covered the partition from its initial state, not a
    // segment from the states the earlier segments can end in.
    void explain(const Search& search, std::size_t required_before, bool whole) {
        if constexpr (Space::kGrouped) {
            (void)required_before;
            // A segment's search fails from every frontier state, each time
            // blamed on keys that fail from *that* state; the blame of the
            // last is no proof that those keys fail whatever happened before.
            // By locality some key fails alone: look at them all.
            explain_by_key(whole ? search.failure_groups() : ~std::uint64_t{0});
        } else {
            build_counterexample(search, required_before);
        }
    }

    // For a map of independent objects searched whole (--no-split): the search
    // says which keys' ops alone cannot be linearized (backjumping blames), and
    // by locality at least one of them fails on its own; the counterexample is
    // that key's, found by checking the keys one at a time, in key order. The
    // whole-history search's own progress is no guide here: it skipped, on
    // purpose, the choices on keys that did not matter.
    void explain_by_key(std::uint64_t groups) {
        if constexpr (Space::kGrouped) {
            using Inner = typename M::Inner;
            const std::uint32_t count = static_cast<std::uint32_t>(model_.group_count());
            std::vector<std::uint32_t> keys;
            for (std::uint32_t g = 0; g < count; ++g) {
                if (g >= 64 || (groups >> g) & 1) keys.push_back(g);
            }
            std::sort(keys.begin(), keys.end(), [&](std::uint32_t a, std::uint32_t b) {
                return key_less(model_.key(a), model_.key(b));
            });
            for (std::uint32_t g : keys) {
                Partition<Inner> sub;
                sub.key = model_.key(g);
                for (std::uint32_t i = 0; i < part_.ops.size(); ++i) {
                    if (part_.ops[i].key != g) continue;
                    SearchOp times = part_.times[i];
                    times.op = static_cast<std::uint32_t>(sub.ops.size());
                    sub.ops.push_back(part_.ops[i].op);
                    sub.paired.push_back(part_.paired[i]);
                    sub.times.push_back(times);
                }
                std::optional<Counterexample> cx;
                const std::uint64_t spent = std::min(explain_configs_, kExplainConfigs);
                PartitionChecker<Inner> checker(
                    model_.inner(), sub, context_,
                    Budget{kExplainConfigs - spent, limits_.max_bytes, limits_.cancel});
                const PartitionResult result = checker.check(&cx);
                explain_configs_ += result.configs;
                result_.peak_bytes = std::max(result_.peak_bytes, result.peak_bytes);
                if (checker.stop() == Stop::other) stop_ = Stop::other;
                if (result.verdict == Verdict::invalid && cx) {
                    *cx_ = std::move(cx);
                    return;
                }
                FL_ASSERT_MSG(
                    result.verdict != Verdict::valid || groups != (std::uint64_t{1} << g),
                    "a key blamed alone for the failure is linearizable alone");
            }
            // Out of budget while explaining: the verdict stands (the search proved
            // it), the explanation is partial.
            Counterexample cx;
            cx.key = keys.empty() ? Json() : model_.key(keys.front());
            cx.required_ops = required_;
            cx.reason =
                "the operations on this key cannot be linearized (not explained further: "
                "out of budget)";
            cx.truncated = true;
            *cx_ = std::move(cx);
        } else {
            (void)groups;
            FL_UNREACHABLE();
        }
    }

    void give_up(Outcome outcome) {
        result_.verdict = Verdict::unknown;
        result_.unknown_reason = outcome_reason(outcome);
        note_stop(outcome);
    }

    void note_stop(Outcome outcome) {
        if (outcome == Outcome::out_of_configs && stop_ == Stop::none) stop_ = Stop::configs;
        if (outcome == Outcome::out_of_memory || outcome == Outcome::cancelled) stop_ = Stop::other;
    }

    // The configurations the verdict's searches may still explore.
    std::uint64_t configs_left() const {
        return configs_max_ > result_.configs ? configs_max_ - result_.configs : 0;
    }

    // After a search that decides the verdict: its work counts against the
    // partition's budget.
    void note_stats(const Search& search) {
        result_.configs += search.stats().configs;
        result_.peak_bytes = std::max(result_.peak_bytes, search.stats().peak_bytes);
    }

    // After a search that explains a verdict already reached: its work has a
    // budget of its own (running out of it only truncates the explanation),
    // its memory counts like any other search's.
    void note_explain(const Search& search, Outcome outcome) {
        result_.peak_bytes = std::max(result_.peak_bytes, search.stats().peak_bytes);
        if (outcome != Outcome::out_of_configs) note_stop(outcome);
    }

    // --- counterexamples

    std::int64_t op_index(std::uint32_t i) const {
        const PairedOp& paired = (*context_.paired)[part_.paired[i]];
        const std::uint32_t at =
            paired.complete != PairedOp::kNoEvent ? paired.complete : paired.invoke;
        return (*context_.history)[at].index;
    }

    std::size_t add_op(Counterexample& cx, std::uint32_t i) {
        auto [it, inserted] = op_slots_.try_emplace(i, cx.ops.size());
        if (!inserted) return it->second;
        const PairedOp& paired = (*context_.paired)[part_.paired[i]];
        const History& history = *context_.history;
        const Operation& invoke = history[paired.invoke];
        CounterexampleOp op;
        op.invoke_index = invoke.index;
        op.process = invoke.process;
        op.f = invoke.f;
        op.invoke_time = invoke.time;
        op.description = model_.describe_op(part_.ops[i]);
        if (paired.complete != PairedOp::kNoEvent) {
            const Operation& complete = history[paired.complete];
            op.index = complete.index;
            op.type = complete.type;
            op.value = complete.type == OpType::ok ? complete.value : invoke.value;
            op.complete_time = complete.time;
        } else {
            op.index = invoke.index;
            op.type = OpType::info;
            op.completed = false;
            op.value = invoke.value;
            op.complete_time = invoke.time;
        }
        cx.ops.push_back(std::move(op));
        return it->second;
    }

    // The last kLinearizationTail steps of a longest linearization, and the
    // state they start from.
    template <class Path>
    void record_linearization_tail(Counterexample& cx, std::uint64_t start_state, const Path& path) {
        const std::size_t from = path.size() > kLinearizationTail ? path.size() - kLinearizationTail : 0;
        cx.linearization_omitted = from;
        cx.start_state = describe(from == 0 ? start_state : path[from - 1].state);
        for (std::size_t k = from; k < path.size(); ++k) {
            CounterexampleStep step;
            step.op = add_op(cx, path[k].op);
            step.state = describe(path[k].state);
            cx.linearization.push_back(std::move(step));
        }
    }

    std::string describe(std::uint64_t word) const {
        return model_.describe_state(space_.state(word));
    }

    void build_counterexample(const Search& search, std::size_t required_before) {
        op_slots_.clear();
        Counterexample cx;
        cx.key = part_.key;
        cx.required_ops = required_;
        cx.linearized_prefix = required_before + search.best_prefix();
        FL_ASSERT_LT(search.best_prefix(), search.required_count());
        const std::uint32_t failing = search.required_index(search.best_prefix());
        cx.op = add_op(cx, failing);
        // The last completed op before it (in completion order) is the end of the
        // longest prefix.
        std::optional<std::uint32_t> previous;
        for (std::uint32_t i = 0; i < part_.times.size(); ++i) {
            const SearchOp& op = part_.times[i];
            if (!op.required() || op.ret >= part_.times[failing].ret) continue;
            if (!previous || op.ret > part_.times[*previous].ret) previous = i;
        }
        if (previous) cx.previous_ok = add_op(cx, *previous);

        // The window and the states the longest prefixes end in.
        std::set<std::uint32_t> window;
        std::set<std::uint64_t> states;
        for (const lin::BestConfig& config : search.best_configs()) {
            window.insert(config.pending.begin(), config.pending.end());
            states.insert(config.state);
        }
        std::vector<std::uint32_t> window_ops(window.begin(), window.end());
        std::sort(window_ops.begin(), window_ops.end(), [&](std::uint32_t a, std::uint32_t b) {
            return part_.times[a].call < part_.times[b].call;
        });
        for (std::uint32_t i : window_ops) cx.pending.push_back(add_op(cx, i));
        for (std::uint64_t state : states) cx.prefix_states.push_back(describe(state));
        cx.truncated = search.best_configs_truncated();

        // Final paths from every distinct (state, last state-changing op).
        std::set<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t>> starts;
        std::size_t nodes = 0;
        for (const lin::BestConfig& config : search.best_configs()) {
            if (!starts.insert({config.state, config.last_change, config.doomed}).second) continue;
            if (cx.final_paths.size() >= kMaxFinalPaths) {
                cx.truncated = true;
                break;
            }
            std::vector<std::uint32_t> pool = config.pending;
            if (pool.size() > kMaxWindowForPaths) {
                pool.resize(kMaxWindowForPaths);
                cx.truncated = true;
            }
            pool.push_back(failing);
            std::vector<CounterexampleStep> path;
            CounterexampleStep start;
            if (config.last_change != kNever) start.op = add_op(cx, config.last_change);
            start.state = describe(config.state);
            path.push_back(start);
            if (config.doomed != kNever) {
                // The search stopped here because a pending read can never be
                // satisfied (monotone lookahead); that is this path's failure.
                CounterexampleStep step;
                step.op = add_op(cx, config.doomed);
                step.error = model_.explain(space_.state(config.state), part_.ops[config.doomed]) +
                             ", and no op that could reset it may happen before it completes";
                path.push_back(std::move(step));
                cx.final_paths.push_back(std::move(path));
                continue;
            }
            std::vector<char> used(pool.size(), 0);
            std::set<std::pair<std::uint64_t, std::vector<char>>> visited;
            explore_paths(cx, pool, failing, config.state, used, path, visited, nodes);
        }
        // One longest linearization, its tail.
        const auto& best = search.best_path();
        record_linearization_tail(cx, search.best_start_state(), best);
        // The op the window is about: the failing one, unless every longest
        // prefix stopped at a read the lookahead proved doomed; then the first
        // such read to complete is what actually cannot be ordered.
        std::uint32_t window_op = failing;
        bool all_doomed = !search.best_configs().empty();
        std::uint32_t doomed = kNever;
        for (const lin::BestConfig& config : search.best_configs()) {
            if (config.doomed == kNever) {
                all_doomed = false;
            } else if (doomed == kNever || part_.times[config.doomed].ret < part_.times[doomed].ret) {
                doomed = config.doomed;
            }
        }
        if (all_doomed) window_op = doomed;
        if (!find_window(cx, search.best_start_state(), best, window_op) && window_op != failing) {
            find_window(cx, search.best_start_state(), best, failing);
        }
        *cx_ = std::move(cx);
    }

    // --- the window: the smallest set of concurrent ops that cannot be ordered

    enum class Orderable : std::uint8_t { yes, no, unknown };

    // Is the sub-history of exactly `ops` linearizable from `state`? Ops that
    // complete after `horizon` count as of unknown outcome.
    // Its searches share kWindowConfigs (window_configs_ counts what they used).
    Orderable orderable(std::uint64_t state, const std::vector<std::uint32_t>& ops,
                        std::uint32_t horizon) {
        std::vector<SearchOp> times;
        times.reserve(ops.size());
        for (std::uint32_t i : ops) {
            SearchOp op = part_.times[i];
            if (op.ret != kNever && op.ret > horizon) op.ret = kNever;
            times.push_back(op);
        }
        lin::Limits limits = limits_;
        limits.max_configs = kWindowConfigs - std::min(window_configs_, kWindowConfigs);
        Search search(times, space_, limits);
        const Outcome outcome = search.run(state, {}, false);
        window_configs_ += search.stats().configs;
        note_explain(search, outcome);
        if (outcome == Outcome::success) return Orderable::yes;
        if (outcome == Outcome::failure) return Orderable::no;
        return Orderable::unknown;
    }

    // Shrinks the ops concurrent with `target` that `path` (a linearization
    // from `start`) has not linearized yet, plus `target`, to a set that cannot
    // be ordered and, if the budget allows, from which removing any one op makes
    // it orderable; fills the window fields. False if the ops cannot be shown
    // unorderable (then the window is left empty).
    bool find_window(Counterexample& cx, std::uint64_t start, const std::vector<lin::PathStep>& path,
                     std::uint32_t target) {
        const SearchOp& bad = part_.times[target];
        const std::uint32_t horizon = bad.ret;
        // Start just after the last op of the linearization that completed before
        // the target was invoked: every op after that point overlaps it.
        std::size_t k = 0;
        for (std::size_t p = 0; p < path.size(); ++p) {
            const SearchOp& op = part_.times[path[p].op];
            if (op.required() && op.ret < bad.call) k = p + 1;
        }
        const std::uint64_t state = k == 0 ? start : path[k - 1].state;
        std::vector<char> done(part_.ops.size(), 0);
        for (std::size_t p = 0; p < k; ++p) done[path[p].op] = 1;
        // Ops of earlier segments (required ones completed before the target's
        // invocation) are behind the start too.
        std::vector<std::uint32_t> set;
        for (const SearchOp& op : active_) {
            if (done[op.op] || op.call >= horizon) continue;
            if (op.required() && op.ret < bad.call) continue;
            set.push_back(op.op);
        }
        std::sort(set.begin(), set.end(), [&](std::uint32_t a, std::uint32_t b) {
            return part_.times[a].call < part_.times[b].call;
        });
        window_configs_ = 0;
        if (orderable(state, set, horizon) != Orderable::no) return false;
        // Removal in chunks of halving size, then single ops until a whole pass
        // removes nothing: removal is not monotone (dropping a write can make a
        // read impossible again), so only a clean last pass proves minimality.
        bool minimal = false;
        auto try_without = [&](std::size_t from, std::size_t to) -> Orderable {
            std::vector<std::uint32_t> rest(set.begin(), set.begin() + static_cast<long>(from));
            rest.insert(rest.end(), set.begin() + static_cast<long>(to), set.end());
            const Orderable result = window_configs_ >= kWindowConfigs
                                         ? Orderable::unknown
                                         : orderable(state, rest, horizon);
            if (result == Orderable::no) set = std::move(rest);
            return result;
        };
        for (std::size_t chunk = set.size() / 2; chunk > 1; chunk /= 2) {
            for (std::size_t i = 0; i < set.size();) {
                if (try_without(i, std::min(i + chunk, set.size())) != Orderable::no) i += chunk;
            }
        }
        for (bool changed = true; changed;) {
            changed = false;
            bool unknown = false;
            for (std::size_t i = 0; i < set.size();) {
                const Orderable result = try_without(i, i + 1);
                if (result == Orderable::no) {
                    changed = true;
                } else {
                    unknown = unknown || result == Orderable::unknown;
                    ++i;
                }
            }
            minimal = !changed && !unknown;
            if (unknown) break;
        }
        cx.window.clear();
        for (std::uint32_t i : set) cx.window.push_back(add_op(cx, i));
        const bool has_target = std::find(set.begin(), set.end(), target) != set.end();
        // Without the target the set would be some other op's failure: name the
        // one that completes last, whose completion the set cannot reach.
        std::uint32_t named = target;
        if (!has_target) {
            named = set.front();
            for (std::uint32_t i : set) {
                if (part_.times[i].required() && part_.times[i].ret <= horizon &&
                    (!part_.times[named].required() || part_.times[i].ret > part_.times[named].ret))
                    named = i;
            }
        }
        cx.window_op = add_op(cx, named);
        cx.window_start_state = describe(state);
        if (k > 0) cx.window_start_after = add_op(cx, path[k - 1].op);
        cx.window_minimal = minimal;
        // Every order of the window from its start.
        std::vector<CounterexampleStep> steps;
        CounterexampleStep first;
        if (k > 0) first.op = add_op(cx, path[k - 1].op);
        first.state = cx.window_start_state;
        steps.push_back(first);
        std::vector<char> used(set.size(), 0);
        std::set<std::pair<std::uint64_t, std::vector<char>>> visited;
        std::size_t nodes = 0;
        window_orders(cx, set, horizon, state, used, steps, visited, nodes);
        return true;
    }

    // Depth-first over the orders of `set` that respect real time (an op may go
    // next if it was invoked before every unplaced required op completed); a
    // dead end, where no op may legally go next, ends a path with the illegal
    // step of the op that must complete first.
    void window_orders(Counterexample& cx, const std::vector<std::uint32_t>& set,
                       std::uint32_t horizon, std::uint64_t state, std::vector<char>& used,
                       std::vector<CounterexampleStep>& path,
                       std::set<std::pair<std::uint64_t, std::vector<char>>>& visited,
                       std::size_t& nodes) {
        auto required = [&](std::uint32_t i) {
            return part_.times[i].required() && part_.times[i].ret <= horizon;
        };
        std::optional<std::size_t> due;  // the unplaced required op completing first
        for (std::size_t k = 0; k < set.size(); ++k) {
            if (used[k] || !required(set[k])) continue;
            if (!due || part_.times[set[k]].ret < part_.times[set[*due]].ret) due = k;
        }
        if (!due) {
            // Every required op placed: an order that works, which the search
            // ruled out; only a truncated exploration could get here.
            return;
        }
        bool moved = false;
        for (std::size_t k = 0; k < set.size(); ++k) {
            if (used[k] || part_.times[set[k]].call >= part_.times[set[*due]].ret) continue;
            if (cx.window_paths.size() >= kMaxFinalPaths || ++nodes > kMaxPathNodes) {
                cx.truncated = true;
                return;
            }
            std::uint64_t next = 0;
            if (!space_.step(state, set[k], next)) continue;
            moved = true;
            used[k] = 1;
            if (visited.insert({next, used}).second) {
                CounterexampleStep step;
                step.op = add_op(cx, set[k]);
                step.state = describe(next);
                path.push_back(std::move(step));
                window_orders(cx, set, horizon, next, used, path, visited, nodes);
                path.pop_back();
            }
            used[k] = 0;
        }
        if (moved) return;
        CounterexampleStep step;
        step.op = add_op(cx, set[*due]);
        step.error = model_.explain(space_.state(state), part_.ops[set[*due]]);
        path.push_back(std::move(step));
        cx.window_paths.push_back(path);
        path.pop_back();
    }

    void explore_paths(Counterexample& cx, const std::vector<std::uint32_t>& pool,
                       std::uint32_t failing, std::uint64_t state, std::vector<char>& used,
                       std::vector<CounterexampleStep>& path,
                       std::set<std::pair<std::uint64_t, std::vector<char>>>& visited,
                       std::size_t& nodes) {
        for (std::size_t k = 0; k < pool.size(); ++k) {
            if (used[k]) continue;
            if (cx.final_paths.size() >= kMaxFinalPaths || ++nodes > kMaxPathNodes) {
                cx.truncated = true;
                return;
            }
            const std::uint32_t i = pool[k];
            std::uint64_t next = 0;
            if (!space_.step(state, i, next)) {
                CounterexampleStep step;
                step.op = add_op(cx, i);
                step.error = model_.explain(space_.state(state), part_.ops[i]);
                path.push_back(std::move(step));
                cx.final_paths.push_back(path);
                path.pop_back();
                continue;
            }
            // The search proved the failing op cannot follow any order of the
            // window from these states; a legal step here would be a search bug,
            // except for monotone models, whose lookahead stops the search at
            // configurations that are doomed for another reason (reported as such).
            if (i == failing) {
                FL_ASSERT_MSG(Space::kMonotone,
                              "counterexample: the failing op is legal after the prefix");
                continue;
            }
            used[k] = 1;
            if (visited.insert({next, used}).second) {
                CounterexampleStep step;
                step.op = add_op(cx, i);
                step.state = describe(next);
                path.push_back(std::move(step));
                explore_paths(cx, pool, failing, next, used, path, visited, nodes);
                path.pop_back();
            }
            used[k] = 0;
        }
    }

    const M& model_;
    const Partition<M>& part_;
    const Context& context_;
    Space space_;
    lin::Limits limits_;  // memory and cancellation, for every search
    std::uint64_t configs_max_ = 0;  // for the verdict's searches, in all
    Stop stop_ = Stop::none;
    std::uint64_t explain_configs_ = 0;  // spent explaining by key (explain_by_key)
    std::size_t required_ = 0;
    std::vector<SearchOp> active_;
    PartitionResult result_;
    std::optional<Counterexample>* cx_ = nullptr;
    std::unordered_map<std::uint32_t, std::size_t> op_slots_;
    std::uint64_t window_configs_ = 0;
    // Per part of the state, for add_later_reads: the partition's completed
    // reads and all its resets, by invocation; for each reset, the earliest
    // completion among the required resets from there on (kNever if none);
    // and the earliest invocation of an optional reset.
    struct Readers {
        std::vector<std::uint32_t> reads;
        std::vector<std::uint32_t> resets;
        std::vector<std::uint32_t> min_ret;
        std::uint32_t first_optional_reset = kNever;
    };
    std::vector<Readers> readers_;
};

// Orders partition keys: numbers by value, then strings, then anything else by
// its JSON text, so "key 2" comes before "key 10".
bool key_less(const Json& a, const Json& b) {
    const int rank_a = a.is_null() ? 0 : a.is_number() ? 1 : a.is_string() ? 2 : 3;
    const int rank_b = b.is_null() ? 0 : b.is_number() ? 1 : b.is_string() ? 2 : 3;
    if (rank_a != rank_b) return rank_a < rank_b;
    if (rank_a == 1) return a.get<double>() < b.get<double>();
    if (rank_a == 2) return a.get<std::string>() < b.get<std::string>();
    return a.dump() < b.dump();
}

// One partition's check, as its slot in the key-order accounting of
// check_partitions.
struct Slot {
    PartitionResult result;
    std::optional<Counterexample> counterexample;
    Stop stop = Stop::none;
    std::uint64_t configs_budget = 0;  // the budget it was checked with
    bool done = false;
};

// Whether a check made with a budget of its own (possibly larger than what
// the key-order accounting leaves it, and with less memory per search) is the
// check that budget would have made: it stopped for nothing and used no more
// than `left`, or it ran out of exactly that budget.
bool slot_final(const Slot& slot, std::uint64_t left) {
    if (!slot.done) return false;
    if (slot.stop == Stop::none) return slot.result.configs <= left;
    return slot.stop == Stop::configs && slot.configs_budget == left;
}

std::uint64_t configs_after(std::uint64_t max, std::uint64_t used) {
    return max > used ? max - used : 0;
}

// The partitions' checks run speculatively on `threads` threads, each with
// what the keys before it are known to leave (an upper bound of what they
// will leave) and an equal share of the memory budget. Whenever the keys from
// the first on are final, they are accounted; once the budget is known to be
// spent, the checks of later keys are cancelled (they will get nothing).
template <class M>
void speculate(const M& model, const std::vector<Partition<M>>& partitions,
               const Context& context, int threads, std::vector<Slot>& slots) {
    const LinearizabilityOptions& options = *context.options;
    std::vector<std::atomic<bool>> cancel(partitions.size());
    std::mutex mutex;
    std::size_t accounted = 0;  // slots [0, accounted) are final
    std::uint64_t used = 0;     // by those
    bool spent = false;         // used up the budget
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> first_invalid{partitions.size()};
    auto work = [&] {
        for (;;) {
            const std::size_t i = next.fetch_add(1);
            if (i >= partitions.size()) return;
            if (options.stop_at_first_invalid && i > first_invalid.load()) continue;
            Budget budget{0, options.memory_limit_bytes / static_cast<std::size_t>(threads),
                          &cancel[i]};
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (spent) continue;  // nothing left: cheaper to check in key order
                budget.configs = configs_after(options.configs_max, used);
            }
            Slot slot;
            slot.configs_budget = budget.configs;
            PartitionChecker<M> checker(model, partitions[i], context, budget);
            slot.result = checker.check(&slot.counterexample);
            slot.stop = checker.stop();
            slot.done = true;
            std::lock_guard<std::mutex> lock(mutex);
            slots[i] = std::move(slot);
            if (slots[i].result.verdict == Verdict::invalid &&
                options.stop_at_first_invalid) {
                std::size_t seen = first_invalid.load();
                while (i < seen && !first_invalid.compare_exchange_weak(seen, i)) {
                }
                for (std::size_t j = i + 1; j < partitions.size(); ++j) cancel[j] = true;
            }
            while (accounted < slots.size() &&
                   slot_final(slots[accounted], configs_after(options.configs_max, used))) {
                used += slots[accounted++].result.configs;
            }
            // A check that is done but not final, and stopped for no other
            // reason than work, needed more than key order leaves it: checked
            // again, it will run out, and leave nothing to the keys after it.
            const bool overrun = accounted < slots.size() && slots[accounted].done &&
                                 slots[accounted].stop != Stop::other;
            if ((used >= options.configs_max || overrun) && !spent) {
                spent = true;
                for (std::size_t j = accounted + 1; j < partitions.size(); ++j) cancel[j] = true;
            }
        }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work);
    for (auto& thread : pool) thread.join();
}

// Checks every partition as if one after another in key order, each with the
// configurations the keys before it left and the whole memory budget per
// search, so that the verdict, the counterexample and the statistics are the
// same whatever `threads` is and in whatever order the threads finish. With
// several threads the checks are first made speculatively (speculate); a
// speculative check that is not the one key order would have made (slot_final)
// is made again here, alone.
template <class M>
LinearizabilityResult check_partitions(const M& model, const std::vector<Partition<M>>& partitions,
                                       const Context& context) {
    const LinearizabilityOptions& options = *context.options;
    const int threads =
        std::max(1, std::min<int>(options.threads, static_cast<int>(partitions.size())));
    std::vector<Slot> slots(partitions.size());
    if (threads > 1) speculate(model, partitions, context, threads, slots);
    LinearizabilityResult result;
    bool any_invalid = false, any_unknown = false;
    for (std::size_t i = 0; i < partitions.size(); ++i) {
        const std::uint64_t left = configs_after(options.configs_max, result.configs);
        Slot& slot = slots[i];
        if (!slot_final(slot, left)) {
            PartitionChecker<M> checker(model, partitions[i], context,
                                        Budget{left, options.memory_limit_bytes, nullptr});
            slot.counterexample.reset();
            slot.result = checker.check(&slot.counterexample);
        }
        PartitionResult& part = slot.result;
        result.configs += part.configs;
        result.peak_bytes = std::max(result.peak_bytes, part.peak_bytes);
        if (part.verdict == Verdict::invalid) {
            if (!any_invalid) result.counterexample = std::move(slot.counterexample);
            any_invalid = true;
        } else if (part.verdict == Verdict::unknown) {
            if (!any_unknown)
                result.unknown_reason =
                    fmt::format("key {}: {}", part.key.dump(), part.unknown_reason);
            any_unknown = true;
        }
        result.partitions.push_back(std::move(part));
        // The keys after the first failing one are not checked (not even
        // reported), as if checked one after another.
        if (any_invalid && options.stop_at_first_invalid) break;
    }
    if (partitions.size() == 1 && any_unknown)
        result.unknown_reason = result.partitions[0].unknown_reason;
    result.verdict = any_invalid   ? Verdict::invalid
                     : any_unknown ? Verdict::unknown
                                   : Verdict::valid;
    return result;
}

template <class M>
Result<LinearizabilityResult> check_with(M& model, const History& history,
                                         const std::vector<PairedOp>& paired,
                                         const LinearizabilityOptions& options,
                                         const lin::Locator& locate, Clock::time_point started) {
    // Encode every op, grouping by key.
    std::vector<Partition<M>> partitions;
    std::unordered_map<std::string, std::size_t> by_key;
    constexpr std::size_t kNoPartition = static_cast<std::size_t>(-1);
    std::size_t unkeyed = kNoPartition;  // the partition of ops without a key
    const Json null_json;
    for (std::uint32_t p = 0; p < paired.size(); ++p) {
        const PairedOp& op = paired[p];
        const Operation& invoke = history[op.invoke];
        const Operation* complete =
            op.complete != PairedOp::kNoEvent ? &history[op.complete] : nullptr;
        models::OpView view{invoke.f,         invoke.key,
                            invoke.value,     complete ? complete->value : null_json,
                            op.completion,    complete ? complete->error : null_json,
                            options.semantics};
        auto encoded = model.encode(view);
        if (!encoded) {
            return make_error(ErrorCode::parse_error,
                              fmt::format("{}: {}", locate(complete ? op.complete : op.invoke),
                                          encoded.error().message));
        }
        if (!encoded->has_value()) continue;
        const Json& key = M::kKeyed ? invoke.key : null_json;
        std::size_t index = unkeyed;
        if (!key.is_null()) {
            index = by_key.try_emplace(key.dump(), partitions.size()).first->second;
        } else if (unkeyed == kNoPartition) {
            index = unkeyed = partitions.size();
        }
        if (index == partitions.size()) {
            partitions.emplace_back();
            partitions.back().key = key;
        }
        Partition<M>& part = partitions[index];
        SearchOp times;
        times.call = op.call_rank;
        times.ret = (*encoded)->required ? op.complete_rank : kNever;
        times.op = static_cast<std::uint32_t>(part.ops.size());
        FL_ASSERT(!(*encoded)->required || op.complete_rank != PairedOp::kNoEvent);
        part.ops.push_back((*encoded)->op);
        part.paired.push_back(p);
        part.times.push_back(times);
    }
    if constexpr (requires { model.finish_encoding(); }) model.finish_encoding();
    std::sort(partitions.begin(), partitions.end(),
              [](const auto& a, const auto& b) { return key_less(a.key, b.key); });

    const Context context{&history, &paired, &options};
    LinearizabilityResult result = check_partitions(model, partitions, context);
    result.operations = paired.size();
    for (const auto& part : partitions) result.checked_ops += part.ops.size();
    // Reported only: no budget looks at the clock.
    result.elapsed =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count();
    return result;
}

bool history_has_keys(const History& history) {
    return std::any_of(history.begin(), history.end(),
                       [](const Operation& op) { return !op.key.is_null(); });
}

template <class M>
Result<LinearizabilityResult> check_keyed(M model, const History& history,
                                          const std::vector<PairedOp>& paired,
                                          const LinearizabilityOptions& options,
                                          const lin::Locator& locate, Clock::time_point started) {
    if (!options.split_by_key && history_has_keys(history)) {
        models::MapModel<M> map(std::move(model));
        return check_with(map, history, paired, options, locate, started);
    }
    return check_with(model, history, paired, options, locate, started);
}

Error bad_initial(const char* model, const char* expected) {
    return make_error(ErrorCode::invalid_argument,
                      fmt::format("model {} needs {} as its initial value", model, expected));
}

}  // namespace

Result<LinearizabilityResult> check_linearizability(const History& history,
                                                    const LinearizabilityOptions& options) {
    const auto started = Clock::now();
    const lin::Locator locate = options.locate ? options.locate : lin::default_locator(history);
    auto paired = lin::pair_operations(history, options.semantics, locate);
    if (!paired) return paired.error();
    models::ValueTable values;
    const Json& init = options.initial;
    using models::ModelKind;
    switch (options.model) {
        case ModelKind::register_rw:
        case ModelKind::cas_register:
        case ModelKind::kv:
            return check_keyed(
                models::RegisterModel(values, options.model != ModelKind::register_rw,
                                      values.intern(init)),
                history, *paired, options, locate, started);
        case ModelKind::multi_register: {
            auto model = models::MultiRegisterModel::make(values, init);
            if (!model) return model.error();
            return check_with(*model, history, *paired, options, locate, started);
        }
        case ModelKind::kv_append:
            if (!init.is_null() && !init.is_string()) return bad_initial("kv-append", "a string");
            return check_keyed(
                models::KvAppendModel(init.is_string() ? init.get<std::string>() : ""), history,
                *paired, options, locate, started);
        case ModelKind::mutex:
            if (!init.is_null()) return bad_initial("mutex", "nothing (it starts free)");
            return check_keyed(models::MutexModel(), history, *paired, options, locate, started);
        case ModelKind::set:
            if (!init.is_null()) return bad_initial("set", "nothing (it starts empty)");
            return check_keyed(models::SetModel(values), history, *paired, options, locate,
                               started);
        case ModelKind::fifo_queue:
            if (!init.is_null()) return bad_initial("fifo-queue", "nothing (it starts empty)");
            return check_keyed(models::FifoQueueModel(values), history, *paired, options, locate,
                               started);
        case ModelKind::counter:
            if (!init.is_null() && !init.is_number_integer())
                return bad_initial("counter", "an integer");
            return check_keyed(models::CounterModel(init.is_null() ? 0 : init.get<std::int64_t>()),
                               history, *paired, options, locate, started);
    }
    FL_UNREACHABLE();
}

Json linearizability_result_to_json(const LinearizabilityResult& result) {
    Json json;
    json["valid"] = result.verdict == Verdict::valid       ? Json(true)
                    : result.verdict == Verdict::invalid ? Json(false)
                                                                  : Json("unknown");
    json["verdict"] = linearizability_verdict_text(result.verdict);
    if (!result.unknown_reason.empty()) json["unknown_reason"] = result.unknown_reason;
    json["operations"] = result.operations;
    json["checked_operations"] = result.checked_ops;
    json["configurations"] = result.configs;
    json["peak_bytes"] = result.peak_bytes;
    json["elapsed_ns"] = result.elapsed;
    Json partitions = Json::array();
    for (const PartitionResult& part : result.partitions) {
        Json p;
        p["key"] = part.key;
        p["verdict"] = linearizability_verdict_text(part.verdict);
        if (!part.unknown_reason.empty()) p["unknown_reason"] = part.unknown_reason;
        p["operations"] = part.operations;
        p["optional_operations"] = part.optional_ops;
        p["segments"] = part.segments;
        p["configurations"] = part.configs;
        p["peak_bytes"] = part.peak_bytes;
        if (part.decided_by_precheck) p["decided_by_precheck"] = true;
        partitions.push_back(std::move(p));
    }
    json["partitions"] = std::move(partitions);
    if (result.counterexample) json["counterexample"] = result.counterexample->to_json();
    return json;
}

}  // namespace faultline::check
