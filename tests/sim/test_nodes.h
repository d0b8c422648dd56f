// Small nodes and messages for simulator tests: a node that sends what the test
// tells it to and remembers what it received and when.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/json.h"
#include "node/node.h"

namespace faultline::sim::testing {

struct Probe final : Message {
    std::uint64_t sequence = 0;
    std::uint32_t bytes = 64;

    explicit Probe(std::uint64_t seq, std::uint32_t size = 64) : sequence(seq), bytes(size) {}
    std::string_view type() const override { return "probe"; }
    nlohmann::json to_json() const override { return Json{{"seq", sequence}}; }
    std::uint32_t size_bytes() const override { return bytes; }
    std::uint64_t digest() const override { return sequence; }
};

struct Received {
    NodeId from;
    std::uint64_t sequence = 0;
    Nanos local_time = 0;
};

// Records deliveries and timer firings; optionally reacts through hooks.
class ProbeNode final : public Node {
  public:
    void start(Context& ctx) override {
        ++starts;
        if (on_start) on_start(ctx);
    }
    void recover(Context& ctx) override {
        ++recoveries;
        if (on_recover) on_recover(ctx);
    }
    void on_message(Context& ctx, const Envelope& envelope) override {
        const auto* probe = message_as<Probe>(*envelope.message);
        received.push_back({envelope.from, probe ? probe->sequence : 0, ctx.now()});
        if (on_receive) on_receive(ctx, envelope);
    }
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override {
        fired.push_back({tag, ctx.now()});
        if (on_fire) on_fire(ctx, timer, tag);
    }

    int starts = 0;
    int recoveries = 0;
    std::vector<Received> received;
    std::vector<std::pair<std::uint64_t, Nanos>> fired;  // (tag, local time)
    std::function<void(Context&)> on_start;
    std::function<void(Context&)> on_recover;
    std::function<void(Context&, const Envelope&)> on_receive;
    std::function<void(Context&, TimerId, std::uint64_t)> on_fire;
};

inline std::unique_ptr<Node> make_probe() {
    return std::make_unique<ProbeNode>();
}

}  // namespace faultline::sim::testing
