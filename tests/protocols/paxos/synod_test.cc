// The Synod rules (synod.h), driven through many interleavings: at most one
// value is ever chosen when proposers keep P2c, and a proposer that ignores
// what the promises report gets a second value chosen.
#include "protocols/paxos/synod.h"

#include <gtest/gtest.h>

#include <set>

#include "base/prng.h"

namespace faultline::protocols::paxos {
namespace {

TEST(SynodAcceptor, RefusesBallotsBelowItsPromise) {
    SynodAcceptor acceptor;
    EXPECT_TRUE(acceptor.prepare(Ballot{2, 1}));
    EXPECT_FALSE(acceptor.prepare(Ballot{1, 9}));
    EXPECT_FALSE(acceptor.accept(Ballot{2, 0}, "low"));
    EXPECT_TRUE(acceptor.accept(Ballot{2, 1}, "v"));
    EXPECT_TRUE(acceptor.prepare(Ballot{2, 1}));  // a duplicate prepare is answered again
    EXPECT_EQ(acceptor.accepted(), (Accepted{Ballot{2, 1}, "v"}));
    // Accepting a higher ballot raises the promise with it.
    EXPECT_TRUE(acceptor.accept(Ballot{5, 0}, "w"));
    EXPECT_EQ(acceptor.promised(), (Ballot{5, 0}));
    EXPECT_FALSE(acceptor.prepare(Ballot{4, 3}));
}

TEST(SynodProposer, ProposesTheHighestAcceptedValueAMajorityReports) {
    SynodProposer proposer(5, Ballot{7, 2}, "mine");
    EXPECT_FALSE(proposer.on_promise(0, Accepted{Ballot{3, 1}, "old"}).has_value());
    EXPECT_FALSE(proposer.on_promise(0, std::nullopt).has_value());  // a duplicate counts once
    EXPECT_FALSE(proposer.on_promise(1, Accepted{Ballot{5, 4}, "newer"}).has_value());
    EXPECT_EQ(proposer.on_promise(2, std::nullopt), std::optional<Value>("newer"));
    EXPECT_FALSE(proposer.on_promise(3, std::nullopt).has_value());  // proposes once
    EXPECT_FALSE(proposer.on_accepted(0));
    EXPECT_FALSE(proposer.on_accepted(0));
    EXPECT_FALSE(proposer.on_accepted(1));
    EXPECT_TRUE(proposer.on_accepted(4));
}

TEST(SynodProposer, ChoosesFreelyWhenNothingWasAccepted) {
    SynodProposer proposer(3, Ballot{1, 0}, "mine");
    EXPECT_FALSE(proposer.on_promise(2, std::nullopt).has_value());
    EXPECT_EQ(proposer.on_promise(0, std::nullopt), std::optional<Value>("mine"));
}

// Acceptors, and proposers that each try one ballot after another, with every
// message delivered (or lost) in an order drawn from the seed. Returns the
// values chosen (accepted by a majority in one ballot).
std::set<Value> run_synod(std::uint64_t seed, int acceptors, int proposers, bool keep_p2c) {
    Prng random(seed);
    std::vector<SynodAcceptor> state(static_cast<std::size_t>(acceptors));
    struct Msg {
        enum Kind { prepare, promise, accept, accepted } kind;
        int proposer;
        int acceptor;
        Ballot ballot;
        std::optional<Accepted> reported;
        Value value;
    };
    std::vector<Msg> in_flight;
    std::vector<SynodProposer> proposer;
    for (int p = 0; p < proposers; ++p) {
        proposer.emplace_back(acceptors, Ballot{1, static_cast<std::uint32_t>(p)}, "value-" + std::to_string(p));
    }
    std::map<std::pair<Ballot, Value>, std::set<int>> votes;
    std::set<Value> chosen;
    auto start = [&](int p, std::uint64_t round) {
        proposer[static_cast<std::size_t>(p)] =
            SynodProposer(acceptors, Ballot{round, static_cast<std::uint32_t>(p)}, "value-" + std::to_string(p));
        for (int a = 0; a < acceptors; ++a)
            in_flight.push_back({Msg::prepare, p, a, {round, std::uint32_t(p)}, {}, {}});
    };
    for (int p = 0; p < proposers; ++p) start(p, 1);
    for (int step = 0; step < 4000 && !in_flight.empty(); ++step) {
        const std::size_t pick = random.below(in_flight.size());
        Msg msg = in_flight[pick];
        in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(pick));
        if (random.chance(0.1)) continue;  // lost
        if (random.chance(0.05)) {
            // A proposer gives up on its ballot and tries a higher one.
            const int p = static_cast<int>(random.below(static_cast<std::uint64_t>(proposers)));
            start(p, proposer[static_cast<std::size_t>(p)].ballot().round + 1 + random.below(3));
        }
        SynodProposer& mine = proposer[static_cast<std::size_t>(msg.proposer)];
        SynodAcceptor& acceptor = state[static_cast<std::size_t>(msg.acceptor)];
        switch (msg.kind) {
            case Msg::prepare:
                if (acceptor.prepare(msg.ballot)) {
                    in_flight.push_back(
                        {Msg::promise, msg.proposer, msg.acceptor, msg.ballot, acceptor.accepted(), {}});
                }
                break;
            case Msg::promise:
                if (msg.ballot != mine.ballot()) break;
                if (auto value = mine.on_promise(msg.acceptor, keep_p2c ? msg.reported : std::nullopt)) {
                    for (int a = 0; a < acceptors; ++a) {
                        in_flight.push_back({Msg::accept, msg.proposer, a, msg.ballot, {}, *value});
                    }
                }
                break;
            case Msg::accept:
                if (acceptor.accept(msg.ballot, msg.value)) {
                    std::set<int>& voters = votes[{msg.ballot, msg.value}];
                    voters.insert(msg.acceptor);
                    if (static_cast<int>(voters.size()) > acceptors / 2) chosen.insert(msg.value);
                    in_flight.push_back({Msg::accepted, msg.proposer, msg.acceptor, msg.ballot, {}, msg.value});
                }
                break;
            case Msg::accepted:
                if (msg.ballot == mine.ballot()) mine.on_accepted(msg.acceptor);
                break;
        }
    }
    return chosen;
}

TEST(Synod, AtMostOneValueIsChosenInAnyInterleaving) {
    int decided = 0;
    for (std::uint64_t seed = 1; seed <= 400; ++seed) {
        const std::set<Value> chosen = run_synod(seed, seed % 2 == 0 ? 3 : 5, 2 + static_cast<int>(seed % 3), true);
        EXPECT_LE(chosen.size(), 1u) << "seed " << seed;
        decided += chosen.empty() ? 0 : 1;
    }
    EXPECT_GT(decided, 200);  // the interleavings do reach decisions
}

TEST(Synod, AProposerThatIgnoresThePromisesGetsASecondValueChosen) {
    int broken = 0;
    for (std::uint64_t seed = 1; seed <= 400; ++seed) {
        if (run_synod(seed, seed % 2 == 0 ? 3 : 5, 2 + static_cast<int>(seed % 3), false).size() > 1) ++broken;
    }
    EXPECT_GT(broken, 0);
}

}  // namespace
}  // namespace faultline::protocols::paxos
