#include "protocols/gossip/gossip.h"

#include <algorithm>
#include <iterator>
#include <limits>

#include "base/assert.h"
#include "base/hash.h"
#include "base/json.h"
#include "node/wire_codec.h"
#include "protocols/broadcast/broadcast.h"

namespace faultline::protocols::gossip {

namespace {

constexpr std::uint64_t kRoundTag = 0;
constexpr std::uint64_t kAntiEntropyTag = 1;

constexpr struct {
    Mode mode;
    const char* name;
} kModeNames[] = {{Mode::push, "push"}, {Mode::pull, "pull"}, {Mode::push_pull, "push-pull"}};

}  // namespace

const char* mode_name(Mode mode) {
    for (const auto& entry : kModeNames) {
        if (entry.mode == mode) return entry.name;
    }
    FL_UNREACHABLE();
}

std::optional<Mode> parse_mode(std::string_view name) {
    for (const auto& entry : kModeNames) {
        if (name == entry.name) return entry.mode;
    }
    return std::nullopt;
}

bool IdRanges::contains(std::int64_t id) const {
    auto after = std::upper_bound(ranges_.begin(), ranges_.end(), id,
                                  [](std::int64_t value, const Range& range) { return value < range.first; });
    return after != ranges_.begin() && id <= std::prev(after)->second;
}

bool IdRanges::insert(std::int64_t id) {
    FL_ASSERT_LT(id, std::numeric_limits<std::int64_t>::max());  // id + 1 below must not overflow
    // The first range that starts after id, and the one before it.
    auto after = std::upper_bound(ranges_.begin(), ranges_.end(), id,
                                  [](std::int64_t value, const Range& range) { return value < range.first; });
    if (after != ranges_.begin() && id <= std::prev(after)->second) return false;
    ++size_;
    const bool joins_before = after != ranges_.begin() && std::prev(after)->second + 1 == id;
    const bool joins_after = after != ranges_.end() && id + 1 == after->first;
    if (joins_before && joins_after) {
        std::prev(after)->second = after->second;
        ranges_.erase(after);
    } else if (joins_before) {
        std::prev(after)->second = id;
    } else if (joins_after) {
        after->first = id;
    } else {
        ranges_.insert(after, Range{id, id});
    }
    return true;
}

std::vector<std::int64_t> IdRanges::missing_from(const std::vector<Range>& other) const {
    std::vector<std::int64_t> missing;
    auto theirs = other.begin();
    for (const auto& [first, last] : ranges_) {
        std::int64_t id = first;
        while (id <= last) {
            while (theirs != other.end() && theirs->second < id) ++theirs;
            if (theirs == other.end() || theirs->first > last) {
                for (; id <= last; ++id) missing.push_back(id);
                break;
            }
            for (; id < theirs->first; ++id) missing.push_back(id);
            if (theirs->second >= last) break;
            id = theirs->second + 1;
        }
    }
    return missing;
}

std::set<std::int64_t> IdRanges::ids() const {
    std::set<std::int64_t> out;
    for (const auto& [first, last] : ranges_) {
        for (std::int64_t id = first; id <= last; ++id) out.insert(out.end(), id);
    }
    return out;
}

nlohmann::json Rumours::to_json() const {
    return Json{{"type", type()}, {"messages", ids}};
}

std::uint64_t Rumours::digest() const {
    return hash_bytes(ids.data(), ids.size() * sizeof(std::int64_t), (reply_wanted ? 1 : 0) + (anti_entropy ? 2 : 0));
}

nlohmann::json Digest::to_json() const {
    return Json{{"type", type()}, {"ranges", ranges}};
}

std::uint64_t Digest::digest() const {
    return hash_bytes(ranges.data(), ranges.size() * sizeof(ranges[0]), 3);
}

GossipNode::GossipNode(const GossipOptions& options, GossipSink* sink) : options_(options), sink_(sink) {
    FL_ASSERT(sink_ != nullptr);
    FL_ASSERT(options_.fanout >= 1 && options_.fanout <= kFanoutMax);
    FL_ASSERT(options_.hot_rounds >= 1 && options_.hot_rounds <= kHotRoundsMax);
    FL_ASSERT_GT(options_.round_interval, 0);
    FL_ASSERT_GE(options_.anti_entropy_interval, 0);
}

void GossipNode::start(Context& ctx) {
    ctx.set_timer(options_.round_interval, kRoundTag);
    if (options_.anti_entropy_interval > 0) ctx.set_timer(options_.anti_entropy_interval, kAntiEntropyTag);
}

void GossipNode::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    if (tag == kRoundTag) {
        run_round(ctx);
        ctx.set_timer(options_.round_interval, kRoundTag);
        return;
    }
    FL_ASSERT_EQ(tag, kAntiEntropyTag);
    anti_entropy(ctx);
    ctx.set_timer(options_.anti_entropy_interval, kAntiEntropyTag);
}

void GossipNode::cool() {
    // Cooled rumours leave the front: hot_ is in the order learnt, and every
    // rumour stays hot for the same number of rounds.
    auto cooled = std::find_if(hot_.begin(), hot_.end(), [&](const Hot& h) { return h.until_round >= round_; });
    for (auto it = hot_.begin(); it != cooled; ++it) {
        auto found = std::lower_bound(hot_sorted_.begin(), hot_sorted_.end(), it->rumour);
        FL_ASSERT(found != hot_sorted_.end() && *found == it->rumour);
        hot_sorted_.erase(found);
    }
    hot_.erase(hot_.begin(), cooled);
    FL_ASSERT_EQ(hot_.size(), hot_sorted_.size());
}

void GossipNode::run_round(Context& ctx) {
    ++round_;
    cool();
    const std::vector<std::int64_t>& hot = hot_rumours();
    if (options_.mode == Mode::push && hot.empty()) return;  // nothing to say, nothing to ask
    const bool reply_wanted = options_.mode != Mode::push;
    for (NodeId peer : random_peers(ctx, options_.fanout)) {
        send(ctx, peer, options_.mode == Mode::pull ? std::vector<std::int64_t>{} : hot, reply_wanted);
    }
}

void GossipNode::anti_entropy(Context& ctx) {
    auto peers = random_peers(ctx, 1);
    if (peers.empty()) return;
    auto digest = std::make_shared<Digest>();
    digest->ranges = known_.ranges();
    ctx.send(peers.front(), std::move(digest));
}

std::vector<NodeId> random_peers(Context& ctx, int count) {
    const auto cluster = ctx.cluster();
    std::vector<NodeId> others;
    others.reserve(cluster.size());
    for (NodeId node : cluster) {
        if (node != ctx.self()) others.push_back(node);
    }
    // A partial Fisher-Yates shuffle: the first `count` are a uniform sample.
    const std::size_t take = std::min(others.size(), static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < take; ++i) {
        const std::size_t j = i + static_cast<std::size_t>(ctx.random().below(others.size() - i));
        std::swap(others[i], others[j]);
    }
    others.resize(take);
    return others;
}

void GossipNode::send(Context& ctx, NodeId to, std::vector<std::int64_t> ids, bool reply_wanted) {
    FL_ASSERT_NE(to, ctx.self());
    sink_->carried(ctx.self(), ids);
    auto message = std::make_shared<Rumours>();
    message->ids = std::move(ids);
    message->reply_wanted = reply_wanted;
    ctx.send(to, std::move(message));
}

bool GossipNode::learn(Context& ctx, std::int64_t rumour, bool hot, bool from_client) {
    if (!known_.insert(rumour)) return false;
    sink_->learnt(ctx.self(), rumour, from_client);
    if (hot) {
        hot_.push_back(Hot{rumour, round_ + static_cast<std::uint64_t>(options_.hot_rounds)});
        hot_sorted_.insert(std::lower_bound(hot_sorted_.begin(), hot_sorted_.end(), rumour), rumour);
    }
    return true;
}

void GossipNode::on_message(Context& ctx, const Envelope& envelope) {
    if (const auto* rumours = message_as<Rumours>(*envelope.message)) {
        for (std::int64_t id : rumours->ids) learn(ctx, id, !rumours->anti_entropy, false);
        if (!rumours->reply_wanted) return;
        // Answer with the hot rumours the caller did not just send.
        std::vector<std::int64_t> answer;
        std::set_difference(hot_sorted_.begin(), hot_sorted_.end(), rumours->ids.begin(), rumours->ids.end(),
                            std::back_inserter(answer));
        if (!answer.empty()) send(ctx, envelope.from, std::move(answer), false);
        return;
    }
    if (const auto* digest = message_as<Digest>(*envelope.message)) {
        std::vector<std::int64_t> missing = known_.missing_from(digest->ranges);
        if (missing.empty()) return;
        sink_->carried(ctx.self(), missing);
        auto answer = std::make_shared<Rumours>();
        answer->ids = std::move(missing);
        answer->anti_entropy = true;
        ctx.send(envelope.from, std::move(answer));
        return;
    }
    const auto* request = message_as<broadcast::BroadcastRequest>(*envelope.message);
    if (request == nullptr) {
        ctx.log("gossip: ignored an unknown message");
        return;
    }
    auto reply = std::make_shared<broadcast::BroadcastReply>();
    reply->in_reply_to = request->msg_id;
    reply->read = request->read;
    if (request->read) {
        const std::set<std::int64_t> ids = known_.ids();
        reply->values.assign(ids.begin(), ids.end());
    } else {
        learn(ctx, request->value, true, true);
    }
    ctx.send(envelope.from, std::move(reply));
}

// Wire codecs (node/wire_codec.h) of the messages between servers.
namespace {

Json encode_rumours(const Rumours& m) {
    return Json{{"messages", m.ids}, {"reply_wanted", m.reply_wanted}, {"anti_entropy", m.anti_entropy}};
}
std::shared_ptr<Rumours> decode_rumours(const Json& json) {
    auto m = std::make_shared<Rumours>();
    m->ids = json.at("messages").get<std::vector<std::int64_t>>();
    m->reply_wanted = json.at("reply_wanted").get<bool>();
    m->anti_entropy = json.at("anti_entropy").get<bool>();
    return m;
}
Json encode_digest(const Digest& m) {
    return Json{{"ranges", m.ranges}};
}
std::shared_ptr<Digest> decode_digest(const Json& json) {
    auto m = std::make_shared<Digest>();
    m->ranges = json.at("ranges").get<std::vector<std::pair<std::int64_t, std::int64_t>>>();
    return m;
}

const WireCodecRegistration wire_codecs[] = {
    WireCodecRegistration{
        wire_codec<Rumours>({"rumours", "rumours_call", "rumours_missing"}, encode_rumours, decode_rumours)},
    WireCodecRegistration{wire_codec<Digest>({"rumours_digest"}, encode_digest, decode_digest)},
};

}  // namespace

}  // namespace faultline::protocols::gossip
