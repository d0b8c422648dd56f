#include "runner/shard.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <string_view>

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

// Whether an entry has each of `keys`, of the type entry_error wants of it.
bool has(const Json& entry, const std::vector<std::string_view>& keys) {
    const auto typed = [&entry](std::string_view key) {
        const auto at = entry.find(key);
        if (at == entry.end()) return false;
        return key == "seed" ? is_whole(*at) : key == "as_expected" ? at->is_boolean() : at->is_string();
    };
    return entry.is_object() && std::all_of(keys.begin(), keys.end(), typed);
}

constexpr auto is_text = [](const Json& value) { return value.is_string(); };

// A field of a shard's summary, as a JSON pointer, and its type.
using Field = std::pair<const char*, bool (*)(const Json&)>;

// The fields every kind of shard summary has.
const Field kHeader[] = {
    {"/faultline_version", is_text}, {"/config_hash", is_text}, {"/shard/index", is_whole}, {"/shard/count", is_whole}};

// A list of a shard's summary: each entry must be an object that has `keys`
// (or, if `is`, be `is`), else the message `needs`; and, when `named`
// (followed by the entry's `by`, if any) names it in messages, its fields
// must be of their types (entry_error).
struct List {
    const char* key;
    const char* needs;
    std::vector<std::string_view> keys;
    const char* named = nullptr;
    const char* by = nullptr;
    bool (*is)(const Json&) = nullptr;
};

// A kind of shard summary (sweep.json, batch.json, guided.json): what it adds to kHeader.
struct Kind {
    const char* needs;          // the message naming every field of the kind
    std::vector<Field> fields;  // besides its lists
    std::vector<List> lists;    // checked in this order
    // What the shards of one merge run, and a JSON pointer to (and the name
    // of) what they share besides build, configuration and shard count.
    struct {
        const char* runs = "";
        const char* same = "";
        const char* same_name = "";
    } alike;
};

struct ShardHead {
    std::string version, hash;
    std::string range;  // of seeds, in the kinds that have one
    Shard shard;
};

// What is wrong with a summary of `kind` ("" if nothing), its header read
// into `head`: its fields, then what `own` checks of it (if anything), then
// the entries of its lists.
std::string summary_error(const Json& json, const Kind& kind, ShardHead& head,
                          const std::function<std::string()>& own = nullptr) {
    const auto typed = [&json](const Field& field) {
        const Json::json_pointer at(field.first);
        return json.contains(at) && field.second(json[at]);
    };
    const auto listed = [&json](const List& list) { return json.contains(list.key) && json[list.key].is_array(); };
    if (!std::all_of(std::begin(kHeader), std::end(kHeader), typed) ||
        !std::all_of(kind.fields.begin(), kind.fields.end(), typed) ||
        !std::all_of(kind.lists.begin(), kind.lists.end(), listed)) {
        return kind.needs;
    }
    const Json& shard = json["shard"];
    head.version = json["faultline_version"].get<std::string>();
    head.hash = json["config_hash"].get<std::string>();
    head.shard = {shard["index"].get<std::uint64_t>(), shard["count"].get<std::uint64_t>()};
    if (shard.contains("range") && shard["range"].is_string()) head.range = shard["range"].get<std::string>();
    if (head.shard.count < 1 || head.shard.count > shards_max || head.shard.index >= head.shard.count) {
        return fmt::format("shard {}/{} is not a shard", head.shard.index, head.shard.count);
    }
    if (const std::string error = own ? own() : ""; !error.empty()) return error;
    for (const List& list : kind.lists) {
        for (const Json& entry : json[list.key]) {
            if (!(list.is ? list.is(entry) : has(entry, list.keys))) return list.needs;
            if (!list.named) continue;
            if (const std::string error = entry_error(entry); !error.empty()) {
                if (!list.by) return fmt::format("{}: {}", list.named, error);
                const Json& by = entry[list.by];
                return fmt::format("{} {}: {}", list.named, by.is_string() ? by.get<std::string>() : by.dump(), error);
            }
        }
    }
    return "";
}

// Reads the summaries of one merge's shards, all of `kind` (but a sweep's):
// refuses the first that is not one, or that differs from the first shard in
// build, configuration, shard count or what else they share.
Result<std::vector<ShardHead>> read_heads(const std::vector<Json>& shards, const std::vector<std::string>& sources,
                                          const Kind& kind) {
    std::vector<ShardHead> heads(shards.size());
    for (std::size_t i = 0; i < shards.size(); ++i) {
        const auto refuse = [&](const std::string& why) {
            return make_error(ErrorCode::invalid_argument, fmt::format("{}: {}", sources[i], why));
        };
        if (const std::string error = summary_error(shards[i], kind, heads[i]); !error.empty()) return refuse(error);
        if (i == 0) continue;
        for (const char* key : {"faultline_version", "config_hash"}) {
            if (shards[i][key] != shards[0][key]) {
                return refuse(fmt::format("refusing to merge: {} {} differs from {} in {}; shards of one {}", key,
                                          shards[i][key].get<std::string>(), shards[0][key].get<std::string>(),
                                          sources[0], kind.alike.runs));
            }
        }
        const Json::json_pointer same(kind.alike.same);
        if (heads[i].shard.count != heads[0].shard.count || shards[i][same] != shards[0][same]) {
            return refuse(fmt::format("refusing to merge: its shard count or {} differ from {}'s", kind.alike.same_name,
                                      sources[0]));
        }
    }
    return heads;
}

// The shards of the merge that no input was, and those given more than once.
template <typename Head, typename Merged>
void tally_shards(const std::vector<Head>& heads, Merged& merged) {
    merged.shard_count = heads.front().shard.count;
    std::vector<int> given(merged.shard_count, 0);
    for (const ShardHead& head : heads) ++given[head.shard.index];
    for (std::uint64_t i = 0; i < merged.shard_count; ++i) {
        if (given[i] == 0) merged.missing_shards.push_back(i);
        if (given[i] > 1) merged.duplicated_shards.push_back(i);
    }
}

// A shard's command line as the whole run's: without its --shard.
std::string without_shard(std::string command) {
    if (const auto at = command.rfind(" --shard "); at != std::string::npos) {
        const auto end = command.find(' ', at + 9);
        command.erase(at, end == std::string::npos ? std::string::npos : end - at);
    }
    return command;
}

// One sweep shard's summary, read strictly: what the merge needs, with its type.
struct ShardFile : ShardHead {
    const Json* json = nullptr;  // system, command, seeds_run and failures checked
    std::uint64_t first = 0, last = 0;
    double wall_seconds = 0;
    bool interrupted = false;  // stopped by a signal before it ran its whole slice
};

Result<ShardFile> read_shard(const Json& json, const std::string& source) {
    static const Kind kind{
        "a shard's summary needs faultline_version, config_hash, system, command, shard {index, count, range}, "
        "seeds_run and failures",
        {{"/system", is_text}, {"/command", is_text}, {"/shard/range", is_text}},
        {{"seeds_run",
          "every entry of seeds_run needs a seed and a verdict",
          {"seed", "verdict"},
          "the seeds_run entry of seed",
          "seed"},
         {"failures", "every failure needs a seed", {"seed"}, "the failure of seed", "seed"}}};
    const auto refuse = [&source](const std::string& why) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{}: {}", source, why));
    };
    if (!json.is_object()) return refuse("not a sweep's summary (sweep.json)");
    if (!json.contains("shard") || !json["shard"].is_object()) {
        return refuse("not a shard's summary: run the sweep with --shard I/N");
    }
    ShardFile file;
    const std::string error = summary_error(json, kind, file, [&]() -> std::string {
        const std::string::size_type dots = file.range.find("..");
        if (dots == std::string::npos || !parse_whole(std::string_view(file.range).substr(0, dots), file.first) ||
            !parse_whole(std::string_view(file.range).substr(dots + 2), file.last) || file.first > file.last) {
            return fmt::format("'{}' is not a seed range", file.range);
        }
        if (json.contains("wall_seconds")) {
            if (!json["wall_seconds"].is_number() || !(json["wall_seconds"].get<double>() >= 0)) {
                return "wall_seconds must be a number of seconds";
            }
            file.wall_seconds = json["wall_seconds"].get<double>();
        }
        if (json.contains("interrupted")) {
            if (!json["interrupted"].is_boolean()) return "interrupted must be true or false";
            file.interrupted = json["interrupted"].get<bool>();
        }
        return "";
    });
    if (!error.empty()) return refuse(error);
    file.json = &json;
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
    tally_shards(files, merged);

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
        for (const Json& seed : (*file.json)["seeds_run"]) {
            own.emplace(seed["seed"].get<std::uint64_t>(), seed["verdict"].get<std::string>());
        }
        for (const Json& failure : (*file.json)["failures"]) {
            if (failure.contains("error")) own.emplace(failure["seed"].get<std::uint64_t>(), "error");
        }
        // An interrupted shard covers the seeds it ran, no more: the rest of
        // its slice is among the missing seeds below.
        if (file.interrupted) {
            std::vector<std::uint64_t> ran;
            for (const auto& [seed, verdict] : own) ran.push_back(seed);
            merged.interrupted_shards.push_back(
                InterruptedShard{file.shard.index, own.size(), format_seed_runs(seed_runs(std::move(ran)))});
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
        for (const Json& seed : (*file.json)["seeds_run"]) seeds.emplace(seed["seed"].get<std::uint64_t>(), seed);
        for (const Json& failure : (*file.json)["failures"]) {
            failures.emplace(failure["seed"].get<std::uint64_t>(), failure);
        }
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
    Json missing_shards = merged.missing_shards;
    Json duplicated_shards = merged.duplicated_shards;
    Json conflicting = merged.conflicting;
    std::sort(merged.interrupted_shards.begin(), merged.interrupted_shards.end(),
              [](const InterruptedShard& a, const InterruptedShard& b) { return a.index < b.index; });
    Json interrupted = Json::array();
    for (const InterruptedShard& shard : merged.interrupted_shards) {
        interrupted.push_back(Json{{"shard", shard.index}, {"runs", shard.runs}, {"seeds_run", shard.seeds_run}});
    }
    merged.sweep = Json{{"command", without_shard((*head.json)["command"].get<std::string>())},
                        {"system", (*head.json)["system"]},
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
                                       {"conflicting", conflicting},
                                       {"interrupted_shards", interrupted}}}};
    return merged;
}

Result<MergedBatch> merge_batches(const std::vector<Json>& shards, const std::vector<std::string>& sources) {
    FL_ASSERT(shards.size() == sources.size());
    if (shards.empty()) return make_error(ErrorCode::invalid_argument, "no shard to merge");
    static const Kind kind{
        "a scenario batch shard's summary needs faultline_version, config_hash, shard {index, count}, all and ran",
        {},
        {{.key = "all", .needs = "every scenario of the batch is a name", .is = is_text},
         {"ran",
          "every scenario run needs a name and as_expected",
          {"name", "as_expected"},
          "the run of scenario",
          "name"}},
        {"batch run the same build on the same scenarios", "/all", "scenarios"}};
    const auto heads = read_heads(shards, sources, kind);
    if (!heads) return heads.error();
    MergedBatch merged;
    tally_shards(*heads, merged);
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
    static const Kind kind{
        "a guided search shard's summary needs faultline_version, config_hash, system, command, runs, failures, "
        "corpus, features and shard {index, count, range}",
        {{"/system", is_text}, {"/command", is_text}, {"/runs", is_whole}, {"/shard/range", is_text}},
        {{.key = "features", .needs = "every feature is a whole number", .is = is_whole},
         {"corpus", "every corpus entry needs a seed", {"seed"}},
         {"failures", "every failure needs a verdict", {"verdict"}, "a failure"}},
        {"search run the same build on the same configuration", "/shard/range", "range"}};
    const auto heads = read_heads(shards, sources, kind);
    if (!heads) return heads.error();
    MergedGuided merged;
    tally_shards(*heads, merged);
    // Shards in index order, so the merged corpus does not depend on the
    // order the folders were named in; a shard given twice ran the same runs:
    // counted once.
    std::map<std::uint64_t, const Json*> ordered;
    for (std::size_t i = 0; i < shards.size(); ++i) ordered.emplace((*heads)[i].shard.index, &shards[i]);
    std::set<std::string> entries_seen;
    std::set<std::uint64_t> features;
    Json corpus = Json::array();
    Json failures = Json::array();
    for (const auto& [index, json] : ordered) {
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
    Json missing_shards = merged.missing_shards;
    Json duplicated_shards = merged.duplicated_shards;
    merged.guided = Json{{"faultline_version", shards[0]["faultline_version"]},
                         {"config_hash", shards[0]["config_hash"]},
                         {"system", shards[0]["system"]},
                         {"command", without_shard(shards[0]["command"].get<std::string>())},
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
