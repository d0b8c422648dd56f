// Checking every partition: in key order on this thread, or first
// speculatively on several threads and then accounted in key order, so that
// the verdict, the counterexample and the statistics never depend on the
// threads.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "check/linearizability/partition_checker.h"

namespace faultline::check::lin {

namespace {

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
void speculate(const M& model, const std::vector<Partition<M>>& partitions, const Context& context, int threads,
               std::vector<Slot>& slots) {
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
            Budget budget{0, options.memory_limit_bytes / static_cast<std::size_t>(threads), &cancel[i]};
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
            if (slots[i].result.verdict == Verdict::invalid && options.stop_at_first_invalid) {
                std::size_t seen = first_invalid.load();
                while (i < seen && !first_invalid.compare_exchange_weak(seen, i)) {
                }
                for (std::size_t j = i + 1; j < partitions.size(); ++j) cancel[j] = true;
            }
            while (accounted < slots.size() && slot_final(slots[accounted], configs_after(options.configs_max, used))) {
                used += slots[accounted++].result.configs;
            }
            // A check that is done but not final, and stopped for no other
            // reason than work, needed more than key order leaves it: checked
            // again, it will run out, and leave nothing to the keys after it.
            const bool overrun =
                accounted < slots.size() && slots[accounted].done && slots[accounted].stop != Stop::other;
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

}  // namespace

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
    const int threads = std::max(1, std::min<int>(options.threads, static_cast<int>(partitions.size())));
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
            if (!any_unknown) result.unknown_reason = fmt::format("key {}: {}", part.key.dump(), part.unknown_reason);
            any_unknown = true;
        }
        result.partitions.push_back(std::move(part));
        // The keys after the first failing one are not checked (not even
        // reported), as if checked one after another.
        if (any_invalid && options.stop_at_first_invalid) break;
    }
    if (partitions.size() == 1 && any_unknown) result.unknown_reason = result.partitions[0].unknown_reason;
    result.verdict = any_invalid ? Verdict::invalid : any_unknown ? Verdict::unknown : Verdict::valid;
    return result;
}

#define FAULTLINE_INSTANTIATE(M) \
    template LinearizabilityResult check_partitions<M>(const M&, const std::vector<Partition<M>>&, const Context&);
FAULTLINE_LIN_FOR_EACH_MODEL(FAULTLINE_INSTANTIATE)
#undef FAULTLINE_INSTANTIATE

}  // namespace faultline::check::lin
