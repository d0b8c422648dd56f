// check_linearizability: pairs a history's operations, encodes them with the
// model the options name, groups them by key into partitions, and has
// check_partitions decide each (partition_checker.h).
#include "check/linearizability/checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <unordered_map>

#include "base/assert.h"
#include "check/linearizability/partition_checker.h"

namespace faultline::check {

namespace {

bool counter_initial_in_range(const Json& init) {
    if (init.is_number_unsigned()) {
        return init.get<std::uint64_t>() <= static_cast<std::uint64_t>(models::kCounterInitialMax);
    }
    if (!init.is_number_integer()) return false;
    const std::int64_t value = init.get<std::int64_t>();
    return value <= models::kCounterInitialMax && value >= -models::kCounterInitialMax;
}

}  // namespace

namespace lin {

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

}  // namespace lin

namespace {

using Clock = std::chrono::steady_clock;
using lin::Context;
using lin::PairedOp;
using lin::Partition;
using lin::SearchOp;
using models::kNever;

// Encodes every op with the model, grouping them by key into partitions, in
// key order.
template <class M>
Result<std::vector<Partition<M>>> encode_partitions(M& model, const History& history,
                                                    const std::vector<PairedOp>& paired,
                                                    const LinearizabilityOptions& options, const lin::Locator& locate) {
    std::vector<Partition<M>> partitions;
    std::unordered_map<std::string, std::size_t> by_key;
    constexpr std::size_t kNoPartition = static_cast<std::size_t>(-1);
    std::size_t unkeyed = kNoPartition;  // the partition of ops without a key
    const Json null_json;
    for (std::uint32_t p = 0; p < paired.size(); ++p) {
        const PairedOp& op = paired[p];
        const Operation& invoke = history[op.invoke];
        const Operation* complete = op.complete != PairedOp::kNoEvent ? &history[op.complete] : nullptr;
        models::OpView view{invoke.f,         invoke.key,
                            invoke.value,     complete ? complete->value : null_json,
                            op.completion,    complete ? complete->error : null_json,
                            options.semantics};
        auto encoded = model.encode(view);
        if (!encoded) {
            return make_error(ErrorCode::parse_error, fmt::format("{}: {}", locate(complete ? op.complete : op.invoke),
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
              [](const auto& a, const auto& b) { return lin::key_less(a.key, b.key); });
    return partitions;
}

template <class M>
Result<LinearizabilityResult> check_with(M& model, const History& history, const std::vector<PairedOp>& paired,
                                         const LinearizabilityOptions& options, const lin::Locator& locate,
                                         Clock::time_point started) {
    auto partitions = encode_partitions(model, history, paired, options, locate);
    if (!partitions) return partitions.error();
    const Context context{&history, &paired, &options};
    LinearizabilityResult result = lin::check_partitions(model, *partitions, context);
    result.operations = paired.size();
    for (const auto& part : *partitions) result.checked_ops += part.ops.size();
    // Reported only: no budget looks at the clock.
    result.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count();
    return result;
}

bool history_has_keys(const History& history) {
    return std::any_of(history.begin(), history.end(), [](const Operation& op) { return !op.key.is_null(); });
}

template <class M>
Result<LinearizabilityResult> check_keyed(M model, const History& history, const std::vector<PairedOp>& paired,
                                          const LinearizabilityOptions& options, const lin::Locator& locate,
                                          Clock::time_point started) {
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

Result<LinearizabilityResult> check_linearizability(const History& history, const LinearizabilityOptions& options) {
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
                models::RegisterModel(values, options.model != ModelKind::register_rw, values.intern(init)), history,
                *paired, options, locate, started);
        case ModelKind::multi_register: {
            auto model = models::MultiRegisterModel::make(values, init);
            if (!model) return model.error();
            return check_with(*model, history, *paired, options, locate, started);
        }
        case ModelKind::kv_append:
            if (!init.is_null() && !init.is_string()) return bad_initial("kv-append", "a string");
            return check_keyed(models::KvAppendModel(init.is_string() ? init.get<std::string>() : ""), history, *paired,
                               options, locate, started);
        case ModelKind::mutex:
            if (!init.is_null()) return bad_initial("mutex", "nothing (it starts free)");
            return check_keyed(models::MutexModel(), history, *paired, options, locate, started);
        case ModelKind::set:
            if (!init.is_null()) return bad_initial("set", "nothing (it starts empty)");
            return check_keyed(models::SetModel(values), history, *paired, options, locate, started);
        case ModelKind::fifo_queue:
            if (!init.is_null()) return bad_initial("fifo-queue", "nothing (it starts empty)");
            return check_keyed(models::FifoQueueModel(values), history, *paired, options, locate, started);
        case ModelKind::counter:
            // Within +-2^62, so that no order of the adds the model accepts
            // (each within +-2^31) can carry the total past int64.
            if (!init.is_null() && !counter_initial_in_range(init)) {
                return bad_initial("counter", "an integer within +-2^62");
            }
            return check_keyed(models::CounterModel(init.is_null() ? 0 : init.get<std::int64_t>()), history, *paired,
                               options, locate, started);
    }
    FL_UNREACHABLE();
}

}  // namespace faultline::check
