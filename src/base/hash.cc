#include "base/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/assert.h"

namespace faultline {

std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed) {
    return XXH3_64bits_withSeed(data, size, seed);
}

std::uint64_t hash_word(std::uint64_t word, std::uint64_t seed) {
    return XXH3_64bits_withSeed(&word, sizeof word, seed);
}

Hasher::Hasher() : state_(XXH3_createState()) {
    FL_ASSERT(state_ != nullptr);
    XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_));
}

Hasher::~Hasher() {
    XXH3_freeState(static_cast<XXH3_state_t*>(state_));
}

void Hasher::add(const void* data, std::size_t size) {
    XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), data, size);
}

std::uint64_t Hasher::digest() const {
    return XXH3_64bits_digest(static_cast<const XXH3_state_t*>(state_));
}

}  // namespace faultline
