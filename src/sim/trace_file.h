// The trace on disk: trace.bin.zst, a compact binary record of every event,
// streamed through zstd as the run goes (docs/formats.md has the layout).
//
// TraceFileWriter is a TraceSink. It keeps each event's every field (what the
// trace hash covers), the names of the nodes and message types it mentions,
// and, at the end, the trace's event count and hash. It does not keep message
// bodies: rendering each sent message as JSON costs several times the
// simulation, so `faultline trace DIR --bodies` renders them on demand, from a
// replay of the run checked against this file event by event.
//
// The writer compresses its records in chunks of about 128 KiB and flushes
// each to the file, so a run that dies leaves every chunk written before: the
// reader returns those events, then reports the trace as cut (no end record).
//
// TraceReader iterates the events of such a file, with node and type names,
// and recomputes the trace hash as it goes: a whole trace must end with the
// hash it was written with, which proves that it holds every event.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "sim/trace.h"

namespace faultline::sim {

struct TraceContext;

// The name of the trace file in a run directory.
inline constexpr std::string_view kTraceFileName = "trace.bin.zst";

class TraceFileWriter final : public TraceSink {
  public:
    // Creates (or truncates) `path`. The default level is one of zstd's fast
    // ones: the trace is written on the simulation's own thread, and level 1
    // took twice the time for a file a fifth smaller.
    static Result<std::unique_ptr<TraceFileWriter>> create(const std::string& path, int compression_level = -3);
    ~TraceFileWriter() override;
    TraceFileWriter(const TraceFileWriter&) = delete;
    TraceFileWriter& operator=(const TraceFileWriter&) = delete;

    void start(NodeNames names) override { names_ = std::move(names); }
    void record(const TraceEvent& event) override;
    // Writes the end record and closes the file.
    void finish(std::uint64_t hash, std::uint64_t events) override;
    // The first write error, if any (a full disk): the file is then incomplete.
    const Status& status() const { return status_; }

  private:
    struct ZstdContext;
    TraceFileWriter(std::FILE* file, std::string path, int compression_level);

    // Room for `bytes` more bytes of records (compressing what is gathered
    // first if they do not fit).
    char* reserve(std::size_t bytes);
    // Writes the node's name record (the first time the node appears).
    void name_node(NodeId node);
    std::uint32_t type_index(std::string_view type);
    // Compresses the gathered records and writes them out; `end` closes the
    // zstd frame.
    void compress(bool end);

    std::FILE* file_;
    std::string path_;
    std::unique_ptr<ZstdContext> zstd_;
    NodeNames names_;
    std::vector<std::uint8_t> named_;  // by node id: its name was written
    // Message types by name, and a cache by the address of the name (a type()
    // is almost always a string literal) that skips hashing the name.
    std::unordered_map<std::string, std::uint32_t> types_;
    struct CachedType {
        const char* data = nullptr;
        std::size_t size = 0;
        const std::string* name = nullptr;
        std::uint32_t index = 0;
    };
    CachedType type_cache_[64];
    std::vector<char> raw_;  // records not yet compressed: the first raw_size_ bytes
    std::size_t raw_size_ = 0;
    std::vector<char> compressed_;
    std::unique_ptr<TraceContext> context_;
    bool finished_ = false;
    Status status_;
};

// One event as read back: names resolved, views valid until the next read.
struct TraceRecord {
    TraceEvent event;  // message is always null; text views the record's own text
    std::string_view node;
    std::string_view peer;          // messages only
    std::string_view message_type;  // messages only
};

class TraceReader {
  public:
    static Result<TraceReader> open(const std::string& path);
    TraceReader(TraceReader&&) noexcept;
    TraceReader& operator=(TraceReader&&) noexcept;
    ~TraceReader();

    // Reads the next event into `record`: true, or false at the end of the
    // trace (see complete()). An error if the file is damaged, or if its end
    // record disagrees with the events read (count or hash).
    Result<bool> next(TraceRecord& record);
    // Whether the trace ended with its end record, i.e. the run finished
    // writing it. False for the trace of a run that died.
    bool complete() const { return complete_; }
    std::uint64_t events_read() const { return events_read_; }
    // The hash of the events read so far: at the end of a complete trace, the
    // run's trace hash.
    std::uint64_t hash() const { return hasher_->digest(); }
    // A node's name, as the file gave it ("?" before it was named).
    std::string_view node_name(NodeId node) const;

  private:
    struct ZstdContext;
    TraceReader(std::FILE* file, std::string path);
    // Makes at least `bytes` decompressed bytes available; false at the end of the file.
    Result<bool> fill(std::size_t bytes);
    Error damaged(std::string_view what) const;

    std::FILE* file_ = nullptr;
    std::string path_;
    std::unique_ptr<ZstdContext> zstd_;
    std::vector<char> input_;
    std::size_t input_pos_ = 0;
    std::size_t input_size_ = 0;
    std::string data_;  // decompressed, from data_pos_ on not yet parsed
    std::size_t data_pos_ = 0;
    bool file_ended_ = false;
    bool complete_ = false;
    std::vector<std::string> nodes_;
    std::vector<std::string> types_;
    std::string text_;
    std::unique_ptr<TraceContext> context_;
    std::uint64_t events_read_ = 0;
    std::unique_ptr<TraceHasher> hasher_;
};

}  // namespace faultline::sim
