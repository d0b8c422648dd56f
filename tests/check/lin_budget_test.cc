// The checker's budgets count work and memory, never time, so a result depends
// only on the history and the options: the same check gives the same verdict,
// counterexample and statistics on every call, with one thread or several,
// on a quiet machine or a loaded one. Out of budget is `unknown`; a budget
// large enough gives the true verdict, on histories that must pass and on
// histories that must fail.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lin_test_util.h"
#include "object_histories.h"

namespace faultline::check {
namespace {

using models::ModelKind;
using testing::check_file;
using testing::lin_data;

// Everything a check reports but its wall time.
Json stable_json(const LinearizabilityResult& result) {
    Json json = linearizability_result_to_json(result);
    json.erase("elapsed_ns");
    return json;
}

// `keys` keys of a lin-kv history, each hard and not linearizable: `writers`
// concurrent writes of distinct values, then sequential reads of 1 and of 2.
// The register cannot change between the reads (every write completed before
// them), but no pre-check sees it: the search must try the orders of the
// writes one subset at a time, about 2^writers configurations per key.
History hard_keys(int keys, int writers) {
    History history;
    auto add = [&](std::int64_t process, OpType type, const char* f, int key, Json value) {
        testing::append_op(history, process, type, f, key, std::move(value));
    };
    for (int key = 1; key <= keys; ++key) {
        const std::int64_t base = static_cast<std::int64_t>(key) * (writers + 1);
        for (int p = 0; p < writers; ++p) add(base + p, OpType::invoke, "write", key, p + 1);
        for (int p = 0; p < writers; ++p) add(base + p, OpType::ok, "write", key, p + 1);
        for (int value : {1, 2}) {
            add(base + writers, OpType::invoke, "read", key, nullptr);
            add(base + writers, OpType::ok, "read", key, value);
        }
    }
    return history;
}

LinearizabilityOptions kv_options() {
    LinearizabilityOptions options;
    options.model = ModelKind::kv;
    options.semantics.order_by_time = true;
    return options;
}

LinearizabilityResult check_ok(const History& history, const LinearizabilityOptions& options) {
    auto result = check_linearizability(history, options);
    EXPECT_TRUE(result) << (result ? "" : result.error().message);
    return result ? std::move(*result) : LinearizabilityResult{};
}

TEST(LinBudget, SmallBudgetGivesTheSameUnknownEveryTime) {
    const History history = hard_keys(1, 12);
    std::optional<Json> first;
    for (int threads : {1, 4, 1, 4}) {
        LinearizabilityOptions options = kv_options();
        options.configs_max = 1000;
        options.threads = threads;
        const LinearizabilityResult result = check_ok(history, options);
        EXPECT_EQ(result.verdict, Verdict::unknown);
        EXPECT_EQ(result.unknown_reason, "configuration budget reached");
        // Exactly: the search stops at the configuration past its budget.
        EXPECT_EQ(result.configs, 1001u);
        EXPECT_FALSE(result.counterexample);
        if (!first) first = stable_json(result);
        EXPECT_EQ(stable_json(result), *first) << "threads " << threads;
    }
}

TEST(LinBudget, BudgetIsSpentInKeyOrderWhateverTheThreads) {
    const History history = hard_keys(4, 9);
    LinearizabilityOptions options = kv_options();
    const LinearizabilityResult full = check_ok(history, options);
    ASSERT_EQ(full.verdict, Verdict::invalid);
    ASSERT_EQ(full.partitions.size(), 4u);
    std::vector<std::uint64_t> used;
    for (const PartitionResult& part : full.partitions) {
        ASSERT_EQ(part.verdict, Verdict::invalid);
        ASSERT_FALSE(part.decided_by_precheck);
        ASSERT_GT(part.configs, 100u);
        used.push_back(part.configs);
    }
    const std::uint64_t total = used[0] + used[1] + used[2] + used[3];
    EXPECT_EQ(full.configs, total);

    // Enough for key 1 and half of key 2: key 1 fails as before, key 2 runs out,
    // keys 3 and 4 get nothing; key 1's counterexample decides the verdict.
    for (bool stop : {false, true}) {
        std::optional<Json> reference;
        for (int threads : {1, 2, 4, 3}) {
            options.configs_max = used[0] + used[1] / 2;
            options.threads = threads;
            options.stop_at_first_invalid = stop;
            const LinearizabilityResult result = check_ok(history, options);
            const std::string what = fmt::format("threads {} stop {}", threads, stop);
            EXPECT_EQ(result.verdict, Verdict::invalid) << what;
            ASSERT_TRUE(result.counterexample) << what;
            EXPECT_EQ(result.counterexample->to_json(), full.counterexample->to_json()) << what;
            ASSERT_EQ(result.partitions.size(), stop ? 1u : 4u) << what;
            EXPECT_EQ(result.partitions[0].configs, used[0]) << what;
            if (!stop) {
                EXPECT_EQ(result.partitions[1].verdict, Verdict::unknown) << what;
                EXPECT_EQ(result.partitions[1].configs, used[1] / 2 + 1) << what;
                EXPECT_EQ(result.partitions[2].verdict, Verdict::unknown) << what;
                EXPECT_EQ(result.partitions[2].configs, 0u) << what;
                EXPECT_EQ(result.partitions[3].verdict, Verdict::unknown) << what;
                EXPECT_EQ(result.configs, options.configs_max + 1) << what;
            }
            if (!reference) reference = stable_json(result);
            EXPECT_EQ(stable_json(result), *reference) << what;
        }
    }
    options.stop_at_first_invalid = false;

    // Exactly what the keys need: the unbounded result, statistics included;
    // one less and the last key runs out.
    for (int threads : {1, 4}) {
        options.threads = threads;
        options.configs_max = total;
        EXPECT_EQ(stable_json(check_ok(history, options)), stable_json(full)) << threads;
        options.configs_max = total - 1;
        const LinearizabilityResult short_one = check_ok(history, options);
        EXPECT_EQ(short_one.partitions[3].verdict, Verdict::unknown) << threads;
        EXPECT_EQ(short_one.verdict, Verdict::invalid) << threads;
    }
}

// Histories that must pass and histories that must fail: with a budget of
// exactly what the check needs, the unbounded result; with less, unknown
// somewhere (never a wrong verdict); each the same with 1 or 4 threads.
TEST(LinBudget, EnoughBudgetGivesTheTrueVerdictOnPassingAndFailingHistories) {
    for (const char* file :
         {"porcupine/kv/c50-ok.txt", "porcupine/kv/c50-bad.txt", "knossos/cas-register/good/memstress3-4.edn",
          "knossos/cas-register/bad/rethink-fail.edn"}) {
        const bool kv = std::string(file).find("kv") != std::string::npos;
        const ModelKind model = kv ? ModelKind::kv_append : ModelKind::cas_register;
        LinearizabilityOptions options;
        if (!kv) options.initial = 0;
        auto full = check_file(lin_data(file), model, options);
        ASSERT_TRUE(full) << full.error().message;
        const bool good =
            std::string(file).find("ok") != std::string::npos || std::string(file).find("good") != std::string::npos;
        ASSERT_EQ(full->verdict, good ? Verdict::valid : Verdict::invalid) << file;
        const std::uint64_t needed = full->result.configs;
        ASSERT_GT(needed, 2u) << file;
        for (int threads : {1, 4}) {
            options.threads = threads;
            options.configs_max = needed;
            auto exact = check_file(lin_data(file), model, options);
            ASSERT_TRUE(exact);
            EXPECT_EQ(stable_json(exact->result), stable_json(full->result)) << file << " threads " << threads;
            options.configs_max = needed / 2;
            auto half = check_file(lin_data(file), model, options);
            ASSERT_TRUE(half);
            if (good) {
                EXPECT_EQ(half->verdict, Verdict::unknown) << file << " threads " << threads;
            } else {
                EXPECT_NE(half->verdict, Verdict::valid) << file << " threads " << threads;
            }
            options.threads = 1;
            auto one = check_file(lin_data(file), model, options);
            ASSERT_TRUE(one);
            EXPECT_EQ(stable_json(half->result), stable_json(one->result)) << file << " threads " << threads;
        }
    }
}

TEST(LinBudget, MemoryBudgetVerdictDoesNotDependOnThreads) {
    const History history = hard_keys(4, 9);
    LinearizabilityOptions options = kv_options();
    const LinearizabilityResult full = check_ok(history, options);
    ASSERT_EQ(full.verdict, Verdict::invalid);
    // Just enough for the largest search: with 4 threads, a quarter of it
    // each is not, and the keys are checked again alone.
    options.memory_limit_bytes = full.peak_bytes;
    for (int threads : {1, 2, 4}) {
        options.threads = threads;
        const LinearizabilityResult result = check_ok(history, options);
        EXPECT_EQ(stable_json(result), stable_json(full)) << "threads " << threads;
    }
    // Far too little: every key unknown, the same way with any thread count.
    options.memory_limit_bytes = 64 << 10;
    std::optional<Json> reference;
    for (int threads : {1, 2, 4}) {
        options.threads = threads;
        const LinearizabilityResult result = check_ok(history, options);
        EXPECT_EQ(result.verdict, Verdict::unknown) << "threads " << threads;
        EXPECT_EQ(result.partitions[0].unknown_reason, "memory limit reached");
        if (!reference) reference = stable_json(result);
        EXPECT_EQ(stable_json(result), *reference) << "threads " << threads;
    }
}

// Simulated histories of several models, valid and buggy, some with ops of
// unknown outcome and long sequential tails (quiescent cuts), checked under
// budgets from nothing to exactly enough, in several modes: one thread and
// three agree on everything, and exactly enough is the unbounded result.
TEST(LinBudget, ThreadsNeverChangeAResultUnderAnyBudget) {
    int cases = 0;
    for (ModelKind model :
         {ModelKind::cas_register, ModelKind::kv_append, ModelKind::set, ModelKind::fifo_queue, ModelKind::counter}) {
        for (std::uint64_t seed = 1; seed <= 6; ++seed) {
            testing::SimOptions sim;
            sim.model = model;
            sim.seed = seed * 104729 + static_cast<std::uint64_t>(model);
            sim.prefix = 20;
            sim.core = model == ModelKind::fifo_queue ? 40 : 120;
            sim.tail = seed % 2 == 0 ? 80 : 5;
            sim.clients = model == ModelKind::fifo_queue ? 3 : 6;
            sim.keys = 6;
            sim.info_probability = seed % 3 == 0 ? 0.1 : 0;
            sim.bug = seed % 2 == 1 ? testing::Bug::stale_read : testing::Bug::none;
            const testing::SimHistory made = testing::simulate_history(sim);
            for (bool split : {true, false}) {
                LinearizabilityOptions options;
                options.model = model;
                options.split_by_key = split;
                options.quiescence_min_ops = 1;
                const LinearizabilityResult full = check_ok(made.history, options);
                const std::uint64_t needed = full.configs;
                for (std::uint64_t budget :
                     {std::uint64_t{0}, std::uint64_t{1}, needed / 3, needed / 2, needed - 1, needed}) {
                    options.configs_max = budget;
                    options.threads = 1;
                    const Json one = stable_json(check_ok(made.history, options));
                    options.threads = 3;
                    const Json three = stable_json(check_ok(made.history, options));
                    const std::string what =
                        fmt::format("{} seed {} split {} budget {} of {}", models::model_kind_name(model), sim.seed,
                                    split, budget, needed);
                    EXPECT_EQ(one, three) << what;
                    if (budget == needed) {
                        EXPECT_EQ(one, stable_json(full)) << what;
                    }
                    ++cases;
                }
            }
        }
    }
    EXPECT_EQ(cases, 5 * 6 * 2 * 6);
}

}  // namespace
}  // namespace faultline::check
