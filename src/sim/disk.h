// SimDisk: the simulated disk behind a node's Storage.
//
// Each file has a current image (every write applied) and a durable image (what
// a power loss leaves). Writes go to the current image and a pending list;
// sync() replays the pending list onto the durable image. crash() throws the
// current image away and keeps the durable one, optionally damaged:
//
//   torn_write_probability   at a crash, a file's unsynced writes are partly
//                            persisted: a prefix of them survives and the last
//                            surviving one is cut at a random byte
//   bit_flip_probability     per read, one random bit of the file flips, in both
//                            images (bit rot: it stays flipped)
//   capacity_bytes           writes that would exceed it fail with disk_full
//   io_error_probability     a write or sync fails with io_error
//
// All fault draws come from the disk's own random stream. Sync latency is
// charged to the calling node through the simulator (see Simulation).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/prng.h"
#include "base/time.h"
#include "node/storage.h"

namespace faultline::sim {

struct DiskConfig {
    Nanos sync_latency = 0;
    double torn_write_probability = 0;
    double bit_flip_probability = 0;
    double io_error_probability = 0;
    std::uint64_t capacity_bytes = 0;  // 0: unlimited
};

struct DiskStats {
    std::uint64_t writes = 0;
    std::uint64_t syncs = 0;
    std::uint64_t torn_writes = 0;
    std::uint64_t bit_flips = 0;
    std::uint64_t disk_full_errors = 0;
    std::uint64_t io_errors = 0;
    std::uint64_t unsynced_writes_lost = 0;
};

class SimDisk final : public Storage {
  public:
    SimDisk(std::uint64_t seed, DiskConfig config);

    Status write(std::string_view file, std::uint64_t offset, std::string_view data) override;
    Status append(std::string_view file, std::string_view data) override;
    Status truncate(std::string_view file, std::uint64_t size) override;
    Status remove(std::string_view file) override;
    Status sync() override;
    Result<std::string> read(std::string_view file) override;
    bool exists(std::string_view file) const override;
    std::vector<std::string> list() const override;

    // Power loss: keep the durable images (possibly torn), drop everything else.
    void crash();

    // True if some write has not been synced yet (tests check persist-before-send).
    bool has_unsynced_writes() const;

    DiskConfig& config() { return config_; }
    const DiskStats& stats() const { return stats_; }
    std::uint64_t used_bytes() const;
    // Called with the sync latency whenever sync() runs, so the simulator can
    // charge it to the node. Unset (tests): no charge.
    void set_sync_listener(std::function<void(Nanos)> listener) { sync_listener_ = std::move(listener); }

  private:
    struct PendingOp {
        enum class Kind { write, truncate, remove } kind;
        std::uint64_t offset = 0;  // write offset, or truncate size
        std::string data;
    };
    struct File {
        bool current_exists = false;
        bool durable_exists = false;
        std::string current;
        std::string durable;
        std::vector<PendingOp> pending;
    };

    Status check_write(std::uint64_t new_bytes);
    File& file_for_write(std::string_view name);
    static void apply(std::string& image, bool& exists, const PendingOp& op);

    Prng random_;
    DiskConfig config_;
    DiskStats stats_;
    std::map<std::string, File, std::less<>> files_;
    std::function<void(Nanos)> sync_listener_;
};

}  // namespace faultline::sim
