// The trace: every send, delivery, drop, timer and fault of a run, in order.
//
// The simulator reports each event once, as a TraceEvent, to the Trace. The
// Trace folds a fixed-size binary record of it into a running XXH3 hash (the
// trace hash a run prints: the same seed must give the same hash) and forwards
// the event to any sinks: the binary trace file (sim/trace_file.h), a JSONL
// writer, an in-memory recorder for tests and reports. With no sinks,
// recording costs one 40-byte copy: records are hashed in batches, which
// gives the same XXH3 digest as hashing each one alone (a streaming hash
// depends only on the bytes, not on how they were split).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "base/time.h"
#include "base/types.h"
#include "node/message.h"

namespace faultline::sim {

enum class TraceKind : std::uint8_t {
    send,
    deliver,
    drop,
    timer_set,
    timer_fire,
    timer_cancel,
    node_start,
    node_crash,
    node_restart,
    node_pause,
    node_resume,
    fault,  // a nemesis action or disk fault, described in `text`
};
const char* trace_kind_name(TraceKind kind);

struct TraceEvent {
    Nanos time = 0;
    TraceKind kind = TraceKind::send;
    std::uint8_t reason = 0;           // DropReason for drops
    NodeId node;                       // the acting node (sender, receiver, timer owner)
    NodeId peer;                       // the other end of a message
    std::uint64_t id = 0;              // message id or timer id
    std::uint64_t tag = 0;             // timer tag; message digest
    const Message* message = nullptr;  // valid only during record()
    std::string_view text;             // faults; valid only during record()
};

// Tells a node's name (sinks that write names ask it once per node).
using NodeNames = std::function<std::string(NodeId)>;

class TraceSink {
  public:
    virtual ~TraceSink() = default;
    // Before the first event: how to name nodes.
    virtual void start(NodeNames names) { (void)names; }
    virtual void record(const TraceEvent& event) = 0;
    // After the last event: the trace's hash and event count (a file writes
    // them at its end, so that a reader can tell a whole trace from a cut one).
    virtual void finish(std::uint64_t hash, std::uint64_t events) {
        (void)hash;
        (void)events;
    }
};

// The trace hash: XXH3 over a fixed 40-byte record of each event (time, id,
// tag, node, peer, kind, reason, six zero bytes, little-endian as laid out on
// x86-64), each followed by the event's text if it has one. The records are
// gathered in a buffer and hashed a few kilobytes at a time.
class TraceHasher {
  public:
    void add(const TraceEvent& event) {
        const Record record{event.time,       event.id,
                            event.tag,        event.node.value,
                            event.peer.value, static_cast<std::uint8_t>(event.kind),
                            event.reason,     {}};
        if (pending_ + sizeof record > sizeof buffer_) flush();
        std::memcpy(buffer_ + pending_, &record, sizeof record);
        pending_ += sizeof record;
        if (!event.text.empty()) add_text(event.text);
    }
    std::uint64_t digest() const {
        flush();
        return hasher_.digest();
    }

  private:
    struct Record {
        Nanos time;
        std::uint64_t id;
        std::uint64_t tag;
        std::uint32_t node;
        std::uint32_t peer;
        std::uint8_t kind;
        std::uint8_t reason;
        std::uint8_t padding[6];
    };
    static_assert(sizeof(Record) == 40);

    void add_text(std::string_view text);
    // Hashes what is gathered. Const: the digest reads it, and gathering is
    // invisible from outside.
    void flush() const;

    mutable Hasher hasher_;
    mutable std::size_t pending_ = 0;
    alignas(64) mutable unsigned char buffer_[4096];
};

class Trace {
  public:
    void record(const TraceEvent& event) {
        hasher_.add(event);
        ++event_count_;
        for (TraceSink* sink : sinks_) sink->record(event);
    }
    std::uint64_t hash() const { return hasher_.digest(); }
    std::uint64_t event_count() const { return event_count_; }
    void add_sink(TraceSink* sink) { sinks_.push_back(sink); }
    void remove_sink(TraceSink* sink);

  private:
    TraceHasher hasher_;
    std::uint64_t event_count_ = 0;
    std::vector<TraceSink*> sinks_;
};

// An event as one JSON object (a line of trace.jsonl): `node`, `peer` and
// `type` are names; `body` (sends only) is the message's JSON, or null to
// leave it out.
nlohmann::json trace_event_json(const TraceEvent& event, std::string_view node, std::string_view peer,
                                std::string_view type, const nlohmann::json* body);

// Writes one JSON object per event (trace.jsonl), with each sent message's
// body: the old trace format, kept for `--trace-format jsonl`. Rendering every
// body as JSON costs several times the simulation itself.
class JsonlTraceSink final : public TraceSink {
  public:
    explicit JsonlTraceSink(std::FILE* out);
    void start(NodeNames names) override { name_of_ = std::move(names); }
    void record(const TraceEvent& event) override;

  private:
    std::FILE* out_;
    NodeNames name_of_;
};

// Keeps every event in memory (message type and text copied), for tests and reports.
class MemoryTraceSink final : public TraceSink {
  public:
    struct Entry {
        TraceEvent event;  // message and text pointers cleared
        std::string message_type;
        std::string text;
    };
    void record(const TraceEvent& event) override;
    const std::vector<Entry>& entries() const { return entries_; }

  private:
    std::vector<Entry> entries_;
};

}  // namespace faultline::sim
