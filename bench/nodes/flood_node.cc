// A trivial Maelstrom broadcast node for measuring the harness: it floods each
// new message to every other node once and answers reads with what it holds.
// Its own cost per message is a JSON parse and a write, so a run's throughput
// is the harness's.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

using Json = nlohmann::json;

namespace {

void emit(const std::string& src, const std::string& dest, const Json& body) {
    std::string line = Json{{"src", src}, {"dest", dest}, {"body", body}}.dump();
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
}

}  // namespace

int main() {
    std::ios::sync_with_stdio(false);
    std::string me;
    std::vector<std::string> peers;
    std::set<std::int64_t> messages;
    std::string line;
    while (std::getline(std::cin, line)) {
        const Json message = Json::parse(line, nullptr, false);
        if (!message.is_object()) continue;
        const Json& body = message["body"];
        const std::string type = body.value("type", "");
        const std::string from = message.value("src", "");
        auto reply = [&](Json answer) {
            answer["in_reply_to"] = body["msg_id"];
            emit(me, from, answer);
        };
        if (type == "init") {
            me = body["node_id"].get<std::string>();
            for (const Json& node : body["node_ids"]) {
                if (node != me) peers.push_back(node.get<std::string>());
            }
            reply({{"type", "init_ok"}});
        } else if (type == "topology") {
            reply({{"type", "topology_ok"}});
        } else if (type == "broadcast" || type == "flood") {
            const std::int64_t value = body["message"].get<std::int64_t>();
            if (messages.insert(value).second) {
                for (const std::string& peer : peers) emit(me, peer, {{"type", "flood"}, {"message", value}});
            }
            if (type == "broadcast") reply({{"type", "broadcast_ok"}});
        } else if (type == "read") {
            reply({{"type", "read_ok"}, {"messages", messages}});
        }
        std::fflush(stdout);
    }
    return 0;
}
