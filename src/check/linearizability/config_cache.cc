#include "check/linearizability/config_cache.h"

#include <algorithm>
#include <limits>

namespace faultline::check::lin {

bool ConfigCache::matches(const Slot& slot, std::uint64_t hash, const OpSet& set,
                          std::uint64_t state) const {
    if (slot.hash != hash || slot.state != state || slot.full != set.full() ||
        slot.middle != set.middle_words() || slot.optional != set.optional_words()) {
        return false;
    }
    const std::uint64_t* stored = arena_.data() + slot.offset;
    return std::equal(stored, stored + slot.middle, set.middle()) &&
           std::equal(stored + slot.middle, stored + slot.middle + slot.optional, set.optional());
}

bool ConfigCache::contains(const OpSet& set, std::uint64_t state) const {
    const std::uint64_t hash = combine(set, state);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
        const Slot& slot = slots_[at];
        if (slot.hash == 0) return false;
        if (matches(slot, hash, set, state)) return true;
    }
}

bool ConfigCache::insert(const OpSet& set, std::uint64_t state) {
    const std::uint64_t hash = combine(set, state);
    std::size_t mask = slots_.size() - 1;
    std::size_t at = hash & mask;
    for (;; at = (at + 1) & mask) {
        const Slot& slot = slots_[at];
        if (slot.hash == 0) break;
        if (matches(slot, hash, set, state)) return false;
    }
    FL_ASSERT_LE(set.middle_words(), std::numeric_limits<std::uint16_t>::max());
    FL_ASSERT_LE(set.optional_words(), std::numeric_limits<std::uint16_t>::max());
    FL_ASSERT_LE(arena_.size(), std::numeric_limits<std::uint32_t>::max() - 0x20000ULL);
    Slot slot;
    slot.hash = hash;
    slot.state = state;
    slot.offset = static_cast<std::uint32_t>(arena_.size());
    slot.full = set.full();
    slot.middle = static_cast<std::uint16_t>(set.middle_words());
    slot.optional = static_cast<std::uint16_t>(set.optional_words());
    arena_.insert(arena_.end(), set.middle(), set.middle() + slot.middle);
    arena_.insert(arena_.end(), set.optional(), set.optional() + slot.optional);
    slots_[at] = slot;
    ++size_;
    if (size_ * 10 > slots_.size() * 7) grow();
    return true;
}

void ConfigCache::grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
        if (slot.hash == 0) continue;
        std::size_t at = slot.hash & mask;
        while (slots_[at].hash != 0) at = (at + 1) & mask;
        slots_[at] = slot;
    }
}

}  // namespace faultline::check::lin
