// The trace: every send, delivery, drop, timer and fault of a run, in order.
//
// The simulator reports each event once, as a TraceEvent, to the Trace. The
// Trace folds a fixed-size binary record of it into a running XXH3 hash (the
// trace hash a run prints: the same seed must give the same hash) and forwards
// the event to any sinks: a JSONL file writer, an in-memory recorder for tests
// and reports. With no sinks, recording costs one hash update.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
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

class TraceSink {
  public:
    virtual ~TraceSink() = default;
    virtual void record(const TraceEvent& event) = 0;
};

class Trace {
  public:
    void record(const TraceEvent& event);
    std::uint64_t hash() const { return hasher_.digest(); }
    std::uint64_t event_count() const { return event_count_; }
    void add_sink(TraceSink* sink) { sinks_.push_back(sink); }
    void remove_sink(TraceSink* sink);

  private:
    Hasher hasher_;
    std::uint64_t event_count_ = 0;
    std::vector<TraceSink*> sinks_;
};

// Writes one JSON object per event. Node names come from `name_of`.
class JsonlTraceSink final : public TraceSink {
  public:
    JsonlTraceSink(std::FILE* out, std::function<std::string(NodeId)> name_of);
    void record(const TraceEvent& event) override;

  private:
    std::FILE* out_;
    std::function<std::string(NodeId)> name_of_;
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
