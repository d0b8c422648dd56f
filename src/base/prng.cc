#include "base/prng.h"

namespace faultline {

Prng::Prng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& word : state_) word = splitmix64(sm);
    // xoshiro's state must not be all zero; splitmix64 never yields four zeros.
    FL_ASSERT((state_[0] | state_[1] | state_[2] | state_[3]) != 0);
}

std::uint64_t Prng::mix(std::uint64_t root_seed, std::string_view name) {
    // FNV-1a over the name, then splitmix64 to spread it with the root seed.
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (char c : name) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    std::uint64_t state = root_seed ^ hash;
    splitmix64(state);
    return splitmix64(state);
}

Prng Prng::stream(std::uint64_t root_seed, std::string_view name) {
    return Prng(mix(root_seed, name));
}

}  // namespace faultline
