#include "protocols/quorum/messages.h"

#include "base/hash.h"
#include "base/json.h"

namespace faultline::protocols::quorum {

namespace {

std::uint64_t version_hash(const Version& version, std::uint64_t seed) {
    return hash_words({version.counter, version.client, version.sequence}, seed);
}

}  // namespace

nlohmann::json version_json(const Version& version) {
    return Json::array({version.counter, version.client, version.sequence});
}

nlohmann::json Query::to_json() const {
    return Json{{"type", type()}, {"op", op}, {"key", key}};
}

std::uint64_t Query::digest() const {
    return hash_words({op, static_cast<std::uint64_t>(key)}, 1);
}

nlohmann::json QueryReply::to_json() const {
    Json json{{"type", type()}, {"op", op}, {"key", key}};
    if (found) {
        json["version"] = version_json(copy.version);
        json["value"] = copy.value;
    }
    return json;
}

std::uint64_t QueryReply::digest() const {
    return version_hash(
        copy.version,
        hash_words({op, static_cast<std::uint64_t>(key), found ? 1u : 0u, static_cast<std::uint64_t>(copy.value)}, 2));
}

nlohmann::json Store::to_json() const {
    Json json{
        {"type", type()}, {"op", op}, {"key", key}, {"version", version_json(copy.version)}, {"value", copy.value}};
    if (hint_for) json["hint_for"] = *hint_for;
    return json;
}

std::uint64_t Store::digest() const {
    return version_hash(copy.version,
                        hash_words({op, static_cast<std::uint64_t>(key), static_cast<std::uint64_t>(copy.value),
                                    hint_for ? *hint_for + 1ULL : 0ULL},
                                   3));
}

nlohmann::json StoreReply::to_json() const {
    return Json{{"type", type()}, {"op", op}, {"key", key}, {"version", version_json(version)}};
}

std::uint64_t StoreReply::digest() const {
    return version_hash(version, hash_words({op, static_cast<std::uint64_t>(key)}, 4));
}

nlohmann::json SyncDigest::to_json() const {
    Json entries = Json::array();
    for (const auto& [key, version] : versions) entries.push_back(Json::array({key, version_json(version)}));
    return Json{{"type", type()}, {"versions", entries}, {"rebuilding", rebuilding}};
}

std::uint64_t SyncDigest::digest() const {
    std::uint64_t h = rebuilding ? 7 : 5;
    for (const auto& [key, version] : versions)
        h = version_hash(version, hash_words({static_cast<std::uint64_t>(key)}, h));
    return h;
}

nlohmann::json SyncReply::to_json() const {
    Json entries = Json::array();
    for (const auto& [key, copy] : newer) entries.push_back(Json::array({key, version_json(copy.version), copy.value}));
    return Json{{"type", type()}, {"newer", entries}, {"wanted", wanted}, {"damaged", damaged}};
}

std::uint64_t SyncReply::digest() const {
    std::uint64_t h = damaged ? 8 : 6;
    for (const auto& [key, copy] : newer) {
        h = version_hash(copy.version,
                         hash_words({static_cast<std::uint64_t>(key), static_cast<std::uint64_t>(copy.value)}, h));
    }
    for (std::int64_t key : wanted) h = hash_words({static_cast<std::uint64_t>(key)}, h);
    return h;
}

}  // namespace faultline::protocols::quorum
