// The README's "What it does" block, run as written, in order, on a fresh
// store: each command must give the exit code the README implies and print
// the line that shows it did its job. A command added to the README without an
// expectation here fails the test, so the two cannot drift apart.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/faultline_process.h"

namespace {

struct Expectation {
    const char* command_prefix;  // the README command starts with this
    int exit_code;
    const char* output_contains;
};

const Expectation expectations[] = {
    {"faultline test --seed 7", 0, "verdict      valid"},
    {"faultline test --seeds 1..200 --shard 3/4", 0, "sweep        50 runs"},
    {"faultline test --seeds", 0, "sweep        2000 runs"},
    {"faultline test --bug stale-read", 1, "linearizability: invalid"},
    {"faultline test --system echo", 0, "verdict      valid"},
    {"faultline test -w broadcast --bin", 0, "set          valid"},
    {"faultline test --guided", 0, "guided       200 runs: 0 failed"},
    {"faultline test", 0, "verdict      valid"},
    {"faultline replay store/latest", 1, "trace hash matches the recorded run"},
    {"faultline trace store/latest", 0, "\"kind\":\"deliver\""},
    {"faultline shrink store/latest", 1, "next         faultline scenario run store/latest/shrunk-seed12.toml"},
    {"faultline scenario run store/latest/shrunk-seed12.toml", 0, "1 of 1 scenarios behaved as expected"},
    {"faultline scenario list", 0, "fates/answered"},
    {"faultline scenario run fates/", 0, "scenarios behaved as expected"},
    {"faultline report store", 0, "report       "},
    {"faultline check", 1, "NOT linearizable"},
    {"faultline systems", 0, "raft-kv"},
    {"faultline generals two", 1, "messenger 3: \"messenger 2 reached me\"  LOST"},
    {"faultline generals byzantine", 1, "\"the commander said retreat\"  FORGED"},
    {"faultline fd --detector phi", 0, "<- knee"},
    {"faultline fd --compare", 0, "swim         defaults"},
    {"faultline merge out/shard-*", 2, "missing      shard 0, 1, 2 of 0..3"},
};

// The commands of the README's first code block after "## What it does".
std::vector<std::string> readme_commands() {
    std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/README.md");
    std::vector<std::string> commands;
    std::string line;
    bool in_section = false, in_block = false;
    while (std::getline(in, line)) {
        if (line.rfind("## What it does", 0) == 0) in_section = true;
        if (!in_section) continue;
        if (line.rfind("```", 0) == 0) {
            if (in_block) break;
            in_block = true;
            continue;
        }
        if (!in_block || line.rfind("faultline ", 0) != 0) continue;
        std::string command = line.substr(0, line.find('#'));
        command.erase(command.find_last_not_of(' ') + 1);
        commands.push_back(command);
    }
    return commands;
}

using faultline::testing::Outcome;

Outcome run_in(const std::string& folder, const std::string& command) {
    return faultline::testing::run_faultline(command.substr(std::string("faultline ").size()), "", folder);
}

TEST(Readme, EveryCommandRunsAsWrittenWithTheExitCodeItImplies) {
    const std::vector<std::string> commands = readme_commands();
    ASSERT_GE(commands.size(), 8u) << "the README's command block was not found";
    const std::filesystem::path folder = faultline::testing::fresh_folder("readme");
    ASSERT_FALSE(folder.empty());
    // A fresh folder that sees the repository's histories, as a user's checkout does.
    std::filesystem::create_directory_symlink(std::filesystem::path(FAULTLINE_SOURCE_DIR) / "tests", folder / "tests");
    for (const std::string& command : commands) {
        const Expectation* expected = nullptr;
        for (const Expectation& candidate : expectations) {
            if (command.rfind(candidate.command_prefix, 0) == 0) {
                expected = &candidate;
                break;
            }
        }
        ASSERT_NE(expected, nullptr) << "no expectation for the README command: " << command;
        const Outcome outcome = run_in(folder.string(), command);
        EXPECT_EQ(outcome.exit_code, expected->exit_code) << command << "\n" << outcome.output;
        EXPECT_NE(outcome.output.find(expected->output_contains), std::string::npos)
            << command << ": expected '" << expected->output_contains << "' in:\n"
            << outcome.output;
    }
    std::filesystem::remove_all(folder);
}

}  // namespace
