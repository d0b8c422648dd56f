// Search: the Wing & Gong / Lowe linearizability search over one partition of a
// history, with memoization of (linearized set, model state).
//
// Input: operations with real-time intervals. A required op (it completed) must
// be linearized between its invocation and its completion; an optional op (its
// outcome is unknown) may be linearized at any point after its invocation, or
// never (Knossos' rule: the search succeeds as soon as every required op is
// linearized, so crashed ops are never forced in).
//
// The search is a depth-first walk over configurations. At a configuration, the
// candidates are the unlinearized ops invoked before the earliest completion
// among unlinearized required ops; each candidate that the model accepts leads
// to a new configuration unless that one is already in the cache (then it is
// known to fail). Two refinements over Porcupine:
//   - Forcing: a legal candidate that is read-only (changes no state in any
//     state: a read) is linearized at once with no alternative. That loses
//     nothing: any linearization from here can be rewritten to drop that op from
//     where it was and put it first, because it changes no state (so every later
//     step sees the same states) and nothing unlinearized precedes it in real
//     time. Reads are half of most histories, and this removes them from the
//     branching. (An op that merely leaves *this* state unchanged, such as a
//     write of the current value, must not be forced: elsewhere in the order it
//     would change the state.)
//   - Required ops are tried before optional ones, so crashed ops are linearized
//     only when some completed op needs their effect.
//   - Symmetry: optional ops that are equal (a crashed write of 3 and another
//     crashed write of 3) are interchangeable once both are invoked, so only the
//     earliest-invoked unlinearized one of each kind is a candidate.
//   - Lookahead for monotone models (models/model.h): a configuration is dropped
//     as soon as an unlinearized completed read cannot become legal any more
//     (kv-append: the string is no longer a prefix of what that get returned,
//     and no put that could reset it may happen before the get completes).
//     Without it, a wrong order of concurrent appends is only noticed when a
//     get's completion is reached, after trying every interleaving in between.
//     The reads checked are the earliest-completing unlinearized ones of the
//     part of the state the last step touched, and illegal read candidates.
//     And when no unlinearized read can observe the new value of that part any
//     more, the value is replaced by the model's canonical "unobservable" one,
//     so configurations that differ only in garbage a later reset will erase
//     (the order of appends before a put) are one configuration. "No read"
//     means none at all, not only none of this search: when a search covers
//     one segment of a history (quiescent cuts), the states it ends in are
//     carried into the next segment, so the caller names the later reads
//     that may still observe them (add_outside_read), and a state one of
//     those may reach is never merged.
//
// For a map of independent objects (MapModel: --no-split), the search also does
// conflict-directed backjumping with nogoods, so it is not defeated by the
// product of the keys' choices. Every failed configuration gets a "blame": a
// set of keys whose ops alone already cannot be completed from there (sound by
// locality: the rest of a history of independent objects is linearizable iff
// each object's rest is). A leaf is blamed on the key of the op whose
// completion blocks it; an inner configuration on the union of its children's
// blames and that key. When a child fails for a key its own step did not touch,
// the parent fails for the same reason: the search jumps back past choices on
// other keys instead of retrying them. A failure blamed on one key is recorded
// as a nogood (that key's linearized ops and state), which prunes every later
// configuration with the same projection on that key.
//
// A run starts from a state and a set of optional ops already spent, so a
// history split at quiescent points can be searched segment by segment (see
// quiescence.cc): in "enumerate" mode a run does not stop at the first success
// but collects every distinct end configuration (state, optional ops still
// available) for the next segment. Runs from several start configurations share
// one cache. An end state must mean the same to the next segment as it did
// here, hence the outside reads of the lookahead above.
//
// For counterexamples the search tracks, across runs, the longest prefix of
// required ops (in completion order) that some configuration linearized, one
// linearization reaching it, and (up to a bound) the distinct configurations
// that reached it together with the ops still pending there.
//
// Work (configurations explored), memory and cancellation are checked as the
// search goes; running out ends the run with an outcome other than
// success/failure, never a guess. Every budget counts the search's own work
// and data structures, never the clock: the same search under the same limits
// stops at the same configuration on any machine under any load, so a budget
// can decide a verdict without making it depend on the machine.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "base/assert.h"
#include "check/linearizability/config_cache.h"
#include "check/linearizability/flat_map.h"
#include "check/linearizability/op_set.h"
#include "check/models/timed_op.h"

namespace faultline::check::lin {

using models::kNever;

struct SearchOp {
    std::uint32_t call = 0;      // rank of the invocation
    std::uint32_t ret = kNever;  // rank of the completion; kNever: optional
    std::uint32_t op = 0;        // the op's index in the StateSpace
    bool required() const { return ret != kNever; }
};

struct Limits {
    // bytes() may reach this (checked every few thousand steps, at points that
    // depend only on the search, so deterministically).
    std::size_t max_bytes = std::numeric_limits<std::size_t>::max();
    // Only for work that is thrown away whatever its outcome (a speculative
    // check on another thread, check_partitions.cc): a cancelled run decides nothing.
    const std::atomic<bool>* cancel = nullptr;
    // Configurations all runs of one Search may explore, checked exactly: a
    // run stops when it would explore configuration max_configs + 1. This is
    // the checker's work budget, and the way a caller with a cheaper way out
    // (a segment's enumeration, which can always be replaced by a search of
    // the whole partition) says when to take it.
    std::uint64_t max_configs = std::numeric_limits<std::uint64_t>::max();
};

enum class Outcome : std::uint8_t {
    success,
    failure,
    out_of_memory,
    cancelled,
    out_of_configs,  // Limits::max_configs
};

struct SearchStats {
    std::uint64_t configs = 0;  // configurations explored (cache insertions)
    std::uint64_t steps = 0;    // model steps tried
    std::uint64_t forced = 0;   // ops linearized by forcing
    std::uint64_t cache_hits = 0;
    std::uint64_t pruned = 0;     // configurations dropped by the monotone lookahead
    std::uint64_t merged = 0;     // states replaced by the unobservable one
    std::uint64_t backjumps = 0;  // levels abandoned because a child failed on another key
    std::uint64_t nogood_hits = 0;
    std::size_t peak_bytes = 0;
};

// A configuration at the best progress, for counterexamples.
struct BestConfig {
    std::uint64_t state = 0;
    std::uint32_t last_change = kNever;  // index of the last state-changing op, if any
    std::vector<std::uint32_t> pending;  // indexes of unlinearized ops invoked before the
                                         // first failing op completed (excluding it)
    std::uint32_t doomed = kNever;       // a pending read the lookahead proved can never be
                                         // satisfied from here, if the search stopped for it
};

struct PathStep {
    std::uint32_t op = 0;     // index of the op
    std::uint64_t state = 0;  // state after it
};

// An end configuration in enumerate mode.
struct EndConfig {
    std::uint64_t state = 0;
    std::vector<std::uint32_t> available;  // optional op indexes not linearized, sorted
};

template <class Space>
class Search {
  public:
    static constexpr std::size_t kMaxBestConfigs = 64;
    static constexpr std::size_t kMaxOpClasses = 256;

    // `ops` may be any subset of the space's ops; results name ops by their
    // index in the space.
    Search(std::span<const SearchOp> ops, Space& space, Limits limits);

    // Searches from `start_state` with the optional ops in `spent` (indexes)
    // already used up. Returns success (every required op linearized; in
    // enumerate mode: at least one end configuration), failure, or why it stopped.
    Outcome run(std::uint64_t start_state, std::span<const std::uint32_t> spent, bool enumerate);

    // Progress for counterexamples, over every run so far.
    // The number of required ops, in completion order, some configuration linearized.
    std::uint32_t best_prefix() const { return best_prefix_; }
    std::uint32_t required_count() const { return required_; }
    // The index of required op number `k` in completion order.
    std::uint32_t required_index(std::uint32_t k) const { return index_of_[k]; }
    // One linearization reaching best_prefix(), from best_start_state().
    const std::vector<PathStep>& best_path() const { return best_path_; }
    std::uint64_t best_start_state() const { return best_start_; }
    const std::vector<BestConfig>& best_configs() const { return best_configs_; }
    bool best_configs_truncated() const { return best_configs_truncated_; }

    const std::vector<EndConfig>& ends() const { return ends_; }

    // Reads that are not among this search's ops but may observe the states
    // it ends in (a later segment's, before any reset of their part must
    // happen): canonical() keeps a state observable while one of them may
    // reach it. `op` is an index in the space. keep_observable(group) instead
    // merges nothing of that part (too many such reads to list).
    void add_outside_read(std::uint32_t op) {
        if constexpr (Space::kUnobservable) {
            const std::uint32_t group = space_->group(op);
            FL_ASSERT_LT(group, groups_);
            if (outside_reads_.empty()) outside_reads_.resize(groups_);
            outside_reads_[group].push_back(op);
        } else {
            (void)op;
        }
    }
    void keep_observable(std::uint32_t group) {
        if constexpr (Space::kUnobservable) {
            FL_ASSERT_LT(group, groups_);
            if (always_observable_.empty()) always_observable_.assign(groups_, 0);
            always_observable_[group] = 1;
        } else {
            (void)group;
        }
    }
    // After a failed run of a grouped model: the groups (bit g = group g) whose
    // ops alone cannot be linearized; all ones when unknown.
    std::uint64_t failure_groups() const { return root_blame_; }
    const SearchStats& stats() const { return stats_; }
    std::size_t bytes() const {
        std::size_t nogood_bytes = 0;
        for (const ConfigCache& nogoods : nogoods_) nogood_bytes += nogoods.bytes();
        return cache_.bytes() + space_->bytes() + candidates_.capacity() * sizeof(Candidate) +
               levels_.capacity() * sizeof(Level) + best_path_.capacity() * sizeof(PathStep) + nogood_bytes +
               outside_memo_.bytes();
    }

  private:
    struct Candidate {
        std::uint32_t id;
        std::uint64_t next;
    };
    struct Level {
        std::uint32_t begin;  // candidates_[begin, end) are this level's choices
        std::uint32_t end;
        std::uint32_t cursor;
        std::uint32_t op;                     // id linearized to reach this level (kNever: root)
        std::uint64_t previous;               // state before that op
        std::uint32_t last_change;            // id of the last state-changing op on the stack
        ConfigCache::Handle entry;            // this configuration's cache entry
        std::uint32_t barrier = kNever;       // id of the op whose completion bounds the candidates
        std::uint64_t blame = 0;              // groups blamed by failed children (see the header)
        bool jumped = false;                  // failed through a child, for `blame` alone
        std::uint64_t impure = 0;             // groups with a child blamed on other groups too
        std::uint32_t forced_group = kNever;  // group of the forced read, if forced
        std::uint32_t doomed = kNever;        // the read the lookahead found doomed, if any
    };

    // --- the ops, indexed once for every run

    // Ids: required ops first, by completion, then optional ones by invocation
    // (ops_, index_of_, id_of_).
    void order_ops(std::span<const SearchOp> ops, Space& space) {
        std::vector<std::uint32_t> required, optional;
        for (std::uint32_t i = 0; i < ops.size(); ++i) {
            // An optional read-only op never matters: it changes nothing and need
            // not happen. (Leaving it in would also be unsound with forcing: a
            // forced optional read leads to a configuration the cache sees as
            // dominated by its own parent.)
            if (!ops[i].required() && space.read_only(ops[i].op)) continue;
            (ops[i].required() ? required : optional).push_back(i);
        }
        const auto n = static_cast<std::uint32_t>(required.size() + optional.size());
        std::sort(required.begin(), required.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return ops[a].ret < ops[b].ret; });
        std::sort(optional.begin(), optional.end(), [&](std::uint32_t a, std::uint32_t b) {
            return ops[a].call != ops[b].call ? ops[a].call < ops[b].call : a < b;
        });
        required_ = static_cast<std::uint32_t>(required.size());
        cache_ = ConfigCache(/*dominance=*/!optional.empty());
        ops_.reserve(n);
        index_of_.reserve(n);
        for (std::uint32_t i : required) ops_.push_back(ops[i]);
        for (std::uint32_t i : optional) ops_.push_back(ops[i]);
        id_of_.assign(space.op_count(), kNever);
        for (std::uint32_t id = 0; id < n; ++id) {
            FL_ASSERT_LT(ops_[id].op, space.op_count());
            FL_ASSERT_EQ(id_of_[ops_[id].op], kNever);
            id_of_[ops_[id].op] = id;
            index_of_.push_back(ops_[id].op);
        }
        for (std::uint32_t id = 0; id < required_; ++id) {
            FL_ASSERT_LT(ops_[id].call, ops_[id].ret);
            if (id > 0) FL_ASSERT_LT(ops_[id - 1].ret, ops_[id].ret);
        }
    }

    // The required list in rank order: node 2*id is the call of `id`, 2*id+1
    // its return.
    void index_required_order() {
        std::vector<std::uint32_t> nodes;
        nodes.reserve(2 * required_);
        for (std::uint32_t id = 0; id < required_; ++id) {
            nodes.push_back(2 * id);
            nodes.push_back(2 * id + 1);
        }
        std::sort(nodes.begin(), nodes.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return rank_of(a) < rank_of(b); });
        required_order_ = std::move(nodes);
    }

    // Classes of equal optional ops, for the symmetry rule.
    void index_op_classes(Space& space) {
        const std::uint32_t n = size();
        class_of_.assign(n, kNever);
        std::vector<std::uint32_t> representatives;
        for (std::uint32_t id = required_; id < n; ++id) {
            for (std::uint32_t c = 0; c < representatives.size(); ++c) {
                if (space.same_op(ops_[id].op, ops_[representatives[c]].op)) {
                    class_of_[id] = c;
                    break;
                }
            }
            if (class_of_[id] == kNever && representatives.size() < kMaxOpClasses) {
                class_of_[id] = static_cast<std::uint32_t>(representatives.size());
                representatives.push_back(id);
            }
        }
        class_stamp_.assign(representatives.size(), 0);
    }

    // Per op, its group and kind (read, reset or neither), and the resets in
    // order of invocation: for the monotone lookahead.
    void index_lookahead(Space& space) {
        const std::uint32_t n = size();
        groups_ = space.group_count();
        group_of_.resize(n);
        kind_.assign(n, kPlain);
        for (std::uint32_t id = 0; id < n; ++id) {
            group_of_[id] = space.group(ops_[id].op);
            FL_ASSERT_LT(group_of_[id], groups_);
            if (space.resets(ops_[id].op)) kind_[id] = kReset;
            if (space.read_only(ops_[id].op) && id < required_) kind_[id] = kRead;
        }
        // Resets in order of invocation; reads (ids, hence completion order).
        for (std::uint32_t id = 0; id < n; ++id) {
            if (kind_[id] == kReset) reset_order_.push_back(id);
        }
        std::stable_sort(reset_order_.begin(), reset_order_.end(),
                         [&](std::uint32_t a, std::uint32_t b) { return ops_[a].call < ops_[b].call; });
    }

    // Per op, its group and id within the group, and per group a cache of
    // nogoods: for backjumping (only with 2..64 groups).
    void index_groups(Space& space) {
        const std::uint32_t n = size();
        const std::uint32_t groups = space.groups();
        if (groups > 1 && groups <= 64) {
            grouping_ = true;
            groups_ = groups;
            group_of_.resize(n);
            local_id_.resize(n);
            group_required_.assign(groups, 0);
            group_optional_.assign(groups, 0);
            for (std::uint32_t id = 0; id < n; ++id) {
                group_of_[id] = space.group_of_op(ops_[id].op);
                FL_ASSERT_LT(group_of_[id], groups);
                if (id < required_) local_id_[id] = group_required_[group_of_[id]]++;
            }
            for (std::uint32_t id = required_; id < n; ++id) {
                const std::uint32_t g = group_of_[id];
                local_id_[id] = group_required_[g] + group_optional_[g]++;
            }
            group_sets_.resize(groups);
            for (std::uint32_t g = 0; g < groups; ++g) {
                nogoods_.emplace_back(/*dominance=*/group_optional_[g] > 0);
            }
        }
    }

    std::uint32_t size() const { return static_cast<std::uint32_t>(ops_.size()); }
    std::uint32_t rank_of(std::uint32_t node) const {
        const SearchOp& op = ops_[node / 2];
        return node % 2 == 0 ? op.call : op.ret;
    }

    // --- the doubly linked lists (dancing links: removals undone in LIFO order)

    void reset_lists() {
        const std::uint32_t head = 2 * required_;
        next_.assign(2 * required_ + 1, 0);
        prev_.assign(2 * required_ + 1, 0);
        std::uint32_t last = head;
        for (std::uint32_t node : required_order_) {
            next_[last] = node;
            prev_[node] = last;
            last = node;
        }
        next_[last] = head;
        prev_[head] = last;
        if constexpr (Space::kMonotone) {
            // Per group, two lists of unlinearized ops: resets by invocation and
            // completed reads by completion. Nodes [0, n) are ops, [n, n + groups)
            // the groups' heads.
            const std::uint32_t n = size();
            auto build = [&](std::vector<std::uint32_t>& next, std::vector<std::uint32_t>& prev, auto&& members) {
                next.assign(n + groups_, 0);
                prev.assign(n + groups_, 0);
                for (std::uint32_t g = 0; g < groups_; ++g) next[n + g] = prev[n + g] = n + g;
                for (std::uint32_t id : members) {
                    const std::uint32_t head = n + group_of_[id];
                    const std::uint32_t tail = prev[head];
                    next[tail] = id;
                    prev[id] = tail;
                    next[id] = head;
                    prev[head] = id;
                }
            };
            build(resets_next_, resets_prev_, reset_order_);
            std::vector<std::uint32_t> reads;
            for (std::uint32_t id = 0; id < required_; ++id) {
                if (kind_[id] == kRead) reads.push_back(id);
            }
            build(reads_next_, reads_prev_, reads);
        }
        const std::uint32_t optional = size() - required_;
        const std::uint32_t ohead = optional;
        onext_.assign(optional + 1, 0);
        oprev_.assign(optional + 1, 0);
        last = ohead;
        for (std::uint32_t k = 0; k < optional; ++k) {
            onext_[last] = k;
            oprev_[k] = last;
            last = k;
        }
        onext_[last] = ohead;
        oprev_[ohead] = last;
    }
    void unlink(std::vector<std::uint32_t>& next, std::vector<std::uint32_t>& prev, std::uint32_t node) {
        next[prev[node]] = next[node];
        prev[next[node]] = prev[node];
    }
    void relink(std::vector<std::uint32_t>& next, std::vector<std::uint32_t>& prev, std::uint32_t node) {
        next[prev[node]] = node;
        prev[next[node]] = node;
    }
    void unlink_optional(std::uint32_t id) {
        unlink(onext_, oprev_, id - required_);
        unlink_reset(id);
    }
    void unlink_reset(std::uint32_t id) {
        if constexpr (Space::kMonotone) {
            if (kind_[id] == kReset) unlink(resets_next_, resets_prev_, id);
            if (kind_[id] == kRead) unlink(reads_next_, reads_prev_, id);
        }
    }
    void relink_reset(std::uint32_t id) {
        if constexpr (Space::kMonotone) {
            if (kind_[id] == kReset) relink(resets_next_, resets_prev_, id);
            if (kind_[id] == kRead) relink(reads_next_, reads_prev_, id);
        }
    }
    // Whether the unlinearized completed read `id` can never become legal: the
    // state cannot grow into what it read, and no unlinearized reset invoked
    // before it completed could lead there either.
    bool read_doomed(std::uint32_t id) {
        if (space_->may_reach(state_, ops_[id].op)) return false;
        const std::uint32_t head = size() + group_of_[id];
        for (std::uint32_t reset = resets_next_[head]; reset != head && ops_[reset].call < ops_[id].ret;
             reset = resets_next_[reset]) {
            if (space_->reset_may_reach(ops_[reset].op, ops_[id].op)) return false;
        }
        return true;
    }
    // `next`, the state after op `id`, with the part `id` touched made
    // unobservable if no unlinearized read of that part could observe it, in
    // this search or after it (add_outside_read).
    std::uint64_t canonical(std::uint32_t id, std::uint64_t next) {
        if constexpr (Space::kUnobservable) {
            const std::uint32_t group = group_of_[id];
            if (space_->is_unobservable(next, group)) return next;
            const std::uint32_t head = size() + group;
            for (std::uint32_t read = reads_next_[head]; read != head; read = reads_next_[read]) {
                if (space_->may_reach(next, ops_[read].op)) return next;
            }
            if (observed_outside(next, group)) return next;
            ++stats_.merged;
            return space_->make_unobservable(next, group);
        } else {
            (void)id;
            return next;
        }
    }
    // Whether a read outside the search may observe part `group` of `state`.
    // Remembered per (state, group): the outside reads are fixed for the
    // search, and few distinct states reach this test.
    bool observed_outside(std::uint64_t state, std::uint32_t group) {
        if constexpr (Space::kUnobservable) {
            if (!always_observable_.empty() && always_observable_[group]) return true;
            if (outside_reads_.empty() || outside_reads_[group].empty()) return false;
            const std::uint64_t key = state << 32 | group;
            const std::uint32_t memo = outside_memo_.find(key);
            if (memo != FlatMap64::kAbsent) return memo == 1;
            bool observed = false;
            for (std::uint32_t op : outside_reads_[group]) {
                if (space_->may_reach(state, op)) {
                    observed = true;
                    break;
                }
            }
            outside_memo_.insert(key, observed ? 1 : 0);
            return observed;
        } else {
            (void)state;
            (void)group;
            return false;
        }
    }
    // A doomed read of `group`, among its earliest-completing unlinearized reads.
    std::uint32_t doomed_read(std::uint32_t group) {
        static constexpr int kLookahead = 8;
        const std::uint32_t head = size() + group;
        int seen = 0;
        for (std::uint32_t id = reads_next_[head]; id != head && seen < kLookahead; id = reads_next_[id], ++seen) {
            if (read_doomed(id)) return ops_[id].op;
        }
        return kNever;
    }
    void lift(std::uint32_t id) {
        if (id < required_) {
            unlink_reset(id);
            unlink(next_, prev_, 2 * id);
            unlink(next_, prev_, 2 * id + 1);
        } else {
            unlink_optional(id);
        }
    }
    void unlift(std::uint32_t id) {
        if (id < required_) {
            relink(next_, prev_, 2 * id + 1);
            relink(next_, prev_, 2 * id);
        } else {
            relink(onext_, oprev_, id - required_);
        }
        relink_reset(id);
    }

    // --- a run's steps

    // Resets the per-run state: the lists, the configuration (with the
    // optional ops in `spent` used up), the stack.
    void begin_run(std::uint64_t start_state, std::span<const std::uint32_t> spent, bool enumerate) {
        enumerate_ = enumerate;
        // Backjumping reasons about failures; in enumerate mode reaching an end
        // also "fails" a level, so it is off there.
        grouped_ = grouping_ && !enumerate;
        root_blame_ = kAllGroups;
        reset_lists();
        set_.reset(required_, size() - required_);
        if (grouping_) {
            for (std::uint32_t g = 0; g < groups_; ++g) {
                group_sets_[g].reset(group_required_[g], group_optional_[g]);
            }
            group_pending_ = group_required_;
        }
        for (std::uint32_t index : spent) {
            FL_ASSERT_LT(index, id_of_.size());
            const std::uint32_t id = id_of_[index];
            FL_ASSERT_NE(id, kNever);
            FL_ASSERT_GE(id, required_);
            add(id);
            unlink_optional(id);
        }
        state_ = start_state;
        required_done_ = 0;
        levels_.clear();
        candidates_.clear();
        low_water_ = 0;
    }

    // Whether the run stops here with success: every required op linearized,
    // outside enumerate mode. In enumerate mode the end configuration is
    // recorded and the level closed, so the search backtracks for others.
    bool stops_at_linearization() {
        if (required_done_ != required_) return false;
        if (!enumerate_) return true;
        record_end();
        levels_.back().cursor = levels_.back().end;
        return false;
    }

    // The top level has tried every candidate: records why it failed and pops
    // it, blaming its parent. False at the root: the run has failed.
    bool leave_failed_level(Level& level) {
        // A configuration at the best progress that failed: material for the
        // counterexample. (Recorded on failure rather than on arrival, so a
        // search that succeeds pays for few of them.)
        if (set_.required_prefix() == best_prefix_ && best_prefix_ < required_) {
            record_best_config(level.doomed);
        }
        const std::uint64_t blame = failure_blame(level);
        if (grouped_) cache_.set_note(level.entry, blame);
        if (grouped_ && std::has_single_bit(blame)) {
            const auto g = static_cast<std::uint32_t>(std::countr_zero(blame));
            nogoods_[g].insert(group_sets_[g], component(state_, g));
        }
        if (levels_.size() == 1) {
            root_blame_ = blame;
            return false;
        }
        const std::uint32_t child = level.op;
        pop_level();
        blame_parent(child, blame);
        return true;
    }

    // Inserts the configuration `candidate` leads to (its op already added to
    // the set) into the cache. False if it was known: then the op is taken
    // back out and the parent blamed.
    bool enter_new_config(const Candidate& candidate) {
        std::uint64_t note = 0;
        if (!cache_.insert(set_, candidate.next, &entry_, grouped_ ? &note : nullptr)) {
            // A known configuration: it failed before (its note says why) or is
            // dominated by one still being explored (note 0: look for a nogood).
            std::uint64_t blame = kAllGroups;
            if (grouped_) blame = note != 0 ? note : known_blame(candidate.next);
            remove(candidate.id);
            ++stats_.cache_hits;
            blame_parent(candidate.id, blame);
            return false;
        }
        return true;
    }

    // Linearizes `candidate`, a choice of `level`, and pushes the level after it.
    void descend(const Level& level, const Candidate& candidate) {
        lift(candidate.id);
        const std::uint64_t previous = state_;
        state_ = candidate.next;
        if (candidate.id < required_) ++required_done_;
        const std::uint32_t last_change = candidate.next != previous ? candidate.id : level.last_change;
        push_level(candidate.id, previous, last_change);
    }

    // --- levels

    // Visits the candidates of the current configuration: unlinearized required
    // ops invoked before the first pending completion, then optional ops invoked
    // before it. Returns that completion's rank (kNever if none).
    template <class Visit>
    std::uint32_t for_each_candidate(Visit&& visit) {
        const std::uint32_t head = 2 * required_;
        std::uint32_t barrier = kNever;
        barrier_id_ = kNever;
        for (std::uint32_t node = next_[head]; node != head; node = next_[node]) {
            if (node % 2 == 1) {
                barrier = ops_[node / 2].ret;
                barrier_id_ = node / 2;
                break;
            }
            if (!visit(node / 2)) return barrier;
        }
        const std::uint32_t ohead = size() - required_;
        for (std::uint32_t k = onext_[ohead]; k != ohead; k = onext_[k]) {
            const std::uint32_t id = required_ + k;
            if (ops_[id].call > barrier) break;
            if (!visit(id)) return barrier;
        }
        return barrier;
    }

    // What a new level found before and while it collected its candidates:
    // whether it is dead (a doomed read, a known nogood), why, and whether a
    // read-only op was forced as its only choice.
    struct LevelScan {
        bool forced = false;
        std::uint32_t forced_id = kNever;
        bool dead = false;
        std::uint32_t doomed = kNever;
        std::uint64_t blame = 0;
        bool explained = false;
    };

    void push_level(std::uint32_t op, std::uint64_t previous, std::uint32_t last_change) {
        const auto begin = static_cast<std::uint32_t>(candidates_.size());
        LevelScan scan;
        if constexpr (Space::kMonotone) {
            scan.doomed = first_doomed_read(op);
            scan.dead = scan.doomed != kNever;
        }
        explain_dead_start(op, scan);
        ++stamp_;
        if (!scan.dead) collect_candidates(begin, scan);
        if (scan.forced) ++stats_.forced;
        if (scan.dead) {
            ++stats_.pruned;
            candidates_.resize(begin);
        }
        const auto end = static_cast<std::uint32_t>(candidates_.size());
        sort_candidates(begin);
        levels_.push_back(Level{begin, end, begin, op, previous, last_change, entry_,
                                scan.explained ? kNever : barrier_id_, scan.blame, scan.explained, 0,
                                scan.forced && grouping_ ? group_of_[scan.forced_id] : kNever});
        levels_.back().doomed = scan.doomed;
        note_progress();
    }

    // A read the state reached by `op` dooms, if any. Only the part of the
    // state the last op touched can have new doomed reads (a read-only op
    // changes nothing).
    std::uint32_t first_doomed_read(std::uint32_t op) {
        std::uint32_t doomed = kNever;
        if (op == kNever) {
            for (std::uint32_t g = 0; g < groups_ && doomed == kNever; ++g) doomed = doomed_read(g);
        } else if (kind_[op] != kRead) {
            doomed = doomed_read(group_of_[op]);
        }
        return doomed;
    }

    // Why the level fails before trying anything (backjumping): a doomed read's
    // key, or a known nogood on the key the last op touched.
    void explain_dead_start(std::uint32_t op, LevelScan& scan) {
        if (scan.dead && grouped_) {
            scan.blame = bit(group_of_[id_of_[scan.doomed]]);
            scan.explained = true;
        }
        if (!scan.dead && grouped_ && op != kNever) {
            const std::uint32_t g = group_of_[op];
            if (nogoods_[g].known(group_sets_[g], component(state_, g))) {
                ++stats_.nogood_hits;
                scan.dead = true;
                scan.blame = bit(g);
                scan.explained = true;
            }
        }
    }

    // Steps the state by every candidate (for_each_candidate) into
    // candidates_[begin, ...): all the legal ones, or a forced read alone; a
    // doomed read makes the level dead instead.
    void collect_candidates(std::uint32_t begin, LevelScan& scan) {
        for_each_candidate([&](std::uint32_t id) {
            if (class_of_[id] != kNever) {
                // Symmetry: an equal optional op invoked earlier is a candidate too.
                if (class_stamp_[class_of_[id]] == stamp_) return true;
                class_stamp_[class_of_[id]] = stamp_;
            }
            std::uint64_t next = 0;
            ++stats_.steps;
            if (!space_->step(state_, index_of_[id], next)) {
                if constexpr (Space::kMonotone) {
                    const std::uint32_t op = index_of_[id];
                    if (kind_[id] == kRead && read_doomed(id)) {
                        scan.dead = true;
                        scan.doomed = op;
                        if (grouped_) {
                            scan.blame = bit(group_of_[id]);
                            scan.explained = true;
                        }
                        return false;
                    }
                }
                return true;
            }
            if (space_->read_only(index_of_[id])) {
                FL_ASSERT_EQ(next, state_);
                // Forcing (see the header): this op alone is the level's choice.
                candidates_.resize(begin);
                candidates_.push_back({id, next});
                scan.forced = true;
                scan.forced_id = id;
                return false;
            }
            candidates_.push_back({id, next});
            return true;
        });
    }

    // Most urgent first: the op whose completion comes soonest (optional ops,
    // which never complete, last). A wrong early choice is then discovered
    // sooner, and in a linearizable history the first path usually works.
    void sort_candidates(std::uint32_t begin) {
        std::sort(candidates_.begin() + begin, candidates_.end(), [&](const Candidate& a, const Candidate& b) {
            return ops_[a.id].ret != ops_[b.id].ret ? ops_[a.id].ret < ops_[b.id].ret
                                                    : ops_[a.id].call < ops_[b.id].call;
        });
    }

    void add(std::uint32_t id) {
        set_.insert(id);
        if (grouping_) {
            group_sets_[group_of_[id]].insert(local_id_[id]);
            if (id < required_) --group_pending_[group_of_[id]];
        }
    }
    void remove(std::uint32_t id) {
        set_.erase(id);
        if (grouping_) {
            group_sets_[group_of_[id]].erase(local_id_[id]);
            if (id < required_) ++group_pending_[group_of_[id]];
        }
    }

    // --- backjumping (see the header)

    static constexpr std::uint64_t kAllGroups = ~0ULL;
    static std::uint64_t bit(std::uint32_t group) { return 1ULL << group; }

    std::uint64_t component(std::uint64_t state, std::uint32_t group) {
        if constexpr (Space::kGrouped) {
            return space_->component(state, group);
        } else {
            (void)state;
            (void)group;
            FL_UNREACHABLE();
        }
    }

    // The groups a failed level is blamed on.
    //
    // A single group a explains the failure on its own when its ops alone cannot
    // be completed from here: a has unlinearized completed ops, every child
    // through an op of a failed for a alone, and every op a's own search could
    // start with was a candidate here (none of a's ops is invoked between the
    // barrier's completion and a's first pending completion). Then any
    // linearization of a's ops would start with one of those children and
    // contradict its failure. Otherwise the blame is the union of the children's
    // blames and the barrier's group (the general rule).
    std::uint64_t failure_blame(const Level& level) {
        if (!grouped_) return kAllGroups;
        if (level.jumped) return level.blame == 0 ? kAllGroups : level.blame;
        if (level.forced_group != kNever) {
            // Forced: the level stands or falls with its one child.
            return level.blame | bit(level.forced_group);
        }
        if (level.barrier == kNever) return kAllGroups;
        const std::uint32_t barrier_group = group_of_[level.barrier];
        if (explains_alone(level, barrier_group, true)) return bit(barrier_group);
        for (std::uint32_t g = 0; g < groups_; ++g) {
            if (g != barrier_group && explains_alone(level, g, false)) return bit(g);
        }
        return level.blame | bit(barrier_group);
    }
    bool explains_alone(const Level& level, std::uint32_t g, bool is_barrier_group) {
        if ((level.impure & bit(g)) != 0 || group_pending_[g] == 0) return false;
        // Children blamed on a only (or none): every child of group g failed for g.
        if (is_barrier_group) return true;
        return candidates_complete(level.barrier, g);
    }
    // Whether no unlinearized op of `group` is invoked after the completion of
    // `barrier` and before the first pending completion in `group` (looking at
    // a bounded stretch of the lists; false when unsure).
    bool candidates_complete(std::uint32_t barrier, std::uint32_t group) const {
        static constexpr int kMaxWalk = 256;
        const std::uint32_t head = 2 * required_;
        std::uint32_t group_ret = kNever;
        int walked = 0;
        for (std::uint32_t node = next_[2 * barrier + 1]; node != head; node = next_[node]) {
            if (++walked > kMaxWalk) return false;
            if (group_of_[node / 2] != group) continue;
            if (node % 2 == 0) return false;  // an invocation before its first completion
            group_ret = ops_[node / 2].ret;
            break;
        }
        const std::uint32_t after = ops_[barrier].ret;
        const std::uint32_t ohead = size() - required_;
        walked = 0;
        for (std::uint32_t k = onext_[ohead]; k != ohead; k = onext_[k]) {
            const std::uint32_t id = required_ + k;
            if (ops_[id].call >= group_ret) break;
            if (++walked > kMaxWalk) return false;
            if (ops_[id].call > after && group_of_[id] == group) return false;
        }
        return true;
    }
    // A child of the top level (reached by `child`) failed, blamed on `blame`.
    void blame_parent(std::uint32_t child, std::uint64_t blame) {
        Level& parent = levels_.back();
        if (grouped_ && blame != kAllGroups && (blame & bit(group_of_[child])) == 0) {
            // The child failed on keys its step did not touch: so does the parent.
            parent.blame = blame;
            parent.jumped = true;
            parent.cursor = parent.end;
            ++stats_.backjumps;
        } else {
            parent.blame |= blame;
            if (grouped_ && (blame & ~bit(group_of_[child])) != 0) {
                parent.impure |= bit(group_of_[child]);
            }
        }
    }
    // The blame of a configuration the cache already knows: a recorded nogood
    // on one of its keys, if any.
    std::uint64_t known_blame(std::uint64_t state) {
        for (std::uint32_t g = 0; g < groups_; ++g) {
            if (nogoods_[g].known(group_sets_[g], component(state, g))) {
                ++stats_.nogood_hits;
                return bit(g);
            }
        }
        return kAllGroups;
    }

    void pop_level() {
        const Level level = levels_.back();
        levels_.pop_back();
        candidates_.resize(level.begin);
        unlift(level.op);
        remove(level.op);
        if (level.op < required_) --required_done_;
        state_ = level.previous;
        low_water_ = std::min<std::size_t>(low_water_, levels_.size() - 1);
    }

    // --- progress and results

    void note_progress() {
        const std::uint32_t prefix = set_.required_prefix();
        if (have_best_ && prefix < best_prefix_) return;
        if (!have_best_ || prefix > best_prefix_) {
            have_best_ = true;
            best_prefix_ = prefix;
            best_configs_.clear();
            best_seen_ = FlatMap64(16);
            best_configs_truncated_ = false;
            snapshot_path();
        }
    }

    void snapshot_path() {
        // Only the part of the stack that changed since the last snapshot is copied,
        // so snapshots cost no more than the pushes that led to them.
        // Entry k is the op of level k+1 and the state after it; entries below the
        // lowest depth the stack fell to since the last snapshot are unchanged.
        const std::size_t depth = levels_.size() - 1;
        if (best_path_run_ != run_serial_) {
            low_water_ = 0;
            best_path_run_ = run_serial_;
            best_start_ = start_of_run();
        }
        best_path_.resize(depth);
        for (std::size_t k = low_water_; k < depth; ++k) {
            const std::uint64_t after = k + 2 < levels_.size() ? levels_[k + 2].previous : state_;
            best_path_[k] = PathStep{index_of_[levels_[k + 1].op], after};
        }
        low_water_ = depth;
    }
    std::uint64_t start_of_run() const { return levels_.size() > 1 ? levels_[1].previous : state_; }

    void record_best_config(std::uint32_t doomed) {
        if (best_configs_truncated_) return;
        const std::uint32_t failing = best_prefix_;  // the id of the first op not linearized
        FL_ASSERT(!set_.test(failing));
        BestConfig config;
        config.state = state_;
        config.doomed = doomed;
        config.last_change = levels_.back().last_change == kNever ? kNever : index_of_[levels_.back().last_change];
        for_each_candidate([&](std::uint32_t id) {
            if (id != failing) config.pending.push_back(index_of_[id]);
            return true;
        });
        std::sort(config.pending.begin(), config.pending.end());
        std::uint64_t h =
            (config.state * 0x9e3779b97f4a7c15ULL + config.last_change) ^ (std::uint64_t{config.doomed} << 32);
        for (std::uint32_t index : config.pending) h = (h ^ index) * 0x100000001b3ULL;
        if (best_seen_.find(h) != FlatMap64::kAbsent) return;
        best_seen_.insert(h, 1);
        if (best_configs_.size() == kMaxBestConfigs) {
            best_configs_truncated_ = true;
            return;
        }
        best_configs_.push_back(std::move(config));
    }

    void record_end() {
        EndConfig end;
        end.state = state_;
        for (std::uint32_t id = required_; id < size(); ++id) {
            if (!set_.test(id)) end.available.push_back(index_of_[id]);
        }
        std::sort(end.available.begin(), end.available.end());
        ends_.push_back(std::move(end));
    }

    Outcome finish(Outcome outcome, std::size_t ends_before) {
        ++run_serial_;
        stats_.peak_bytes = std::max(stats_.peak_bytes, bytes());
        if (enumerate_ && outcome == Outcome::failure && ends_.size() > ends_before) {
            return Outcome::success;
        }
        return outcome;
    }

    Outcome out_of_configs() {
        stats_.peak_bytes = std::max(stats_.peak_bytes, bytes());
        return Outcome::out_of_configs;
    }

    Outcome check_limits() {
        const std::size_t used = bytes();
        stats_.peak_bytes = std::max(stats_.peak_bytes, used);
        if (used > limits_.max_bytes) return Outcome::out_of_memory;
        if (limits_.cancel != nullptr && limits_.cancel->load(std::memory_order_relaxed)) {
            return Outcome::cancelled;
        }
        return Outcome::success;
    }

    Space* space_;
    Limits limits_;
    std::uint32_t required_ = 0;
    std::vector<SearchOp> ops_;            // by id
    std::vector<std::uint32_t> index_of_;  // id -> op index in the space
    std::vector<std::uint32_t> id_of_;     // op index in the space -> id, or kNever
    std::vector<std::uint32_t> required_order_;
    std::vector<std::uint32_t> next_, prev_, onext_, oprev_;
    // Symmetry among equal optional ops: class per optional id (kNever: none),
    // and per class the last candidate scan that saw one.
    std::vector<std::uint32_t> class_of_;
    std::vector<std::uint64_t> class_stamp_;
    std::uint64_t stamp_ = 0;
    // Monotone lookahead (see the header): per group, unlinearized resets by
    // invocation and unlinearized completed reads by completion.
    enum Kind : std::uint8_t { kPlain, kReset, kRead };
    std::uint32_t groups_ = 0;
    std::vector<std::uint32_t> group_of_;
    std::vector<Kind> kind_;
    // Backjumping for grouped models (only with 2..64 groups).
    bool grouping_ = false;
    bool grouped_ = false;                 // this run
    std::vector<std::uint32_t> local_id_;  // id -> id within its group
    std::vector<std::uint32_t> group_required_, group_optional_;
    std::vector<std::uint32_t> group_pending_;  // unlinearized required ops per group
    std::vector<OpSet> group_sets_;
    std::vector<ConfigCache> nogoods_;
    std::uint64_t root_blame_ = kAllGroups;
    std::uint32_t barrier_id_ = kNever;
    ConfigCache::Handle entry_ = 0;
    // the cache entry of the configuration being pushed
    std::vector<std::uint32_t> reset_order_;
    std::vector<std::uint32_t> resets_next_, resets_prev_, reads_next_, reads_prev_;
    // Reads outside the search that may observe its states, per group (space
    // op indexes), groups that must never be merged, and per (state, group)
    // whether one of those reads may reach it (see canonical()).
    std::vector<std::vector<std::uint32_t>> outside_reads_;
    std::vector<char> always_observable_;
    FlatMap64 outside_memo_{16};

    OpSet set_;
    ConfigCache cache_;
    std::uint64_t state_ = 0;
    std::uint32_t required_done_ = 0;
    bool enumerate_ = false;
    std::vector<Level> levels_;
    std::vector<Candidate> candidates_;

    bool have_best_ = false;
    std::uint32_t best_prefix_ = 0;
    std::vector<PathStep> best_path_;
    std::uint64_t best_start_ = 0;
    std::size_t low_water_ = 0;
    std::uint64_t run_serial_ = 0;
    std::uint64_t best_path_run_ = ~0ULL;
    std::vector<BestConfig> best_configs_;
    FlatMap64 best_seen_{16};  // hashes of the best configurations recorded
    bool best_configs_truncated_ = false;

    std::vector<EndConfig> ends_;
    SearchStats stats_;
};

// The constructor and run() are defined out of the class, so that they are not
// inline: a file that declares their instances extern (every user of
// the checker's models, partition_checker.h) then compiles none of the search,
// and search_instances.cc compiles it once per model.
template <class Space>
Search<Space>::Search(std::span<const SearchOp> ops, Space& space, Limits limits) : space_(&space), limits_(limits) {
    order_ops(ops, space);
    index_required_order();
    index_op_classes(space);
    if constexpr (Space::kMonotone) index_lookahead(space);
    if constexpr (Space::kGrouped) index_groups(space);
}

template <class Space>
Outcome Search<Space>::run(std::uint64_t start_state, std::span<const std::uint32_t> spent, bool enumerate) {
    begin_run(start_state, spent, enumerate);
    const std::size_t ends_before = ends_.size();
    if (!cache_.insert(set_, state_, &entry_)) return finish(Outcome::failure, ends_before);
    if (++stats_.configs > limits_.max_configs) return out_of_configs();
    push_level(kNever, state_, kNever);
    if (stops_at_linearization()) return finish(Outcome::success, ends_before);
    std::uint32_t tick = 0;
    for (;;) {
        if (++tick == 4096) {
            tick = 0;
            if (Outcome stop = check_limits(); stop != Outcome::success) return stop;
        }
        Level& level = levels_.back();
        if (level.cursor == level.end) {
            if (!leave_failed_level(level)) return finish(Outcome::failure, ends_before);
            continue;
        }
        Candidate candidate = candidates_[level.cursor++];
        if constexpr (Space::kUnobservable) {
            if (kind_[candidate.id] != kRead) candidate.next = canonical(candidate.id, candidate.next);
        }
        add(candidate.id);
        if (!enter_new_config(candidate)) continue;
        if (++stats_.configs > limits_.max_configs) return out_of_configs();
        descend(level, candidate);
        if (stops_at_linearization()) return finish(Outcome::success, ends_before);
    }
}

}  // namespace faultline::check::lin
