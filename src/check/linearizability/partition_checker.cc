// PartitionChecker: the check of one partition as a whole (pre-checks, then
// quiescent segments or one search of everything), and the accounting of what
// its searches spend against its budget.
#include "check/linearizability/partition_checker.h"

#include <span>

namespace faultline::check::lin {

namespace {

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

}  // namespace

template <class M>
PartitionChecker<M>::PartitionChecker(const M& model, const Partition<M>& part, const Context& context,
                                      const Budget& budget)
    : model_(model), part_(part), context_(context), space_(model, part.ops), configs_max_(budget.configs) {
    limits_.max_bytes = budget.bytes;
    limits_.cancel = budget.cancel;
    for (const SearchOp& op : part.times) required_ += op.required() ? 1 : 0;
    // The ops the search considers: all but optional ones the model calls
    // useless (see models/model.h).
    std::vector<char> useless(part.ops.size(), 0);
    if constexpr (requires(const M& m, std::span<const models::TimedOp<typename M::Op>> ops) { m.useless(ops); }) {
        useless = model.useless(timed_ops());
    }
    for (std::size_t i = 0; i < part.times.size(); ++i) {
        if (!useless[i]) active_.push_back(part.times[i]);
    }
}

template <class M>
PartitionResult PartitionChecker<M>::check(std::optional<Counterexample>* counterexample) {
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
    if (context_.options->split_at_quiescence && part_.ops.size() >= context_.options->quiescence_min_ops &&
        check_segmented()) {
        return result_;
    }
    check_whole();
    return result_;
}

template <class M>
std::vector<models::TimedOp<typename M::Op>> PartitionChecker<M>::timed_ops() const {
    std::vector<models::TimedOp<typename M::Op>> timed;
    timed.reserve(part_.ops.size());
    for (std::size_t i = 0; i < part_.ops.size(); ++i) {
        timed.push_back({part_.ops[i], part_.times[i].call, part_.times[i].ret});
    }
    return timed;
}

template <class M>
void PartitionChecker<M>::check_whole() {
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

template <class M>
void PartitionChecker<M>::give_up(Outcome outcome) {
    result_.verdict = Verdict::unknown;
    result_.unknown_reason = outcome_reason(outcome);
    note_stop(outcome);
}

template <class M>
void PartitionChecker<M>::note_stop(Outcome outcome) {
    if (outcome == Outcome::out_of_configs && stop_ == Stop::none) stop_ = Stop::configs;
    if (outcome == Outcome::out_of_memory || outcome == Outcome::cancelled) stop_ = Stop::other;
}

// After a search that decides the verdict: its work counts against the
// partition's budget.
template <class M>
void PartitionChecker<M>::note_stats(const Search& search) {
    result_.configs += search.stats().configs;
    result_.peak_bytes = std::max(result_.peak_bytes, search.stats().peak_bytes);
}

// After a search that explains a verdict already reached: its work has a
// budget of its own (running out of it only truncates the explanation),
// its memory counts like any other search's.
template <class M>
void PartitionChecker<M>::note_explain(const Search& search, Outcome outcome) {
    result_.peak_bytes = std::max(result_.peak_bytes, search.stats().peak_bytes);
    if (outcome != Outcome::out_of_configs) note_stop(outcome);
}

#define FAULTLINE_INSTANTIATE(M)                                                                                  \
    template PartitionChecker<M>::PartitionChecker(const M&, const Partition<M>&, const Context&, const Budget&); \
    template PartitionResult PartitionChecker<M>::check(std::optional<Counterexample>*);                          \
    template std::vector<models::TimedOp<M::Op>> PartitionChecker<M>::timed_ops() const;                          \
    template void PartitionChecker<M>::check_whole();                                                             \
    template void PartitionChecker<M>::give_up(Outcome);                                                          \
    template void PartitionChecker<M>::note_stop(Outcome);                                                        \
    template void PartitionChecker<M>::note_stats(const Search&);                                                 \
    template void PartitionChecker<M>::note_explain(const Search&, Outcome);
FAULTLINE_LIN_FOR_EACH_MODEL(FAULTLINE_INSTANTIATE)
#undef FAULTLINE_INSTANTIATE

}  // namespace faultline::check::lin
