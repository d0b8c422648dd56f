// ReplicaStore: one replica's durable copies of versioned registers (one per
// key), shared by the quorum systems (abd, dynamo), and the hints a Dynamo
// fallback node holds for a replica it stands in for.
//
// A copy only moves forward: store() keeps the incoming (version, value) when
// its version is higher than the one held, and ignores it otherwise. That makes
// every way a copy arrives (a write, a read's write-back, read repair,
// anti-entropy, hinted handoff) idempotent and commutative, so replicas that
// have seen the same writes hold the same copy whatever the order.
//
// Durability. A replica's answer ("I hold version v") is what a quorum counts:
// a replica that acknowledged v and forgets it after a crash can make a later
// quorum miss v. So store() appends a record and syncs it before it returns
// `stored`, and the node answers only then (persist before you send).
//
// On disk: `replica`, an append-only file of records, each [length u32]
// [length check u32][checksum u64][payload]. A torn tail was never synced, so
// never answered: recovery cuts it off. A complete record that fails its
// checksum is acknowledged data lost: the replica can no longer vouch for what
// it holds, so it is mute (it answers no quorum request), the `damaged` file,
// synced first, keeps it mute across later crashes, and the damaged log is
// removed. A replica may rebuild (dynamo does, from its peers: rebuild() stores
// copies while it stays mute, finish_rebuild() ends the damage); one that does
// not (abd) stays mute for good. A disk that refuses a write or a sync mutes it
// until it restarts.
// The file is never compacted: a run lasts minutes.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "node/storage.h"

namespace faultline::protocols::quorum {

// A write's version: a counter chosen above every version the writer read,
// then the writing client's session (client, sequence), which makes two
// writes' versions distinct even when they chose the same counter.
struct Version {
    std::uint64_t counter = 0;
    std::uint64_t client = 0;
    std::uint64_t sequence = 0;
    auto operator<=>(const Version&) const = default;
    bool is_zero() const { return counter == 0; }
};

struct Versioned {
    Version version;
    std::int64_t value = 0;
    bool operator==(const Versioned&) const = default;
};

class ReplicaStore {
  public:
    enum class Outcome {
        stored,  // newer: written and synced (the answer may go out)
        held,    // the copy held is as new or newer: nothing to write
        mute,    // lost state or a failing disk: no answer at all
    };

    // Reads the copies back after a crash; lines for the node log.
    std::vector<std::string> recover(Storage& storage);

    Outcome store(Storage& storage, std::int64_t key, const Versioned& incoming);
    // The copy of `key`, or null if the replica never held one.
    const Versioned* find(std::int64_t key) const;
    const std::map<std::int64_t, Versioned>& copies() const { return copies_; }

    // Hints: `incoming` held for replica `home` until it can be handed back.
    Outcome store_hint(Storage& storage, std::uint32_t home, std::int64_t key, const Versioned& incoming);
    // The hint for (home, key) was handed back at `version` (or superseded).
    Outcome drop_hint(Storage& storage, std::uint32_t home, std::int64_t key, Version version);
    const std::map<std::pair<std::uint32_t, std::int64_t>, Versioned>& hints() const { return hints_; }

    bool mute() const { return damaged_ || disk_failed_; }
    bool damaged() const { return damaged_; }

    // While damaged: keeps a newer copy, synced, without answering for it.
    Outcome rebuild(Storage& storage, std::int64_t key, const Versioned& incoming);
    // Every copy it must hold has been taken back: the damage is over. False if the disk failed.
    bool finish_rebuild(Storage& storage);

    // Record framing, exposed for tests that damage the file on purpose.
    static std::string frame(std::string_view payload);
    static constexpr std::string_view kFile = "replica";
    static constexpr std::string_view kDamaged = "damaged";

  private:
    bool write_and_sync(Storage& storage, const std::string& payload);
    void apply_record(std::string_view payload);

    std::map<std::int64_t, Versioned> copies_;
    std::map<std::pair<std::uint32_t, std::int64_t>, Versioned> hints_;
    bool damaged_ = false;      // durable: lost synced state
    bool disk_failed_ = false;  // volatile: a write or sync failed
};

}  // namespace faultline::protocols::quorum
