// Stable 64-bit hashing (XXH3) for everything that is printed or persisted:
// trace hashes, checksums of stored records, state fingerprints. std::hash is
// never used for these, because its values differ between standard libraries.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace faultline {

std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed = 0);

inline std::uint64_t hash_string(std::string_view text, std::uint64_t seed = 0) {
    return hash_bytes(text.data(), text.size(), seed);
}

// One 64-bit word: the value of hash_bytes(&word, 8, seed), for digests that
// chain word after word (messages' digests, on every send), where knowing
// the length spares the length dispatch.
std::uint64_t hash_word(std::uint64_t word, std::uint64_t seed = 0);

// A few 64-bit words, hashed as one record (features, fingerprints).
inline std::uint64_t hash_words(std::initializer_list<std::uint64_t> words, std::uint64_t seed = 0) {
    return hash_bytes(words.begin(), words.size() * sizeof(std::uint64_t), seed);
}

// A streaming hash: feed fixed-size words and byte ranges, read the digest.
class Hasher {
  public:
    Hasher();
    ~Hasher();
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void add(const void* data, std::size_t size);
    std::uint64_t digest() const;

  private:
    void* state_;  // XXH3_state_t, kept opaque so xxhash.h stays out of headers
};

}  // namespace faultline
