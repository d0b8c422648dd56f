// Timing models (--timing, sim/timing.h): the delays a run's trace shows keep
// each model's bounds, measured from the trace rather than taken from the
// model; the same seed gives the same run; the default is untouched; and the
// timing scenarios (scenarios/timing/) give what each model promises: safety
// always, liveness under sync and after GST, not under async.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "runner/run.h"
#include "runner/scenario.h"
#include "sim/trace.h"

namespace faultline::runner {
namespace {

// Every delivered message's delay, send to delivery, by its send time.
class DelaySink final : public sim::TraceSink {
  public:
    struct Delay {
        Nanos sent = 0;
        Nanos delay = 0;
    };
    void record(const sim::TraceEvent& event) override {
        if (event.kind == sim::TraceKind::send) sent_at_[event.id] = event.time;
        if (event.kind != sim::TraceKind::deliver) return;
        const auto found = sent_at_.find(event.id);
        ASSERT_NE(found, sent_at_.end());
        delays.push_back({found->second, event.time - found->second});
    }
    Nanos max_from(Nanos from, Nanos to) const {
        Nanos longest = 0;
        for (const Delay& d : delays) {
            if (d.sent >= from && d.sent < to) longest = std::max(longest, d.delay);
        }
        return longest;
    }
    std::vector<Delay> delays;

  private:
    std::unordered_map<std::uint64_t, Nanos> sent_at_;
};

// A raft-kv run whose every delay is the network's: no disk time to make a
// receiver busy, no faults.
RunConfig quiet_raft(std::string timing, std::uint64_t seed) {
    RunConfig config;
    config.nodes = 3;
    config.time_limit = seconds(20);
    config.nemesis = "none";
    config.recovery = 0;
    config.disk.sync_latency = 0;
    config.search = "random";
    config.timing = std::move(timing);
    config.seed = seed;
    return config;
}

RunResult run_ok(const RunConfig& config, sim::TraceSink* sink = nullptr) {
    auto result = run(config, RunOptions{.trace_sink = sink, .keep_node_logs = false});
    EXPECT_TRUE(result.has_value()) << result.error().message;
    return result ? std::move(*result) : RunResult{};
}

const CheckOutcome* find_check(const RunResult& result, std::string_view name) {
    for (const CheckOutcome& check : result.checks) {
        if (check.name == name) return &check;
    }
    return nullptr;
}

TEST(Timing, SyncKeepsEveryDelayAndDriftWithinItsBounds) {
    // The measurement can fail: a long-tailed latency without the model goes past the bound.
    RunConfig free_run = quiet_raft("none", 1);
    free_run.latency = "pareto:5ms,1.2,2s";
    DelaySink unbounded;
    run_ok(free_run, &unbounded);
    ASSERT_GT(unbounded.max_from(0, kTimeLimitMax), milliseconds(50));

    RunConfig config = quiet_raft("sync", 1);
    config.latency = "pareto:5ms,1.2,2s";
    config.delay_max = milliseconds(50);
    config.drift_max_ppm = 200;
    DelaySink sink;
    const RunResult result = run_ok(config, &sink);
    ASSERT_GT(sink.delays.size(), 1000u);
    EXPECT_LE(sink.max_from(0, kTimeLimitMax), milliseconds(50));
    ASSERT_TRUE(result.timing.is_object());
    EXPECT_EQ(result.timing["model"], "sync");
    bool drifts = false;
    for (const auto& [node, ppm] : result.timing["drift_ppm"].items()) {
        EXPECT_LE(std::abs(ppm.get<double>()), 200.0) << node;
        drifts = drifts || ppm.get<double>() != 0;
    }
    EXPECT_TRUE(drifts);
    EXPECT_EQ(result.verdict, Verdict::valid);
}

TEST(Timing, PartialHoldsMessagesPastTheBoundBeforeGstOnlyAndDeliversThemByGstPlusTheBound) {
    RunConfig config = quiet_raft("partial", 2);
    config.gst = seconds(8);
    config.delay_max = milliseconds(30);
    DelaySink sink;
    const RunResult result = run_ok(config, &sink);
    EXPECT_EQ(result.timing["gst_ns"].get<Nanos>(), seconds(8));
    EXPECT_FALSE(result.timing["gst_drawn"].get<bool>());
    EXPECT_GT(sink.max_from(0, seconds(8)), milliseconds(30));
    EXPECT_LE(sink.max_from(seconds(8), kTimeLimitMax), milliseconds(30));
    for (const DelaySink::Delay& d : sink.delays) {
        if (d.sent < seconds(8)) {
            EXPECT_LE(d.sent + d.delay, seconds(8) + milliseconds(30));
        }
    }
}

TEST(Timing, PartialDrawsItsGstFromTheSeedInTheMiddleHalfAndReportsIt) {
    std::set<Nanos> drawn;
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        RunConfig config = quiet_raft("partial", seed);
        config.time_limit = seconds(8);
        const RunResult result = run_ok(config);
        const Nanos gst = result.timing["gst_ns"].get<Nanos>();
        EXPECT_TRUE(result.timing["gst_drawn"].get<bool>());
        EXPECT_GE(gst, seconds(2));
        EXPECT_LE(gst, seconds(6));
        drawn.insert(gst);
        EXPECT_NE(find_check(result, "liveness-after-gst"), nullptr);
    }
    EXPECT_GT(drawn.size(), 1u);
}

TEST(Timing, TheSameSeedGivesTheSameRunUnderEveryModel) {
    for (const char* model : {"sync", "partial", "async"}) {
        RunConfig config = quiet_raft(model, 5);
        config.time_limit = seconds(6);
        const RunResult first = run_ok(config);
        const RunResult second = run_ok(config);
        EXPECT_EQ(first.trace_hash, second.trace_hash) << model;
        EXPECT_EQ(first.timing, second.timing) << model;
        config.seed = 6;
        EXPECT_NE(run_ok(config).trace_hash, first.trace_hash) << model;
    }
}

TEST(Timing, NoneIsTheDefaultAndReportsNothing) {
    EXPECT_EQ(RunConfig{}.timing, "none");
    const RunResult result = run_ok(quiet_raft("none", 1));
    EXPECT_TRUE(result.timing.is_null());
    EXPECT_EQ(find_check(result, "liveness-after-gst"), nullptr);
}

TEST(Timing, BoundsWithoutAModelAndFaultsThatEscapeTheModelAreRefused) {
    RunConfig config = quiet_raft("none", 1);
    config.gst = seconds(3);
    EXPECT_FALSE(config.validate());
    config = quiet_raft("sync", 1);
    config.gst = seconds(3);
    EXPECT_FALSE(config.validate()) << "gst is partial synchrony's";
    config = quiet_raft("partial", 1);
    config.gst = seconds(30);
    EXPECT_FALSE(config.validate()) << "gst past the time limit";
    config = quiet_raft("sync", 1);
    config.loss = 0.1;
    EXPECT_FALSE(config.validate());
    config = quiet_raft("async", 1);
    config.nemesis = "partition,kill";
    EXPECT_FALSE(config.validate());
    config.nemesis = "kill";
    EXPECT_TRUE(config.validate());
}

// The scenarios' lesson, check by check (a scenario's `failing` list names
// what must fail, not what must hold).
Scenario timing_scenario(const std::string& name) {
    auto scenario = load_scenario(std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/timing/" + name + ".toml");
    EXPECT_TRUE(scenario.has_value()) << name << ": " << scenario.error().message;
    return scenario ? *scenario : Scenario{};
}

Verdict verdict_of(const RunResult& result, std::string_view check) {
    const CheckOutcome* found = find_check(result, check);
    EXPECT_NE(found, nullptr) << check;
    return found != nullptr ? found->verdict : Verdict::unknown;
}

TEST(TimingScenarios, KvSafetyHoldsUnderEveryModelAndLivenessOnlyWhereTheModelPromisesIt) {
    for (const char* system : {"raft", "paxos"}) {
        for (const char* model : {"sync", "partial", "async"}) {
            const Scenario scenario = timing_scenario(std::string(system) + "-" + model);
            for (std::uint64_t seed : scenario.seeds) {
                RunConfig config = scenario.config;
                config.seed = seed;
                const RunResult result = run_ok(config);
                const std::string what = fmt::format("{} {} seed {}", system, model, seed);
                EXPECT_EQ(verdict_of(result, "linearizability"), Verdict::valid) << what;
                const std::string_view name = model;
                EXPECT_EQ(verdict_of(result, "liveness"), name == "sync" ? Verdict::valid : Verdict::invalid) << what;
                if (name == "partial") {
                    EXPECT_EQ(verdict_of(result, "liveness-after-gst"), Verdict::valid) << what;
                }
                if (name == "async") {
                    EXPECT_EQ(result.ops.ok, 0) << what;
                }
                EXPECT_TRUE(judge(scenario.expect, result).as_expected) << what;
            }
        }
    }
}

TEST(TimingScenarios, ATimeoutDetectorIsAccurateUnderSyncAndOnlyAfterGstUnderPartial) {
    const Scenario sync = timing_scenario("detector-sync");
    RunConfig config = sync.config;
    config.seed = sync.seeds.front();
    const RunResult perfect = run_ok(config);
    EXPECT_EQ(verdict_of(perfect, "accuracy"), Verdict::valid);
    EXPECT_EQ(verdict_of(perfect, "detection"), Verdict::valid);

    const Scenario partial = timing_scenario("detector-partial");
    config = partial.config;
    config.seed = partial.seeds.front();
    const RunResult eventual = run_ok(config);
    EXPECT_EQ(verdict_of(eventual, "accuracy"), Verdict::invalid);
    EXPECT_EQ(verdict_of(eventual, "detection"), Verdict::valid);
    // The same detector, with the stabilisation time at the start: accurate.
    config.gst = 1;
    EXPECT_EQ(verdict_of(run_ok(config), "accuracy"), Verdict::valid);
}

}  // namespace
}  // namespace faultline::runner
