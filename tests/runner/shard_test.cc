// Sharding a seed range, and merging what the shards wrote (runner/shard.h):
// the slices are disjoint, balanced and cover the range exactly, up to
// 2^64-1; the merge refuses shards of different builds or configurations and
// names every seed no shard ran and every seed run twice.
#include "runner/shard.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace faultline::runner {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// Checks that the slices of [first, last] into `count` shards follow one
// another with no gap and no overlap, from first to last, with sizes that
// differ by at most one (sizes are compared as span - 1 so that a slice of
// 2^64 seeds fits).
void expect_exact_cover(std::uint64_t first, std::uint64_t last, std::uint64_t count) {
    bool started = false;
    std::uint64_t next = first;  // the first seed no slice has covered yet
    bool done = false;           // every seed up to last covered
    std::uint64_t smallest_span = kMax, largest_span = 0;
    std::uint64_t empty = 0;
    for (std::uint64_t index = 0; index < count; ++index) {
        const auto slice = shard_range(first, last, Shard{index, count});
        if (!slice) {
            ++empty;
            continue;
        }
        ASSERT_FALSE(done) << "slice " << index << " of " << count << " after the range was covered";
        ASSERT_EQ(slice->first, next) << "slice " << index << " of " << count << " of " << first << ".." << last;
        ASSERT_LE(slice->first, slice->second);
        ASSERT_LE(slice->second, last);
        started = true;
        smallest_span = std::min(smallest_span, slice->second - slice->first);
        largest_span = std::max(largest_span, slice->second - slice->first);
        if (slice->second == last) {
            done = true;
        } else {
            next = slice->second + 1;
        }
    }
    ASSERT_TRUE(started);
    EXPECT_TRUE(done) << first << ".." << last << " in " << count << " shards ends at " << next;
    EXPECT_LE(largest_span - smallest_span, 1u);
    // Empty slices only when there are fewer seeds than shards, and then each
    // seed is a slice of its own.
    if (empty > 0) {
        EXPECT_EQ(largest_span, 0u);
        EXPECT_EQ(count - empty, last - first + 1);
    }
}

RC_GTEST_PROP(ShardProperty, SlicesAreDisjointBalancedAndCoverTheRange, ()) {
    const std::uint64_t count = *rc::gen::inRange<std::uint64_t>(1, 65);
    // Small ranges (fewer seeds than shards), ordinary ones, and ranges that
    // end at 2^64-1 or span nearly all of it.
    const int shape = *rc::gen::inRange(0, 4);
    std::uint64_t first = 0, last = 0;
    if (shape == 0) {
        first = *rc::gen::inRange<std::uint64_t>(0, 1000);
        last = first + *rc::gen::inRange<std::uint64_t>(0, 100);
    } else if (shape == 1) {
        first = *rc::gen::arbitrary<std::uint64_t>();
        last = *rc::gen::inRange<std::uint64_t>(first, kMax);
    } else if (shape == 2) {
        first = kMax - *rc::gen::inRange<std::uint64_t>(0, 200);
        last = kMax;
    } else {
        first = *rc::gen::inRange<std::uint64_t>(0, 70);
        last = kMax - *rc::gen::inRange<std::uint64_t>(0, 70);
    }
    expect_exact_cover(first, last, count);
    RC_ASSERT(!::testing::Test::HasFailure());
}

TEST(Shard, EveryShardCountUpTo64CoversSmallRangesSeedBySeed) {
    for (std::uint64_t count = 1; count <= 64; ++count) {
        for (std::uint64_t size = 1; size <= 130; ++size) {
            std::vector<int> hits(size, 0);
            for (std::uint64_t index = 0; index < count; ++index) {
                const auto slice = shard_range(10, 10 + size - 1, Shard{index, count});
                if (!slice) continue;
                for (std::uint64_t seed = slice->first; seed <= slice->second; ++seed) ++hits[seed - 10];
            }
            for (std::uint64_t i = 0; i < size; ++i) {
                ASSERT_EQ(hits[i], 1) << "seed " << 10 + i << " with " << count << " shards of " << size;
            }
        }
    }
}

TEST(Shard, TheWholeSixtyFourBitRange) {
    EXPECT_EQ(shard_range(0, kMax, Shard{0, 1}), std::make_pair(std::uint64_t{0}, kMax));
    EXPECT_EQ(shard_range(0, kMax, Shard{0, 2}), std::make_pair(std::uint64_t{0}, (kMax >> 1)));
    EXPECT_EQ(shard_range(0, kMax, Shard{1, 2}), std::make_pair((kMax >> 1) + 1, kMax));
    // 2^64 = 3 * 6148914691236517205 + 1: the first slice takes the extra seed.
    EXPECT_EQ(shard_range(0, kMax, Shard{0, 3}), std::make_pair(std::uint64_t{0}, std::uint64_t{6148914691236517205}));
    EXPECT_EQ(shard_range(0, kMax, Shard{2, 3})->second, kMax);
    EXPECT_EQ(shard_range(kMax, kMax, Shard{0, 64}), std::make_pair(kMax, kMax));
    EXPECT_FALSE(shard_range(kMax, kMax, Shard{1, 64}).has_value());
    for (std::uint64_t count = 1; count <= 64; ++count) expect_exact_cover(0, kMax, count);
}

TEST(Shard, ListsAreCutTheSameWay) {
    EXPECT_EQ(shard_slice(10, Shard{0, 3}), std::make_pair(std::size_t{0}, std::size_t{4}));
    EXPECT_EQ(shard_slice(10, Shard{1, 3}), std::make_pair(std::size_t{4}, std::size_t{7}));
    EXPECT_EQ(shard_slice(10, Shard{2, 3}), std::make_pair(std::size_t{7}, std::size_t{10}));
    EXPECT_EQ(shard_slice(2, Shard{3, 4}), std::make_pair(std::size_t{2}, std::size_t{2}));
    EXPECT_EQ(shard_slice(0, Shard{0, 1}), std::make_pair(std::size_t{0}, std::size_t{0}));
}

TEST(Shard, ParsesIOfNAndRefusesTheRest) {
    const auto shard = parse_shard("3/4");
    ASSERT_TRUE(shard);
    EXPECT_EQ(shard->index, 3u);
    EXPECT_EQ(shard->count, 4u);
    EXPECT_TRUE(parse_shard("0/1"));
    EXPECT_TRUE(parse_shard("999999/1000000"));
    for (const char* bad : {"4/4", "1/0", "0/0", "-1/4", "a/4", "1/b", "1", "1/", "/4", "0/1000001", "1/4/5", " 1/4",
                            "18446744073709551616/2"}) {
        const auto refused = parse_shard(bad);
        ASSERT_FALSE(refused) << bad;
        EXPECT_NE(refused.error().message.find("I/N"), std::string::npos) << refused.error().message;
    }
}

TEST(Shard, SeedRunsAreWrittenAsRanges) {
    EXPECT_EQ(format_seed_runs(seed_runs({5, 1, 2, 3, 9, kMax, kMax - 1})),
              "1..3, 5, 9, 18446744073709551614..18446744073709551615");
    EXPECT_EQ(format_seed_runs(seed_runs({1, 3, 5}), 2), "1, 3 and 1 more ranges");
}

TEST(Shard, TheConfigHashIgnoresTheSeedOnly) {
    RunConfig config;
    config.seed = 1;
    RunConfig other = config;
    other.seed = 99;
    EXPECT_EQ(config_hash(config), config_hash(other));
    other.nodes = config.nodes + 2;
    EXPECT_NE(config_hash(config), config_hash(other));
    EXPECT_EQ(config_hash(config).size(), 16u);
    EXPECT_FALSE(build_version().empty());
}

// A shard's sweep.json as `faultline test --shard` writes it; seeds in
// `invalid` fail linearizability.
Json shard_summary(std::uint64_t index, std::uint64_t count, std::uint64_t first, std::uint64_t last,
                   const std::vector<std::uint64_t>& invalid) {
    Json seeds = Json::array();
    Json failures = Json::array();
    const auto slice = shard_range(first, last, Shard{index, count});
    for (std::uint64_t seed = slice ? slice->first : 1; slice && seed <= slice->second; ++seed) {
        const bool fails = std::find(invalid.begin(), invalid.end(), seed) != invalid.end();
        seeds.push_back(
            Json{{"seed", seed}, {"verdict", fails ? "invalid" : "valid"}, {"faults", 2}, {"fault_load", 0.5}});
        if (fails) {
            failures.push_back(Json{{"seed", seed},
                                    {"verdict", "invalid"},
                                    {"checks", Json::array({"linearizability"})},
                                    {"repro", "faultline test --seed " + std::to_string(seed)}});
        }
    }
    const std::string range = std::to_string(first) + ".." + std::to_string(last);
    return Json{{"command",
                 "faultline test --seeds " + range + " --shard " + std::to_string(index) + "/" + std::to_string(count)},
                {"system", "raft-kv"},
                {"seeds", slice ? std::to_string(slice->first) + ".." + std::to_string(slice->second) : "none"},
                {"runs", seeds.size()},
                {"valid", seeds.size() - failures.size()},
                {"wall_seconds", 1.5},
                {"faultline_version", "commit-x (build 1)"},
                {"config_hash", "00000000000000ab"},
                {"failures", failures},
                {"seeds_run", seeds},
                {"shard", Json{{"index", index}, {"count", count}, {"range", range}}}};
}

Result<MergedSweep> merge_of(const std::vector<Json>& shards) {
    std::vector<std::string> sources;
    for (std::size_t i = 0; i < shards.size(); ++i) sources.push_back("shard" + std::to_string(i));
    return merge_sweeps(shards, sources);
}

TEST(ShardMerge, AllShardsAddUpToTheWholeRange) {
    const std::vector<std::uint64_t> invalid{3, 17, 40};
    std::vector<Json> shards;
    for (std::uint64_t i = 0; i < 4; ++i) shards.push_back(shard_summary(i, 4, 1, 41, invalid));
    auto merged = merge_of(shards);
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->sweep["runs"], 41);
    EXPECT_EQ(merged->sweep["valid"], 38);
    EXPECT_EQ(merged->sweep["seeds"], "1..41");
    EXPECT_EQ(merged->sweep["command"], "faultline test --seeds 1..41");
    ASSERT_EQ(merged->sweep["failures"].size(), 3u);
    for (std::size_t i = 0; i < invalid.size(); ++i) EXPECT_EQ(merged->sweep["failures"][i]["seed"], invalid[i]);
    EXPECT_EQ(merged->sweep["seeds_run"].size(), 41u);
    EXPECT_EQ(merged->missing_seeds, 0u);
    EXPECT_TRUE(merged->missing_shards.empty());
    EXPECT_EQ(merged->duplicated_seeds, 0u);
    EXPECT_TRUE(merged->invalid);
    EXPECT_FALSE(merged->unknown);
}

TEST(ShardMerge, AMissingShardsSeedsAreNamedAndNotCountedAsPassing) {
    std::vector<Json> shards;
    for (std::uint64_t i : {0, 1, 3}) shards.push_back(shard_summary(i, 4, 1, 40, {}));
    auto merged = merge_of(shards);
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->missing_shards, std::vector<std::uint64_t>{2});
    EXPECT_EQ(merged->missing_seeds, 10u);
    EXPECT_EQ(format_seed_runs(merged->missing), "21..30");
    EXPECT_EQ(merged->sweep["runs"], 30);
    EXPECT_EQ(merged->sweep["valid"], 30);
    EXPECT_EQ(merged->sweep["merge"]["missing"], "21..30");
    EXPECT_FALSE(merged->invalid);

    // The last shard lost, up to 2^64-1.
    shards.clear();
    for (std::uint64_t i : {0, 1}) shards.push_back(shard_summary(i, 3, kMax - 8, kMax, {}));
    merged = merge_of(shards);
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->missing_seeds, 3u);
    EXPECT_EQ(format_seed_runs(merged->missing), "18446744073709551613..18446744073709551615");
}

TEST(ShardMerge, ADuplicatedShardIsNamedAndCountedOnce) {
    std::vector<Json> shards;
    for (std::uint64_t i : {0, 1, 1, 2}) shards.push_back(shard_summary(i, 3, 1, 30, {12}));
    auto merged = merge_of(shards);
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->duplicated_shards, std::vector<std::uint64_t>{1});
    EXPECT_EQ(merged->duplicated_seeds, 10u);
    EXPECT_EQ(format_seed_runs(merged->duplicated), "11..20");
    EXPECT_EQ(merged->sweep["runs"], 30);
    EXPECT_EQ(merged->sweep["valid"], 29);
    EXPECT_EQ(merged->sweep["failures"].size(), 1u);
    EXPECT_TRUE(merged->conflicting.empty());
    EXPECT_EQ(merged->missing_seeds, 0u);

    // The same seed with two verdicts: not one deterministic sweep.
    shards[2] = shard_summary(1, 3, 1, 30, {13});
    merged = merge_of(shards);
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->conflicting, (std::vector<std::uint64_t>{12, 13}));
}

// A shard stopped by Ctrl-C or SIGTERM (`faultline test --shard` writes what
// it ran, "interrupted": true): it covers the seeds it ran, and no more.
TEST(ShardMerge, AnInterruptedShardCoversOnlyTheSeedsItRan) {
    std::vector<Json> shards;
    for (std::uint64_t i = 0; i < 3; ++i) shards.push_back(shard_summary(i, 3, 1, 30, {12, 18}));
    auto merged = merge_of(shards);
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_TRUE(merged->interrupted_shards.empty());
    EXPECT_EQ(merged->missing_seeds, 0u);

    // Shard 1 (seeds 11..20) ran 11..14 before the signal: seed 12 failed, 18 never ran.
    Json& stopped = shards[1];
    Json& ran = stopped["seeds_run"];
    ran.erase(ran.begin() + 4, ran.end());
    stopped["failures"].erase(1);
    stopped["runs"] = 4;
    stopped["valid"] = 3;
    stopped["interrupted"] = true;
    stopped["stopped_because"] = "interrupted by SIGINT after 4 of 10 seeds: seeds run 11..14";
    merged = merge_of(shards);
    ASSERT_TRUE(merged) << merged.error().message;
    ASSERT_EQ(merged->interrupted_shards.size(), 1u);
    EXPECT_EQ(merged->interrupted_shards[0].index, 1u);
    EXPECT_EQ(merged->interrupted_shards[0].runs, 4u);
    EXPECT_EQ(merged->interrupted_shards[0].seeds_run, "11..14");
    EXPECT_EQ(merged->missing_seeds, 6u);
    EXPECT_EQ(format_seed_runs(merged->missing), "15..20");
    EXPECT_TRUE(merged->missing_shards.empty());
    EXPECT_EQ(merged->sweep["runs"], 24);
    EXPECT_EQ(merged->sweep["valid"], 23);
    ASSERT_EQ(merged->sweep["failures"].size(), 1u);
    EXPECT_EQ(merged->sweep["failures"][0]["seed"], 12);
    EXPECT_TRUE(merged->invalid);
    const Json& noted = merged->sweep["merge"]["interrupted_shards"];
    ASSERT_EQ(noted.size(), 1u);
    EXPECT_EQ(noted[0]["shard"], 1);
    EXPECT_EQ(noted[0]["runs"], 4);
    EXPECT_EQ(noted[0]["seeds_run"], "11..14");

    // "interrupted" false is a finished shard; one that is not true or false is refused.
    stopped["interrupted"] = false;
    merged = merge_of(shards);
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_TRUE(merged->interrupted_shards.empty());
    EXPECT_EQ(merged->missing_seeds, 6u);
    stopped["interrupted"] = "yes";
    merged = merge_of(shards);
    ASSERT_FALSE(merged);
    EXPECT_EQ(merged.error().message, "shard1: interrupted must be true or false");
}

TEST(ShardMerge, RefusesShardsOfAnotherBuildConfigurationRangeOrCount) {
    const auto refused = [](const char* key, const Json& value, const char* expected) {
        std::vector<Json> shards{shard_summary(0, 2, 1, 10, {}), shard_summary(1, 2, 1, 10, {})};
        if (std::string(key) == "count" || std::string(key) == "range") {
            shards[1]["shard"][key] = value;
        } else {
            shards[1][key] = value;
        }
        auto merged = merge_of(shards);
        ASSERT_FALSE(merged) << key;
        EXPECT_NE(merged.error().message.find(expected), std::string::npos) << merged.error().message;
        EXPECT_NE(merged.error().message.find("shard1"), std::string::npos) << merged.error().message;
    };
    refused("faultline_version", "commit-y (build 2)", "refusing to merge");
    refused("config_hash", "00000000000000cd", "configuration hash");
    refused("range", "1..11", "seed range");
    refused("count", 3, "shard count");

    Json unsharded = shard_summary(0, 1, 1, 10, {});
    unsharded.erase("shard");
    auto merged = merge_of({unsharded});
    ASSERT_FALSE(merged);
    EXPECT_NE(merged.error().message.find("--shard"), std::string::npos) << merged.error().message;
    Json outside = shard_summary(0, 1, 1, 10, {});
    outside["seeds_run"].push_back(Json{{"seed", 11}, {"verdict", "valid"}});
    EXPECT_FALSE(merge_of({outside}));
    EXPECT_FALSE(merge_of({Json::array()}));
    EXPECT_FALSE(merge_of({}));
}

}  // namespace
}  // namespace faultline::runner

namespace faultline::runner {
namespace {

Json batch_summary(std::uint64_t index, std::uint64_t count, const std::vector<std::string>& all,
                   const std::vector<std::string>& surprising) {
    Json ran = Json::array();
    const auto [begin, end] = shard_slice(all.size(), Shard{index, count});
    for (std::size_t i = begin; i < end; ++i) {
        const bool surprise = std::find(surprising.begin(), surprising.end(), all[i]) != surprising.end();
        ran.push_back(Json{{"name", all[i]}, {"as_expected", !surprise}, {"expected", "valid"}, {"verdict", "valid"}});
    }
    return Json{{"faultline_version", "commit-x (build 1)"},
                {"config_hash", "00000000000000ab"},
                {"shard", Json{{"index", index}, {"count", count}}},
                {"all", all},
                {"ran", ran}};
}

TEST(BatchMerge, ScenariosNoShardRanAreNamedAndSurprisesCounted) {
    const std::vector<std::string> all{"a/naive", "a/robust", "b/one", "c/x", "c/y"};
    std::vector<std::string> sources{"s0", "s1", "s2"};
    auto merged = merge_batches(
        {batch_summary(0, 3, all, {}), batch_summary(1, 3, all, {"c/x"}), batch_summary(2, 3, all, {})}, sources);
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->ran, 5u);
    EXPECT_EQ(merged->unexpected, 1u);
    EXPECT_TRUE(merged->missing.empty());
    EXPECT_EQ(merged->batch["ran"].size(), 5u);

    merged = merge_batches({batch_summary(0, 3, all, {}), batch_summary(2, 3, all, {}), batch_summary(2, 3, all, {})},
                           sources);
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->missing, (std::vector<std::string>{"b/one", "c/x"}));
    EXPECT_EQ(merged->missing_shards, std::vector<std::uint64_t>{1});
    EXPECT_EQ(merged->duplicated_shards, std::vector<std::uint64_t>{2});
    EXPECT_EQ(merged->duplicated, std::vector<std::string>{"c/y"});
    EXPECT_EQ(merged->ran, 3u);

    Json other = batch_summary(1, 3, all, {});
    other["config_hash"] = "00000000000000cd";
    merged = merge_batches({batch_summary(0, 3, all, {}), other}, {"s0", "s1"});
    ASSERT_FALSE(merged);
    EXPECT_NE(merged.error().message.find("refusing to merge"), std::string::npos) << merged.error().message;
    EXPECT_FALSE(merge_batches({batch_summary(0, 3, all, {}), batch_summary(1, 3, {"a/naive"}, {})}, {"s0", "s1"}));
    EXPECT_FALSE(merge_batches({Json::object()}, {"s0"}));
}

Json guided_summary(std::uint64_t index, std::uint64_t count, std::vector<std::uint64_t> features, const Json& corpus,
                    const Json& failures) {
    return Json{{"faultline_version", "commit-x (build 1)"},
                {"config_hash", "00000000000000ab"},
                {"system", "raft-kv"},
                {"command", "faultline test --guided --seeds 1..100 --shard " + std::to_string(index) + "/" +
                                std::to_string(count)},
                {"runs", 50},
                {"failures", failures},
                {"corpus", corpus},
                {"features", features},
                {"shard", Json{{"index", index}, {"count", count}, {"range", "1..100"}}}};
}

TEST(GuidedMerge, CorporaAreUnitedAndFeaturesCountedOnce) {
    const Json shared{{"seed", 3}, {"schedule", Json{{"faults", Json::array()}}}};
    const Json own{{"seed", 60}, {"schedule", Json{{"faults", Json::array({1})}}}};
    const Json failure{{"seed", 61}, {"verdict", "invalid"}, {"checks", Json::array({"linearizability"})}};
    auto merged = merge_guided({guided_summary(0, 2, {1, 2, 3}, Json::array({shared}), Json::array()),
                                guided_summary(1, 2, {3, 4}, Json::array({shared, own}), Json::array({failure}))},
                               {"g0", "g1"});
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->runs, 100u);
    EXPECT_EQ(merged->corpus, 2u);
    EXPECT_EQ(merged->features, 4u);
    EXPECT_TRUE(merged->invalid);
    EXPECT_EQ(merged->guided["failures"][0]["shard"], 1);
    EXPECT_EQ(merged->guided["command"], "faultline test --guided --seeds 1..100");
    EXPECT_TRUE(merged->missing_shards.empty());

    // Shard 1 lost, shard 0 given twice (counted once).
    merged = merge_guided({guided_summary(0, 2, {1, 2}, Json::array({shared}), Json::array()),
                           guided_summary(0, 2, {1, 2}, Json::array({shared}), Json::array())},
                          {"g0", "g0 again"});
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->missing_shards, std::vector<std::uint64_t>{1});
    EXPECT_EQ(merged->duplicated_shards, std::vector<std::uint64_t>{0});
    EXPECT_EQ(merged->runs, 50u);
    EXPECT_FALSE(merged->invalid);

    Json other = guided_summary(1, 2, {}, Json::array(), Json::array());
    other["faultline_version"] = "commit-y (build 2)";
    EXPECT_FALSE(merge_guided({guided_summary(0, 2, {}, Json::array(), Json::array()), other}, {"g0", "g1"}));
    EXPECT_FALSE(merge_guided({Json::object()}, {"g0"}));
}

// The three kinds of summary share one reader: each refuses a damaged header,
// a missing field of its own and a damaged entry, in its own words, naming
// the file.
TEST(ShardSummaries, EachKindRefusesADamagedHeaderFieldOrEntryInItsOwnWords) {
    const auto refusal = [](const auto& merge, const Json& summary) {
        const auto merged = merge(std::vector<Json>{summary}, std::vector<std::string>{"f.json"});
        return merged ? std::string("merged") : merged.error().message;
    };
    const Json sweep = shard_summary(0, 2, 1, 10, {3});
    const Json batch = batch_summary(0, 2, {"a/x", "b/y"}, {});
    const Json guided = guided_summary(0, 2, {1}, Json::array({Json{{"seed", 1}}}), Json::array());
    ASSERT_EQ(refusal(merge_sweeps, sweep), "merged");
    ASSERT_EQ(refusal(merge_batches, batch), "merged");
    ASSERT_EQ(refusal(merge_guided, guided), "merged");

    // The shared header: a shard that is not one, a version that is not a string.
    const auto outside = [](Json summary) {
        summary["shard"]["index"] = 2;
        return summary;
    };
    EXPECT_EQ(refusal(merge_sweeps, outside(sweep)), "f.json: shard 2/2 is not a shard");
    EXPECT_EQ(refusal(merge_batches, outside(batch)), "f.json: shard 2/2 is not a shard");
    EXPECT_EQ(refusal(merge_guided, outside(guided)), "f.json: shard 2/2 is not a shard");
    Json damaged = sweep;
    damaged["faultline_version"] = 1;
    EXPECT_EQ(refusal(merge_sweeps, damaged),
              "f.json: a shard's summary needs faultline_version, config_hash, system, command, shard {index, count, "
              "range}, seeds_run and failures");
    damaged = batch;
    damaged["shard"].erase("count");
    EXPECT_EQ(refusal(merge_batches, damaged),
              "f.json: a scenario batch shard's summary needs faultline_version, config_hash, shard {index, count}, "
              "all and ran");
    damaged = guided;
    damaged["shard"]["range"] = 3;
    EXPECT_EQ(refusal(merge_guided, damaged),
              "f.json: a guided search shard's summary needs faultline_version, config_hash, system, command, runs, "
              "failures, corpus, features and shard {index, count, range}");
    // A batch has no range: one of another type is not read.
    damaged = batch;
    damaged["shard"]["range"] = 3;
    EXPECT_EQ(refusal(merge_batches, damaged), "merged");

    // Each kind's own fields and entries.
    damaged = guided;
    damaged["runs"] = -1;
    EXPECT_NE(refusal(merge_guided, damaged).find("a guided search shard's summary needs"), std::string::npos);
    damaged = sweep;
    damaged["shard"]["range"] = "10..1";
    EXPECT_EQ(refusal(merge_sweeps, damaged), "f.json: '10..1' is not a seed range");
    damaged = sweep;
    damaged["seeds_run"][0].erase("verdict");
    EXPECT_EQ(refusal(merge_sweeps, damaged), "f.json: every entry of seeds_run needs a seed and a verdict");
    damaged = sweep;
    damaged["seeds_run"][2]["checks"] = "linearizability";
    EXPECT_EQ(refusal(merge_sweeps, damaged), "f.json: the seeds_run entry of seed 3: 'checks' is not a list of names");
    damaged = batch;
    damaged["all"].push_back(7);
    EXPECT_EQ(refusal(merge_batches, damaged), "f.json: every scenario of the batch is a name");
    damaged = batch;
    damaged["ran"][0]["verdict"] = "maybe";
    EXPECT_EQ(refusal(merge_batches, damaged),
              "f.json: the run of scenario a/x: verdict 'maybe' is not valid, invalid or unknown");
    damaged = guided;
    damaged["features"].push_back("x");
    EXPECT_EQ(refusal(merge_guided, damaged), "f.json: every feature is a whole number");
    damaged = guided;
    damaged["corpus"].push_back(Json{{"schedule", Json::object()}});
    EXPECT_EQ(refusal(merge_guided, damaged), "f.json: every corpus entry needs a seed");
    damaged = guided;
    damaged["failures"].push_back(Json{{"verdict", "invalid"}, {"stored", 4}});
    EXPECT_EQ(refusal(merge_guided, damaged), "f.json: a failure: 'stored' is not a string");
}

}  // namespace
}  // namespace faultline::runner
