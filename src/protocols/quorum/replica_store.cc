#include "protocols/quorum/replica_store.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "base/coding.h"
#include "base/hash.h"

namespace faultline::protocols::quorum {

namespace {

constexpr std::uint8_t record_copy = 1;
constexpr std::uint8_t record_hint = 2;
constexpr std::uint8_t record_hint_dropped = 3;
constexpr std::size_t header_bytes = 16;

std::uint32_t length_check(std::uint32_t length) {
    return static_cast<std::uint32_t>(hash_bytes(&length, sizeof length, 0x71726d));
}

void put_version(std::string& out, const Version& version) {
    put_u64(out, version.counter);
    put_u64(out, version.client);
    put_u64(out, version.sequence);
}

bool take_version(std::string_view& in, Version& version) {
    return take_u64(in, version.counter) && take_u64(in, version.client) && take_u64(in, version.sequence);
}

void put_versioned(std::string& out, std::int64_t key, const Versioned& copy) {
    put_u64(out, static_cast<std::uint64_t>(key));
    put_version(out, copy.version);
    put_u64(out, static_cast<std::uint64_t>(copy.value));
}

bool take_versioned(std::string_view& in, std::int64_t& key, Versioned& copy) {
    std::uint64_t raw_key = 0, raw_value = 0;
    if (!take_u64(in, raw_key) || !take_version(in, copy.version) || !take_u64(in, raw_value)) return false;
    key = static_cast<std::int64_t>(raw_key);
    copy.value = static_cast<std::int64_t>(raw_value);
    return true;
}

enum class Frame { ok, torn, corrupt };

Frame parse_frame(std::string_view file, std::size_t offset, std::string_view& payload, std::size_t& next) {
    if (file.size() - offset < header_bytes) return Frame::torn;
    std::string_view header = file.substr(offset, header_bytes);
    std::uint32_t length = 0, check = 0;
    std::uint64_t checksum = 0;
    take_u32(header, length);
    take_u32(header, check);
    take_u64(header, checksum);
    // A flipped bit in the length is corruption, not a record running past the end.
    if (check != length_check(length)) return Frame::corrupt;
    if (file.size() - offset - header_bytes < length) return Frame::torn;
    payload = file.substr(offset + header_bytes, length);
    if (hash_string(payload) != checksum) return Frame::corrupt;
    next = offset + header_bytes + length;
    return Frame::ok;
}

}  // namespace

std::string ReplicaStore::frame(std::string_view payload) {
    std::string out;
    const auto length = static_cast<std::uint32_t>(payload.size());
    put_u32(out, length);
    put_u32(out, length_check(length));
    put_u64(out, hash_string(payload));
    out += payload;
    return out;
}

std::vector<std::string> ReplicaStore::recover(Storage& storage) {
    std::vector<std::string> notes;
    copies_.clear();
    hints_.clear();
    disk_failed_ = false;
    damaged_ = storage.exists(kDamaged);
    if (damaged_) {
        // What a rebuild had taken back is not trusted either: it starts again.
        if (!storage.remove(kFile) || !storage.sync()) disk_failed_ = true;
        notes.emplace_back("the replica lost synced state at an earlier recovery: it stays mute until rebuilt");
        return notes;
    }
    if (!storage.exists(kFile)) return notes;
    auto contents = storage.read(kFile);
    if (!contents) {
        damaged_ = true;
        notes.push_back(fmt::format("cannot read the replica's file ({})", contents.error().message));
    } else {
        std::size_t offset = 0;
        std::string_view payload;
        std::size_t next = 0;
        Frame frame = Frame::ok;
        while (offset < contents->size() && (frame = parse_frame(*contents, offset, payload, next)) == Frame::ok) {
            apply_record(payload);
            offset = next;
        }
        if (frame == Frame::corrupt) {
            damaged_ = true;
            notes.push_back(fmt::format("a corrupt record at byte {} of the replica's file", offset));
        } else if (offset < contents->size()) {
            // Never synced, so never answered: cut it, or the next record would follow garbage.
            notes.push_back(fmt::format("cut a torn tail of {} bytes", contents->size() - offset));
            if (!storage.truncate(kFile, offset) || !storage.sync()) disk_failed_ = true;
        }
    }
    if (damaged_) {
        // Remembered before anything else: a crash now must not bring back a
        // clean-looking, older state that would answer quorums.
        copies_.clear();
        hints_.clear();
        if (!storage.write(kDamaged, 0, "lost") || !storage.sync() || !storage.remove(kFile) || !storage.sync()) {
            disk_failed_ = true;
        }
        notes.emplace_back("the replica is mute until rebuilt");
    }
    return notes;
}

void ReplicaStore::apply_record(std::string_view payload) {
    std::uint8_t kind = 0;
    std::uint32_t home = 0;
    std::int64_t key = 0;
    Versioned copy;
    if (!take_u8(payload, kind)) {
        damaged_ = true;
        return;
    }
    if ((kind == record_hint || kind == record_hint_dropped) && !take_u32(payload, home)) {
        damaged_ = true;
        return;
    }
    if (!take_versioned(payload, key, copy) || !payload.empty()) {
        damaged_ = true;  // checksummed yet malformed: not a file this replica wrote
        return;
    }
    switch (kind) {
        case record_copy: {
            Versioned& held = copies_[key];
            if (copy.version > held.version) held = copy;
            break;
        }
        case record_hint: {
            Versioned& held = hints_[{home, key}];
            if (copy.version > held.version) held = copy;
            break;
        }
        case record_hint_dropped: {
            auto it = hints_.find({home, key});
            if (it != hints_.end() && it->second.version <= copy.version) hints_.erase(it);
            break;
        }
        default:
            damaged_ = true;
    }
}

bool ReplicaStore::write_and_sync(Storage& storage, const std::string& payload) {
    if (storage.append(kFile, frame(payload)) && storage.sync()) return true;
    disk_failed_ = true;
    return false;
}

ReplicaStore::Outcome ReplicaStore::store(Storage& storage, std::int64_t key, const Versioned& incoming) {
    FL_ASSERT(!incoming.version.is_zero());
    if (mute()) return Outcome::mute;
    auto it = copies_.find(key);
    if (it != copies_.end() && it->second.version >= incoming.version) {
        // Two writes never share a version (the session in it is unique), so an
        // equal version carries the same value.
        FL_ASSERT(it->second.version != incoming.version || it->second.value == incoming.value);
        return Outcome::held;
    }
    std::string payload;
    put_u8(payload, record_copy);
    put_versioned(payload, key, incoming);
    if (!write_and_sync(storage, payload)) return Outcome::mute;
    copies_[key] = incoming;
    FL_ASSERT(copies_[key].version == incoming.version);
    return Outcome::stored;
}

ReplicaStore::Outcome ReplicaStore::rebuild(Storage& storage, std::int64_t key, const Versioned& incoming) {
    FL_ASSERT(damaged_);
    FL_ASSERT(!incoming.version.is_zero());
    if (disk_failed_) return Outcome::mute;
    auto it = copies_.find(key);
    if (it != copies_.end() && it->second.version >= incoming.version) return Outcome::held;
    std::string payload;
    put_u8(payload, record_copy);
    put_versioned(payload, key, incoming);
    if (!write_and_sync(storage, payload)) return Outcome::mute;
    copies_[key] = incoming;
    return Outcome::stored;
}

bool ReplicaStore::finish_rebuild(Storage& storage) {
    FL_ASSERT(damaged_);
    if (disk_failed_ || !storage.remove(kDamaged) || !storage.sync()) {
        disk_failed_ = true;
        return false;
    }
    damaged_ = false;
    return true;
}

const Versioned* ReplicaStore::find(std::int64_t key) const {
    auto it = copies_.find(key);
    return it == copies_.end() ? nullptr : &it->second;
}

ReplicaStore::Outcome ReplicaStore::store_hint(Storage& storage, std::uint32_t home, std::int64_t key,
                                               const Versioned& incoming) {
    FL_ASSERT(!incoming.version.is_zero());
    if (mute()) return Outcome::mute;
    auto it = hints_.find({home, key});
    if (it != hints_.end() && it->second.version >= incoming.version) return Outcome::held;
    std::string payload;
    put_u8(payload, record_hint);
    put_u32(payload, home);
    put_versioned(payload, key, incoming);
    if (!write_and_sync(storage, payload)) return Outcome::mute;
    hints_[{home, key}] = incoming;
    return Outcome::stored;
}

ReplicaStore::Outcome ReplicaStore::drop_hint(Storage& storage, std::uint32_t home, std::int64_t key, Version version) {
    if (mute()) return Outcome::mute;
    auto it = hints_.find({home, key});
    // A newer hint for the same key arrived since: it still has to be handed back.
    if (it == hints_.end() || it->second.version > version) return Outcome::held;
    std::string payload;
    put_u8(payload, record_hint_dropped);
    put_u32(payload, home);
    put_versioned(payload, key, Versioned{version, 0});
    if (!write_and_sync(storage, payload)) return Outcome::mute;
    hints_.erase(it);
    return Outcome::stored;
}

}  // namespace faultline::protocols::quorum
