// Every checker mode (lin_modes.h) on long simulated histories of every model
// (object_histories.h), hundreds to a few thousand ops: the modes must agree,
// never give up, and be right where the answer is known. A correct object's
// history is linearizable; a stale read or a lost write placed in the
// sequential tail, right before the op that exposes it, is certainly not; one
// placed in the concurrent core may or may not be, and only agreement is
// demanded there.
//
// The shapes include the one that once went wrong (tests/data/repro): a short
// sequential prefix, a small concurrent core, then a sequential tail long
// enough that the default quiescent cutting applies.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "check/linearizability/checker.h"
#include "lin_modes.h"
#include "lin_oracle.h"
#include "object_histories.h"

namespace faultline::check {
namespace {

using models::ModelKind;
using testing::Bug;
using testing::SimOptions;

struct Shape {
    const char* name;
    std::size_t prefix, core, tail;
    int clients;
    double info;
};

// Long enough for the default cut at 2,048 ops even after failed ops drop out.
constexpr Shape kShapes[] = {
    {"repro: prefix, small core, long tail", 23, 11, 2100, 4, 0},
    {"prefix, core, tail", 60, 150, 500, 5, 0},
    {"prefix, core, tail with unknown outcomes", 40, 150, 300, 5, 0.05},
    {"all concurrent", 0, 300, 0, 4, 0.02},
};

const char* bug_name(Bug bug) {
    return bug == Bug::none ? "none" : bug == Bug::stale_read ? "stale read" : "lost write";
}

// Checks `sim`'s history in every mode; returns the common verdict.
Verdict check_every_mode(const SimOptions& sim, const testing::SimHistory& made, const std::string& what) {
    LinearizabilityOptions base;
    base.model = sim.model;
    // Every case here takes milliseconds; a regression should fail, not hang.
    base.configs_max = 20'000'000;
    std::optional<Verdict> common;
    for (const auto& mode : testing::every_mode(base)) {
        auto result = check_linearizability(made.history, mode.options);
        EXPECT_TRUE(result) << what << " (" << mode.name << "): " << result.error().message;
        if (!result) return Verdict::unknown;
        EXPECT_NE(result->verdict, Verdict::unknown) << what << " (" << mode.name << "): " << result->unknown_reason;
        if (!common) common = result->verdict;
        EXPECT_EQ(result->verdict, *common)
            << what << ": mode " << mode.name << " says " << verdict_name(result->verdict);
        // The path that went wrong must be taken: a linearizable history of
        // only completed ops is cut into pieces when cuts are always allowed.
        if (made.history.size() > 200 && sim.info_probability == 0 && result->verdict == Verdict::valid &&
            mode.options.split_by_key && mode.options.split_at_quiescence && mode.options.quiescence_min_ops == 1 &&
            !result->partitions.empty()) {
            std::size_t most = 0;
            for (const PartitionResult& part : result->partitions) {
                most = std::max(most, part.segments);
            }
            EXPECT_GT(most, 1u) << what << ": never cut at a quiescent point";
        }
    }
    return common.value_or(Verdict::unknown);
}

void differential(ModelKind model) {
    int seed = 0;
    for (const Shape& shape : kShapes) {
        for (Bug bug : {Bug::none, Bug::stale_read, Bug::lost_write}) {
            for (bool in_tail : {true, false}) {
                if (bug == Bug::none && !in_tail) continue;
                SimOptions sim;
                sim.model = model;
                sim.seed = static_cast<std::uint64_t>(++seed) * 7919 + static_cast<std::uint64_t>(model);
                sim.prefix = shape.prefix;
                sim.core = shape.core;
                sim.tail = shape.tail;
                sim.clients = shape.clients;
                sim.info_probability = shape.info;
                if (model == ModelKind::fifo_queue) {
                    // A queue is the checker's hard case: a dequeue that fails
                    // late (after a lost enqueue, or where an enqueue of
                    // unknown outcome may or may not sit in front) is proved
                    // impossible only by trying every order of the concurrent
                    // enqueues before it, each a different queue. With five
                    // clients, or a few crashed enqueues, a few hundred ops
                    // exhaust any budget (unknown, never wrong). Two clients
                    // and no crashes keep it to milliseconds;
                    // lin_brute_force_test covers crashed queue ops.
                    sim.clients = 2;
                    sim.info_probability = 0;
                }
                sim.keys = shape.core > 100 && model != ModelKind::multi_register ? 3 : 0;
                sim.values = 5;
                // Repeated values make a queue harder still (which copy went
                // where); queue tests use unique values.
                sim.fresh_probability = model == ModelKind::fifo_queue ? 1.0 : 0.3;
                sim.bug = bug;
                sim.bug_in_tail = in_tail;
                const testing::SimHistory made = testing::simulate_history(sim);
                const std::string what =
                    fmt::format("{}, {}, bug {} in the {}, seed {}", models::model_kind_name(model), shape.name,
                                bug_name(bug), in_tail ? "tail" : "core", sim.seed);
                const Verdict verdict = check_every_mode(sim, made, what);
                if (bug == Bug::none) {
                    EXPECT_EQ(verdict, Verdict::valid) << what;
                } else if (made.certainly_invalid) {
                    EXPECT_EQ(verdict, Verdict::invalid) << what;
                }
                // A bug in the tail of a history without unknown outcomes is
                // always one no linearization explains.
                if (bug != Bug::none && in_tail && shape.tail >= 2 && sim.info_probability == 0) {
                    EXPECT_TRUE(made.certainly_invalid) << what;
                }
            }
        }
    }
}

TEST(LinDifferential, Register) {
    differential(ModelKind::register_rw);
}
TEST(LinDifferential, CasRegister) {
    differential(ModelKind::cas_register);
}
TEST(LinDifferential, Kv) {
    differential(ModelKind::kv);
}
TEST(LinDifferential, MultiRegister) {
    differential(ModelKind::multi_register);
}
TEST(LinDifferential, KvAppend) {
    differential(ModelKind::kv_append);
}
TEST(LinDifferential, Mutex) {
    differential(ModelKind::mutex);
}
TEST(LinDifferential, Set) {
    differential(ModelKind::set);
}
TEST(LinDifferential, FifoQueue) {
    differential(ModelKind::fifo_queue);
}
TEST(LinDifferential, Counter) {
    differential(ModelKind::counter);
}

}  // namespace
}  // namespace faultline::check
