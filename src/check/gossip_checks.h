// The gossip checks: did every rumour reach every node, and how fast.
//
// A history (god's view, from the nodes' reports) holds each rumour with the
// node a client gave it to and when, and the first time each node learnt it;
// which nodes never crashed (steady); and what every node up at the end knows.
//
//   dissemination   every rumour that a steady node knew (or was given) is
//                   known at the end, after the heal and a settle time, by
//                   every node that is up, restarted ones included
//   gossip-rounds   the median, over rumours given to steady nodes before
//                   `timed_until`, of the rounds until every steady node knew
//                   the rumour is at most `factor` x (log2 N + ln N), N the
//                   cluster size; a rumour some steady node never learnt
//                   counts as never covered (infinitely many rounds)
//
// Why log2 N + ln N: it is the expected number of rounds push gossip with
// fan-out 1 takes to reach all N nodes on a lossless network (Frieze and
// Grimmett 1985; Pittel 1987: log2 N + ln N + O(1)). Pulling and larger
// fan-outs are faster (push-pull: log3 N + O(log log N), Karp et al. 2000),
// so a working configuration sits well inside the bound at factor 1, and
// loss, which thins every round, pushes fan-out 1 push past it. A round is
// counted from the rumour's arrival at its first node, on true time:
// rounds = ceil(elapsed / round_interval).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/time.h"
#include "check/outcome.h"

namespace faultline::check {

struct GossipRumour {
    std::int64_t id = 0;
    int given_to = 0;    // the node a client gave it to
    Nanos given_at = 0;  // when
    // By node: when it first learnt the rumour (-1: never).
    std::vector<Nanos> learnt_at;
    std::uint64_t copies = 0;  // messages that carried it
};

struct GossipHistory {
    std::vector<std::string> names;                    // by node
    std::vector<bool> steady;                          // by node: never crashed
    std::vector<bool> up_at_end;                       // by node
    std::vector<std::set<std::int64_t>> known_at_end;  // by node (empty when down)
    std::vector<GossipRumour> rumours;
    Nanos round_interval = milliseconds(100);
    Nanos timed_until = 0;              // rumours given later are not timed (the run ends before they could spread)
    std::uint64_t server_messages = 0;  // every message between nodes, for the cost per rumour

    int nodes() const { return static_cast<int>(names.size()); }
    // Builders, for systems and tests.
    void add_node(std::string name);
    // A rumour given to `node` at `at` (its learnt_at[node] is `at`).
    GossipRumour& add_rumour(std::int64_t id, int node, Nanos at);
};

// log2 N + ln N.
double gossip_expected_rounds(int nodes);

Outcome check_dissemination(const GossipHistory& history);
Outcome check_gossip_rounds(const GossipHistory& history, double factor);

}  // namespace faultline::check
