// `faultline serve`: one raft-kv node as a real process answers the client
// protocol of docs/real-mode.md; three of them elect a leader and a follower
// names it; a killed node recovers what it acknowledged; bad options are
// refused with one message.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "process/supervisor.h"
#include "real_client.h"
#include "realtime/endpoint.h"
#include "support/faultline_process.h"

namespace faultline::realtime {
namespace {

using nlohmann::json;
using testing::LineClient;

std::vector<std::string> serve_argv(const std::string& id, std::uint16_t listen, std::uint16_t client,
                                    const std::string& peers, const std::string& data) {
    std::vector<std::string> argv{FAULTLINE_BINARY,
                                  "serve",
                                  "--id",
                                  id,
                                  "--listen",
                                  "127.0.0.1:" + std::to_string(listen),
                                  "--client-listen",
                                  "127.0.0.1:" + std::to_string(client),
                                  "--data-dir",
                                  data};
    if (!peers.empty()) {
        argv.push_back("--peers");
        argv.push_back(peers);
    }
    return argv;
}

// A node as a supervised process: its data dir is its working directory.
process::ServerSpec node_spec(const std::string& id, std::vector<std::string> argv, const std::string& folder) {
    return process::ServerSpec{.name = id,
                               .argv = std::move(argv),
                               .workdir = folder + "/" + id,
                               .log_path = folder + "/" + id + ".log",
                               .die_with_parent = true};
}

// Retries a request while the node answers "not the leader" (an election).
json call_until_served(LineClient& client, const std::string& request) {
    json reply;
    for (int i = 0; i < 100; ++i) {
        reply = client.call(request);
        if (!reply.is_object() || reply.value("code", -1) != 11) return reply;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return reply;
}

TEST(Endpoint, ParsesLoopbackAndRefusesTheRest) {
    auto ok = parse_endpoint("127.0.0.1:7001");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->port, 7001);
    EXPECT_EQ(ok->text(), "127.0.0.1:7001");
    EXPECT_FALSE(parse_endpoint("10.0.0.1:7001"));
    EXPECT_FALSE(parse_endpoint("127.0.0.1"));
    EXPECT_FALSE(parse_endpoint("127.0.0.1:0"));
    EXPECT_FALSE(parse_endpoint("127.0.0.1:70000"));
    EXPECT_FALSE(parse_endpoint("localhost:7001"));
    auto peers = parse_peers("n2=127.0.0.1:2,n3=127.0.0.2:3");
    ASSERT_TRUE(peers);
    EXPECT_EQ(peers->size(), 2u);
    EXPECT_EQ(peers->at("n3").host, "127.0.0.2");
    EXPECT_FALSE(parse_peers("n2=127.0.0.1:2,n2=127.0.0.1:3"));
    EXPECT_FALSE(parse_peers("n2"));
    EXPECT_FALSE(parse_peers("n/2=127.0.0.1:2"));
    auto ports = process::pick_free_ports(4);
    ASSERT_TRUE(ports);
    EXPECT_EQ(std::set<std::uint16_t>(ports->begin(), ports->end()).size(), 4u);
}

TEST(Serve, OneNodeAnswersTheClientProtocol) {
    const std::string folder = testing::fresh_folder("serve-one");
    auto ports = process::pick_free_ports(2);
    ASSERT_TRUE(ports);
    process::Server server(node_spec("n1", serve_argv("n1", (*ports)[0], (*ports)[1], "", folder + "/n1"), folder));
    ASSERT_TRUE(server.start());
    LineClient client;
    ASSERT_TRUE(client.connect((*ports)[1]));
    EXPECT_EQ(call_until_served(client, R"({"id":1,"type":"read","key":5})"),
              json::parse(R"({"id":1,"type":"error","code":20,"text":"key-does-not-exist"})"));
    EXPECT_EQ(client.call(R"({"id":2,"type":"write","key":5,"value":7})"),
              json::parse(R"({"id":2,"type":"write_ok"})"));
    EXPECT_EQ(client.call(R"({"id":3,"type":"read","key":5})"), json::parse(R"({"id":3,"type":"read_ok","value":7})"));
    EXPECT_EQ(client.call(R"({"id":4,"type":"cas","key":5,"from":7,"to":8})"),
              json::parse(R"({"id":4,"type":"cas_ok"})"));
    const json refused = client.call(R"({"id":5,"type":"cas","key":5,"from":7,"to":9})");
    EXPECT_EQ(refused.value("code", -1), 22) << refused;
    EXPECT_EQ(refused["id"], 5);
    EXPECT_EQ(client.call(R"({"id":6,"type":"write","key":"a","value":1})").value("code", -1), 12);
    EXPECT_EQ(client.call(R"({"id":7,"type":"delete","key":1})").value("code", -1), 10);
    EXPECT_EQ(client.call("not json").value("code", -1), 12);
    EXPECT_EQ(client.call(R"({"id":8,"type":"read","key":5})"), json::parse(R"({"id":8,"type":"read_ok","value":8})"));

    // kill -9, then the same data dir: the acknowledged writes are there.
    server.kill();
    ASSERT_TRUE(server.start());
    LineClient again;
    ASSERT_TRUE(again.connect((*ports)[1]));
    EXPECT_EQ(call_until_served(again, R"({"id":1,"type":"read","key":5})"),
              json::parse(R"({"id":1,"type":"read_ok","value":8})"));
    server.stop(std::chrono::seconds(2));
    EXPECT_FALSE(server.running());
}

TEST(Serve, ThreeNodesElectALeaderThatFollowersName) {
    const std::string folder = testing::fresh_folder("serve-three");
    auto ports = process::pick_free_ports(6);
    ASSERT_TRUE(ports);
    const auto peer = [&](int i) { return "127.0.0.1:" + std::to_string((*ports)[2 * i]); };
    std::vector<std::unique_ptr<process::Server>> servers;
    for (int i = 0; i < 3; ++i) {
        std::string peers;
        for (int j = 0; j < 3; ++j) {
            if (j != i) peers += (peers.empty() ? "" : ",") + ("n" + std::to_string(j + 1)) + "=" + peer(j);
        }
        const std::string id = "n" + std::to_string(i + 1);
        servers.push_back(std::make_unique<process::Server>(
            node_spec(id, serve_argv(id, (*ports)[2 * i], (*ports)[2 * i + 1], peers, folder + "/" + id), folder)));
        ASSERT_TRUE(servers.back()->start());
    }
    // Some node takes the write; the others then either name it or (a
    // follower that lost track) say they cannot serve, but never accept a
    // write as a follower.
    std::string leader;
    for (int round = 0; round < 200 && leader.empty(); ++round) {
        for (int i = 0; i < 3 && leader.empty(); ++i) {
            LineClient client;
            ASSERT_TRUE(client.connect((*ports)[2 * i + 1]));
            const json reply = client.call(R"({"id":1,"type":"write","key":1,"value":1})");
            if (reply.value("type", "") == "write_ok") leader = "n" + std::to_string(i + 1);
        }
        if (leader.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_FALSE(leader.empty());
    int named = 0;
    for (int i = 0; i < 3; ++i) {
        if ("n" + std::to_string(i + 1) == leader) continue;
        LineClient client;
        ASSERT_TRUE(client.connect((*ports)[2 * i + 1]));
        const json reply = client.call(R"({"id":9,"type":"write","key":1,"value":2})");
        ASSERT_EQ(reply.value("type", ""), "error") << reply;
        EXPECT_EQ(reply.value("code", -1), 11) << reply;
        named += reply.value("leader", "") == leader;
    }
    EXPECT_GE(named, 1);
    // The leader's write was replicated: any node, once leader, reads it.
    LineClient client;
    ASSERT_TRUE(client.connect((*ports)[2 * (leader[1] - '1') + 1]));
    EXPECT_EQ(client.call(R"({"id":2,"type":"read","key":1})"), json::parse(R"({"id":2,"type":"read_ok","value":1})"));
}

TEST(Serve, RefusesBadOptionsWithOneMessage) {
    const std::string folder = testing::fresh_folder("serve-bad");
    const std::string common = "--data-dir " + folder + "/d ";
    for (const std::string& args :
         {"serve --id n1 --listen 10.1.1.1:5000 --client-listen 127.0.0.1:5001 --peers n2=127.0.0.1:5002 " + common,
          "serve --id n1 --listen 127.0.0.1:5000 --client-listen 127.0.0.1:5001 --peers n1=127.0.0.1:5002 " + common,
          "serve --id n1 --listen 127.0.0.1:5000 --client-listen 127.0.0.1:5000 --peers n2=127.0.0.1:5002 " + common,
          "serve --id n1 --listen 127.0.0.1:5000 --client-listen 127.0.0.1:5001 --peers n2 " + common,
          "serve --system echo --id n1 --listen 127.0.0.1:5000 --client-listen 127.0.0.1:5001 --peers "
          "n2=127.0.0.1:5002 " +
              common}) {
        const testing::Outcome outcome = testing::run_faultline(args);
        EXPECT_EQ(outcome.exit_code, 3) << args << "\n" << outcome.output;
        EXPECT_FALSE(outcome.signalled);
        EXPECT_NE(outcome.output.find("faultline: "), std::string::npos) << outcome.output;
    }
}

}  // namespace
}  // namespace faultline::realtime
