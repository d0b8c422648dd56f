// WriteIndex: an open-addressing hash index from (key, value) to the
// transaction that wrote that value, sized once. Written values are unique per
// key, so each read names its write through it. Private to src/check/txn/.
#pragma once

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace faultline::check::txn {

inline constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

struct WriteSlot {
    std::int64_t value = 0;
    std::uint32_t key_plus_one = 0;  // 0: an empty slot
    std::uint32_t txn = 0;
    std::uint32_t mop = 0;         // global index into TxnHistory::mops
    std::int32_t version = -1;     // list-append: the position in the key's version order; -1: never read
    bool final_in_txn = true;      // no later write of the same key in the same transaction
    bool observed = false;         // rw-register: some committed read saw it
    bool has_predecessor = false;  // rw-register: some version is known to come right before it
};

// Open addressing with linear probing, sized once: values are written once
// each, and a million transactions make millions of them.
class WriteIndex {
  public:
    explicit WriteIndex(std::size_t expected) {
        std::size_t capacity = 16;
        while (capacity < expected * 2) capacity <<= 1;
        slots_.resize(capacity);
        mask_ = capacity - 1;
    }

    // The slot for (key, value), and whether it was empty.
    std::pair<std::uint32_t, bool> insert(std::uint32_t key, std::int64_t value) {
        for (std::size_t at = hash(key, value) & mask_;; at = (at + 1) & mask_) {
            WriteSlot& slot = slots_[at];
            if (slot.key_plus_one == 0) {
                FL_ASSERT_LT(++size_, slots_.size());
                slot.key_plus_one = key + 1;
                slot.value = value;
                return {static_cast<std::uint32_t>(at), true};
            }
            if (slot.key_plus_one == key + 1 && slot.value == value) return {static_cast<std::uint32_t>(at), false};
        }
    }

    std::uint32_t find(std::uint32_t key, std::int64_t value) const {
        for (std::size_t at = hash(key, value) & mask_;; at = (at + 1) & mask_) {
            const WriteSlot& slot = slots_[at];
            if (slot.key_plus_one == 0) return kNone;
            if (slot.key_plus_one == key + 1 && slot.value == value) return static_cast<std::uint32_t>(at);
        }
    }

    WriteSlot& operator[](std::uint32_t at) { return slots_[at]; }
    const WriteSlot& operator[](std::uint32_t at) const { return slots_[at]; }

  private:
    static std::size_t hash(std::uint32_t key, std::int64_t value) {
        std::uint64_t h = static_cast<std::uint64_t>(value) * 0x9e3779b97f4a7c15ull ^ (std::uint64_t{key} << 32 | key);
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        h ^= h >> 32;
        return static_cast<std::size_t>(h);
    }
    std::vector<WriteSlot> slots_;
    std::size_t mask_ = 0;
    std::size_t size_ = 0;
};

}  // namespace faultline::check::txn
