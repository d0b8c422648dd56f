// A sweep cut into shards and merged back (`faultline test --shard I/N`,
// `faultline merge`): the merge equals the sweep run whole (same failing
// seeds, same counts), a lost shard and a shard given twice are both
// reported, and shards of another configuration are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/faultline_process.h"
#include "support/sweep_file.h"

namespace {

namespace fs = std::filesystem;
using faultline::testing::fresh_folder;
using faultline::testing::only_sweep;
using faultline::testing::Outcome;
using faultline::testing::run_faultline;
using Json = nlohmann::json;

// A raft-kv bug that fails some of the first seeds and passes others.
// At most one failing run stored per sweep: storing one (run again with a
// trace, and its page) costs several runs.
const std::string kSweep = "--bug early-ack --seeds 1..24 --no-trace --nemesis partition,kill --stored-failures-max 1";

// What must agree between a merge and the sweep run whole: each failing
// seed (verdict, checks, repro command), each seed's verdict and faults, the counts.
Json verdicts(const Json& sweep) {
    Json failures = Json::array();
    for (const Json& failure : sweep["failures"]) {
        failures.push_back(Json{{"seed", failure["seed"]},
                                {"verdict", failure["verdict"]},
                                {"checks", failure["checks"]},
                                {"repro", failure["repro"]}});
    }
    return Json{{"runs", sweep["runs"]},
                {"valid", sweep["valid"]},
                {"failures", failures},
                {"seeds_run", sweep["seeds_run"]},
                {"config_hash", sweep["config_hash"]},
                {"faultline_version", sweep["faultline_version"]}};
}

// The four shards of kSweep, each in shard-I of a folder of their own, run
// once for every test here; run_shards copies them into a test's folder (a
// test may change its copy).
const std::string& shards_once() {
    static const std::string folder = [] {
        const std::string made = fresh_folder("shards");
        for (int i = 0; i < 4; ++i) {
            const Outcome shard = run_faultline(
                "test " + kSweep + " --shard " + std::to_string(i) + "/4 --store shard-" + std::to_string(i), "", made);
            EXPECT_LE(shard.exit_code, 1) << shard.output;
            EXPECT_NE(shard.output.find("shard " + std::to_string(i) + " of 4"), std::string::npos) << shard.output;
        }
        return made;
    }();
    return folder;
}

void run_shards(const std::string& folder) {
    ASSERT_FALSE(shards_once().empty());
    for (int i = 0; i < 4; ++i) {
        const std::string name = "shard-" + std::to_string(i);
        fs::copy(fs::path(shards_once()) / name, fs::path(folder) / name, fs::copy_options::recursive);
    }
}

TEST(MergeCommand, FourShardsMergedEqualTheWholeSweep) {
    const std::string folder = fresh_folder("shard-merge");
    ASSERT_FALSE(folder.empty());
    const Outcome whole = run_faultline("test " + kSweep + " --keep-going --store whole", "", folder);
    ASSERT_EQ(whole.exit_code, 1) << whole.output;  // the bug is caught on some seeds...
    run_shards(folder);
    const Outcome merged = run_faultline("merge shard-0 shard-1 shard-2 shard-3 --store merged", "", folder);
    EXPECT_EQ(merged.exit_code, whole.exit_code) << merged.output;
    const Json expected = verdicts(only_sweep(folder + "/whole"));
    ASSERT_GT(expected["failures"].size(), 0u);
    ASSERT_LT(expected["valid"].get<int>(), 24);  // ...and passes others
    ASSERT_GT(expected["valid"].get<int>(), 0);
    const Json merged_sweep = only_sweep(folder + "/merged");
    EXPECT_EQ(verdicts(merged_sweep), expected);
    EXPECT_EQ(merged_sweep["merge"]["missing_seeds"], 0);
    EXPECT_EQ(merged_sweep["merge"]["duplicated_seeds"], 0);
    EXPECT_EQ(merged_sweep["seeds"], "1..24");
    // Each shard ran its own slice: 6 seeds apiece.
    for (int i = 0; i < 4; ++i) {
        const Json shard = only_sweep(folder + "/shard-" + std::to_string(i));
        EXPECT_EQ(shard["shard"]["index"], i);
        EXPECT_EQ(shard["seeds"], std::to_string(1 + 6 * i) + ".." + std::to_string(6 + 6 * i));
        EXPECT_EQ(shard["runs"], 6);
    }
    // The page of the merged sweep, as of any sweep.
    const fs::path sweeps = fs::path(folder) / "merged" / "sweeps";
    EXPECT_TRUE(fs::exists(fs::begin(fs::directory_iterator(sweeps))->path() / "report.html"));
    // A failing seed a shard stored is found from the merge's folder.
    EXPECT_NE(merged.output.find("stored: shard-"), std::string::npos) << merged.output;
}

TEST(MergeCommand, AMissingShardAndADuplicatedShardAreReported) {
    const std::string folder = fresh_folder("shard-missing");
    ASSERT_FALSE(folder.empty());
    run_shards(folder);
    // Shard 2 lost: its seeds are named and the merge is not valid.
    const Outcome lost = run_faultline("merge shard-0 shard-1 shard-3 --store lost", "", folder);
    EXPECT_NE(lost.exit_code, 0) << lost.output;
    EXPECT_NE(lost.output.find("missing      shard 2 of 0..3"), std::string::npos) << lost.output;
    EXPECT_NE(lost.output.find("6 seeds no shard ran"), std::string::npos) << lost.output;
    EXPECT_NE(lost.output.find("13..18"), std::string::npos) << lost.output;
    const Json lost_sweep = only_sweep(folder + "/lost");
    EXPECT_EQ(lost_sweep["runs"], 18);
    EXPECT_EQ(lost_sweep["merge"]["missing_seeds"], 6);
    EXPECT_EQ(lost_sweep["merge"]["missing_shards"], Json::array({2}));
    // The sweep's page says it too.
    const fs::path page =
        fs::begin(fs::directory_iterator(fs::path(folder) / "lost" / "sweeps"))->path() / "report.html";
    std::stringstream html;
    html << std::ifstream(page).rdbuf();
    EXPECT_NE(html.str().find("<b>6 seeds no shard ran</b> (not counted as passing): 13..18."), std::string::npos);

    // A shard folder named but empty (the task died before writing): the same.
    fs::create_directories(fs::path(folder) / "shard-9");
    const Outcome empty = run_faultline("merge shard-0 shard-1 shard-9 shard-3 --store empty", "", folder);
    EXPECT_NE(empty.exit_code, 0) << empty.output;
    EXPECT_NE(empty.output.find("no summary   shard-9"), std::string::npos) << empty.output;
    EXPECT_NE(empty.output.find("6 seeds no shard ran"), std::string::npos) << empty.output;

    // Shard 1 given twice: named, and its seeds counted once.
    const Outcome twice = run_faultline("merge shard-0 shard-1 shard-1 shard-2 shard-3 --store twice", "", folder);
    EXPECT_NE(twice.output.find("duplicated   shard 1 given more than once"), std::string::npos) << twice.output;
    EXPECT_NE(twice.output.find("6 seeds ran in more than one shard"), std::string::npos) << twice.output;
    const Outcome once = run_faultline("merge shard-0 shard-1 shard-2 shard-3 --store once", "", folder);
    EXPECT_EQ(twice.exit_code, once.exit_code) << twice.output;
    EXPECT_EQ(verdicts(only_sweep(folder + "/twice")), verdicts(only_sweep(folder + "/once")));
}

TEST(MergeCommand, ShardsOfAnotherConfigurationOrBuildAreRefused) {
    const std::string folder = fresh_folder("shard-refused");
    ASSERT_FALSE(folder.empty());
    run_shards(folder);
    // Another configuration: the same range and shard, one more node.
    const Outcome other = run_faultline("test " + kSweep + " --nodes 7 --shard 3/4 --store other", "", folder);
    ASSERT_LE(other.exit_code, 1) << other.output;
    const Outcome refused = run_faultline("merge shard-0 shard-1 shard-2 other --store refused", "", folder);
    EXPECT_EQ(refused.exit_code, 3) << refused.output;
    EXPECT_NE(refused.output.find("refusing to merge"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("configuration hash"), std::string::npos) << refused.output;
    EXPECT_FALSE(fs::exists(fs::path(folder) / "refused"));

    // Another build: the version a shard names differs.
    const fs::path sweeps = fs::path(folder) / "shard-3" / "sweeps";
    const fs::path file = fs::begin(fs::directory_iterator(sweeps))->path() / "sweep.json";
    Json shard = Json::parse(std::ifstream(file));
    shard["faultline_version"] = "commit-0 (build 0000000000000000)";
    std::ofstream(file) << shard.dump(1);
    const Outcome built = run_faultline("merge shard-0 shard-1 shard-2 shard-3", "", folder);
    EXPECT_EQ(built.exit_code, 3) << built.output;
    EXPECT_NE(built.output.find("has faultline commit-0"), std::string::npos) << built.output;
}

TEST(MergeCommand, MoreShardsThanSeedsLeaveSomeShardsEmpty) {
    const std::string folder = fresh_folder("shard-empty");
    ASSERT_FALSE(folder.empty());
    std::string dirs;
    for (int i = 0; i < 4; ++i) {
        const Outcome shard = run_faultline(
            "test --system echo --seeds 5..6 --shard " + std::to_string(i) + "/4 --store s" + std::to_string(i), "",
            folder);
        ASSERT_EQ(shard.exit_code, 0) << shard.output;
        if (i >= 2) {
            EXPECT_NE(shard.output.find("no seed (more shards than seeds)"), std::string::npos) << shard.output;
        }
        dirs += " s" + std::to_string(i);
    }
    const Outcome merged = run_faultline("merge" + dirs + " --store m", "", folder);
    EXPECT_EQ(merged.exit_code, 0) << merged.output;
    EXPECT_NE(merged.output.find("merged       2 runs: 2 valid, 0 failed"), std::string::npos) << merged.output;
}

TEST(MergeCommand, BadShardsAndMergesAreOneLineErrors) {
    const std::string folder = fresh_folder("shard-bad");
    ASSERT_FALSE(folder.empty());
    for (const char* arguments : {"test --seeds 1..10 --shard 4/4", "test --seeds 1..10 --shard 0/0",
                                  "test --seeds 1..10 --shard x", "test --shard 0/2", "merge nothing-here", "merge"}) {
        const Outcome outcome = run_faultline(arguments, "", folder);
        EXPECT_EQ(outcome.exit_code, 3) << arguments << "\n" << outcome.output;
        EXPECT_FALSE(outcome.signalled) << arguments;
    }
    const Outcome shard = run_faultline("test --seeds 1..10 --shard 4/4", "", folder);
    EXPECT_NE(shard.output.find("--shard: '4/4' is not a shard"), std::string::npos) << shard.output;
    const Outcome seeds = run_faultline("test --shard 0/2", "", folder);
    EXPECT_NE(seeds.output.find("--shard needs --seeds"), std::string::npos) << seeds.output;
}

}  // namespace

namespace {

TEST(MergeCommand, AScenarioBatchShardedAndMergedCoversTheBatch) {
    const std::string folder = fresh_folder("shard-batch");
    ASSERT_FALSE(folder.empty());
    const std::string dir = std::string(FAULTLINE_SOURCE_DIR) + "/scenarios";
    const Outcome whole = run_faultline("scenario --dir '" + dir + "' run fates/ --store whole", "", folder);
    ASSERT_EQ(whole.exit_code, 0) << whole.output;
    std::string shards;
    for (int i = 0; i < 3; ++i) {
        const Outcome shard = run_faultline(
            "scenario --dir '" + dir + "' run fates/ --shard " + std::to_string(i) + "/3 --store b" + std::to_string(i),
            "", folder);
        ASSERT_EQ(shard.exit_code, 0) << shard.output;
        EXPECT_NE(shard.output.find("shard " + std::to_string(i) + " of 3"), std::string::npos) << shard.output;
        shards += " b" + std::to_string(i);
    }
    // Each scenario of the group ran in exactly one shard.
    const std::string behaved = whole.output.substr(whole.output.rfind('\n', whole.output.size() - 2) + 1);
    const Outcome merged = run_faultline("merge" + shards + " --store m", "", folder);
    EXPECT_EQ(merged.exit_code, 0) << merged.output;
    const std::string count = behaved.substr(0, behaved.find(' '));  // "8 of 8 scenarios behaved as expected"
    EXPECT_NE(
        merged.output.find("merged       " + count + " of " + count + " scenarios behaved as expected, 0 not run"),
        std::string::npos)
        << merged.output << "\nwhole: " << behaved;

    // Shard 1 lost: its scenarios are named, and the merge is not valid.
    const Outcome lost = run_faultline("merge b0 b2 --store l", "", folder);
    EXPECT_EQ(lost.exit_code, 2) << lost.output;
    EXPECT_NE(lost.output.find("missing      shard 1 of 0..2"), std::string::npos) << lost.output;
    EXPECT_NE(lost.output.find(": not run"), std::string::npos) << lost.output;
    // Sweeps and batches do not mix.
    const Outcome sweep = run_faultline("test --system echo --seeds 1..2 --shard 0/1 --store s", "", folder);
    ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
    EXPECT_EQ(run_faultline("merge b0 s", "", folder).exit_code, 3);
}

TEST(MergeCommand, AGuidedSearchShardedAndMergedUnitesTheCorpora) {
    const std::string folder = fresh_folder("shard-guided");
    ASSERT_FALSE(folder.empty());
    const std::string search = "test --guided --seeds 1..24 --no-trace --nemesis partition,kill";
    std::vector<Json> summaries;
    for (int i = 0; i < 2; ++i) {
        const Outcome shard =
            run_faultline(search + " --shard " + std::to_string(i) + "/2 --store g" + std::to_string(i), "", folder);
        ASSERT_EQ(shard.exit_code, 0) << shard.output;
        EXPECT_NE(shard.output.find("12 runs from seed " + std::to_string(1 + 12 * i)), std::string::npos)
            << shard.output;
        const fs::path guided = fs::path(folder) / ("g" + std::to_string(i)) / "guided";
        summaries.push_back(
            Json::parse(std::ifstream(fs::begin(fs::directory_iterator(guided))->path() / "guided.json")));
        EXPECT_EQ(summaries.back()["runs"], 12);
        EXPECT_GT(summaries.back()["corpus"].size(), 0u);
    }
    const Outcome merged = run_faultline("merge g0 g1 --store m", "", folder);
    EXPECT_EQ(merged.exit_code, 0) << merged.output;
    EXPECT_NE(merged.output.find("merged       24 runs: 0 failed"), std::string::npos) << merged.output;
    const fs::path out = fs::path(folder) / "m" / "guided";
    const Json united = Json::parse(std::ifstream(fs::begin(fs::directory_iterator(out))->path() / "guided.json"));
    // Every entry of either corpus is in the union, and every feature.
    EXPECT_GE(united["corpus"].size(), std::max(summaries[0]["corpus"].size(), summaries[1]["corpus"].size()));
    EXPECT_LE(united["corpus"].size(), summaries[0]["corpus"].size() + summaries[1]["corpus"].size());
    for (const Json& summary : summaries) {
        for (const Json& entry : summary["corpus"]) {
            EXPECT_NE(std::find(united["corpus"].begin(), united["corpus"].end(), entry), united["corpus"].end());
        }
    }
    std::set<std::uint64_t> features;
    for (const Json& summary : summaries) {
        for (const Json& feature : summary["features"]) features.insert(feature.get<std::uint64_t>());
    }
    EXPECT_EQ(united["features"].size(), features.size());
    const Outcome lost = run_faultline("merge g1 --store l", "", folder);
    EXPECT_EQ(lost.exit_code, 2) << lost.output;
    EXPECT_NE(lost.output.find("missing      shard 0 of 0..1"), std::string::npos) << lost.output;
}

}  // namespace
