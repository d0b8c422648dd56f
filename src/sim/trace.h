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
        add(event.time, event.id, event.tag, event.node, event.peer, event.kind, event.reason);
        if (!event.text.empty()) add_text(event.text);
    }
    // An event without text, from its fields.
    void add(Nanos time, std::uint64_t id, std::uint64_t tag, NodeId node, NodeId peer, TraceKind kind,
             std::uint8_t reason) {
        if (pending_ + kRecordBytes > sizeof buffer_) flush();
        unsigned char* out = buffer_ + pending_;
        std::memcpy(out, &time, 8);
        std::memcpy(out + 8, &id, 8);
        std::memcpy(out + 16, &tag, 8);
        std::memcpy(out + 24, &node.value, 4);
        std::memcpy(out + 28, &peer.value, 4);
        out[32] = static_cast<std::uint8_t>(kind);
        out[33] = reason;
        std::memset(out + 34, 0, 6);
        pending_ += kRecordBytes;
    }
    std::uint64_t digest() const {
        flush();
        return hasher_.digest();
    }

  private:
    // The record: time, id, tag (8 bytes each), node, peer (4 each), kind,
    // reason (1 each), 6 zero bytes; the layout of a C struct of those fields
    // on x86-64, which the first trace hashes were computed over.
    static constexpr std::size_t kRecordBytes = 40;

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
    // The same for the events of every message and timer, their fields passed
    // in registers: a TraceEvent assembled on the stack and read back at once
    // with wider loads than its stores stalled each of them. The event is
    // built only for sinks.
    void record(TraceKind kind, Nanos time, NodeId node, NodeId peer, std::uint64_t id, std::uint64_t tag,
                const Message* message) {
        hasher_.add(time, id, tag, node, peer, kind, 0);
        ++event_count_;
        if (!sinks_.empty()) [[unlikely]] {
            forward(TraceEvent{
                .time = time, .kind = kind, .node = node, .peer = peer, .id = id, .tag = tag, .message = message});
        }
    }
    std::uint64_t hash() const { return hasher_.digest(); }
    std::uint64_t event_count() const { return event_count_; }
    void add_sink(TraceSink* sink) { sinks_.push_back(sink); }
    void remove_sink(TraceSink* sink);

  private:
    void forward(const TraceEvent& event);

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
