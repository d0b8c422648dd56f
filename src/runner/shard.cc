#include "runner/shard.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "base/assert.h"
#include "base/hash.h"

#ifndef FAULTLINE_VERSION
#define FAULTLINE_VERSION "unknown"
#endif

namespace faultline::runner {

namespace {

// A whole number in JSON: nlohmann reads one from a file as unsigned, but
// one built in memory from an int is signed.
bool is_whole(const Json& value) {
    return value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

bool parse_whole(std::string_view text, std::uint64_t& out) {
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, out);
    return !text.empty() && stop == end && error == std::errc{};
}

// What is wrong with an entry of a shard's failures, seeds_run or ran ("" if
// nothing): the fields the merge reads or prints, each of its own type, so
// that a hand-edited or damaged file is refused in its own name rather than
// failing somewhere in the middle of the merge's output.
std::string entry_error(const Json& entry) {
    if (!entry.is_object()) return "not an object";
    for (const char* key : {"verdict", "error", "repro", "stored", "expected", "name"}) {
        if (entry.contains(key) && !entry[key].is_string()) return fmt::format("'{}' is not a string", key);
    }
    if (entry.contains("seed") && !is_whole(entry["seed"])) return "'seed' is not a whole number";
    if (entry.contains("verdict")) {
        const std::string verdict = entry["verdict"].get<std::string>();
        if (verdict != "valid" && verdict != "invalid" && verdict != "unknown") {
            return fmt::format("verdict '{}' is not valid, invalid or unknown", verdict);
        }
    }
    if (entry.contains("checks")) {
        const Json& checks = entry["checks"];
        if (!checks.is_array() ||
            !std::all_of(checks.begin(), checks.end(), [](const Json& c) { return c.is_string(); })) {
            return "'checks' is not a list of names";
        }
    }
    if (entry.contains("as_expected") && !entry["as_expected"].is_boolean()) {
        return "'as_expected' is not true or false";
    }
    return "";
}

}  // namespace

Result<Shard> parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    Shard shard;
    if (slash == std::string::npos || !parse_whole(std::string_view(text).substr(0, slash), shard.index) ||
        !parse_whole(std::string_view(text).substr(slash + 1), shard.count) || shard.count < 1 ||
        shard.count > shards_max || shard.index >= shard.count) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("'{}' is not a shard: expected I/N, the I-th of N shards counted from 0, with "
                                      "0 <= I < N <= {} (e.g. 0/4)",
                                      text, shards_max));
    }
    return shard;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> shard_range(std::uint64_t first, std::uint64_t last,
                                                                   Shard shard) {
    FL_ASSERT(first <= last);
    FL_ASSERT(shard.count >= 1 && shard.index < shard.count);
    // size = span + 1 may be 2^64, which does not fit, and neither may a
    // slice's length (one shard of the whole range): cut span + 1 as
    // base * count + extra from span alone, and count a slice's length less one.
    const std::uint64_t span = last - first;
    const std::uint64_t base = span / shard.count;       // seeds every slice has
    const std::uint64_t extra = span % shard.count + 1;  // the first `extra` slices have one more; in [1, count]
    if (shard.index >= extra && base == 0) return std::nullopt;
    const std::uint64_t length_less_one = shard.index < extra ? base : base - 1;
    // The offset is at most span, as this slice is not empty.
    const std::uint64_t offset = shard.index * base + std::min(shard.index, extra);
    FL_ASSERT(offset <= span && length_less_one <= span - offset);
    return std::make_pair(first + offset, first + offset + length_less_one);
}

std::pair<std::size_t, std::size_t> shard_slice(std::size_t count, Shard shard) {
    FL_ASSERT(shard.count >= 1 && shard.index < shard.count);
    if (count == 0) return {0, 0};
    const auto range = shard_range(0, count - 1, shard);
    if (!range) return {count, count};
    return {static_cast<std::size_t>(range->first), static_cast<std::size_t>(range->second) + 1};
}

const std::string& build_version() {
    // The executable's own bytes: two builds of different sources (or
    // compilers) get different hashes, and copies of one build the same.
    static const std::string version = [] {
        // One bulk read: the sanitizer build is 600 MB, and reading it a
        // character at a time took half a minute per command there.
        std::ifstream file("/proc/self/exe", std::ios::binary | std::ios::ate);
        if (!file) return std::string(FAULTLINE_VERSION);
        std::string bytes(static_cast<std::size_t>(file.tellg()), '\0');
        file.seekg(0);
        if (!file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) return std::string(FAULTLINE_VERSION);
        return fmt::format("{} (build {:016x})", FAULTLINE_VERSION, hash_string(bytes));
    }();
    return version;
}

std::string config_hash(const RunConfig& config) {
    RunConfig unseeded = config;
    unseeded.seed = 0;
    return fmt::format("{:016x}", hash_string(unseeded.to_json().dump()));
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> seed_runs(std::vector<std::uint64_t> seeds) {
    std::sort(seeds.begin(), seeds.end());
    seeds.erase(std::unique(seeds.begin(), seeds.end()), seeds.end());
    std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
    for (std::uint64_t seed : seeds) {
        if (!runs.empty() && runs.back().second != UINT64_MAX && runs.back().second + 1 == seed) {
            runs.back().second = seed;
        } else {
            runs.emplace_back(seed, seed);
        }
    }
    return runs;
}

std::string format_seed_runs(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& runs, std::size_t shown_max) {
    std::string text;
    for (std::size_t i = 0; i < runs.size() && i < shown_max; ++i) {
        text += i == 0 ? "" : ", ";
        text += runs[i].first == runs[i].second ? fmt::format("{}", runs[i].first)
                                                : fmt::format("{}..{}", runs[i].first, runs[i].second);
    }
    if (runs.size() > shown_max) text += fmt::format(" and {} more ranges", runs.size() - shown_max);
    return text;
}

namespace {

// One shard's summary, read strictly: what the merge needs, with its type.
struct ShardFile {
    std::string version, hash, system, command, range;
    Shard shard;
    std::uint64_t first = 0, last = 0;
    double wall_seconds = 0;
    const Json* seeds_run = nullptr;
    const Json* failures = nullptr;
};

Result<ShardFile> read_shard(const Json& json, const std::string& source) {
    const auto refuse = [&source](const std::string& why) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{}: {}", source, why));
    };
    if (!json.is_object()) return refuse("not a sweep's summary (sweep.json)");
    if (!json.contains("shard") || !json["shard"].is_object()) {
        return refuse("not a shard's summary: run the sweep with --shard I/N");
    }
    ShardFile file;
    const Json& shard = json["shard"];
    const auto text = [&](const Json& object, const char* key, std::string& out) {
        if (!object.contains(key) || !object[key].is_string()) return false;
        out = object[key].get<std::string>();
        return true;
    };
    const auto whole = [&](const Json& object, const char* key, std::uint64_t& out) {
        if (!object.contains(key) || !is_whole(object[key])) return false;
        out = object[key].get<std::uint64_t>();
        return true;
    };
    if (!text(json, "faultline_version", file.version) || !text(json, "config_hash", file.hash) ||
        !text(json, "system", file.system) || !text(json, "command", file.command) ||
        !text(shard, "range", file.range) || !whole(shard, "index", file.shard.index) ||
        !whole(shard, "count", file.shard.count) || !json.contains("seeds_run") || !json["seeds_run"].is_array() ||
        !json.contains("failures") || !json["failures"].is_array()) {
        return refuse(
            "a shard's summary needs faultline_version, config_hash, system, command, shard {index, count, range}, "
            "seeds_run and failures");
    }
    if (file.shard.count < 1 || file.shard.count > shards_max || file.shard.index >= file.shard.count) {
        return refuse(fmt::format("shard {}/{} is not a shard", file.shard.index, file.shard.count));
    }
    const std::string::size_type dots = file.range.find("..");
    if (dots == std::string::npos || !parse_whole(std::string_view(file.range).substr(0, dots), file.first) ||
        !parse_whole(std::string_view(file.range).substr(dots + 2), file.last) || file.first > file.last) {
        return refuse(fmt::format("'{}' is not a seed range", file.range));
    }
    if (json.contains("wall_seconds")) {
        if (!json["wall_seconds"].is_number() || !(json["wall_seconds"].get<double>() >= 0)) {
            return refuse("wall_seconds must be a number of seconds");
        }
        file.wall_seconds = json["wall_seconds"].get<double>();
    }
    file.seeds_run = &json["seeds_run"];
    file.failures = &json["failures"];
    for (const Json& seed : *file.seeds_run) {
        if (!seed.is_object() || !seed.contains("seed") || !is_whole(seed["seed"]) || !seed.contains("verdict") ||
            !seed["verdict"].is_string()) {
            return refuse("every entry of seeds_run needs a seed and a verdict");
        }
        if (const std::string error = entry_error(seed); !error.empty()) {
            return refuse(fmt::format("the seeds_run entry of seed {}: {}", seed["seed"].get<std::uint64_t>(), error));
        }
    }
    for (const Json& failure : *file.failures) {
        if (!failure.is_object() || !failure.contains("seed") || !is_whole(failure["seed"])) {
            return refuse("every failure needs a seed");
        }
        if (const std::string error = entry_error(failure); !error.empty()) {
            return refuse(fmt::format("the failure of seed {}: {}", failure["seed"].get<std::uint64_t>(), error));
        }
    }
    return file;
}

}  // namespace

Result<MergedSweep> merge_sweeps(const std::vector<Json>& shards, const std::vector<std::string>& sources) {
    FL_ASSERT(shards.size() == sources.size());
    if (shards.empty()) return make_error(ErrorCode::invalid_argument, "no shard to merge");
    std::vector<ShardFile> files;
    for (std::size_t i = 0; i < shards.size(); ++i) {
        auto file = read_shard(shards[i], sources[i]);
        if (!file) return file.error();
        files.push_back(std::move(*file));
    }
    const ShardFile& head = files.front();
    for (std::size_t i = 1; i < files.size(); ++i) {
        const ShardFile& other = files[i];
        const auto differ = [&](const char* what, const std::string& a, const std::string& b) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("refusing to merge: {} has {} {} but {} has {}; shards of one sweep run the "
                                          "same build on the same configuration",
                                          sources[i], what, b, sources[0], a));
        };
        if (other.version != head.version) return differ("faultline", head.version, other.version);
        if (other.hash != head.hash) return differ("configuration hash", head.hash, other.hash);
        if (other.range != head.range) return differ("seed range", head.range, other.range);
        if (other.shard.count != head.shard.count) {
            return differ("shard count", std::to_string(head.shard.count), std::to_string(other.shard.count));
        }
    }

    MergedSweep merged;
    merged.first = head.first;
    merged.last = head.last;
    merged.shard_count = head.shard.count;
    std::vector<int> given(head.shard.count, 0);
    for (const ShardFile& file : files) ++given[file.shard.index];
    for (std::uint64_t i = 0; i < head.shard.count; ++i) {
        if (given[i] == 0) merged.missing_shards.push_back(i);
        if (given[i] > 1) merged.duplicated_shards.push_back(i);
    }

    // Every seed once, with its first entry; a seed that ran twice is
    // counted once, and noted (twice with another verdict: the runs were not
    // the same run).
    std::map<std::uint64_t, Json> seeds;
    std::map<std::uint64_t, Json> failures;
    std::vector<std::uint64_t> duplicated;
    double wall_seconds = 0;
    std::map<std::uint64_t, std::string> verdict_of;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const ShardFile& file = files[i];
        wall_seconds += file.wall_seconds;
        // Within one shard a seed appears once in seeds_run, or once among
        // its failures when it could not run at all.
        std::map<std::uint64_t, std::string> own;
        for (const Json& seed : *file.seeds_run) {
            own.emplace(seed["seed"].get<std::uint64_t>(), seed["verdict"].get<std::string>());
        }
        for (const Json& failure : *file.failures) {
            if (failure.contains("error")) own.emplace(failure["seed"].get<std::uint64_t>(), "error");
        }
        for (const auto& [seed, verdict] : own) {
            if (seed < head.first || seed > head.last) {
                return make_error(
                    ErrorCode::invalid_argument,
                    fmt::format("{}: seed {} is outside the sweep's range {}", sources[i], seed, head.range));
            }
            const auto [at, fresh] = verdict_of.emplace(seed, verdict);
            if (!fresh) {
                duplicated.push_back(seed);
                if (at->second != verdict) merged.conflicting.push_back(seed);
            }
        }
        for (const Json& seed : *file.seeds_run) seeds.emplace(seed["seed"].get<std::uint64_t>(), seed);
        for (const Json& failure : *file.failures) failures.emplace(failure["seed"].get<std::uint64_t>(), failure);
    }
    merged.duplicated = seed_runs(duplicated);
    std::sort(duplicated.begin(), duplicated.end());
    merged.duplicated_seeds =
        static_cast<std::uint64_t>(std::unique(duplicated.begin(), duplicated.end()) - duplicated.begin());
    std::sort(merged.conflicting.begin(), merged.conflicting.end());
    merged.conflicting.erase(std::unique(merged.conflicting.begin(), merged.conflicting.end()),
                             merged.conflicting.end());

    // The gaps between the seeds that ran: what no shard ran.
    std::uint64_t next = head.first;
    bool past_end = false;  // next would be last + 1, which may not fit
    for (const auto& [seed, verdict] : verdict_of) {
        if (seed > next) {
            merged.missing.emplace_back(next, seed - 1);
            merged.missing_seeds += seed - next;
        }
        if (seed == head.last) {
            past_end = true;
        } else {
            next = seed + 1;
        }
    }
    if (!past_end && (verdict_of.empty() || next <= head.last)) {
        merged.missing.emplace_back(next, head.last);
        // A whole 64-bit range that no shard ran has 2^64 seeds: counted as 2^64-1.
        merged.missing_seeds += head.last - next == UINT64_MAX ? UINT64_MAX : head.last - next + 1;
    }

    Json seeds_run = Json::array();
    std::uint64_t valid = 0;
    for (auto& [seed, entry] : seeds) {
        if (entry["verdict"] == "valid") ++valid;
        seeds_run.push_back(std::move(entry));
    }
    Json failing = Json::array();
    for (auto& [seed, failure] : failures) {
        const std::string verdict = failure.value("verdict", "invalid");
        if (failure.contains("error")) {
            merged.errors = true;
        } else if (verdict == "invalid") {
            merged.invalid = true;
        } else {
            merged.unknown = true;
        }
        failing.push_back(std::move(failure));
    }
    std::string command = head.command;
    if (const auto at = command.rfind(" --shard "); at != std::string::npos) {
        const auto end = command.find(' ', at + 9);
        command.erase(at, end == std::string::npos ? std::string::npos : end - at);
    }
    Json missing_shards = merged.missing_shards;
    Json duplicated_shards = merged.duplicated_shards;
    Json conflicting = merged.conflicting;
    merged.sweep = Json{{"command", command},
                        {"system", head.system},
                        {"seeds", head.range},
                        {"runs", verdict_of.size()},
                        {"valid", valid},
                        {"wall_seconds", wall_seconds},
                        {"faultline_version", head.version},
                        {"config_hash", head.hash},
                        {"failures", failing},
                        {"seeds_run", seeds_run},
                        {"merge", Json{{"shards_given", files.size()},
                                       {"shard_count", head.shard.count},
                                       {"missing_shards", missing_shards},
                                       {"duplicated_shards", duplicated_shards},
                                       {"missing_seeds", merged.missing_seeds},
                                       {"missing", format_seed_runs(merged.missing)},
                                       {"duplicated_seeds", merged.duplicated_seeds},
                                       {"duplicated", format_seed_runs(merged.duplicated)},
                                       {"conflicting", conflicting}}}};
    return merged;
}

Result<MergedBatch> merge_batches(const std::vector<Json>& shards, const std::vector<std::string>& sources) {
    FL_ASSERT(shards.size() == sources.size());
    if (shards.empty()) return make_error(ErrorCode::invalid_argument, "no shard to merge");
    const auto refuse = [&sources](std::size_t i, const std::string& why) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{}: {}", sources[i], why));
    };
    for (std::size_t i = 0; i < shards.size(); ++i) {
        const Json& json = shards[i];
        const bool typed =
            json.is_object() && json.contains("faultline_version") && json["faultline_version"].is_string() &&
            json.contains("config_hash") && json["config_hash"].is_string() && json.contains("shard") &&
            json["shard"].is_object() && json["shard"].contains("index") && is_whole(json["shard"]["index"]) &&
            json["shard"].contains("count") && is_whole(json["shard"]["count"]) && json.contains("all") &&
            json["all"].is_array() && json.contains("ran") && json["ran"].is_array();
        if (!typed) {
            return refuse(i,
                          "a scenario batch shard's summary needs faultline_version, config_hash, shard {index, "
                          "count}, all and ran");
        }
        const std::uint64_t index = json["shard"]["index"].get<std::uint64_t>();
        const std::uint64_t count = json["shard"]["count"].get<std::uint64_t>();
        if (count < 1 || count > shards_max || index >= count) {
            return refuse(i, fmt::format("shard {}/{} is not a shard", index, count));
        }
        for (const Json& name : json["all"]) {
            if (!name.is_string()) return refuse(i, "every scenario of the batch is a name");
        }
        for (const Json& entry : json["ran"]) {
            if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
                !entry.contains("as_expected") || !entry["as_expected"].is_boolean()) {
                return refuse(i, "every scenario run needs a name and as_expected");
            }
            if (const std::string error = entry_error(entry); !error.empty()) {
                return refuse(i, fmt::format("the run of scenario {}: {}", entry["name"].get<std::string>(), error));
            }
        }
        if (i == 0) continue;
        for (const char* key : {"faultline_version", "config_hash"}) {
            if (json[key] != shards[0][key]) {
                return refuse(
                    i, fmt::format("refusing to merge: {} {} differs from {} in {}; shards of one batch "
                                   "run the same build on the same scenarios",
                                   key, json[key].get<std::string>(), shards[0][key].get<std::string>(), sources[0]));
            }
        }
        if (json["shard"]["count"] != shards[0]["shard"]["count"] || json["all"] != shards[0]["all"]) {
            return refuse(i,
                          fmt::format("refusing to merge: its shard count or scenarios differ from {}'s", sources[0]));
        }
    }
    MergedBatch merged;
    merged.shard_count = shards[0]["shard"]["count"].get<std::uint64_t>();
    std::vector<int> given(merged.shard_count, 0);
    for (const Json& json : shards) ++given[json["shard"]["index"].get<std::uint64_t>()];
    for (std::uint64_t i = 0; i < merged.shard_count; ++i) {
        if (given[i] == 0) merged.missing_shards.push_back(i);
        if (given[i] > 1) merged.duplicated_shards.push_back(i);
    }
    std::map<std::string, Json> ran;
    for (const Json& json : shards) {
        for (const Json& entry : json["ran"]) {
            const std::string name = entry["name"].get<std::string>();
            if (!ran.emplace(name, entry).second) merged.duplicated.push_back(name);
        }
    }
    Json all = shards[0]["all"];
    Json entries = Json::array();
    // In the batch's own order.
    for (const Json& name : all) {
        const auto at = ran.find(name.get<std::string>());
        if (at == ran.end()) {
            merged.missing.push_back(name.get<std::string>());
            continue;
        }
        ++merged.ran;
        if (!at->second["as_expected"].get<bool>()) ++merged.unexpected;
        entries.push_back(at->second);
    }
    std::sort(merged.duplicated.begin(), merged.duplicated.end());
    merged.duplicated.erase(std::unique(merged.duplicated.begin(), merged.duplicated.end()), merged.duplicated.end());
    Json missing_shards = merged.missing_shards;
    Json duplicated_shards = merged.duplicated_shards;
    Json missing = merged.missing;
    Json duplicated = merged.duplicated;
    merged.batch = Json{{"faultline_version", shards[0]["faultline_version"]},
                        {"config_hash", shards[0]["config_hash"]},
                        {"all", all},
                        {"ran", entries},
                        {"unexpected", merged.unexpected},
                        {"merge", Json{{"shards_given", shards.size()},
                                       {"shard_count", merged.shard_count},
                                       {"missing_shards", missing_shards},
                                       {"duplicated_shards", duplicated_shards},
                                       {"missing", missing},
                                       {"duplicated", duplicated}}}};
    return merged;
}

Result<MergedGuided> merge_guided(const std::vector<Json>& shards, const std::vector<std::string>& sources) {
    FL_ASSERT(shards.size() == sources.size());
    if (shards.empty()) return make_error(ErrorCode::invalid_argument, "no shard to merge");
    const auto refuse = [&sources](std::size_t i, const std::string& why) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{}: {}", sources[i], why));
    };
    for (std::size_t i = 0; i < shards.size(); ++i) {
        const Json& json = shards[i];
        const auto is = [&json](const char* key, auto check) { return json.contains(key) && check(json[key]); };
        const bool typed = json.is_object() && is("faultline_version", [](const Json& v) { return v.is_string(); }) &&
                           is("config_hash", [](const Json& v) { return v.is_string(); }) &&
                           is("system", [](const Json& v) { return v.is_string(); }) &&
                           is("command", [](const Json& v) { return v.is_string(); }) &&
                           is("runs", [](const Json& v) { return is_whole(v); }) &&
                           is("failures", [](const Json& v) { return v.is_array(); }) &&
                           is("corpus", [](const Json& v) { return v.is_array(); }) &&
                           is("features", [](const Json& v) { return v.is_array(); }) && is("shard", [](const Json& v) {
                               return v.is_object() && v.contains("index") && is_whole(v["index"]) &&
                                      v.contains("count") && is_whole(v["count"]) && v.contains("range") &&
                                      v["range"].is_string();
                           });
        if (!typed) {
            return refuse(i,
                          "a guided search shard's summary needs faultline_version, config_hash, system, command, "
                          "runs, failures, corpus, features and shard {index, count, range}");
        }
        const std::uint64_t index = json["shard"]["index"].get<std::uint64_t>();
        const std::uint64_t count = json["shard"]["count"].get<std::uint64_t>();
        if (count < 1 || count > shards_max || index >= count) {
            return refuse(i, fmt::format("shard {}/{} is not a shard", index, count));
        }
        for (const Json& feature : json["features"]) {
            if (!is_whole(feature)) return refuse(i, "every feature is a whole number");
        }
        for (const Json& entry : json["corpus"]) {
            if (!entry.is_object() || !entry.contains("seed") || !is_whole(entry["seed"])) {
                return refuse(i, "every corpus entry needs a seed");
            }
        }
        for (const Json& failure : json["failures"]) {
            if (!failure.is_object() || !failure.contains("verdict") || !failure["verdict"].is_string()) {
                return refuse(i, "every failure needs a verdict");
            }
            if (const std::string error = entry_error(failure); !error.empty()) {
                return refuse(i, fmt::format("a failure: {}", error));
            }
        }
        if (i == 0) continue;
        for (const char* key : {"faultline_version", "config_hash"}) {
            if (json[key] != shards[0][key]) {
                return refuse(
                    i, fmt::format("refusing to merge: {} {} differs from {} in {}; shards of one search "
                                   "run the same build on the same configuration",
                                   key, json[key].get<std::string>(), shards[0][key].get<std::string>(), sources[0]));
            }
        }
        if (json["shard"]["count"] != shards[0]["shard"]["count"] ||
            json["shard"]["range"] != shards[0]["shard"]["range"]) {
            return refuse(i, fmt::format("refusing to merge: its shard count or range differ from {}'s", sources[0]));
        }
    }
    MergedGuided merged;
    merged.shard_count = shards[0]["shard"]["count"].get<std::uint64_t>();
    std::vector<int> given(merged.shard_count, 0);
    for (const Json& json : shards) ++given[json["shard"]["index"].get<std::uint64_t>()];
    for (std::uint64_t i = 0; i < merged.shard_count; ++i) {
        if (given[i] == 0) merged.missing_shards.push_back(i);
        if (given[i] > 1) merged.duplicated_shards.push_back(i);
    }
    // Shards in index order, so the merged corpus does not depend on the
    // order the folders were named in.
    std::vector<const Json*> ordered;
    for (const Json& json : shards) ordered.push_back(&json);
    std::stable_sort(ordered.begin(), ordered.end(), [](const Json* a, const Json* b) {
        return (*a)["shard"]["index"].get<std::uint64_t>() < (*b)["shard"]["index"].get<std::uint64_t>();
    });
    std::vector<int> taken(merged.shard_count, 0);
    std::set<std::string> entries_seen;
    std::set<std::uint64_t> features;
    Json corpus = Json::array();
    Json failures = Json::array();
    for (const Json* json : ordered) {
        const std::uint64_t index = (*json)["shard"]["index"].get<std::uint64_t>();
        // A shard given twice ran the same runs: counted once.
        if (taken[index]++ > 0) continue;
        merged.runs += (*json)["runs"].get<std::uint64_t>();
        for (const Json& entry : (*json)["corpus"]) {
            if (entries_seen.insert(entry.dump()).second) corpus.push_back(entry);
        }
        for (const Json& feature : (*json)["features"]) features.insert(feature.get<std::uint64_t>());
        for (Json failure : (*json)["failures"]) {
            const std::string verdict = failure["verdict"].get<std::string>();
            if (failure.contains("error")) {
                merged.errors = true;
            } else if (verdict == "invalid") {
                merged.invalid = true;
            } else {
                merged.unknown = true;
            }
            failure["shard"] = index;
            failures.push_back(std::move(failure));
        }
    }
    merged.corpus = corpus.size();
    merged.features = features.size();
    std::string command = shards[0]["command"].get<std::string>();
    if (const auto at = command.rfind(" --shard "); at != std::string::npos) {
        const auto end = command.find(' ', at + 9);
        command.erase(at, end == std::string::npos ? std::string::npos : end - at);
    }
    Json missing_shards = merged.missing_shards;
    Json duplicated_shards = merged.duplicated_shards;
    merged.guided = Json{{"faultline_version", shards[0]["faultline_version"]},
                         {"config_hash", shards[0]["config_hash"]},
                         {"system", shards[0]["system"]},
                         {"command", command},
                         {"runs", merged.runs},
                         {"failures", failures},
                         {"corpus", corpus},
                         {"features", Json(std::vector<std::uint64_t>(features.begin(), features.end()))},
                         {"merge", Json{{"shards_given", shards.size()},
                                        {"shard_count", merged.shard_count},
                                        {"range", shards[0]["shard"]["range"]},
                                        {"missing_shards", missing_shards},
                                        {"duplicated_shards", duplicated_shards}}}};
    return merged;
}

}  // namespace faultline::runner
