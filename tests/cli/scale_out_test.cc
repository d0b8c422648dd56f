// The engines of docs/scale-out.md, as far as this machine runs them: the GNU
// parallel one-liner, taken from the page itself and run here with --jobs,
// and the Kubernetes manifest, checked offline and its commands run here
// (tests/cli/k8s_manifest_check.py). The Slurm job array has its own test,
// on a real cluster (slurm_slow_test.cc).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/faultline_process.h"

namespace {

namespace fs = std::filesystem;
using faultline::testing::fresh_folder;
using faultline::testing::Outcome;
using Json = nlohmann::json;

Outcome shell(const std::string& command) {
    Outcome outcome;
    std::FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return outcome;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) outcome.output += buffer;
    const int status = pclose(pipe);
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return outcome;
}

// The page's first line that starts with `prefix`, inside a code block.
std::string documented_line(const std::string& prefix) {
    std::ifstream page(std::string(FAULTLINE_SOURCE_DIR) + "/docs/scale-out.md");
    std::string line;
    bool in_code = false;
    while (std::getline(page, line)) {
        if (line.starts_with("```")) in_code = !in_code;
        if (in_code && line.starts_with(prefix)) return line;
    }
    return "";
}

// A folder whose bin/faultline is the binary under test, for commands that
// call `faultline` by name.
std::string with_faultline_on_path(const std::string& folder) {
    fs::create_directories(fs::path(folder) / "bin");
    fs::create_symlink(FAULTLINE_BINARY, fs::path(folder) / "bin" / "faultline");
    return "cd '" + folder + "' && export PATH='" + folder + "/bin':\"$PATH\" && ";
}

TEST(ScaleOut, TheGnuParallelOneLinerRunsAndMergesHere) {
    if (!fs::exists("/usr/bin/parallel")) GTEST_SKIP() << "GNU parallel is not installed (scripts/install-deps.sh)";
    const std::string line = documented_line("parallel --jobs");
    ASSERT_FALSE(line.empty()) << "docs/scale-out.md lost its GNU parallel one-liner";
    const std::string folder = fresh_folder("parallel");
    ASSERT_FALSE(folder.empty());
    const Outcome outcome = shell(with_faultline_on_path(folder) + line);
    EXPECT_NE(outcome.output.find("faultline merge:"), std::string::npos) << line << "\n" << outcome.output;
    EXPECT_NE(outcome.output.find("of 8 shards"), std::string::npos) << outcome.output;
    EXPECT_EQ(outcome.output.find("missing"), std::string::npos) << outcome.output;
    EXPECT_LE(outcome.exit_code, 1) << outcome.output;
    // The merge's store holds the whole range.
    const fs::path merged = fs::path(folder) / "sweep" / "merged" / "sweeps";
    ASSERT_TRUE(fs::exists(merged)) << outcome.output;
    const Json sweep = Json::parse(std::ifstream(fs::begin(fs::directory_iterator(merged))->path() / "sweep.json"));
    EXPECT_EQ(sweep["runs"], sweep["seeds_run"].size());
    EXPECT_EQ(sweep["merge"]["shards_given"], 8);
}

const std::string kCheck =
    "/usr/bin/python3 '" + std::string(FAULTLINE_SOURCE_DIR) + "/tests/cli/k8s_manifest_check.py' ";
const std::string kManifest = std::string(FAULTLINE_SOURCE_DIR) + "/deploy/k8s/sweep-job.yaml";

bool has_pyyaml() {
    return shell("/usr/bin/python3 -c 'import yaml'").exit_code == 0;
}

TEST(ScaleOut, TheKubernetesManifestHoldsOffline) {
    if (!has_pyyaml()) GTEST_SKIP() << "python3-yaml is not installed (scripts/install-deps.sh)";
    const Outcome checked = shell(kCheck + "'" + kManifest + "'");
    EXPECT_EQ(checked.exit_code, 0) << checked.output;
    EXPECT_NE(checked.output.find("manifest holds: 16 shards"), std::string::npos) << checked.output;

    // The check can fail: each of these breaks what a sweep depends on.
    const std::string folder = fresh_folder("k8s");
    ASSERT_FALSE(folder.empty());
    std::stringstream text;
    text << std::ifstream(kManifest).rdbuf();
    const std::string manifest = text.str();
    const std::pair<std::string, std::string> breaks[] = {
        {"completions: 16 ", "completions: 12 "},
        {"completionMode: Indexed", "completionMode: NonIndexed"},
        {"accessModes: [ReadWriteMany]", "accessModes: [ReadWriteOnce]"},
        {"--shard \"$JOB_COMPLETION_INDEX/$SHARDS\"", "--shard \"0/$SHARDS\""},
        {"--store \"/sweep/shard-$JOB_COMPLETION_INDEX\"", "--store \"/sweep/shard\""},
    };
    for (const auto& [from, to] : breaks) {
        const auto at = manifest.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        std::string broken = manifest;
        broken.replace(at, from.size(), to);
        const std::string path = folder + "/broken.yaml";
        std::ofstream(path) << broken;
        const Outcome outcome = shell(kCheck + "'" + path + "'");
        EXPECT_EQ(outcome.exit_code, 1) << to << "\n" << outcome.output;
    }
}

TEST(ScaleOut, TheKubernetesManifestsCommandsShardAndMergeHere) {
    if (!has_pyyaml()) GTEST_SKIP() << "python3-yaml is not installed (scripts/install-deps.sh)";
    // All 16 completion indices over 1..32 on the smallest system, then the merge.
    const Outcome ran = shell(kCheck + "'" + kManifest + "' --run '" + FAULTLINE_BINARY +
                              "' --seeds 1..32 --options '--system echo --no-trace'");
    EXPECT_EQ(ran.exit_code, 0) << ran.output;
    EXPECT_NE(ran.output.find("16 of 16 shards"), std::string::npos) << ran.output;
    EXPECT_NE(ran.output.find("merged       32 runs: 32 valid, 0 failed"), std::string::npos) << ran.output;
}

}  // namespace
