// Storage: a node's disk, as seen from a protocol core.
//
// A flat namespace of files holding bytes. Writes go to a volatile cache first;
// only sync() makes them durable. After a crash, recover() sees exactly the
// synced bytes of each file, possibly damaged by the disk faults the runtime
// injects: a torn last write, flipped bits, a full disk. A protocol that stores
// checksummed records can detect all of them; one that trusts its disk cannot.
//
// Every operation that can fail returns a Status: a full disk or an I/O error is
// an expected outcome a protocol must handle (typically by refusing to vote or
// acknowledge), not a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace faultline {

class Storage {
  public:
    virtual ~Storage() = default;

    // Replaces bytes [offset, offset + data.size()) of `file`, growing it if
    // needed (a gap is zero-filled). Creates the file if absent.
    virtual Status write(std::string_view file, std::uint64_t offset, std::string_view data) = 0;
    // Appends to the end of `file`, creating it if absent.
    virtual Status append(std::string_view file, std::string_view data) = 0;
    // Shrinks `file` to `size` bytes (no-op if already shorter).
    virtual Status truncate(std::string_view file, std::uint64_t size) = 0;
    // Deletes `file`; deleting an absent file succeeds.
    virtual Status remove(std::string_view file) = 0;
    // Makes every write so far, to every file, durable. Costs the disk's sync
    // latency, which the runtime charges to the calling node.
    virtual Status sync() = 0;

    // The current contents of `file` (including unsynced writes), or not_found.
    virtual Result<std::string> read(std::string_view file) = 0;
    virtual bool exists(std::string_view file) const = 0;
    virtual std::vector<std::string> list() const = 0;
};

}  // namespace faultline
