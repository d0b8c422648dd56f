// PartitionChecker's quiescent segments: a long partition is cut where no
// operation spans the cut, and the pieces are searched in turn, each from the
// end configurations (state, optional ops still unused) the one before can
// reach. Memory then grows with the longest piece, not with the history.
#include <algorithm>
#include <iterator>
#include <map>

#include "base/assert.h"
#include "check/linearizability/partition_checker.h"

namespace faultline::check::lin {

namespace {

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

}  // namespace

// Returns true if it decided the partition (or ran out of budget).
template <class M>
bool PartitionChecker<M>::check_segmented() {
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
            std::set_difference(carried.begin(), carried.end(), config.available.begin(), config.available.end(),
                                std::back_inserter(spent));
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
        for (std::uint32_t i : segments[s]) required_before += part_.times[i].required() ? 1 : 0;
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
template <class M>
void PartitionChecker<M>::add_later_reads(Search& search, const std::vector<SearchOp>& ops, std::uint32_t cut) {
    if constexpr (Space::kUnobservable) {
        if (readers_.empty()) index_readers();
        std::vector<char> touched(readers_.size(), 0);
        for (const SearchOp& op : ops) {
            if (!space_.read_only(op.op)) touched[space_.group(op.op)] = 1;
        }
        auto call_before = [&](std::uint32_t i, std::uint32_t rank) { return part_.times[i].call < rank; };
        for (std::uint32_t g = 0; g < readers_.size(); ++g) {
            if (!touched[g]) continue;
            const Readers& r = readers_[g];
            const auto k = static_cast<std::size_t>(
                std::lower_bound(r.resets.begin(), r.resets.end(), cut, call_before) - r.resets.begin());
            const std::uint32_t bound = k < r.resets.size() ? r.min_ret[k] : kNever;
            // An optional reset invoked before the cut may still take effect
            // after it, at any time.
            const std::uint32_t rescue = r.first_optional_reset < cut ? 0
                                         : k < r.resets.size()        ? part_.times[r.resets[k]].call
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

template <class M>
void PartitionChecker<M>::index_readers() {
    if constexpr (Space::kUnobservable) {
        readers_.resize(space_.group_count());
        std::vector<std::uint32_t> order;
        for (const SearchOp& op : active_) order.push_back(op.op);
        std::sort(order.begin(), order.end(),
                  [&](std::uint32_t a, std::uint32_t b) { return part_.times[a].call < part_.times[b].call; });
        for (std::uint32_t i : order) {
            Readers& r = readers_[space_.group(i)];
            const bool required = part_.times[i].required();
            if (space_.resets(i)) {
                r.resets.push_back(i);
                if (!required) {
                    r.first_optional_reset = std::min(r.first_optional_reset, part_.times[i].call);
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
template <class M>
std::vector<std::vector<std::uint32_t>> PartitionChecker<M>::cut_segments() const {
    std::vector<std::uint32_t> order;
    for (const SearchOp& op : active_) order.push_back(op.op);
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return part_.times[a].call < part_.times[b].call; });
    std::vector<std::vector<std::uint32_t>> segments(1);
    std::uint32_t reach = 0;
    bool any_required = false;
    bool any_optional = false;
    for (std::uint32_t i : order) {
        const SearchOp& op = part_.times[i];
        // No cut after an op of unknown outcome: it would be carried across
        // every later cut, and enumerating each piece's ends with it costs far
        // more than one search of the whole (it could take effect anywhere).
        if (any_required && !any_optional && reach < op.call && segments.back().size() >= kMinSegmentOps) {
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
    if (segments.size() > 1 && std::none_of(segments.back().begin(), segments.back().end(),
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
template <class M>
std::vector<typename PartitionChecker<M>::FrontierConfig> PartitionChecker<M>::reduce_frontier(
    const std::vector<lin::EndConfig>& ends) {
    std::map<std::uint64_t, std::vector<std::vector<std::uint32_t>>> by_state;
    for (const lin::EndConfig& end : ends) by_state[end.state].push_back(end.available);
    std::vector<FrontierConfig> frontier;
    for (auto& [state, sets] : by_state) {
        std::sort(sets.begin(), sets.end(),
                  [](const auto& a, const auto& b) { return a.size() != b.size() ? a.size() > b.size() : a < b; });
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

#define FAULTLINE_INSTANTIATE(M)                                                                              \
    template bool PartitionChecker<M>::check_segmented();                                                     \
    template void PartitionChecker<M>::add_later_reads(Search&, const std::vector<SearchOp>&, std::uint32_t); \
    template void PartitionChecker<M>::index_readers();                                                       \
    template std::vector<std::vector<std::uint32_t>> PartitionChecker<M>::cut_segments() const;               \
    template std::vector<PartitionChecker<M>::FrontierConfig> PartitionChecker<M>::reduce_frontier(           \
        const std::vector<EndConfig>&);
FAULTLINE_LIN_FOR_EACH_MODEL(FAULTLINE_INSTANTIATE)
#undef FAULTLINE_INSTANTIATE

}  // namespace faultline::check::lin
