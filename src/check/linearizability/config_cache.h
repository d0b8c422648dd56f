// ConfigCache: the search configurations (linearized set, model state) already
// explored, Lowe's memoization for the Wing & Gong search.
//
// A configuration is stored exactly: its state word and the compact form of its
// OpSet (a handful of words in an arena), so a hit is a proof, never a guess
// based on a hash alone. Slots are open-addressed by a hash combining the set's
// Zobrist hash and the state.
//
// With optional ops (outcome unknown) the cache also applies dominance: a
// configuration is known if one with the same required ops, the same state and
// a subset of its optional ops used was explored, because having more optional
// ops still available can only help (any continuation of the larger one is a
// continuation of the smaller one). Then a slot is keyed by (required part,
// state) and holds a list of the optional sets seen with it, kept an antichain.
// Without this, every crashed write that might or might not have happened
// doubles the configurations to explore.
//
// Every entry also keeps one word the search may set once the configuration has
// failed (the keys it is blamed on, for backjumping; 0 while unknown), found
// again through the handle insert() returns.
//
// The cache reports its memory so the search can stop with "unknown" when a
// budget runs out.
#pragma once

#include <cstdint>
#include <vector>

#include "check/linearizability/op_set.h"

namespace faultline::check::lin {

class ConfigCache {
  public:
    explicit ConfigCache(bool dominance = false) : dominance_(dominance) { slots_.assign(64, Slot{}); }

    using Handle = std::uint32_t;

    // Adds (set, state) and returns true with `handle` naming the new entry; or
    // returns false if it was known (equal, or dominated), with `note` set to
    // the word stored with the entry that knew it. When `note` is given, a
    // configuration dominated only by entries whose note is still 0 (being
    // explored) is added rather than reported known, so that every "known"
    // answer comes with the reason the other configuration failed.
    bool insert(const OpSet& set, std::uint64_t state, Handle* handle = nullptr, std::uint64_t* note = nullptr);
    void set_note(Handle handle, std::uint64_t note) { arena_[handle] = note; }
    // Whether (set, state) is known, without adding it.
    bool known(const OpSet& set, std::uint64_t state) const;

    std::size_t size() const { return size_; }
    std::size_t bytes() const { return slots_.capacity() * sizeof(Slot) + arena_.capacity() * sizeof(std::uint64_t); }

  private:
    static constexpr std::uint32_t kNone = 0xffffffffu;
    struct Slot {
        std::uint64_t hash = 0;  // 0: empty
        std::uint64_t state = 0;
        std::uint32_t offset = 0;  // into arena_: (exact mode: the note,) the middle words,
                                   // then (exact mode) the optional words
        std::uint32_t full = 0;
        std::uint16_t middle = 0;
        std::uint16_t optional = 0;  // exact mode: optional words stored
        std::uint32_t list = kNone;  // dominance mode: first optional set, in arena_
    };

    std::uint64_t hash_of(const OpSet& set, std::uint64_t state) const {
        std::uint64_t h = (dominance_ ? set.required_hash() : set.hash()) ^ (state * 0x9e3779b97f4a7c15ULL);
        h ^= h >> 32;
        h *= 0xd6e8feb86659fd93ULL;
        h ^= h >> 32;
        return h == 0 ? 1 : h;
    }
    bool same_key(const Slot& slot, std::uint64_t hash, const OpSet& set, std::uint64_t state) const;
    // Dominance mode: whether a stored set is a subset of the current optional
    // set (then false); otherwise adds it, dropping stored supersets.
    bool insert_optional(Slot& slot, const OpSet& set, Handle* handle, std::uint64_t* note);
    std::uint32_t append(const std::uint64_t* words, std::size_t count);
    void grow();

    bool dominance_;
    std::vector<Slot> slots_;
    std::vector<std::uint64_t> arena_;
    std::size_t size_ = 0;  // configurations stored
    std::size_t used_slots_ = 0;
};

}  // namespace faultline::check::lin
