// A partition in real mode happens: three `faultline serve` processes whose
// every peer link goes through the PeerProxy; the leader cut off from the
// other two cannot commit (a write to it is never acknowledged), while the
// two elect a leader of their own that does commit; after healing, the old
// leader follows the new one. Every wait is bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "process/supervisor.h"
#include "real_client.h"
#include "realtime/peer_proxy.h"
#include "support/faultline_process.h"

namespace faultline::realtime {
namespace {

using nlohmann::json;
using testing::LineClient;

// A reply's type; "" when there was none (a timeout gives null).
std::string type_of(const json& reply) {
    return reply.is_object() ? reply.value("type", "") : "";
}

struct Cluster {
    std::vector<std::string> names{"n1", "n2", "n3"};
    std::vector<Endpoint> peer_endpoints;
    std::vector<std::uint16_t> client_ports;
    std::unique_ptr<PeerProxy> peers;
    std::vector<std::unique_ptr<process::Server>> servers;

    void start(const std::string& folder) {
        auto ports = process::pick_free_ports(6);
        ASSERT_TRUE(ports);
        for (int i = 0; i < 3; ++i) {
            peer_endpoints.push_back(Endpoint{.port = (*ports)[static_cast<std::size_t>(2 * i)]});
            client_ports.push_back((*ports)[static_cast<std::size_t>(2 * i + 1)]);
        }
        auto made = PeerProxy::start(names, peer_endpoints, 7);
        ASSERT_TRUE(made) << made.error().message;
        peers = std::move(*made);
        for (int i = 0; i < 3; ++i) {
            std::string dial;
            for (int j = 0; j < 3; ++j) {
                if (j == i) continue;
                // Every peer address a node is given is a proxy link, not the peer itself.
                EXPECT_NE(peers->route(i, j).port, peer_endpoints[static_cast<std::size_t>(j)].port);
                dial +=
                    (dial.empty() ? "" : ",") + names[static_cast<std::size_t>(j)] + "=" + peers->route(i, j).text();
            }
            const std::string& id = names[static_cast<std::size_t>(i)];
            servers.push_back(std::make_unique<process::Server>(
                process::ServerSpec{.name = id,
                                    .argv = {FAULTLINE_BINARY, "serve", "--id", id, "--listen",
                                             peer_endpoints[static_cast<std::size_t>(i)].text(), "--client-listen",
                                             "127.0.0.1:" + std::to_string(client_ports[static_cast<std::size_t>(i)]),
                                             "--data-dir", folder + "/" + id, "--peers", dial},
                                    .workdir = folder + "/" + id,
                                    .log_path = folder + "/" + id + ".log",
                                    .die_with_parent = true}));
            ASSERT_TRUE(servers.back()->start());
        }
    }

    // A write of `value` to node `i`, waiting at most `wait_ms` for the reply.
    json write(int i, int value, int wait_ms) {
        LineClient client;
        if (!client.connect(client_ports[static_cast<std::size_t>(i)])) return json();
        return client.call(R"({"id":1,"type":"write","key":1,"value":)" + std::to_string(value) + "}", wait_ms);
    }

    // The node among `candidates` that acknowledges a write of `value`
    // within `rounds` tries; -1 if none does.
    int leader_among(const std::vector<int>& candidates, int value, int rounds) {
        for (int round = 0; round < rounds; ++round) {
            for (int i : candidates) {
                if (type_of(write(i, value, 1000)) == "write_ok") return i;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return -1;
    }
};

TEST(Partition, AnIsolatedLeaderCannotCommitWhileTheMajorityElectsAnother) {
    const std::string folder = testing::fresh_folder("real-partition");
    Cluster cluster;
    ASSERT_NO_FATAL_FAILURE(cluster.start(folder));
    const int old_leader = cluster.leader_among({0, 1, 2}, 1, 100);
    ASSERT_GE(old_leader, 0) << "no leader elected through the proxy";
    const std::uint64_t refused_before = cluster.peers->refused();

    ASSERT_TRUE(cluster.peers->isolate({old_leader}));
    std::vector<int> majority;
    for (int i = 0; i < 3; ++i) {
        if (i != old_leader) majority.push_back(i);
    }
    // The other two elect a leader of their own (after an election timeout)
    // and commit through it.
    const int new_leader = cluster.leader_among(majority, 2, 100);
    ASSERT_GE(new_leader, 0) << "the majority side never served a write";
    // The old leader, alone, acknowledges nothing: a write to it times out or
    // is refused.
    const json alone = cluster.write(old_leader, 3, 1500);
    EXPECT_NE(type_of(alone), "write_ok") << alone;
    // The nodes redialed across the cut and were refused: the proxy cut them.
    EXPECT_GT(cluster.peers->refused(), refused_before);

    // Healed, the old leader rejoins: it names the new leader or serves a
    // read of the majority's write once it leads again.
    ASSERT_TRUE(cluster.peers->heal());
    bool caught_up = false;
    for (int round = 0; round < 100 && !caught_up; ++round) {
        LineClient client;
        ASSERT_TRUE(client.connect(cluster.client_ports[static_cast<std::size_t>(old_leader)]));
        const json reply = client.call(R"({"id":2,"type":"read","key":1})", 1000);
        caught_up = reply == json::parse(R"({"id":2,"type":"read_ok","value":2})") ||
                    (type_of(reply) == "error" && reply.value("code", -1) == 11 && reply.contains("leader"));
        if (!caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(caught_up);
}

}  // namespace
}  // namespace faultline::realtime
