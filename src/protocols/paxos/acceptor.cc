#include "protocols/paxos/acceptor.h"

#include <fmt/format.h>

#include "base/assert.h"
#include "base/coding.h"
#include "base/hash.h"
#include "protocols/paxos/synod.h"

namespace faultline::protocols::paxos {

namespace {

constexpr std::uint8_t record_promise = 1;
constexpr std::uint8_t record_accept = 2;
constexpr std::size_t header_bytes = 16;

std::uint32_t length_check(std::uint32_t length) {
    return static_cast<std::uint32_t>(hash_bytes(&length, sizeof length, 0x6c656e));
}

void put_ballot(std::string& out, Ballot ballot) {
    put_u64(out, ballot.round);
    put_u32(out, ballot.node);
}

bool take_ballot(std::string_view& in, Ballot& ballot) {
    return take_u64(in, ballot.round) && take_u32(in, ballot.node);
}

enum class Frame { ok, torn, corrupt };

// The record at `offset` of `file`: its payload and where the next begins.
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

std::string Acceptor::frame(std::string_view payload) {
    std::string out;
    const auto length = static_cast<std::uint32_t>(payload.size());
    put_u32(out, length);
    put_u32(out, length_check(length));
    put_u64(out, hash_string(payload));
    out += payload;
    return out;
}

std::vector<std::string> Acceptor::recover(Storage& storage) {
    std::vector<std::string> notes;
    promised_ = Ballot{};
    accepted_.clear();
    durable_votes_.clear();
    disk_failed_ = false;
    damaged_ = storage.exists(kDamaged);
    if (damaged_) {
        notes.emplace_back("the acceptor lost synced state at an earlier recovery: it stays mute");
        return notes;
    }
    if (!storage.exists(kFile)) return notes;
    auto contents = storage.read(kFile);
    if (!contents) {
        damaged_ = true;
        notes.push_back(fmt::format("cannot read the acceptor's file ({})", contents.error().message));
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
            notes.push_back(fmt::format("a corrupt record at byte {} of the acceptor's file", offset));
        } else if (offset < contents->size()) {
            // Never synced, so never answered: cut it, or the next record would follow garbage.
            notes.push_back(fmt::format("cut a torn tail of {} bytes", contents->size() - offset));
            if (!storage.truncate(kFile, offset) || !storage.sync()) disk_failed_ = true;
        }
    }
    if (damaged_) {
        // Remembered before anything else: a crash now must not bring back a
        // clean-looking, shorter state that would vote.
        promised_ = Ballot{};
        accepted_.clear();
        if (!storage.write(kDamaged, 0, "lost") || !storage.sync()) disk_failed_ = true;
        notes.emplace_back("the acceptor is mute from now on");
    }
    return notes;
}

void Acceptor::apply_record(std::string_view payload) {
    std::uint8_t kind = 0;
    Ballot ballot;
    if (!take_u8(payload, kind) || !take_ballot(payload, ballot)) {
        damaged_ = true;  // checksummed yet malformed: not a file this acceptor wrote
        return;
    }
    if (kind == record_accept) {
        Slot slot = 0;
        if (!take_u64(payload, slot)) {
            damaged_ = true;
            return;
        }
        accepted_[slot] = Accepted{ballot, Value(payload)};
    }
    promised_ = std::max(promised_, ballot);
}

bool Acceptor::write_and_sync(Storage& storage, const std::string& records) {
    if (storage.append(kFile, records) && storage.sync()) return true;
    disk_failed_ = true;
    return false;
}

Acceptor::Outcome Acceptor::prepare(Storage& storage, Ballot ballot) {
    FL_ASSERT(!ballot.is_zero());
    if (mute()) return Outcome::mute;
    if (!admits(promised_, ballot)) return Outcome::refused;
    if (ballot == promised_) return Outcome::done;  // promised already, durably
    promised_ = ballot;
    if (forget_promise_) return Outcome::done;  // the bug: answered from memory only
    std::string payload;
    put_u8(payload, record_promise);
    put_ballot(payload, ballot);
    if (!write_and_sync(storage, frame(payload))) return Outcome::mute;
    return Outcome::done;
}

Acceptor::Outcome Acceptor::accept(Storage& storage, Ballot ballot, const std::vector<SlotValue>& entries) {
    FL_ASSERT(!ballot.is_zero());
    if (mute()) return Outcome::mute;
    if (!admits(promised_, ballot)) return Outcome::refused;
    promised_ = ballot;
    std::string records;
    for (const SlotValue& entry : entries) {
        std::string payload;
        put_u8(payload, record_accept);
        put_ballot(payload, ballot);
        put_u64(payload, entry.slot);
        payload += entry.value;
        records += frame(payload);
        accepted_[entry.slot] = Accepted{ballot, entry.value};
    }
    if (!write_and_sync(storage, records)) return Outcome::mute;
    for (const SlotValue& entry : entries) {
        durable_votes_.push_back(Vote{entry.slot, ballot, value_digest(entry.value)});
    }
    return Outcome::done;
}

std::vector<std::pair<Slot, Accepted>> Acceptor::accepted_from(Slot from) const {
    std::vector<std::pair<Slot, Accepted>> out;
    for (auto it = accepted_.lower_bound(from); it != accepted_.end(); ++it) out.emplace_back(it->first, it->second);
    return out;
}

const Accepted* Acceptor::accepted_at(Slot slot) const {
    auto found = accepted_.find(slot);
    return found == accepted_.end() ? nullptr : &found->second;
}

}  // namespace faultline::protocols::paxos
