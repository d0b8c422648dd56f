#include "protocols/paxos/messages.h"

#include "base/json.h"

namespace faultline::protocols::paxos {

namespace {

Json ballot_json(Ballot ballot) {
    return Json::array({ballot.round, ballot.node});
}

std::uint64_t ballot_word(Ballot ballot) {
    return ballot.round * 0x10000 + ballot.node;
}

std::uint32_t values_bytes(const std::vector<SlotValue>& values) {
    std::uint64_t bytes = 0;
    for (const SlotValue& each : values) bytes += 12 + each.value.size();
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes, 1u << 30));
}

std::uint64_t values_digest(const std::vector<SlotValue>& values, std::uint64_t seed) {
    for (const SlotValue& each : values) seed = hash_words({seed, each.slot, value_digest(each.value)});
    return seed;
}

Json values_json(const std::vector<SlotValue>& values) {
    Json out = Json::array();
    for (const SlotValue& each : values) out.push_back(Json::array({each.slot, each.value.size()}));
    return out;
}

}  // namespace

Json Prepare::to_json() const {
    return Json{{"type", type()}, {"ballot", ballot_json(ballot)}, {"from_slot", from_slot}};
}
std::uint64_t Prepare::digest() const {
    return hash_words({1, ballot_word(ballot), from_slot});
}

Json Promise::to_json() const {
    Json slots = Json::array();
    for (const auto& [slot, accepted_value] : accepted) {
        slots.push_back(Json::array({slot, ballot_json(accepted_value.ballot)}));
    }
    return Json{
        {"type", type()}, {"ballot", ballot_json(ballot)}, {"accepted", slots}, {"chosen", values_json(chosen)}};
}
std::uint32_t Promise::size_bytes() const {
    std::uint64_t bytes = 24 + values_bytes(chosen);
    for (const auto& each : accepted) bytes += 24 + each.second.value.size();
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes, 1u << 30));
}
std::uint64_t Promise::digest() const {
    std::uint64_t seed = hash_words({2, ballot_word(ballot)});
    for (const auto& [slot, each] : accepted) seed = hash_words({seed, slot, ballot_word(each.ballot)});
    return values_digest(chosen, seed);
}

Json Nack::to_json() const {
    return Json{{"type", type()}, {"ballot", ballot_json(ballot)}, {"promised", ballot_json(promised)}};
}
std::uint64_t Nack::digest() const {
    return hash_words({3, ballot_word(ballot), ballot_word(promised)});
}

Json Accept::to_json() const {
    return Json{{"type", type()},
                {"ballot", ballot_json(ballot)},
                {"slots", values_json(entries)},
                {"chosen_below", chosen_below}};
}
std::uint32_t Accept::size_bytes() const {
    return 32 + values_bytes(entries);
}
std::uint64_t Accept::digest() const {
    return values_digest(entries, hash_words({4, ballot_word(ballot), chosen_below}));
}

Json AcceptedReply::to_json() const {
    return Json{{"type", type()}, {"ballot", ballot_json(ballot)}, {"slots", slots}};
}
std::uint64_t AcceptedReply::digest() const {
    std::uint64_t seed = hash_words({5, ballot_word(ballot)});
    for (Slot slot : slots) seed = hash_words({seed, slot});
    return seed;
}

Json CatchUpRequest::to_json() const {
    return Json{{"type", type()}, {"from_slot", from_slot}};
}
std::uint64_t CatchUpRequest::digest() const {
    return hash_words({6, from_slot});
}

Json CatchUpReply::to_json() const {
    return Json{{"type", type()}, {"chosen", values_json(chosen)}, {"chosen_below", chosen_below}};
}
std::uint32_t CatchUpReply::size_bytes() const {
    return 16 + values_bytes(chosen);
}
std::uint64_t CatchUpReply::digest() const {
    return values_digest(chosen, hash_words({7, chosen_below}));
}

}  // namespace faultline::protocols::paxos
