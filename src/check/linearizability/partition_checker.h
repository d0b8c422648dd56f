// The pieces of the linearizability checker (checker.h) behind its entry point,
// private to src/check/linearizability/.
//
// check_linearizability (checker.cc) pairs a history's operations, encodes them
// with a model and groups them by key into Partitions; check_partitions
// (check_partitions.cc) checks every partition, in key order or speculatively
// on several threads, each with a PartitionChecker and a Budget; the result is
// the same whatever the threads. A PartitionChecker decides one partition and
// explains a failure. Its members are defined in one file per job:
//   partition_checker.cc  the check as a whole and its budget accounting
//   precheck.cc           impossible reads found without search, explained
//   quiescence.cc         cutting a long partition at quiescent points
//   explain.cc            the counterexample of a failed search
//   window.cc             the smallest set of ops that cannot be ordered
// The class is a template over the model; each of those files instantiates its
// members for every model the checker runs (FAULTLINE_LIN_FOR_EACH_MODEL), and
// search_instances.cc the search for each of them.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/json.h"
#include "check/history.h"
#include "check/linearizability/checker.h"
#include "check/linearizability/counterexample.h"
#include "check/linearizability/paired_history.h"
#include "check/linearizability/search.h"
#include "check/linearizability/state_space.h"
#include "check/models/kv_append.h"
#include "check/models/map_model.h"
#include "check/models/multi_register.h"
#include "check/models/register.h"
#include "check/models/small_models.h"

// Every model check_linearizability runs: each base model, and for --no-split
// the map of it (MultiRegisterModel is one object already). A model missing
// here is a link error, never a silent gap.
#define FAULTLINE_LIN_FOR_EACH_MODEL(X)                                                 \
    X(::faultline::check::models::RegisterModel)                                        \
    X(::faultline::check::models::MapModel<::faultline::check::models::RegisterModel>)  \
    X(::faultline::check::models::MultiRegisterModel)                                   \
    X(::faultline::check::models::KvAppendModel)                                        \
    X(::faultline::check::models::MapModel<::faultline::check::models::KvAppendModel>)  \
    X(::faultline::check::models::MutexModel)                                           \
    X(::faultline::check::models::MapModel<::faultline::check::models::MutexModel>)     \
    X(::faultline::check::models::SetModel)                                             \
    X(::faultline::check::models::MapModel<::faultline::check::models::SetModel>)       \
    X(::faultline::check::models::FifoQueueModel)                                       \
    X(::faultline::check::models::MapModel<::faultline::check::models::FifoQueueModel>) \
    X(::faultline::check::models::CounterModel)                                         \
    X(::faultline::check::models::MapModel<::faultline::check::models::CounterModel>)

namespace faultline::check::lin {

// The search is compiled once per model, in search_instances.cc, not in every
// file of the checker that runs it.
#define FAULTLINE_LIN_EXTERN_SEARCH(M)                                                                \
    extern template Search<StateSpace<M>>::Search(std::span<const SearchOp>, StateSpace<M>&, Limits); \
    extern template Outcome Search<StateSpace<M>>::run(std::uint64_t, std::span<const std::uint32_t>, bool);
FAULTLINE_LIN_FOR_EACH_MODEL(FAULTLINE_LIN_EXTERN_SEARCH)
#undef FAULTLINE_LIN_EXTERN_SEARCH

// Limits on the counterexample's final paths: they illustrate, the proof is the
// exhausted search, so a bounded sample is enough.
constexpr std::size_t kMaxFinalPaths = 32;
constexpr std::size_t kMaxPathNodes = 20000;
constexpr std::size_t kMaxWindowForPaths = 24;
// Explaining an anomaly a pre-check found, or a key of a --no-split failure
// found key by key: configurations in all, about two seconds of search.
constexpr std::uint64_t kExplainConfigs = 2'000'000;

// Orders partition keys: numbers by value, then strings, then anything else by
// its JSON text, so "key 2" comes before "key 10".
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
// used (check_partitions relies on this).
enum class Stop : std::uint8_t { none, configs, other };

// One partition of encoded ops.
template <class M>
struct Partition {
    Json key;
    std::vector<typename M::Op> ops;
    std::vector<std::uint32_t> paired;  // index into Context::paired, per op
    std::vector<SearchOp> times;        // call/ret ranks; op = own index
};

// Checks every partition as if one after another in key order, each with the
// configurations the keys before it left (check_partitions.cc).
template <class M>
LinearizabilityResult check_partitions(const M& model, const std::vector<Partition<M>>& partitions,
                                       const Context& context);

template <class M>
class PartitionChecker {
  public:
    using Space = lin::StateSpace<M>;
    using Search = lin::Search<Space>;

    PartitionChecker(const M& model, const Partition<M>& part, const Context& context, const Budget& budget);

    PartitionResult check(std::optional<Counterexample>* counterexample);

    Stop stop() const { return stop_; }

  private:
    // The (state, ops placed) pairs a walk over orders of ops has reached.
    using Visited = std::set<std::pair<std::uint64_t, std::vector<char>>>;

    // --- pre-checks (precheck.cc)

    std::vector<models::TimedOp<typename M::Op>> timed_ops() const;
    bool precheck();
    void explain_impossible(std::uint32_t bad, const std::string& reason);
    void build_impossible_counterexample(const Search& search, std::uint32_t bad, const std::string& reason);

    // --- quiescent segments (quiescence.cc)

    struct FrontierConfig {
        std::uint64_t state;
        std::vector<std::uint32_t> available;  // optional ops not yet used, sorted
    };

    bool check_segmented();
    void add_later_reads(Search& search, const std::vector<SearchOp>& ops, std::uint32_t cut);
    void index_readers();
    std::vector<std::vector<std::uint32_t>> cut_segments() const;
    static std::vector<FrontierConfig> reduce_frontier(const std::vector<lin::EndConfig>& ends);

    // --- the whole partition at once, and the budget (partition_checker.cc)

    void check_whole();
    void give_up(Outcome outcome);
    void note_stop(Outcome outcome);
    // The configurations the verdict's searches may still explore.
    std::uint64_t configs_left() const { return configs_max_ > result_.configs ? configs_max_ - result_.configs : 0; }
    void note_stats(const Search& search);
    void note_explain(const Search& search, Outcome outcome);

    // --- counterexamples (explain.cc)

    void explain(const Search& search, std::size_t required_before, bool whole);
    void explain_by_key(std::uint64_t groups);
    std::int64_t op_index(std::uint32_t i) const;
    std::size_t add_op(Counterexample& cx, std::uint32_t i);
    void record_linearization_tail(Counterexample& cx, std::uint64_t start_state,
                                   const std::vector<lin::PathStep>& path);
    std::string describe(std::uint64_t word) const { return model_.describe_state(space_.state(word)); }
    void build_counterexample(const Search& search, std::size_t required_before);
    std::optional<std::uint32_t> last_completed_before(std::uint32_t failing) const;
    void record_pending_and_prefix_states(Counterexample& cx, const Search& search);
    void record_final_paths(Counterexample& cx, const Search& search, std::uint32_t failing);
    std::uint32_t window_target(const Search& search, std::uint32_t failing) const;
    void explore_paths(Counterexample& cx, const std::vector<std::uint32_t>& pool, std::uint32_t failing,
                       std::uint64_t state, std::vector<char>& used, std::vector<CounterexampleStep>& path,
                       Visited& visited, std::size_t& nodes);

    // --- the window (window.cc)

    enum class Orderable : std::uint8_t { yes, no, unknown };

    Orderable orderable(std::uint64_t state, const std::vector<std::uint32_t>& ops, std::uint32_t horizon);
    bool find_window(Counterexample& cx, std::uint64_t start, const std::vector<lin::PathStep>& path,
                     std::uint32_t target);
    std::vector<std::uint32_t> overlapping_ops(const std::vector<char>& done, const SearchOp& bad) const;
    bool shrink_window(std::vector<std::uint32_t>& set, std::uint64_t state, std::uint32_t horizon);
    std::uint32_t window_failing_op(const std::vector<std::uint32_t>& set, std::uint32_t target,
                                    std::uint32_t horizon) const;
    void window_orders(Counterexample& cx, const std::vector<std::uint32_t>& set, std::uint32_t horizon,
                       std::uint64_t state, std::vector<char>& used, std::vector<CounterexampleStep>& path,
                       Visited& visited, std::size_t& nodes);

    const M& model_;
    const Partition<M>& part_;
    const Context& context_;
    Space space_;
    lin::Limits limits_;             // memory and cancellation, for every search
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

}  // namespace faultline::check::lin
