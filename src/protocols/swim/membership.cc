#include "protocols/swim/membership.h"

#include <algorithm>
#include <cmath>

#include "base/assert.h"

namespace faultline::protocols::swim {

const char* member_state_name(MemberState state) {
    switch (state) {
        case MemberState::alive:
            return "alive";
        case MemberState::suspect:
            return "suspect";
        case MemberState::dead:
            return "dead";
    }
    return "?";
}

bool overrides(MemberState state, std::uint32_t incarnation, MemberState known, std::uint32_t known_incarnation) {
    switch (state) {
        case MemberState::alive:
            return incarnation > known_incarnation;
        case MemberState::suspect:
            if (known == MemberState::dead) return false;  // only the member's own alive(i+1) revives it
            return known == MemberState::alive ? incarnation >= known_incarnation : incarnation > known_incarnation;
        case MemberState::dead:
            return known != MemberState::dead && incarnation >= known_incarnation;
    }
    return false;
}

void BroadcastQueue::push(const Update& update) {
    FL_ASSERT_NE(update.member, kNobody);
    auto same = std::find_if(entries_.begin(), entries_.end(),
                             [&](const Entry& entry) { return entry.update.member == update.member; });
    if (same != entries_.end()) entries_.erase(same);
    entries_.push_back(Entry{update, 0, ++pushes_});
}

std::vector<Update> BroadcastQueue::take(std::size_t max, int limit, NodeId first) {
    FL_ASSERT_GT(limit, 0);
    // Fewest sent first, then newest: fresh news travels before old news.
    std::sort(entries_.begin(), entries_.end(), [first](const Entry& a, const Entry& b) {
        const bool a_first = a.update.member == first, b_first = b.update.member == first;
        if (a_first != b_first) return a_first;
        if (a.sent != b.sent) return a.sent < b.sent;
        return a.order > b.order;
    });
    std::vector<Update> out;
    for (std::size_t i = 0; i < entries_.size() && out.size() < max; ++i) {
        out.push_back(entries_[i].update);
        ++entries_[i].sent;
    }
    std::erase_if(entries_, [limit](const Entry& entry) { return entry.sent >= limit; });
    FL_ASSERT_LE(out.size(), max);
    return out;
}

int retransmit_limit(int retransmit_mult, std::size_t members) {
    FL_ASSERT_GT(retransmit_mult, 0);
    const int scale = static_cast<int>(std::ceil(std::log10(static_cast<double>(members) + 1.0)));
    return retransmit_mult * std::max(1, scale);
}

Nanos suspicion_timeout_min(int suspicion_mult, std::size_t members, Nanos probe_interval) {
    FL_ASSERT_GT(suspicion_mult, 0);
    const double scale = std::max(1.0, std::log10(std::max<double>(1.0, static_cast<double>(members))));
    return static_cast<Nanos>(suspicion_mult * scale * static_cast<double>(probe_interval));
}

Nanos suspicion_timeout(Nanos min, Nanos max, int confirmations, int wanted) {
    FL_ASSERT_LE(min, max);
    FL_ASSERT_GE(confirmations, 0);
    if (wanted < 1) return min;
    const double fraction = std::log(confirmations + 1.0) / std::log(wanted + 1.0);
    const auto shrunk = static_cast<Nanos>(static_cast<double>(max) - static_cast<double>(max - min) * fraction);
    return std::max(min, shrunk);
}

void Awareness::apply(int delta) {
    score_ = std::clamp(score_ + delta, 0, max_ - 1);
}

}  // namespace faultline::protocols::swim
