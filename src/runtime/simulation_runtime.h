// The simulator as a runtime::Runtime: every call goes to the Simulation, in
// virtual time. An adapter rather than a base class of Simulation, so that the
// engine's own hot paths keep their direct, non-virtual calls.
#pragma once

#include "runtime/runtime.h"
#include "sim/simulation.h"

namespace faultline::runtime {

class SimulationRuntime final : public Runtime {
  public:
    explicit SimulationRuntime(sim::Simulation& simulation) : simulation_(simulation) {}

    Nanos now() const override { return simulation_.now(); }
    void at(Nanos time, std::function<void()> action) override { simulation_.at(time, std::move(action)); }

    Node* node(NodeId id) override { return simulation_.node(id); }
    bool invoke(NodeId id, const std::function<void(Node&, Context&)>& input) override {
        return simulation_.invoke(id, input);
    }

    void crash(NodeId node) override { simulation_.crash(node); }
    void restart(NodeId node) override { simulation_.restart(node); }
    void pause(NodeId node) override { simulation_.pause(node); }
    void resume(NodeId node) override { simulation_.resume(node); }
    bool is_up(NodeId node) const override { return simulation_.is_up(node); }
    bool is_paused(NodeId node) const override { return simulation_.is_paused(node); }
    void set_processing_delay(NodeId node, Nanos delay) override { simulation_.set_processing_delay(node, delay); }

    void step_clock(NodeId node, Nanos delta) override { simulation_.clock(node).step(simulation_.now(), delta); }
    double clock_drift_ppm(NodeId node) const override { return simulation_.clock(node).drift_ppm(); }
    void set_clock_drift_ppm(NodeId node, double ppm) override {
        simulation_.clock(node).set_drift_ppm(simulation_.now(), ppm);
    }

    void block(NodeId from, NodeId to) override { simulation_.network().block(from, to); }
    void unblock(NodeId from, NodeId to) override { simulation_.network().unblock(from, to); }
    void heal_links() override { simulation_.network().heal(); }
    const sim::LinkConfig& link(NodeId from, NodeId to) const override { return simulation_.network().link(from, to); }
    sim::LinkClassId define_link_class(std::string_view name, const sim::LinkConfig& config) override {
        return simulation_.network().define_class(std::string(name), config);
    }
    void assign_link_class(NodeId from, NodeId to, sim::LinkClassId link_class) override {
        simulation_.network().assign_class(from, to, link_class);
    }
    std::vector<sim::LinkConfig> link_classes() const override { return simulation_.network().snapshot_classes(); }
    void set_link_classes(const std::vector<sim::LinkConfig>& configs) override {
        simulation_.network().restore_classes(configs);
    }

    void set_tamper_probability(double probability) override { simulation_.set_tamper_probability(probability); }

    sim::DiskConfig& disk_faults(NodeId node) override { return simulation_.disk(node).config(); }

    void note_fault(std::string_view text) override { simulation_.note_fault(text); }

  private:
    sim::Simulation& simulation_;
};

}  // namespace faultline::runtime
