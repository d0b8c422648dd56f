// OpSet: the set of operations a search configuration has linearized.
//
// Ids are laid out as the search assigns them: required ops [0, R) in order of
// completion, then optional ops [R, N) in order of invocation. The set keeps
//   - a Zobrist hash (XOR of a random 64-bit key per member), updated in O(1)
//     per insertion or removal instead of rehashing the whole bitset;
//   - a compact exact form: in the required part, every word below `full` is
//     all ones (everything completed long ago is linearized) and every word from
//     `top` on is zero, so only the words in between are stored; in the optional
//     part only the words up to the last nonzero one. Cached configurations are
//     stored and compared in this form, which stays a few words long however
//     long the history is.
// Since ids are in completion order, the number of leading members is exactly
// Knossos' "longest linearized prefix" measure of progress.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "base/assert.h"
#include "base/prng.h"

namespace faultline::check::lin {

class OpSet {
  public:
    void reset(std::uint32_t required, std::uint32_t optional) {
        required_ = required;
        optional_ = optional;
        required_words_ = (required + 63) / 64;
        const std::uint32_t optional_words = (optional + 63) / 64;
        words_.assign(required_words_ + optional_words, 0);
        last_mask_ = required % 64 == 0 ? ~0ULL : (1ULL << (required % 64)) - 1;
        full_ = 0;
        top_ = 0;
        top_optional_ = 0;
        hash_ = 0;
        required_hash_ = 0;
        // Deterministic keys: the same history always hashes the same way.
        if (keys_.size() < required + optional) {
            Prng prng(0x5eed'11ea'7ab1'e000ULL + keys_.size());
            while (keys_.size() < required + optional) keys_.push_back(prng.next() | 1);
        }
        advance_full();
    }

    bool test(std::uint32_t id) const { return (words_[word_of(id)] >> bit_of(id)) & 1; }

    void insert(std::uint32_t id) {
        FL_ASSERT(!test(id));
        const std::uint32_t w = word_of(id);
        words_[w] |= 1ULL << bit_of(id);
        hash_ ^= keys_[id];
        if (id < required_) required_hash_ ^= keys_[id];
        if (w < required_words_) {
            if (w == full_) advance_full();
            if (w + 1 > top_) top_ = w + 1;
        } else {
            const std::uint32_t rel = w - required_words_ + 1;
            if (rel > top_optional_) top_optional_ = rel;
        }
    }

    void erase(std::uint32_t id) {
        FL_ASSERT(test(id));
        const std::uint32_t w = word_of(id);
        words_[w] &= ~(1ULL << bit_of(id));
        hash_ ^= keys_[id];
        if (id < required_) required_hash_ ^= keys_[id];
        if (w < required_words_) {
            if (w < full_) full_ = w;
            while (top_ > full_ && words_[top_ - 1] == 0) --top_;
            if (top_ < full_) top_ = full_;
        } else {
            while (top_optional_ > 0 && words_[required_words_ + top_optional_ - 1] == 0) {
                --top_optional_;
            }
        }
    }

    std::uint64_t hash() const { return hash_; }
    // The hash of the required members only.
    std::uint64_t required_hash() const { return required_hash_; }

    // How many required ids, from 0 up, are all members.
    std::uint32_t required_prefix() const {
        if (full_ == required_words_) return required_;
        return full_ * 64 + static_cast<std::uint32_t>(std::countr_one(words_[full_]));
    }

    // The compact form (see above).
    std::uint32_t full() const { return full_; }
    std::uint32_t middle_words() const { return top_ > full_ ? top_ - full_ : 0; }
    std::uint32_t optional_words() const { return top_optional_; }
    const std::uint64_t* middle() const { return words_.data() + full_; }
    const std::uint64_t* optional() const { return words_.data() + required_words_; }

    std::uint32_t required() const { return required_; }
    std::uint32_t size() const { return required_ + optional_; }

  private:
    // Optional ids start on a fresh word, after the required ones.
    std::uint32_t word_of(std::uint32_t id) const {
        return id < required_ ? id / 64 : required_words_ + (id - required_) / 64;
    }
    std::uint32_t bit_of(std::uint32_t id) const { return id < required_ ? id % 64 : (id - required_) % 64; }
    std::uint64_t full_mask(std::uint32_t w) const { return w + 1 == required_words_ ? last_mask_ : ~0ULL; }
    void advance_full() {
        while (full_ < required_words_ && words_[full_] == full_mask(full_)) ++full_;
        if (top_ < full_) top_ = full_;
    }

    std::uint32_t required_ = 0;
    std::uint32_t optional_ = 0;
    std::uint32_t required_words_ = 0;
    std::uint64_t last_mask_ = ~0ULL;
    std::vector<std::uint64_t> words_;
    std::vector<std::uint64_t> keys_;
    std::uint32_t full_ = 0;
    std::uint32_t top_ = 0;
    std::uint32_t top_optional_ = 0;
    std::uint64_t hash_ = 0;
    std::uint64_t required_hash_ = 0;
};

}  // namespace faultline::check::lin
