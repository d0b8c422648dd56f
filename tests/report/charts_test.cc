// The nemesis timeline of a run's page (report/charts.h): faults of one node
// that overlap in time are drawn in lanes of their own, so that every fault's
// bar shows; faults that follow one another share a lane.
#include "report/charts.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "base/time.h"

namespace faultline::report {
namespace {

// A real run of three nodes and a client, 10 s long, with `faults` as its
// results.json lists them.
RunData real_run(const Json& faults) {
    RunData run;
    run.real = true;
    run.end = seconds(10);
    run.lanes = {{"n1", true}, {"n2", true}, {"n3", true}, {"c0", false}};
    run.results = Json{{"faults", faults}};
    return run;
}

Json fault(const char* kind, const char* node, Nanos at, Nanos healed) {
    return Json{{"kind", kind}, {"nodes", Json::array({node})}, {"at", at}, {"healed", healed}};
}

// One fault's bar as drawn.
struct Bar {
    double x = 0, y = 0, width = 0, height = 0;
    std::string title;
};

std::vector<Bar> bars_of(const std::string& svg) {
    static const std::regex rect(
        "<rect class=\"fault-bar\" x=\"([0-9.]+)\" y=\"([0-9.]+)\" width=\"([0-9.]+)\" height=\"([0-9.]+)\"[^>]*>"
        "<title>([^<]*)</title></rect>");
    std::vector<Bar> bars;
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), rect); it != std::sregex_iterator(); ++it) {
        const std::smatch& m = *it;
        bars.push_back(Bar{std::stod(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4]), m[5]});
    }
    return bars;
}

bool overlap(double a_from, double a_to, double b_from, double b_to) {
    return a_from < b_to && b_from < a_to;
}

double svg_height(const std::string& svg) {
    static const std::regex height("<svg[^>]* height=\"([0-9]+)\"");
    std::smatch m;
    return std::regex_search(svg, m, height) ? std::stod(m[1]) : -1;
}

TEST(NemesisTimeline, OverlappingFaultsOfOneNodeGetLanesOfTheirOwn) {
    // A kill of n2 from 1 s to 3 s and a pause of n2 from 2 s to 4 s; a kill of
    // n2 from 3.5 s, once the first lane is free again; n3 paused throughout.
    const std::string svg = nemesis_timeline_chart(real_run(Json::array(
        {fault("kill", "n2", seconds(1), seconds(3)), fault("pause", "n2", seconds(2), seconds(4)),
         fault("kill", "n2", milliseconds(3500), seconds(5)), fault("pause", "n3", seconds(1), seconds(9))})));
    const std::vector<Bar> bars = bars_of(svg);
    ASSERT_EQ(bars.size(), 4u) << svg;
    const Bar &kill = bars[0], &pause = bars[1], &again = bars[2], &n3 = bars[3];
    EXPECT_EQ(kill.title, "1.000 s to 3.000 s: kill -9 n2, then restart");
    EXPECT_EQ(pause.title, "2.000 s to 4.000 s: pause (SIGSTOP) n2");
    EXPECT_TRUE(overlap(kill.x, kill.x + kill.width, pause.x, pause.x + pause.width));
    EXPECT_FALSE(overlap(kill.y, kill.y + kill.height, pause.y, pause.y + pause.height))
        << "the pause hides the kill: " << svg;
    EXPECT_GT(kill.height, 0);
    EXPECT_EQ(kill.height, pause.height);
    // The third fault overlaps the pause only: back in the kill's lane.
    EXPECT_EQ(again.y, kill.y);
    // n3's row comes below both lanes of n2's, and the chart grew to hold them.
    EXPECT_GE(n3.y, pause.y + pause.height);
    EXPECT_GE(n3.y, kill.y + kill.height);
    const double grown = svg_height(svg);
    const double plain = svg_height(nemesis_timeline_chart(real_run(Json::array())));
    EXPECT_GT(grown, plain);
    for (const Bar& bar : bars) EXPECT_LE(bar.y + bar.height, grown);
}

TEST(NemesisTimeline, FaultsThatFollowOneAnotherStayInOneLane) {
    // Two pauses of n2, 7.47 s to 7.5 s and 7.6 s to 8.33 s: apart, in one lane.
    const std::string svg =
        nemesis_timeline_chart(real_run(Json::array({fault("pause", "n2", milliseconds(7470), milliseconds(7500)),
                                                     fault("pause", "n2", milliseconds(7600), milliseconds(8330))})));
    const std::vector<Bar> bars = bars_of(svg);
    ASSERT_EQ(bars.size(), 2u) << svg;
    EXPECT_FALSE(overlap(bars[0].x, bars[0].x + bars[0].width, bars[1].x, bars[1].x + bars[1].width));
    EXPECT_EQ(bars[0].y, bars[1].y);
    EXPECT_EQ(svg_height(svg), svg_height(nemesis_timeline_chart(real_run(Json::array()))));
}

}  // namespace
}  // namespace faultline::report
