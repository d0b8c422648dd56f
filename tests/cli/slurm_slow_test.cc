// A sweep on a real single-node Slurm cluster: scripts/slurm/local-cluster.sh
// starts munged, slurmctld and slurmd in a fresh folder, scripts/slurm/submit.sh
// submits a 4-task job array of shards and the merge that depends on it, and
// the merged result must equal the same sweep run whole. Every daemon started
// is stopped again, whatever the outcome.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "support/faultline_process.h"
#include "support/sweep_file.h"

namespace {

namespace fs = std::filesystem;
using faultline::testing::fresh_folder;
using faultline::testing::only_sweep;
using faultline::testing::Outcome;
using faultline::testing::run_faultline;
using Json = nlohmann::json;

const std::string kScripts = std::string(FAULTLINE_SOURCE_DIR) + "/scripts/slurm";

// Runs a shell command, returning its exit code and output.
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

std::string read_file(const fs::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

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
                {"config_hash", sweep["config_hash"]}};
}

// Can a server listen on `port` now?
bool bindable(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool free = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return free;
}

// Two free ports in a row for slurmctld and slurmd, from a start of this
// process's own (two copies of the suite do not meet), and below the kernel's
// ephemeral range (32768 and up), where the other tests' servers and clients
// get theirs: a port taken from there between this check and slurmctld's bind
// once stopped the controller.
int free_port_pair() {
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int port = 20000 + static_cast<int>((getpid() + attempt * 37) % 6000) * 2;
        if (bindable(port) && bindable(port + 1)) return port;
    }
    return -1;
}

// Stops the cluster's daemons when the test ends, passed or failed.
struct Cluster {
    std::string dir;
    ~Cluster() {
        if (!dir.empty())
            shell("SLURM_CONF='" + dir + "/slurm.conf' scancel --user=$(id -un) >/dev/null 2>&1; '" + kScripts +
                  "/local-cluster.sh' stop '" + dir + "'");
    }
};

TEST(Slurm, AJobArrayOfShardsMergedEqualsTheWholeSweep) {
    for (const char* daemon : {"/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch"}) {
        if (!fs::exists(daemon)) {
            GTEST_SKIP() << daemon
                         << " is not installed (Debian packages slurm-wlm and munge: scripts/install-deps.sh)";
        }
    }
    const std::string folder = fresh_folder("slurm");
    ASSERT_FALSE(folder.empty());
    Cluster cluster{folder + "/cluster"};
    const int port = free_port_pair();
    ASSERT_GT(port, 0) << "no two free ports in a row in 20000..32000";
    const Outcome started =
        shell("'" + kScripts + "/local-cluster.sh' start '" + cluster.dir + "' " + std::to_string(port));
    ASSERT_EQ(started.exit_code, 0) << started.output << read_file(cluster.dir + "/log/slurmctld.log")
                                    << read_file(cluster.dir + "/log/slurmd.log");
    const std::string env =
        "cd '" + folder + "' && SLURM_CONF='" + cluster.dir + "/slurm.conf' FAULTLINE='" + FAULTLINE_BINARY + "' ";
    const std::string options = "--bug early-ack --no-trace --nemesis partition,kill";
    const Outcome submitted = shell(env + "'" + kScripts + "/submit.sh' 4 out 1..24 " + options);
    ASSERT_EQ(submitted.exit_code, 0) << submitted.output;

    // Wait for the array and the merge to leave the queue: bounded, polled.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    std::string queue;
    while (std::chrono::steady_clock::now() < deadline) {
        const Outcome listed = shell(env + "squeue -h -o '%i %T'");
        ASSERT_EQ(listed.exit_code, 0) << listed.output;
        queue = listed.output;
        if (queue.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    ASSERT_TRUE(queue.empty()) << "still queued after 180 s:\n" << queue;

    const fs::path out = fs::path(folder) / "out";
    ASSERT_TRUE(fs::exists(out / "merged" / "exit-code")) << "the merge job did not run";
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(only_sweep(out / ("shard-" + std::to_string(i)))["shard"]["index"], i);
    }
    const Outcome whole = run_faultline("test --seeds 1..24 --keep-going --store whole " + options, "", folder);
    ASSERT_EQ(whole.exit_code, 1) << whole.output;
    EXPECT_EQ(std::stoi(read_file(out / "merged" / "exit-code")), whole.exit_code);
    const Json merged = only_sweep(out / "merged");
    ASSERT_TRUE(merged.is_object());
    EXPECT_EQ(merged["merge"]["missing_seeds"], 0);
    EXPECT_EQ(merged["merge"]["shards_given"], 4);
    EXPECT_EQ(verdicts(merged), verdicts(only_sweep(fs::path(folder) / "whole")));
}

}  // namespace
