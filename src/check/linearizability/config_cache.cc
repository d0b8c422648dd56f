#include "check/linearizability/config_cache.h"

#include <algorithm>
#include <limits>

namespace faultline::check::lin {

std::uint32_t ConfigCache::append(const std::uint64_t* words, std::size_t count) {
    FL_ASSERT_LE(arena_.size() + count, std::numeric_limits<std::uint32_t>::max() - 1ULL);
    const auto at = static_cast<std::uint32_t>(arena_.size());
    arena_.insert(arena_.end(), words, words + count);
    return at;
}

bool ConfigCache::same_key(const Slot& slot, std::uint64_t hash, const OpSet& set, std::uint64_t state) const {
    if (slot.hash != hash || slot.state != state || slot.full != set.full() || slot.middle != set.middle_words()) {
        return false;
    }
    const std::uint64_t* stored = arena_.data() + slot.offset + (dominance_ ? 0 : 1);
    if (!std::equal(stored, stored + slot.middle, set.middle())) return false;
    if (dominance_) return true;
    return slot.optional == set.optional_words() &&
           std::equal(stored + slot.middle, stored + slot.middle + slot.optional, set.optional());
}

bool ConfigCache::insert_optional(Slot& slot, const OpSet& set, Handle* handle, std::uint64_t* note) {
    // List entries: a header word (next entry's offset << 32 | word count), the
    // note, then the words of one optional set.
    const std::uint32_t words = set.optional_words();
    const std::uint64_t* current = set.optional();
    std::uint32_t previous = kNone;  // the entry whose link points at `at` (kNone: the slot)
    for (std::uint32_t at = slot.list; at != kNone;) {
        const std::uint64_t header = arena_[at];
        const auto next = static_cast<std::uint32_t>(header >> 32);
        const auto count = static_cast<std::uint32_t>(header);
        const std::uint64_t* stored = arena_.data() + at + 2;
        bool stored_in_current = true;  // stored ⊆ current
        bool current_in_stored = true;  // current ⊆ stored
        for (std::uint32_t w = 0; w < std::max(count, words); ++w) {
            const std::uint64_t s = w < count ? stored[w] : 0;
            const std::uint64_t c = w < words ? current[w] : 0;
            if (s & ~c) stored_in_current = false;
            if (c & ~s) current_in_stored = false;
        }
        if (stored_in_current) {
            // Dominated. With notes wanted, only by a configuration that already
            // failed: one still being explored has no note to give yet.
            if (note == nullptr || arena_[at + 1] != 0) {
                if (note != nullptr) *note = arena_[at + 1];
                return false;
            }
            previous = at;
        } else if (current_in_stored) {
            // Dominated by the new set: unlink it.
            if (previous == kNone) {
                slot.list = next;
            } else {
                arena_[previous] = (static_cast<std::uint64_t>(next) << 32) | (arena_[previous] & 0xffffffffu);
            }
        } else {
            previous = at;
        }
        at = next;
    }
    const std::uint64_t header[2] = {(static_cast<std::uint64_t>(slot.list) << 32) | words, 0};
    const std::uint32_t at = append(header, 2);
    append(current, words);
    slot.list = at;
    if (handle != nullptr) *handle = at + 1;
    return true;
}

bool ConfigCache::known(const OpSet& set, std::uint64_t state) const {
    const std::uint64_t hash = hash_of(set, state);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
        const Slot& slot = slots_[at];
        if (slot.hash == 0) return false;
        if (!same_key(slot, hash, set, state)) continue;
        if (!dominance_) return true;
        const std::uint32_t words = set.optional_words();
        for (std::uint32_t entry = slot.list; entry != kNone;) {
            const std::uint64_t header = arena_[entry];
            const auto count = static_cast<std::uint32_t>(header);
            const std::uint64_t* stored = arena_.data() + entry + 2;
            bool subset = true;
            for (std::uint32_t w = 0; w < count && subset; ++w) {
                if (stored[w] & ~(w < words ? set.optional()[w] : 0)) subset = false;
            }
            if (subset) return true;
            entry = static_cast<std::uint32_t>(header >> 32);
        }
        return false;
    }
}

bool ConfigCache::insert(const OpSet& set, std::uint64_t state, Handle* handle, std::uint64_t* note) {
    // (With `note`, a configuration dominated only by ones still being explored
    // is added anyway; see insert_optional.)
    const std::uint64_t hash = hash_of(set, state);
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = hash & mask;
    for (;; at = (at + 1) & mask) {
        Slot& slot = slots_[at];
        if (slot.hash == 0) break;
        if (same_key(slot, hash, set, state)) {
            if (!dominance_) {
                if (note != nullptr) *note = arena_[slot.offset];
                return false;
            }
            if (!insert_optional(slot, set, handle, note)) return false;
            ++size_;
            return true;
        }
    }
    FL_ASSERT_LE(set.middle_words(), std::numeric_limits<std::uint16_t>::max());
    FL_ASSERT_LE(set.optional_words(), std::numeric_limits<std::uint16_t>::max());
    Slot slot;
    slot.hash = hash;
    slot.state = state;
    slot.full = set.full();
    slot.middle = static_cast<std::uint16_t>(set.middle_words());
    if (dominance_) {
        slot.offset = append(set.middle(), slot.middle);
        slots_[at] = slot;
        insert_optional(slots_[at], set, handle, nullptr);
    } else {
        const std::uint64_t empty_note = 0;
        slot.offset = append(&empty_note, 1);
        append(set.middle(), slot.middle);
        slot.optional = static_cast<std::uint16_t>(set.optional_words());
        append(set.optional(), slot.optional);
        slots_[at] = slot;
        if (handle != nullptr) *handle = slot.offset;
    }
    ++size_;
    ++used_slots_;
    if (used_slots_ * 10 > slots_.size() * 7) grow();
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
