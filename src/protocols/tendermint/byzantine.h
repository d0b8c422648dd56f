// ByzantineValidator: a Tendermint validator gone bad, for the Byzantine
// nemesis (nemesis/byzantine.h).
//
// It runs the correct core (validator.h) through an InterceptedContext and
// rewrites what the core sends, as protocols/pbft/byzantine.h does. Its
// behaviour is fixed for the run; it signs only as itself.
//
//   double-sign  its own prevotes and precommits go out as cast to even
//                validators and as a different vote (nil for a block, a
//                block no one proposed for nil) to odd ones: duplicate votes,
//                which the others relay to each other and catch.
//   amnesia      forgets its lock: in a round after the one it locked in, it
//                prevotes that round's proposal whatever its lock says (as
//                proposer it forgets its validValue and proposes a new block,
//                which it then prevotes); and it
//                precommits nil where it locked, so that such rounds come
//                whenever a correct validator is cut off. It sends one vote
//                per step; only the commits its core passes on (which hold
//                the precommits it withheld) can convict it.
//   fork         colludes with the other fork validators: to the upper half
//                of the correct validators it tells a second story (its own
//                proposals as a variant block without the commands, its votes
//                for a block as votes for that variant); to the rest, and to
//                its accomplices, the truth. With at least 1/3 of the power
//                the two halves commit different blocks at one height, and
//                the relayed votes convict exactly the colluders.
#pragma once

#include <deque>
#include <map>
#include <tuple>
#include <vector>

#include "node/intercepted_context.h"
#include "node/node.h"
#include "protocols/tendermint/validator.h"

namespace faultline::protocols::tendermint {

enum class Behaviour : std::uint8_t { double_sign, amnesia, fork };
inline constexpr Behaviour kBehaviours[] = {Behaviour::double_sign, Behaviour::amnesia, Behaviour::fork};
const char* behaviour_name(Behaviour behaviour);

// The second story of a block: the same height and last commit, variant 1, no
// commands.
BlockPtr variant_of(const Block& block);

class ByzantineValidator final : public Node {
  public:
    // `colluders`: the indices of every fork validator of the run (itself included).
    ByzantineValidator(TendermintOptions options, Behaviour behaviour, std::vector<std::uint32_t> colluders)
        : inner_(std::move(options)), behaviour_(behaviour), colluders_(std::move(colluders)) {}

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    const Validator& inner() const { return inner_; }
    Behaviour behaviour() const { return behaviour_; }
    // Messages it sent other than as the correct core would.
    std::uint64_t lies() const { return lies_; }
    // Amnesia: prevotes it sent against its lock.
    std::uint64_t against_lock() const { return against_lock_; }

  private:
    friend class InterceptedContext<ByzantineValidator>;

    void outgoing(Context& ctx, NodeId to, MessagePtr message);
    void remember(const Block& block);
    bool told_otherwise(Context& ctx, NodeId to) const;
    std::uint32_t index_of(Context& ctx, NodeId node) const;
    std::shared_ptr<Vote> recast(const Vote& vote, BlockId block) const;

    Validator inner_;
    Behaviour behaviour_;
    std::vector<std::uint32_t> colluders_;
    std::map<BlockId, BlockId> variants_;  // fork: the id of a block's second story
    std::deque<BlockId> order_;            // variants_ in the order they came, to forget the oldest
    std::map<Round, BlockId> fresh_;       // amnesia: the new blocks it proposed this height
    std::map<std::tuple<Height, Round, VoteType>, MessagePtr> said_;  // amnesia: its vote per step
    std::uint64_t lies_ = 0;
    std::uint64_t against_lock_ = 0;
};

}  // namespace faultline::protocols::tendermint
