// The detector system's checks against ground truth: phi accrual relearns a
// node's rhythm after a restart (the downtime is no heartbeat interval), a
// crash too short to require detection fails nothing, and configurations the
// system cannot honour are refused.
#include <gtest/gtest.h>

#include "nemesis/schedule.h"
#include "runner/run.h"

namespace faultline::runner {
namespace {

RunConfig detector_config(std::vector<nemesis::Fault> faults) {
    RunConfig config;
    config.system = "detector";
    config.nodes = 1;
    config.clients = 0;
    config.recovery = 0;
    config.latency = "lognormal:20ms,0.8";
    config.time_limit = seconds(1800);
    config.schedule = nemesis::Schedule{std::move(faults)}.to_json();
    return config;
}

const CheckOutcome& outcome(const RunResult& result, const std::string& name) {
    for (const CheckOutcome& check : result.checks) {
        if (check.name == name) return check;
    }
    ADD_FAILURE() << "no check " << name;
    return result.checks.front();
}

nemesis::Fault kill(Nanos start, Nanos duration) {
    return nemesis::Fault{.kind = nemesis::FaultKind::kill, .start = start, .duration = duration, .nodes = {0}};
}

TEST(DetectorSystem, PhiDetectsACrashAfterALongOneAsQuicklyAsTheFirst) {
    RunConfig config = detector_config({kill(seconds(300), seconds(600)), kill(seconds(1200), seconds(60))});
    config.system_options["detectors"] = "phi,heartbeat";
    const auto result = run(config);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    const CheckOutcome& detection = outcome(*result, "detection");
    EXPECT_EQ(detection.verdict, Verdict::valid) << detection.summary;
    for (const Json& detector : detection.details["detectors"]) {
        ASSERT_EQ(detector["detection_ns"].size(), 2u);
        for (const Json& time : detector["detection_ns"]) {
            ASSERT_TRUE(time.is_number()) << detector.dump();
            EXPECT_LT(time.get<Nanos>(), seconds(6)) << detector.dump();
        }
    }
}

TEST(DetectorSystem, ACrashShorterThanTheBoundNeedsNoDetection) {
    RunConfig config = detector_config({kill(seconds(300), seconds(2))});
    config.system_options["detectors"] = "heartbeat";
    config.system_options["detector_timeout_ns"] = seconds(4);
    const auto short_only = run(config);
    ASSERT_TRUE(short_only.has_value());
    EXPECT_EQ(outcome(*short_only, "detection").verdict, Verdict::unknown) << outcome(*short_only, "detection").summary;

    // With a long crash as well, that one is judged, and a slow detector fails it.
    config.schedule = nemesis::Schedule{{kill(seconds(300), seconds(2)), kill(seconds(600), seconds(60))}}.to_json();
    config.system_options["detector_timeout_ns"] = seconds(30);
    const auto slow = run(config);
    ASSERT_TRUE(slow.has_value());
    EXPECT_EQ(outcome(*slow, "detection").verdict, Verdict::invalid) << outcome(*slow, "detection").summary;
}

TEST(DetectorSystem, RefusesNodesItWouldNotWatchAndUnknownDetectors) {
    RunConfig config = detector_config({});
    config.nodes = 5;
    EXPECT_FALSE(run(config).has_value());
    config.nodes = 1;
    config.system_options["detectors"] = "heartbeat,gossip";
    const auto unknown = run(config);
    ASSERT_FALSE(unknown.has_value());
    EXPECT_NE(unknown.error().message.find("gossip"), std::string::npos);
}

}  // namespace
}  // namespace faultline::runner
