// ConfigCache: the set of search configurations (linearized set, model state)
// already explored, Lowe's memoization for the Wing & Gong search.
//
// A configuration is stored exactly: its state word and the compact form of its
// OpSet (a handful of words in an arena), so a hit is a proof, never a guess
// based on a hash alone. Slots are open-addressed by the combined hash of the
// set (Zobrist) and the state. The cache reports its memory so the search can
// stop with "unknown" when a budget runs out.
#pragma once

#include <cstdint>
#include <vector>

#include "check/linearizability/op_set.h"

namespace faultline::check::lin {

class ConfigCache {
  public:
    ConfigCache() { slots_.assign(1024, Slot{}); }

    // Adds (set, state); false if it was already present.
    bool insert(const OpSet& set, std::uint64_t state);
    bool contains(const OpSet& set, std::uint64_t state) const;

    std::size_t size() const { return size_; }
    std::size_t bytes() const {
        return slots_.capacity() * sizeof(Slot) + arena_.capacity() * sizeof(std::uint64_t);
    }

  private:
    struct Slot {
        std::uint64_t hash = 0;  // 0: empty
        std::uint64_t state = 0;
        std::uint32_t offset = 0;  // into arena_
        std::uint32_t full = 0;
        std::uint16_t middle = 0;
        std::uint16_t optional = 0;
    };

    static std::uint64_t combine(const OpSet& set, std::uint64_t state) {
        std::uint64_t h = set.hash() ^ (state * 0x9e3779b97f4a7c15ULL);
        h ^= h >> 32;
        h *= 0xd6e8feb86659fd93ULL;
        h ^= h >> 32;
        return h == 0 ? 1 : h;
    }
    bool matches(const Slot& slot, std::uint64_t hash, const OpSet& set, std::uint64_t state) const;
    void grow();

    std::vector<Slot> slots_;
    std::vector<std::uint64_t> arena_;
    std::size_t size_ = 0;
};

}  // namespace faultline::check::lin
