// FlatMap64: an open-addressing hash map from 64-bit keys to 32-bit values, for
// the search's hot paths (transition memo, state interning). Linear probing,
// power-of-two capacity, never shrinks, no deletion. Keys are mixed before
// probing, so callers may pass structured keys such as (state << 32 | op).
#pragma once

#include <cstdint>
#include <vector>

#include "base/assert.h"

namespace faultline::check::lin {

class FlatMap64 {
  public:
    static constexpr std::uint32_t kAbsent = 0xffffffffu;

    explicit FlatMap64(std::size_t initial_capacity = 64) { rehash(round_up(initial_capacity)); }

    // The value stored for `key`, or kAbsent.
    std::uint32_t find(std::uint64_t key) const {
        for (std::size_t at = slot_of(key);; at = (at + 1) & mask_) {
            const Slot& slot = slots_[at];
            if (slot.value == kAbsent) return kAbsent;
            if (slot.key == key) return slot.value;
        }
    }

    // Stores value (not kAbsent) for a key that is not present yet.
    void insert(std::uint64_t key, std::uint32_t value) {
        FL_ASSERT_NE(value, kAbsent);
        if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
        place(key, value);
        ++size_;
    }

    std::size_t size() const { return size_; }
    std::size_t bytes() const { return slots_.size() * sizeof(Slot); }

    // Visits every slot whose key hashes the same way; used by interning, where
    // several entries may share a (state hash) key.
    template <class Visit>
    std::uint32_t find_if(std::uint64_t key, Visit&& matches) const {
        for (std::size_t at = slot_of(key);; at = (at + 1) & mask_) {
            const Slot& slot = slots_[at];
            if (slot.value == kAbsent) return kAbsent;
            if (slot.key == key && matches(slot.value)) return slot.value;
        }
    }
    // Inserts even if the key is present (for interning with hash collisions).
    void insert_duplicate(std::uint64_t key, std::uint32_t value) { insert(key, value); }

  private:
    struct Slot {
        std::uint64_t key;
        std::uint32_t value;
    };

    static std::size_t round_up(std::size_t n) {
        std::size_t capacity = 16;
        while (capacity < n) capacity *= 2;
        return capacity;
    }
    static std::uint64_t mix(std::uint64_t x) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        return x;
    }
    std::size_t slot_of(std::uint64_t key) const { return mix(key) & mask_; }
    void place(std::uint64_t key, std::uint32_t value) {
        std::size_t at = slot_of(key);
        while (slots_[at].value != kAbsent) at = (at + 1) & mask_;
        slots_[at] = Slot{key, value};
    }
    void rehash(std::size_t capacity) {
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(capacity, Slot{0, kAbsent});
        mask_ = capacity - 1;
        for (const Slot& slot : old) {
            if (slot.value != kAbsent) place(slot.key, slot.value);
        }
    }

    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
};

}  // namespace faultline::check::lin
