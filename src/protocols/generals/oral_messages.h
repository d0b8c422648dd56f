// The Byzantine generals: OM(m), the oral-messages algorithm of Lamport,
// Shostak and Pease ("The Byzantine Generals Problem", TOPLAS 4(3), 1982, §3).
//
// A commander sends an order (attack or retreat) to its n - 1 lieutenants;
// some generals, the commander among them or not, are traitors. Interactive
// consistency asks:
//   IC1  all loyal lieutenants obey the same order;
//   IC2  if the commander is loyal, every loyal lieutenant obeys the order it sends.
// OM(0): the commander sends its value to every lieutenant; each lieutenant
//   uses the value it receives, or RETREAT if it receives none.
// OM(m), m > 0: (1) the commander sends its value to every lieutenant. (2) For
//   each i, let v_i be the value lieutenant i receives from the commander, or
//   RETREAT if none; lieutenant i acts as the commander in OM(m - 1) to send
//   v_i to each of the n - 2 other lieutenants. (3) For each i, and each j != i,
//   let v_j be the value lieutenant i received from lieutenant j in step (2)
//   (using OM(m - 1)), or RETREAT if none. Lieutenant i uses
//   majority(v_1, ..., v_{n-1}) (RETREAT if there is none).
// With m traitors OM(m) reaches interactive consistency when n > 3m; with
// three generals and one traitor no oral-messages algorithm can (the paper's
// Theorem 1), and the explorer prints how a traitor breaks OM(1).
//
// As messages: each carries the chain of generals it went through, from the
// commander ("0"; "02" is the commander's order as lieutenant 2 relays it),
// and a value. A lieutenant relays a message whose chain has at most m
// generals to every general not on the chain, its own id appended; steps (2)
// and (3) of every OM(m - k) are those relays, and the recursion of
// OmGeneral::decision reads them back. The algorithm is synchronous (the
// paper's A3: a missing message is noticed), and a missing value counts as
// RETREAT, so a traitor that withholds a message is one that sends RETREAT:
// the explorer lets a traitor send attack or retreat in place of every
// message its code sends, and never withhold one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "exhaustive/explorer.h"

namespace faultline::protocols::generals {

enum class Order : char { attack = 'A', retreat = 'R' };
const char* order_name(Order order);

class OmGeneral final : public exhaustive::Machine {
  public:
    // General 0 is the commander, with its order; the others are lieutenants.
    OmGeneral(int self, int nodes, int rounds, std::optional<Order> order);

    std::unique_ptr<exhaustive::Machine> clone() const override { return std::make_unique<OmGeneral>(*this); }
    void start(exhaustive::Outbox& out) override;
    void receive(const exhaustive::Message& message, exhaustive::Outbox& out) override;
    void encode(std::string& out) const override;

    // A lieutenant's order under OM(rounds), from what it received.
    Order decision() const;
    // "majority(attack from the commander, retreat from L2) = retreat"
    std::string explain_decision() const;

  private:
    // What this lieutenant takes `chain`'s last general to have said, by
    // OM(m - k) for a chain of k + 1 generals.
    Order value_of(const std::string& chain) const;
    Order received(const std::string& chain) const;

    int self_;
    int nodes_;
    int rounds_;
    std::optional<Order> order_;             // the commander's
    std::map<std::string, Order> received_;  // by chain
};

struct OralMessagesSetup {
    int nodes = 4;           // the commander and nodes - 1 lieutenants
    int rounds = 1;          // m, of OM(m)
    int traitors = 1;        // how many of the generals are traitors (every placement is explored)
    bool one_order = false;  // deliveries commute: explore one order of delivery
};

// Who the traitors are and, if the commander is loyal, its order.
struct Placement {
    std::vector<bool> traitors;  // by general
    Order order = Order::attack;
};
std::string describe_placement(const Placement& placement);

exhaustive::TinySystem oral_messages_system(const OralMessagesSetup& setup, const Placement& placement);
exhaustive::Vocabulary oral_messages_vocabulary();
// IC1 and IC2 over the loyal lieutenants of a final state (nullopt: both hold).
std::optional<std::string> interactive_consistency(const Placement& placement, const exhaustive::State& state);

struct PlacementResult {
    Placement placement;
    exhaustive::ExplorationStats stats;
};

struct OralMessagesResult {
    std::vector<PlacementResult> placements;  // the placements explored, in order
    exhaustive::ExplorationStats total;
    // The first failing placement, and a shortest run of it.
    std::optional<Placement> failing;
    std::optional<exhaustive::Counterexample> counterexample;
};

// Every placement of setup.traitors traitors (a traitor commander once, a
// loyal one with each order), in turn, within `bounds`: max_states counts
// the states of all placements together, and the placements past it are
// not explored (the result says it stopped there).
OralMessagesResult explore_oral_messages(const OralMessagesSetup& setup, const exhaustive::Bounds& bounds);

}  // namespace faultline::protocols::generals
