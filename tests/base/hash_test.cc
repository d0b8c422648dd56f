// The stable hashes: the one-word shortcut and the streaming hasher give what
// hash_bytes gives over the same bytes (trace hashes and state fingerprints
// rely on it).
#include "base/hash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace faultline {
namespace {

TEST(Hash, OneWordIsHashBytesOfItsEightBytes) {
    for (std::uint64_t seed : {0ULL, 1ULL, 0x243f6a8885a308d3ULL}) {
        for (std::uint64_t word : {0ULL, 7ULL, 0xffffffffffffffffULL, 0x0123456789abcdefULL}) {
            EXPECT_EQ(hash_word(word, seed), hash_bytes(&word, sizeof word, seed));
        }
    }
    EXPECT_NE(hash_word(1, 0), hash_word(2, 0));
    EXPECT_NE(hash_word(1, 0), hash_word(1, 1));
}

TEST(Hash, StreamingWordByWordIsOneCallOverTheWords) {
    // Lengths on both sides of XXH3's short, medium and long paths.
    for (std::size_t count : {0u, 1u, 3u, 30u, 75u, 500u}) {
        std::vector<std::uint64_t> words(count);
        for (std::size_t i = 0; i < count; ++i) words[i] = i * 0x9e3779b97f4a7c15ULL;
        Hasher hasher;
        for (std::uint64_t word : words) hasher.add(&word, sizeof word);
        EXPECT_EQ(hasher.digest(), hash_bytes(words.data(), words.size() * sizeof(std::uint64_t)));
    }
}

}  // namespace
}  // namespace faultline
