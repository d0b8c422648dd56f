#include "protocols/raft/durable.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "base/assert.h"
#include "base/coding.h"
#include "base/hash.h"

namespace faultline::protocols::raft {

namespace {

constexpr std::uint32_t meta_magic = 0x4d455441;      // "META"
constexpr std::uint32_t snapshot_magic = 0x534e4150;  // "SNAP"
constexpr std::uint32_t damage_magic = 0x444d4745;    // "DMGE"
constexpr std::string_view damage_name = "damage";
constexpr std::uint8_t damage_hard_state_lost = 1;
constexpr std::uint8_t damage_log = 2;
constexpr std::uint8_t record_entry = 1;
constexpr std::uint8_t record_truncate = 2;
constexpr std::size_t header_bytes = 16;
constexpr std::uint32_t no_vote = 0xffffffffu;

std::uint32_t length_check(std::uint32_t length) {
    return static_cast<std::uint32_t>(hash_bytes(&length, sizeof length, 0x6c656e));
}

enum class FrameStatus { ok, torn, corrupt };

// Parses the record at `offset`: its payload and the offset after it.
FrameStatus parse_frame(std::string_view file, std::size_t offset, std::string_view& payload, std::size_t& next) {
    if (file.size() - offset < header_bytes) return FrameStatus::torn;
    ByteReader header(file.substr(offset, header_bytes));
    std::uint32_t length = 0, check = 0;
    std::uint64_t checksum = 0;
    header.u32(length);
    header.u32(check);
    header.u64(checksum);
    if (check != length_check(length)) return FrameStatus::corrupt;
    if (file.size() - offset - header_bytes < length) return FrameStatus::torn;
    payload = file.substr(offset + header_bytes, length);
    if (hash_string(payload) != checksum) return FrameStatus::corrupt;
    next = offset + header_bytes + length;
    return FrameStatus::ok;
}

std::string encode_entry(const LogEntry& entry) {
    // Reserved: grown field by field, a record was allocated twice and
    // copied on its way to its full size (one record per entry appended).
    std::string payload;
    payload.reserve(1 + 8 + 8 + 1 + entry.data.size());
    put_u8(payload, record_entry);
    put_u64(payload, entry.index.value);
    put_u64(payload, entry.term.value);
    put_u8(payload, static_cast<std::uint8_t>(entry.type));
    payload += entry.data;
    return payload;
}

std::string meta_name(std::uint64_t sequence) {
    return fmt::format("meta-{}", sequence % 2);
}
std::string snapshot_name(std::uint64_t sequence) {
    return fmt::format("snapshot-{}", sequence % 2);
}
std::string segment_name(std::uint64_t sequence) {
    return fmt::format("log-{:020}", sequence);
}

// Small records that recovery cannot do without (the hard state, the damage
// mark) are written twice into their file: a flipped bit damages one copy, and
// the other still reads back. (TigerBeetle keeps several copies of its
// superblock for the same reason.)
std::string two_copies(std::string_view payload) {
    std::string record = DurableState::frame(payload);
    return record + record;
}

// Reads a file of one record written `copies` times (meta, damage: 2;
// snapshot: 1): the payload of the first copy that is intact, or nullopt if
// the file does not exist or every copy is damaged (`damaged` tells which).
// `copy_damaged` tells that some copy failed, so the file is worth rewriting.
std::optional<std::string> read_single_record(Storage& storage, const std::string& name, bool& damaged, int copies = 1,
                                              bool* copy_damaged = nullptr) {
    damaged = false;
    if (copy_damaged != nullptr) *copy_damaged = false;
    if (!storage.exists(name)) return std::nullopt;
    auto contents = storage.read(name);
    if (!contents) {
        damaged = true;
        return std::nullopt;
    }
    // Copies have equal lengths, so copy k starts at k / copies of the file
    // (a damaged length field cannot mislead us about where the next begins).
    const std::size_t copy_bytes = contents->size() / static_cast<std::size_t>(copies);
    for (int copy = 0; copy < copies; ++copy) {
        std::string_view payload;
        std::size_t next = 0;
        if (parse_frame(*contents, copy_bytes * static_cast<std::size_t>(copy), payload, next) == FrameStatus::ok) {
            if (copy > 0 && copy_damaged != nullptr) *copy_damaged = true;
            return std::string(payload);
        }
    }
    damaged = true;
    return std::nullopt;
}

// The damage mark, or a healthy one if there is none. A mark that is itself
// damaged is read as the worst case.
Result<DamageMark> load_damage(Storage& storage, Term current_term) {
    bool damaged = false, copy_damaged = false;
    auto payload = read_single_record(storage, std::string(damage_name), damaged, 2, &copy_damaged);
    DamageMark mark;
    if (payload && copy_damaged) {
        if (auto status = storage.write(std::string(damage_name), 0, two_copies(*payload)); !status) {
            return status.error();
        }
    }
    if (payload) {
        ByteReader reader(*payload);
        std::uint32_t magic = 0;
        std::uint8_t flags = 0;
        std::uint64_t repair_term = 0;
        if (reader.u32(magic) && magic == damage_magic && reader.u8(flags) && reader.u64(repair_term)) {
            mark.hard_state_lost = (flags & damage_hard_state_lost) != 0;
            mark.log_damaged = (flags & damage_log) != 0;
            mark.repair_term = Term(repair_term);
            return mark;
        }
        damaged = true;
    }
    if (damaged) return DamageMark{true, true, current_term};
    return mark;
}

// Replays one log record into `entries`: a truncation, or an entry (its
// index raising `max_index`, its segment's highest).
void replay_record(std::string_view payload, std::vector<LogEntry>& entries, LogIndex& max_index) {
    ByteReader reader(payload);
    std::uint8_t kind = 0;
    reader.u8(kind);
    if (kind == record_truncate) {
        std::uint64_t keep_last = 0;
        reader.u64(keep_last);
        while (!entries.empty() && entries.back().index.value > keep_last) entries.pop_back();
    } else {
        std::uint64_t index = 0, term = 0;
        std::uint8_t type = 0;
        reader.u64(index);
        reader.u64(term);
        reader.u8(type);
        LogEntry entry{Term(term), LogIndex(index), static_cast<EntryType>(type), std::string(reader.rest())};
        if (!entries.empty() && entry.index != entries.back().index.next()) {
            // A jump is legitimate only across deleted segments, at or below
            // the snapshot; that is checked once the snapshot is known.
            entries.clear();
        }
        max_index = std::max(max_index, entry.index);
        entries.push_back(std::move(entry));
    }
}

// Keep only what lies above the snapshot, and only if it continues it.
std::vector<LogEntry> entries_above_snapshot(std::vector<LogEntry> entries, RecoveredState& state,
                                             bool& log_damaged_now) {
    const LogIndex base = state.has_snapshot ? state.snapshot_index : LogIndex(0);
    const Term base_term = state.has_snapshot ? state.snapshot_term : Term(0);
    std::vector<LogEntry> kept;
    bool continues = true;
    for (LogEntry& entry : entries) {
        if (entry.index == base && entry.term != base_term) continues = false;  // another history
        if (entry.index <= base) continue;
        kept.push_back(std::move(entry));
    }
    if (!continues) {
        log_damaged_now = true;
        state.notes.push_back(fmt::format("the log disagrees with snapshot {}: dropped it", base.value));
        kept.clear();
    }
    if (!kept.empty() && kept.front().index != base.next()) {
        log_damaged_now = true;
        state.notes.push_back(fmt::format("log resumes at {} after snapshot {}: entries in between are lost",
                                          kept.front().index.value, base.value));
        kept.clear();
    }
    for (std::size_t i = 1; i < kept.size(); ++i) FL_ASSERT_GE(kept[i].term, kept[i - 1].term);
    return kept;
}

// A torn crash can keep part of an unsynced batch in one file and lose it
// in another. A durable entry of term T implies a durable term >= T (the
// term is written first and synced with it), so entries of a later term
// than the durable term were never synced, hence never acknowledged: drop
// them. A snapshot is committed data: its term is adopted (with no vote:
// a vote in that term would have been synced along with the term).
// Only for a hard state that is intact.
void drop_unsynced_entries(std::vector<LogEntry>& kept, RecoveredState& state) {
    if (state.has_snapshot && state.snapshot_term > state.hard_state.term) {
        state.notes.push_back(fmt::format("adopted the snapshot's term {} over the durable term {}",
                                          state.snapshot_term.value, state.hard_state.term.value));
        state.hard_state = HardState{state.snapshot_term, std::nullopt};
    }
    std::size_t keep = kept.size();
    while (keep > 0 && kept[keep - 1].term > state.hard_state.term) --keep;
    if (keep < kept.size()) {
        state.notes.push_back(fmt::format("dropped {} unsynced entries of a term after {}", kept.size() - keep,
                                          state.hard_state.term.value));
        kept.resize(keep);
    }
}

}  // namespace

std::string DurableState::frame(std::string_view payload) {
    std::string record;
    record.reserve(header_bytes + payload.size());
    put_u32(record, static_cast<std::uint32_t>(payload.size()));
    put_u32(record, length_check(static_cast<std::uint32_t>(payload.size())));
    put_u64(record, hash_string(payload));
    record += payload;
    return record;
}

Status DurableState::save_hard_state(Storage& storage, const HardState& state) {
    ++meta_sequence_;
    std::string payload;
    put_u32(payload, meta_magic);
    put_u64(payload, meta_sequence_);
    put_u64(payload, state.term.value);
    put_u32(payload, state.vote ? state.vote->value : no_vote);
    return storage.write(meta_name(meta_sequence_), 0, two_copies(payload));
}

Status DurableState::save_snapshot(Storage& storage, LogIndex index, Term term, std::string_view data) {
    ++snapshot_sequence_;
    std::string payload;
    put_u32(payload, snapshot_magic);
    put_u64(payload, snapshot_sequence_);
    put_u64(payload, index.value);
    put_u64(payload, term.value);
    payload += data;
    const std::string name = snapshot_name(snapshot_sequence_);
    // A shorter snapshot must not leave the tail of a longer one behind.
    if (auto status = storage.truncate(name, 0); !status) return status;
    return storage.write(name, 0, frame(payload));
}

Status DurableState::save_damage(Storage& storage, const DamageMark& mark) {
    if (!mark.hard_state_lost && !mark.log_damaged) {
        return storage.exists(damage_name) ? storage.remove(damage_name) : ok_status();
    }
    std::string payload;
    put_u32(payload, damage_magic);
    put_u8(payload, static_cast<std::uint8_t>((mark.hard_state_lost ? damage_hard_state_lost : 0) |
                                              (mark.log_damaged ? damage_log : 0)));
    put_u64(payload, mark.repair_term.value);
    const std::string name(damage_name);
    if (auto status = storage.truncate(name, 0); !status) return status;
    return storage.write(name, 0, two_copies(payload));
}

Status DurableState::open_segment(Storage& storage, LogIndex first_index) {
    segments_.push_back(Segment{segment_name(next_segment_sequence_++), 0, LogIndex(0)});
    // Everything from first_index on belongs to this segment and later ones.
    std::string payload;
    put_u8(payload, record_truncate);
    put_u64(payload, first_index.value - 1);
    return write_record(storage, payload);
}

Status DurableState::write_record(Storage& storage, std::string_view payload) {
    FL_ASSERT(!segments_.empty());
    const std::string record = frame(payload);
    if (auto status = storage.append(segments_.back().name, record); !status) return status;
    segments_.back().bytes += record.size();
    return ok_status();
}

Status DurableState::append(Storage& storage, const LogEntry& entry) {
    FL_ASSERT_GT(entry.index.value, 0u);
    if (segments_.empty() || segments_.back().bytes >= segment_bytes_max_) {
        if (auto status = open_segment(storage, entry.index); !status) return status;
    }
    if (auto status = write_record(storage, encode_entry(entry)); !status) return status;
    segments_.back().max_index = std::max(segments_.back().max_index, entry.index);
    return ok_status();
}

Status DurableState::truncate_after(Storage& storage, LogIndex keep_last) {
    if (segments_.empty()) return open_segment(storage, keep_last.next());
    std::string payload;
    put_u8(payload, record_truncate);
    put_u64(payload, keep_last.value);
    return write_record(storage, payload);
}

Status DurableState::collect_garbage(Storage& storage, LogIndex snapshot_index) {
    // Never the segment being written; only a prefix of fully covered segments.
    while (segments_.size() > 1 && segments_.front().max_index <= snapshot_index) {
        if (auto status = storage.remove(segments_.front().name); !status) return status;
        segments_.erase(segments_.begin());
    }
    return ok_status();
}

Result<RecoveredState> DurableState::load(Storage& storage) {
    RecoveredState state;
    segments_.clear();
    auto damaged_slots = load_hard_state(storage, state);
    if (!damaged_slots) return damaged_slots.error();
    // A damaged slot may have been the newer one: the term and vote read from
    // the other may be stale, and voting on them could mean voting twice in a
    // term. So any damage counts as losing the hard state.
    const bool hard_state_damaged_now = *damaged_slots > 0;
    bool log_damaged_now = load_snapshot(storage, state);
    auto replayed = replay_segments(storage, state, log_damaged_now);
    if (!replayed) return replayed.error();
    const LogIndex base = state.has_snapshot ? state.snapshot_index : LogIndex(0);
    std::vector<LogEntry> kept = entries_above_snapshot(std::move(replayed->entries), state, log_damaged_now);
    if (!hard_state_damaged_now) drop_unsynced_entries(kept, state);
    state.entries = std::move(kept);

    auto mark = merge_damage(storage, state, hard_state_damaged_now, log_damaged_now);
    if (!mark) return mark.error();
    for (const auto& [name, size] : replayed->cuts) {
        if (auto status = storage.truncate(name, size); !status) return status.error();
    }
    for (const std::string& name : replayed->removals) {
        if (auto status = storage.remove(name); !status) return status.error();
    }
    state.hard_state_lost = mark->hard_state_lost;
    state.log_damaged = mark->log_damaged;
    state.repair_term = mark->repair_term;

    // New records go to a fresh segment that restates where the log ends.
    const LogIndex last = state.entries.empty() ? base : state.entries.back().index;
    if (auto status = open_segment(storage, last.next()); !status) return status.error();
    return state;
}

// Hard state: the valid slot with the highest sequence number. Returns how
// many slots failed their checksum.
Result<int> DurableState::load_hard_state(Storage& storage, RecoveredState& state) {
    int damaged_slots = 0, present_slots = 0;
    for (int slot = 0; slot < 2; ++slot) {
        bool damaged = false, copy_damaged = false;
        const std::string name = meta_name(static_cast<std::uint64_t>(slot));
        auto payload = read_single_record(storage, name, damaged, 2, &copy_damaged);
        present_slots += payload || damaged ? 1 : 0;
        damaged_slots += damaged ? 1 : 0;
        if (!payload) continue;
        if (copy_damaged) {
            // Rewrite both copies before a second flipped bit takes the other.
            state.notes.push_back(fmt::format("{}: a copy failed its checksum; rewritten from the other", name));
            if (auto status = storage.write(name, 0, two_copies(*payload)); !status) return status.error();
        }
        ByteReader reader(*payload);
        std::uint32_t magic = 0, vote = 0;
        std::uint64_t sequence = 0, term = 0;
        if (!reader.u32(magic) || magic != meta_magic || !reader.u64(sequence) || !reader.u64(term) ||
            !reader.u32(vote)) {
            ++damaged_slots;
            continue;
        }
        if (sequence > meta_sequence_) {
            meta_sequence_ = sequence;
            state.hard_state.term = Term(term);
            state.hard_state.vote = vote == no_vote ? std::nullopt : std::optional<NodeId>(NodeId(vote));
        }
    }
    if (damaged_slots > 0) {
        state.notes.push_back(fmt::format("{} of the hard-state slots failed their checksum", damaged_slots));
    }
    return damaged_slots;
}

// Snapshot: the valid slot with the highest sequence number. Returns whether
// a slot was damaged (then committed data may be lost).
bool DurableState::load_snapshot(Storage& storage, RecoveredState& state) {
    bool log_damaged_now = false;
    for (int slot = 0; slot < 2; ++slot) {
        bool damaged = false;
        auto payload = read_single_record(storage, snapshot_name(static_cast<std::uint64_t>(slot)), damaged);
        if (damaged) {
            // The damaged slot may have held the newer snapshot, whose entries
            // the log no longer has: committed data may be gone.
            state.notes.push_back(fmt::format("snapshot slot {} failed its checksum", slot));
            log_damaged_now = true;
        }
        if (!payload) continue;
        ByteReader reader(*payload);
        std::uint32_t magic = 0;
        std::uint64_t sequence = 0, index = 0, term = 0;
        if (!reader.u32(magic) || magic != snapshot_magic || !reader.u64(sequence) || !reader.u64(index) ||
            !reader.u64(term)) {
            continue;
        }
        if (sequence > snapshot_sequence_) {
            snapshot_sequence_ = sequence;
            state.has_snapshot = true;
            state.snapshot_index = LogIndex(index);
            state.snapshot_term = Term(term);
            state.snapshot_data = std::string(reader.rest());
        }
    }
    return log_damaged_now;
}

// Log segments, oldest first: replay entries and truncations in order.
// Records after a torn or corrupt one are not replayed: its file is to be cut
// there and the later files removed (once the damage mark is durable).
Result<DurableState::ReplayedLog> DurableState::replay_segments(Storage& storage, RecoveredState& state,
                                                                bool& log_damaged_now) {
    std::vector<std::string> names;
    for (const std::string& name : storage.list()) {
        if (name.rfind("log-", 0) == 0) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    ReplayedLog log;
    bool stopped = false;
    for (std::size_t s = 0; s < names.size(); ++s) {
        const std::string& name = names[s];
        if (stopped) {
            // Records after a corrupt one cannot be placed in the log: drop them.
            log.removals.push_back(name);
            continue;
        }
        auto contents = storage.read(name);
        if (!contents) return contents.error();
        Segment segment{name, 0, LogIndex(0)};
        std::size_t offset = 0;
        while (offset < contents->size()) {
            std::string_view payload;
            std::size_t next = 0;
            const FrameStatus status = parse_frame(*contents, offset, payload, next);
            if (status != FrameStatus::ok) {
                const bool last_segment = s + 1 == names.size();
                if (status == FrameStatus::torn && last_segment) {
                    state.notes.push_back(fmt::format("{}: cut a torn record at byte {}", name, offset));
                } else {
                    log_damaged_now = true;
                    state.notes.push_back(fmt::format("{}: corrupt record at byte {}", name, offset));
                }
                log.cuts.emplace_back(name, offset);
                stopped = true;
                break;
            }
            replay_record(payload, log.entries, segment.max_index);
            offset = next;
        }
        segment.bytes = offset;
        segments_.push_back(segment);
        const std::uint64_t sequence = std::strtoull(name.c_str() + 4, nullptr, 10);
        next_segment_sequence_ = std::max(next_segment_sequence_, sequence + 1);
    }
    return log;
}

// Damage found now joins what earlier recoveries found and no leader has
// repaired yet; it is made durable before anything damaged is cut away.
Result<DamageMark> DurableState::merge_damage(Storage& storage, RecoveredState& state, bool hard_state_damaged_now,
                                              bool log_damaged_now) {
    auto stored = load_damage(storage, state.hard_state.term);
    if (!stored) return stored.error();
    DamageMark mark = *stored;
    if (mark.hard_state_lost || mark.log_damaged) {
        state.notes.push_back(fmt::format("damage found earlier and not repaired: {}{}",
                                          mark.hard_state_lost ? "hard state lost " : "",
                                          mark.log_damaged ? "log damaged" : ""));
    }
    mark.hard_state_lost = mark.hard_state_lost || hard_state_damaged_now;
    if (log_damaged_now) {
        mark.log_damaged = true;
        mark.repair_term = std::max(mark.repair_term, state.hard_state.term);
    }
    if (mark != *stored) {
        if (auto status = save_damage(storage, mark); !status) return status.error();
        if (auto status = storage.sync(); !status) return status.error();
    }
    return mark;
}

}  // namespace faultline::protocols::raft
