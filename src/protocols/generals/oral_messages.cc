#include "protocols/generals/oral_messages.h"

#include <fmt/format.h>

#include <algorithm>

namespace faultline::protocols::generals {

namespace {

constexpr int kCommander = 0;

// Chains are strings of general ids, one character each ('0' is the commander).
char id_char(int general) {
    FL_ASSERT_GE(general, 0);
    FL_ASSERT_LT(general, 10);
    return static_cast<char>('0' + general);
}

int general_of(char id) {
    FL_ASSERT(id >= '0' && id <= '9');
    return id - '0';
}

bool on_chain(const std::string& chain, int general) {
    return chain.find(id_char(general)) != std::string::npos;
}

std::string general_name(int general) {
    return general == kCommander ? "the commander" : fmt::format("L{}", general);
}

Order order_of(char value) {
    FL_ASSERT(value == 'A' || value == 'R');
    return static_cast<Order>(value);
}

// The majority of the votes, or RETREAT if there is none (a tie).
Order majority(const std::vector<Order>& votes) {
    const auto attack = std::count(votes.begin(), votes.end(), Order::attack);
    return 2 * attack > static_cast<std::ptrdiff_t>(votes.size()) ? Order::attack : Order::retreat;
}

}  // namespace

const char* order_name(Order order) {
    return order == Order::attack ? "attack" : "retreat";
}

OmGeneral::OmGeneral(int self, int nodes, int rounds, std::optional<Order> order)
    : self_(self), nodes_(nodes), rounds_(rounds), order_(order) {
    FL_ASSERT_GE(nodes, 2);
    FL_ASSERT_LE(nodes, 10);  // one character an id
    FL_ASSERT_GE(rounds, 0);
    FL_ASSERT_LT(rounds, nodes - 1);  // a chain cannot be longer than the lieutenants
    FL_ASSERT_EQ(order.has_value(), self == kCommander);
}

void OmGeneral::start(exhaustive::Outbox& out) {
    if (self_ != kCommander) return;
    // OM(m) step (1).
    for (int lieutenant = 1; lieutenant < nodes_; ++lieutenant) {
        out.send(lieutenant, std::string(1, id_char(kCommander)) + static_cast<char>(*order_));
    }
}

void OmGeneral::receive(const exhaustive::Message& message, exhaustive::Outbox& out) {
    FL_ASSERT_NE(self_, kCommander);  // nobody sends to the commander
    const std::string& body = message.body;
    FL_ASSERT_GE(body.size(), 2u);
    const std::string chain = body.substr(0, body.size() - 1);
    const Order value = order_of(body.back());
    FL_ASSERT_EQ(chain.front(), id_char(kCommander));
    FL_ASSERT_EQ(general_of(chain.back()), message.from);
    FL_ASSERT(!on_chain(chain, self_));
    FL_ASSERT_LE(static_cast<int>(chain.size()), rounds_ + 1);
    const bool first = received_.emplace(chain, value).second;
    FL_ASSERT_MSG(first, "one message a chain");
    // Step (2) of OM(m - k), for the k + 1 generals of the chain: act as the
    // commander of the smaller instance, to every general not on the chain.
    if (static_cast<int>(chain.size()) > rounds_) return;
    const std::string relayed = chain + id_char(self_);
    for (int other = 1; other < nodes_; ++other) {
        if (other == self_ || on_chain(chain, other)) continue;
        out.send(other, relayed + static_cast<char>(value));
    }
}

void OmGeneral::encode(std::string& out) const {
    if (order_) out += static_cast<char>(*order_);
    // The map is ordered by chain: the same messages, the same bytes.
    for (const auto& [chain, value] : received_) {
        out += chain;
        out += static_cast<char>(value);
        out += ';';
    }
}

Order OmGeneral::received(const std::string& chain) const {
    const auto found = received_.find(chain);
    return found == received_.end() ? Order::retreat : found->second;  // none: RETREAT
}

Order OmGeneral::value_of(const std::string& chain) const {
    const int depth_left = rounds_ - (static_cast<int>(chain.size()) - 1);
    FL_ASSERT_GE(depth_left, 0);
    // OM(0): the value received.
    if (depth_left == 0) return received(chain);
    // OM(k), step (3): what the chain's last general said directly, and what
    // each other general relayed of it, by OM(k - 1), then the majority.
    std::vector<Order> votes{received(chain)};
    for (int other = 1; other < nodes_; ++other) {
        if (other == self_ || on_chain(chain, other)) continue;
        votes.push_back(value_of(chain + id_char(other)));
    }
    return majority(votes);
}

Order OmGeneral::decision() const {
    FL_ASSERT_NE(self_, kCommander);
    return value_of(std::string(1, id_char(kCommander)));
}

std::string OmGeneral::explain_decision() const {
    const std::string root(1, id_char(kCommander));
    std::string votes = fmt::format("{} from the commander", order_name(received(root)));
    if (rounds_ > 0) {
        for (int other = 1; other < nodes_; ++other) {
            if (other == self_) continue;
            votes += fmt::format(", {} from L{}", order_name(value_of(root + id_char(other))), other);
        }
        return fmt::format("majority({}) = {}", votes, order_name(decision()));
    }
    return votes;
}

std::string describe_placement(const Placement& placement) {
    std::vector<std::string> traitors;
    for (std::size_t general = 0; general < placement.traitors.size(); ++general) {
        if (placement.traitors[general]) traitors.push_back(general_name(static_cast<int>(general)));
    }
    std::string who = traitors.empty() ? "no traitor" : "traitor" + std::string(traitors.size() > 1 ? "s " : " ");
    for (std::size_t i = 0; i < traitors.size(); ++i) who += (i == 0 ? "" : " and ") + traitors[i];
    if (placement.traitors[kCommander]) return who;
    return fmt::format("{}; the commander orders {}", who, order_name(placement.order));
}

exhaustive::TinySystem oral_messages_system(const OralMessagesSetup& setup, const Placement& placement) {
    FL_ASSERT_EQ(static_cast<int>(placement.traitors.size()), setup.nodes);
    exhaustive::TinySystem system;
    for (int general = 0; general < setup.nodes; ++general) {
        system.nodes.push_back(std::make_shared<OmGeneral>(
            general, setup.nodes, setup.rounds, general == kCommander ? std::optional(placement.order) : std::nullopt));
    }
    system.traitors = placement.traitors;
    // A traitor says attack or retreat in place of whatever its code says.
    system.forgeries = [](const exhaustive::Message& message) {
        const std::string chain = message.body.substr(0, message.body.size() - 1);
        return std::vector<std::string>{chain + 'A', chain + 'R'};
    };
    // A lieutenant files each message under its own chain and relays it, so
    // two deliveries commute.
    system.deliveries_commute = setup.one_order;
    return system;
}

exhaustive::Vocabulary oral_messages_vocabulary() {
    return exhaustive::Vocabulary{
        .name = [](int general) { return general == kCommander ? std::string("commander") : general_name(general); },
        // The sender's words: "L2 said the commander said attack".
        .says =
            [](const exhaustive::Message&, const std::string& body) {
                std::string said;
                for (int i = static_cast<int>(body.size()) - 3; i >= 0; --i) {
                    said += general_name(general_of(body[static_cast<std::size_t>(i)])) + " said ";
                }
                return "\"" + said + order_name(order_of(body.back())) + "\"";
            },
    };
}

std::optional<std::string> interactive_consistency(const Placement& placement, const exhaustive::State& state) {
    std::vector<int> loyal;
    for (int general = 1; general < state.nodes(); ++general) {
        if (!placement.traitors[general]) loyal.push_back(general);
    }
    std::string decisions;
    for (int general : loyal) {
        decisions +=
            fmt::format("\n  L{} decides {}: {}", general, order_name(state.node_as<OmGeneral>(general).decision()),
                        state.node_as<OmGeneral>(general).explain_decision());
    }
    for (int general : loyal) {
        const Order decided = state.node_as<OmGeneral>(general).decision();
        if (!placement.traitors[kCommander] && decided != placement.order) {
            return fmt::format("IC2: the commander is loyal and orders {}, but L{} decides {}{}",
                               order_name(placement.order), general, order_name(decided), decisions);
        }
        const Order first = state.node_as<OmGeneral>(loyal.front()).decision();
        if (decided != first) {
            return fmt::format("IC1: loyal L{} decides {} and loyal L{} decides {}{}", loyal.front(), order_name(first),
                               general, order_name(decided), decisions);
        }
    }
    return std::nullopt;
}

namespace {

// Every set of `count` traitors among `nodes` generals, in lexicographic order
// of their ids (the commander first).
std::vector<std::vector<bool>> traitor_sets(int nodes, int count) {
    std::vector<std::vector<bool>> sets;
    std::vector<bool> chosen(static_cast<std::size_t>(nodes), false);
    std::fill(chosen.begin(), chosen.begin() + count, true);
    // prev_permutation from the first `count` set walks the sets in that order.
    do {
        sets.push_back(chosen);
    } while (std::prev_permutation(chosen.begin(), chosen.end()));
    return sets;
}

}  // namespace

OralMessagesResult explore_oral_messages(const OralMessagesSetup& setup, const exhaustive::Bounds& bounds) {
    FL_ASSERT_GE(setup.traitors, 0);
    FL_ASSERT_LE(setup.traitors, setup.nodes);
    OralMessagesResult result;
    for (const std::vector<bool>& traitors : traitor_sets(setup.nodes, setup.traitors)) {
        // A traitor commander's order is whatever it sends, chosen message by message.
        const std::vector<Order> orders = traitors[kCommander] ? std::vector<Order>{Order::attack}
                                                               : std::vector<Order>{Order::attack, Order::retreat};
        for (Order order : orders) {
            // max_states bounds the whole exploration, every placement together.
            exhaustive::Bounds left = bounds;
            left.max_states = bounds.max_states - static_cast<std::int64_t>(result.total.states);
            if (left.max_states <= 0) {
                result.total.stopped_at_max_states = true;
                return result;
            }
            const Placement placement{traitors, order};
            const exhaustive::Exploration exploration = exhaustive::explore(
                oral_messages_system(setup, placement),
                [&](const exhaustive::State& state) { return interactive_consistency(placement, state); }, left);
            result.placements.push_back(PlacementResult{placement, exploration.stats});
            result.total.add(exploration.stats);
            if (exploration.counterexample && !result.counterexample) {
                result.failing = placement;
                result.counterexample = exploration.counterexample;
            }
            // A search stopped by its budget: the next placements would find none left.
            if (exploration.stats.stopped_at_max_states || exploration.stats.stopped_at_max_memory) return result;
        }
    }
    return result;
}

}  // namespace faultline::protocols::generals
