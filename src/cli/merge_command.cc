// `faultline merge DIR...`: the shards of a sweep (each `faultline test
// --seeds A..B --shard I/N`, run anywhere) added up into one sweep result and
// its page, with every seed no shard ran and every seed run twice named
// (runner/shard.h); likewise a scenario batch's shards and a guided search's.
// The exit code is the merged sweep's, as `faultline test` gives it; seeds
// that no shard ran make a passing merge unknown (2), never valid.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "report/report.h"
#include "runner/shard.h"
#include "runner/store.h"
#include "runner/summary.h"

namespace faultline::cli {

namespace {

namespace fs = std::filesystem;

struct MergeArguments {
    std::vector<std::string> dirs;
    std::string store = "store";
};

// The shard summaries in `path` named `file` (sweep.json or batch.json):
// its own (a sweep's or batch's folder), or every one under `folder`
// (sweeps/ or batches/ of a shard's store).
std::vector<std::string> shard_files(const std::string& path, const char* file, const char* folder) {
    std::vector<std::string> files;
    std::error_code error;
    if (fs::is_regular_file(fs::path(path) / file, error)) return {(fs::path(path) / file).string()};
    if (!fs::is_directory(fs::path(path) / folder, error)) return files;
    for (const auto& entry : fs::directory_iterator(fs::path(path) / folder, error)) {
        const fs::path found = entry.path() / file;
        if (fs::is_regular_file(found, error)) files.push_back(found.string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// Shard indices, the first twenty of them.
std::string list_of(const std::vector<std::uint64_t>& indices) {
    std::string text;
    for (std::size_t i = 0; i < indices.size() && i < 20; ++i) {
        text += fmt::format("{}{}", i ? ", " : "", indices[i]);
    }
    if (indices.size() > 20) text += fmt::format(" and {} more", indices.size() - 20);
    return text;
}

// The shards of a scenario batch (`faultline scenario run --shard I/N`):
// every scenario once, the ones no shard ran named. Exits 1 when a scenario
// did not behave as expected (as `faultline scenario run` does), else 2 when
// some did not run, else 0.
int merge_batches(const std::vector<std::string>& files, int lost, const MergeArguments& arguments) {
    std::vector<Json> shards;
    for (const std::string& file : files) {
        auto json = runner::read_json_file(file);
        if (!json) {
            print_error(json.error().message);
            return exit_usage;
        }
        shards.push_back(std::move(*json));
    }
    auto merged = runner::merge_batches(shards, files);
    if (!merged) {
        print_error(merged.error().message);
        return exit_usage;
    }
    std::fprintf(stdout, "faultline merge: a scenario batch of %zu scenarios, %zu of %llu shards\n",
                 merged->batch["all"].size(), shards.size(), static_cast<unsigned long long>(merged->shard_count));
    if (!merged->missing_shards.empty()) {
        std::fprintf(stdout, "missing      shard %s of 0..%llu\n", list_of(merged->missing_shards).c_str(),
                     static_cast<unsigned long long>(merged->shard_count - 1));
    }
    for (const std::string& name : merged->missing) std::fprintf(stdout, "missing      %s: not run\n", name.c_str());
    if (!merged->duplicated_shards.empty()) {
        std::fprintf(stdout, "duplicated   shard %s given more than once\n",
                     list_of(merged->duplicated_shards).c_str());
    }
    for (const std::string& name : merged->duplicated) {
        std::fprintf(stdout, "duplicated   %s: run by more than one shard (counted once)\n", name.c_str());
    }
    for (const Json& entry : merged->batch["ran"]) {
        if (entry["as_expected"].get<bool>()) continue;
        const std::string stored =
            entry.contains("stored") ? " (stored: " + entry["stored"].get<std::string>() + ")" : "";
        std::fprintf(stdout, "FAIL %s: expected %s, got %s%s\n", entry["name"].get<std::string>().c_str(),
                     entry.value("expected", "?").c_str(), entry.value("verdict", "?").c_str(), stored.c_str());
    }
    std::fprintf(stdout, "merged       %zu of %zu scenarios behaved as expected, %zu not run\n",
                 merged->ran - merged->unexpected, merged->batch["all"].size(), merged->missing.size());
    auto dir = runner::create_run_directory(arguments.store, "batches", 0);
    if (!dir || !runner::write_text_file(*dir + "/batch.json", merged->batch.dump(1) + "\n")) {
        print_error("could not write the merged batch under " + arguments.store);
        return exit_runtime;
    }
    std::fprintf(stdout, "batch file   %s/batch.json\n", dir->c_str());
    if (merged->unexpected > 0) return exit_invalid;
    if (!merged->missing.empty() || lost > 0) return exit_unknown;
    return exit_valid;
}

// A failing run a shard stored, as the merge's folder can find it: the path
// as the shard wrote it (relative to where it ran), else the same run beside
// the shard's sweep in its store (<store>/<system>/<run>).
void locate_stored(Json& failure, const fs::path& sweep_dir) {
    if (!failure.contains("stored") || !failure["stored"].is_string()) return;
    const fs::path named(failure["stored"].get<std::string>());
    std::error_code error;
    if (fs::exists(named / "results.json", error)) return;
    const fs::path beside = sweep_dir / ".." / ".." / named.parent_path().filename() / named.filename();
    if (fs::exists(beside / "results.json", error)) failure["stored"] = beside.lexically_normal().string();
}

// The shards of a coverage-guided search (`faultline test --guided --shard
// I/N`): their runs, failing runs and corpora together, the features reached
// by any of them counted once. Exits as `faultline test --guided` does, and 2
// when a shard is missing.
int merge_guided(const std::vector<std::string>& files, int lost, const MergeArguments& arguments) {
    std::vector<Json> shards;
    for (const std::string& file : files) {
        auto json = runner::read_json_file(file);
        if (!json) {
            print_error(json.error().message);
            return exit_usage;
        }
        shards.push_back(std::move(*json));
    }
    auto merged = runner::merge_guided(shards, files);
    if (!merged) {
        print_error(merged.error().message);
        return exit_usage;
    }
    const Json& guided = merged->guided;
    std::fprintf(stdout, "faultline merge: %s guided by coverage, budget %s, %zu of %llu shards\n",
                 guided["system"].get<std::string>().c_str(), guided["merge"]["range"].get<std::string>().c_str(),
                 shards.size(), static_cast<unsigned long long>(merged->shard_count));
    if (!merged->missing_shards.empty()) {
        std::fprintf(stdout, "missing      shard %s of 0..%llu: their runs were not made\n",
                     list_of(merged->missing_shards).c_str(), static_cast<unsigned long long>(merged->shard_count - 1));
    }
    if (!merged->duplicated_shards.empty()) {
        std::fprintf(stdout, "duplicated   shard %s given more than once (counted once)\n",
                     list_of(merged->duplicated_shards).c_str());
    }
    for (const Json& failure : guided["failures"]) {
        std::fprintf(stdout, "run with seed %llu (shard %llu): %s%s\n",
                     static_cast<unsigned long long>(failure.value("seed", std::uint64_t{0})),
                     static_cast<unsigned long long>(failure.value("shard", std::uint64_t{0})),
                     failure["verdict"].get<std::string>().c_str(),
                     failure.contains("stored")
                         ? ("\n    repro: faultline replay " + failure["stored"].get<std::string>()).c_str()
                         : "");
    }
    std::fprintf(stdout, "merged       %llu runs: %zu failed; corpus %zu, %zu features\n",
                 static_cast<unsigned long long>(merged->runs), guided["failures"].size(), merged->corpus,
                 merged->features);
    auto dir = runner::create_run_directory(arguments.store, "guided", 0);
    if (!dir || !runner::write_text_file(*dir + "/guided.json", guided.dump(1) + "\n")) {
        print_error("could not write the merged search under " + arguments.store);
        return exit_runtime;
    }
    std::fprintf(stdout, "guided file  %s/guided.json\n", dir->c_str());
    if (merged->errors) return exit_runtime;
    if (merged->invalid) return exit_invalid;
    if (merged->unknown || !merged->missing_shards.empty() || lost > 0) return exit_unknown;
    return exit_valid;
}

int merge(const MergeArguments& arguments) {
    std::vector<Json> shards;
    std::vector<std::string> sources;
    int lost = 0;
    std::vector<std::string> batches, searches;
    std::vector<std::string> unread;  // folders without a shard's summary
    std::size_t sweeps = 0;
    for (const std::string& dir : arguments.dirs) {
        const std::vector<std::string> batch_files = shard_files(dir, "batch.json", "batches");
        batches.insert(batches.end(), batch_files.begin(), batch_files.end());
        const std::vector<std::string> guided_files = shard_files(dir, "guided.json", "guided");
        searches.insert(searches.end(), guided_files.begin(), guided_files.end());
        const std::vector<std::string> files = shard_files(dir, "sweep.json", "sweeps");
        sweeps += files.size();
        if (files.empty() && batch_files.empty() && guided_files.empty()) {
            // A shard that died before writing its summary leaves an empty
            // store, or none: its seeds show up as missing below.
            unread.push_back(dir);
            ++lost;
            continue;
        }
        for (const std::string& file : files) {
            auto json = runner::read_json_file(file);
            if (!json) {
                print_error(json.error().message);
                return exit_usage;
            }
            if (json->contains("failures") && (*json)["failures"].is_array()) {
                for (Json& failure : (*json)["failures"]) locate_stored(failure, fs::path(file).parent_path());
            }
            shards.push_back(std::move(*json));
            sources.push_back(file);
        }
    }
    if ((!batches.empty()) + (!searches.empty()) + (sweeps > 0) > 1) {
        print_error(
            "the folders hold more than one kind of shard (sweeps, scenario batches, guided searches): "
            "merge one kind at a time");
        return exit_usage;
    }
    if (shards.empty() && batches.empty() && searches.empty()) {
        print_error(fmt::format(
            "nothing to merge: {} holds no shard's summary (sweep.json, batch.json or guided.json, written under "
            "--store by a command run with --shard I/N)",
            unread.size() == 1 ? unread.front() : "none of the folders"));
        return exit_usage;
    }
    for (const std::string& dir : unread) {
        std::fprintf(stdout, "no summary   %s: no shard's sweep.json, batch.json or guided.json (did it end?)\n",
                     dir.c_str());
    }
    if (!batches.empty()) return merge_batches(batches, lost, arguments);
    if (!searches.empty()) return merge_guided(searches, lost, arguments);
    auto merged = runner::merge_sweeps(shards, sources);
    if (!merged) {
        print_error(merged.error().message);
        return exit_usage;
    }
    const Json& sweep = merged->sweep;
    std::fprintf(stdout, "faultline merge: %s seeds %s, %zu of %llu shards\n",
                 sweep["system"].get<std::string>().c_str(), sweep["seeds"].get<std::string>().c_str(), shards.size(),
                 static_cast<unsigned long long>(merged->shard_count));
    if (!merged->missing_shards.empty()) {
        std::fprintf(stdout, "missing      shard %s of 0..%llu\n", list_of(merged->missing_shards).c_str(),
                     static_cast<unsigned long long>(merged->shard_count - 1));
    }
    for (const runner::InterruptedShard& shard : merged->interrupted_shards) {
        std::fprintf(stdout,
                     "interrupted  shard %llu stopped early: it ran %llu seeds (%s), the rest of its slice is "
                     "missing\n",
                     static_cast<unsigned long long>(shard.index), static_cast<unsigned long long>(shard.runs),
                     shard.seeds_run.c_str());
    }
    if (merged->missing_seeds > 0) {
        std::fprintf(stdout, "missing      %llu seeds no shard ran (not counted as passing): %s\n",
                     static_cast<unsigned long long>(merged->missing_seeds),
                     runner::format_seed_runs(merged->missing).c_str());
    }
    if (!merged->duplicated_shards.empty()) {
        std::fprintf(stdout, "duplicated   shard %s given more than once\n",
                     list_of(merged->duplicated_shards).c_str());
    }
    if (merged->duplicated_seeds > 0) {
        std::fprintf(stdout, "duplicated   %llu seeds ran in more than one shard (counted once): %s\n",
                     static_cast<unsigned long long>(merged->duplicated_seeds),
                     runner::format_seed_runs(merged->duplicated).c_str());
    }
    for (const Json& failure : sweep["failures"]) {
        std::string checks;
        for (const Json& check : failure.value("checks", Json::array())) {
            checks += (checks.empty() ? "" : ", ") + check.get<std::string>();
        }
        std::fprintf(stdout, "seed %llu: %s%s%s\n    repro: %s\n",
                     static_cast<unsigned long long>(failure["seed"].get<std::uint64_t>()),
                     failure.value("verdict", "invalid").c_str(), checks.empty() ? "" : ": ",
                     failure.contains("error") ? failure["error"].get<std::string>().c_str() : checks.c_str(),
                     failure.value("repro", "").c_str());
        if (failure.contains("stored")) {
            std::fprintf(stdout, "    stored: %s\n", failure["stored"].get<std::string>().c_str());
        }
    }
    const std::uint64_t runs = sweep["runs"].get<std::uint64_t>();
    const std::uint64_t valid = sweep["valid"].get<std::uint64_t>();
    std::fprintf(stdout, "merged       %llu runs: %llu valid, %zu failed; %.1fs wall summed over the shards\n",
                 static_cast<unsigned long long>(runs), static_cast<unsigned long long>(valid),
                 sweep["failures"].size(), sweep["wall_seconds"].get<double>());
    int code = exit_valid;
    if (!merged->conflicting.empty()) {
        // The same seed gave two verdicts: not one deterministic build and
        // configuration after all, so no verdict of this merge can be trusted.
        print_error(
            fmt::format("seeds {} ran in more than one shard with different verdicts", list_of(merged->conflicting)));
        code = exit_runtime;
    } else if (merged->errors) {
        code = exit_runtime;
    } else if (merged->invalid) {
        code = exit_invalid;
    } else if (merged->unknown || merged->missing_seeds > 0 || !merged->interrupted_shards.empty()) {
        code = exit_unknown;
    }
    auto dir = runner::create_run_directory(arguments.store, "sweeps", merged->first);
    if (!dir || !runner::write_text_file(*dir + "/sweep.json", sweep.dump(1) + "\n")) {
        print_error("could not write the merged sweep under " + arguments.store);
        return exit_runtime;
    }
    std::fprintf(stdout, "%s%s/sweep.json\n", sweep["failures"].empty() ? "sweep file   " : "failures     ",
                 dir->c_str());
    if (auto written = report::write_sweep_report(*dir)) {
        std::fprintf(stdout, "report       %s\n", written->c_str());
    } else {
        print_error("could not write the report: " + written.error().message);
    }
    if (lost > 0 && code == exit_valid) code = exit_unknown;
    return code;
}

}  // namespace

CommandAction add_merge_command(CLI::App& app) {
    auto arguments = std::make_shared<MergeArguments>();
    CLI::App* command =
        app.add_subcommand("merge", "Add up the shards of a sweep (faultline test --shard I/N) into one result");
    command->footer(
        "Each DIR is a shard's store (its --store) or a sweep folder in one. The shards must come from the\n"
        "same build and configuration, over the same range and shard count. Seeds no shard ran and seeds\n"
        "run twice are named. Exit code: 0 valid, 1 invalid, 2 unknown (also: seeds missing), 3 shards that\n"
        "cannot be merged, 4 a seed that could not run (docs/scale-out.md). The shards of a scenario batch\n"
        "(faultline scenario run --shard I/N) merge the same way: scenarios not run are named; and those\n"
        "of a guided search (faultline test --guided --shard I/N): runs, failures and corpora united.");
    command->add_option("DIR", arguments->dirs, "Shard stores or sweep folders")->required();
    command->add_option("--store", arguments->store, "Where the merged sweep is written")->capture_default_str();
    return [arguments] { return merge(*arguments); };
}

}  // namespace faultline::cli
