// The supervisor on real processes (/bin/sh scripts): each process fault is
// observed from outside, through the kernel (waitpid, /proc), never through
// the supervisor's own bookkeeping alone.
#include "process/supervisor.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace faultline::process {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path fresh_dir() {
    std::string pattern = (fs::temp_directory_path() / "faultline-supervisor-XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    return made;
}

// The process state letter of /proc/PID/stat ('S' sleeping, 'T' stopped, ...);
// '?' once the process is gone.
char proc_state(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos || close + 2 >= text.size()) return '?';
    return text[close + 2];
}

bool alive(pid_t pid) {
    const char state = proc_state(pid);
    return state != '?' && state != 'Z';
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Polls (real time, bounded) until `condition` holds.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds bound = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return condition();
}

ServerSpec shell(const fs::path& dir, const std::string& name, const std::string& script) {
    return ServerSpec{.name = name,
                      .argv = {"/bin/sh", "-c", script},
                      .workdir = dir / name,
                      .log_path = dir / "logs" / (name + ".log")};
}

TEST(Supervisor, StartsInItsWorkdirAndLogsOutputAcrossRestarts) {
    const fs::path dir = fresh_dir();
    Server server(shell(dir, "n1", "echo started >> count; cat count | wc -l; echo to-stderr >&2; exec sleep 100"));
    ASSERT_TRUE(server.start());
    EXPECT_TRUE(server.running());
    EXPECT_EQ(::getpgid(server.pid()), server.pid());
    ASSERT_TRUE(eventually([&] { return read_file(dir / "logs" / "n1.log").find("to-stderr") != std::string::npos; }));
    ASSERT_TRUE(server.restart());
    ASSERT_TRUE(eventually([&] { return read_file(dir / "logs" / "n1.log").find("2\n") != std::string::npos; }));
    const std::string log = read_file(dir / "logs" / "n1.log");
    // The working directory survived the restart (the file counts two starts)
    // and the log was appended to, not truncated.
    EXPECT_NE(log.find("1\n"), std::string::npos);
    EXPECT_EQ(server.starts(), 2);
    fs::remove_all(dir);
}

TEST(Supervisor, KillNineEndsTheWholeGroup) {
    const fs::path dir = fresh_dir();
    // The shell starts a grandchild that ignores SIGTERM: only the group kill ends it.
    Server server(shell(dir, "n1", "trap '' TERM; sleep 100 & echo $! > child; wait"));
    ASSERT_TRUE(server.start());
    const fs::path child_file = dir / "n1" / "child";
    ASSERT_TRUE(eventually([&] { return !read_file(child_file).empty(); }));
    const pid_t child = std::stoi(read_file(child_file));
    const pid_t leader = server.pid();
    EXPECT_TRUE(alive(child));
    server.kill();
    EXPECT_FALSE(server.running());
    EXPECT_EQ(server.exit_description(), "killed by signal 9");
    EXPECT_FALSE(alive(leader));
    EXPECT_TRUE(eventually([&] { return !alive(child); }));
    fs::remove_all(dir);
}

TEST(Supervisor, PauseStopsTheProcessAndResumeContinuesIt) {
    const fs::path dir = fresh_dir();
    Server server(shell(dir, "n1", "exec sleep 100"));
    ASSERT_TRUE(server.start());
    ASSERT_TRUE(eventually([&] { return proc_state(server.pid()) == 'S'; }));
    server.pause();
    EXPECT_TRUE(eventually([&] { return proc_state(server.pid()) == 'T'; }));
    EXPECT_TRUE(server.running());
    server.resume();
    EXPECT_TRUE(eventually([&] { return proc_state(server.pid()) == 'S'; }));
    fs::remove_all(dir);
}

TEST(Supervisor, GracefulStopLetsAServerExitOnTerm) {
    const fs::path dir = fresh_dir();
    Server server(shell(dir, "n1", "trap 'echo bye; exit 0' TERM; while true; do sleep 0.01; done"));
    ASSERT_TRUE(server.start());
    std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(server.stop(5000ms));
    EXPECT_EQ(server.exit_description(), "exit code 0");
    EXPECT_TRUE(eventually([&] { return read_file(dir / "logs" / "n1.log").find("bye") != std::string::npos; }));
    fs::remove_all(dir);
}

TEST(Supervisor, GracefulStopKillsAServerThatIgnoresTermAfterTheGrace) {
    const fs::path dir = fresh_dir();
    Server server(shell(dir, "n1", "trap '' TERM; while true; do sleep 0.01; done"));
    ASSERT_TRUE(server.start());
    std::this_thread::sleep_for(50ms);
    const auto before = std::chrono::steady_clock::now();
    EXPECT_FALSE(server.stop(200ms));
    const auto waited = std::chrono::steady_clock::now() - before;
    EXPECT_GE(waited, 200ms);
    EXPECT_LT(waited, 2000ms);
    EXPECT_EQ(server.exit_description(), "killed by signal 9");
    fs::remove_all(dir);
}

TEST(Supervisor, GracefulStopOfAPausedServerStillReachesIt) {
    const fs::path dir = fresh_dir();
    Server server(shell(dir, "n1", "exec sleep 100"));
    ASSERT_TRUE(server.start());
    server.pause();
    EXPECT_TRUE(server.stop(5000ms));
    EXPECT_EQ(server.exit_description(), "killed by signal 15");
    fs::remove_all(dir);
}

TEST(Supervisor, AProgramThatCannotRunIsAClearError) {
    const fs::path dir = fresh_dir();
    Server server(ServerSpec{.name = "n1", .argv = {"/no/such/server"}, .workdir = dir, .log_path = dir / "n1.log"});
    const Status started = server.start();
    ASSERT_FALSE(started);
    EXPECT_NE(started.error().message.find("n1: cannot run /no/such/server"), std::string::npos);
    EXPECT_FALSE(server.running());
    fs::remove_all(dir);
}

TEST(Supervisor, DestructorKillsWhatStillRuns) {
    const fs::path dir = fresh_dir();
    pid_t pid = -1;
    {
        Supervisor supervisor;
        Server& server = supervisor.add(shell(dir, "n1", "exec sleep 100"));
        ASSERT_TRUE(server.start());
        pid = server.pid();
        EXPECT_EQ(registered_group_count(), 1u);
    }
    EXPECT_FALSE(alive(pid));
    EXPECT_EQ(registered_group_count(), 0u);
    fs::remove_all(dir);
}

// A process that started a server and is then interrupted (SIGINT, as Ctrl-C)
// or asserts (SIGABRT) takes its servers with it.
void expect_signal_cleans_up(int signal_number) {
    const fs::path dir = fresh_dir();
    const pid_t parent = ::fork();
    ASSERT_GE(parent, 0);
    if (parent == 0) {
        install_cleanup_handlers();
        Server* server = new Server(shell(dir, "n1", "exec sleep 100"));
        if (!server->start()) ::_exit(10);
        std::ofstream(dir / "pid") << server->pid();
        for (int i = 0; i < 1000; ++i) ::usleep(10'000);
        ::_exit(11);
    }
    ASSERT_TRUE(eventually([&] { return !read_file(dir / "pid").empty(); }));
    const pid_t server = std::stoi(read_file(dir / "pid"));
    EXPECT_TRUE(alive(server));
    ::kill(parent, signal_number);
    int status = 0;
    ASSERT_EQ(::waitpid(parent, &status, 0), parent);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), signal_number);
    EXPECT_TRUE(eventually([&] { return !alive(server); }));
    fs::remove_all(dir);
}

TEST(Supervisor, CtrlCKillsEveryStartedServer) {
    expect_signal_cleans_up(SIGINT);
}

TEST(Supervisor, AnAbortKillsEveryStartedServer) {
    expect_signal_cleans_up(SIGABRT);
}

TEST(Supervisor, ExitKillsEveryStartedServer) {
    const fs::path dir = fresh_dir();
    const pid_t parent = ::fork();
    ASSERT_GE(parent, 0);
    if (parent == 0) {
        install_cleanup_handlers();
        Server* server = new Server(shell(dir, "n1", "exec sleep 100"));
        if (!server->start()) ::_exit(10);
        std::ofstream(dir / "pid") << server->pid();
        std::exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(parent, &status, 0), parent);
    EXPECT_TRUE(WIFEXITED(status));
    const pid_t server = std::stoi(read_file(dir / "pid"));
    EXPECT_TRUE(eventually([&] { return !alive(server); }));
    fs::remove_all(dir);
}

// SIGKILL of the parent runs no handler: only PR_SET_PDEATHSIG takes the
// server with it, and only when asked for.
pid_t server_left_by_sigkilled_parent(const fs::path& dir, bool die_with_parent) {
    const pid_t parent = ::fork();
    EXPECT_GE(parent, 0);
    if (parent == 0) {
        ServerSpec spec = shell(dir, "n1", "exec sleep 100");
        spec.die_with_parent = die_with_parent;
        Server* server = new Server(spec);
        if (!server->start()) ::_exit(10);
        std::ofstream(dir / "pid") << server->pid();
        for (int i = 0; i < 1000; ++i) ::usleep(10'000);
        ::_exit(11);
    }
    EXPECT_TRUE(eventually([&] { return !read_file(dir / "pid").empty(); }));
    const pid_t server = std::stoi(read_file(dir / "pid"));
    EXPECT_TRUE(alive(server));
    ::kill(parent, SIGKILL);
    int status = 0;
    EXPECT_EQ(::waitpid(parent, &status, 0), parent);
    return server;
}

TEST(Supervisor, DieWithParentEndsTheServerWhenFaultlineIsKilled) {
    const fs::path dir = fresh_dir();
    const pid_t server = server_left_by_sigkilled_parent(dir, true);
    EXPECT_TRUE(eventually([&] { return !alive(server); }));
    fs::remove_all(dir);
}

TEST(Supervisor, WithoutDieWithParentTheServerOutlivesASigkilledParent) {
    const fs::path dir = fresh_dir();
    const pid_t server = server_left_by_sigkilled_parent(dir, false);
    std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(alive(server));
    ::kill(-server, SIGKILL);
    fs::remove_all(dir);
}

TEST(Supervisor, FreePortsAreDistinctAndBindable) {
    const Result<std::vector<std::uint16_t>> ports = pick_free_ports(8);
    ASSERT_TRUE(ports);
    const std::set<std::uint16_t> distinct(ports->begin(), ports->end());
    EXPECT_EQ(distinct.size(), 8u);
    for (std::uint16_t port : *ports) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0) << port;
        ::close(fd);
    }
    EXPECT_FALSE(pick_free_ports(5000));
}

}  // namespace
}  // namespace faultline::process
