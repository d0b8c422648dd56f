// FileStorage: a node's Storage (node/storage.h) on a real disk, in a folder of
// its own, for nodes that run as processes (`faultline node`).
//
// Writes change an in-memory copy of each file; sync() carries every change to
// the folder and fsyncs it: the bytes of changed files past the first byte
// changed since the last sync are written in place, the file cut to its length
// and fdatasync'd, removed files unlinked, and the folder fsync'd when a file
// appeared or went. A process killed at any moment leaves at least what its
// last completed sync made durable, as the contract asks; a sync cut short by
// the kill may leave part of its changes (a real disk may write back early too).
//
// File names are the Storage's flat names; a name with '/' or a leading '.' is
// refused, so a file stays inside the folder.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "node/storage.h"

namespace faultline::harness {

class FileStorage final : public Storage {
  public:
    // Opens `folder` (creating it if needed) and reads every file in it.
    static Result<FileStorage> open(const std::string& folder);

    Status write(std::string_view file, std::uint64_t offset, std::string_view data) override;
    Status append(std::string_view file, std::string_view data) override;
    Status truncate(std::string_view file, std::uint64_t size) override;
    Status remove(std::string_view file) override;
    Status sync() override;

    Result<std::string> read(std::string_view file) override;
    bool exists(std::string_view file) const override;
    std::vector<std::string> list() const override;

    const std::string& folder() const { return folder_; }

  private:
    struct File {
        std::string contents;
        std::uint64_t on_disk = 0;      // the length of the file in the folder (0: none yet)
        std::uint64_t same_prefix = 0;  // bytes that are the same in memory and in the folder
        bool exists_on_disk = false;
        bool dirty = false;
    };

    explicit FileStorage(std::string folder) : folder_(std::move(folder)) {}
    Status check_name(std::string_view file) const;
    File& file_for_write(std::string_view file);

    std::string folder_;
    std::map<std::string, File, std::less<>> files_;
    std::set<std::string, std::less<>> removed_;  // to unlink at the next sync
};

}  // namespace faultline::harness
