#include "sim/trace.h"

#include <algorithm>

#include "base/assert.h"
#include "base/json.h"
#include "sim/network.h"

namespace faultline::sim {

const char* trace_kind_name(TraceKind kind) {
    switch (kind) {
        case TraceKind::send:
            return "send";
        case TraceKind::deliver:
            return "deliver";
        case TraceKind::drop:
            return "drop";
        case TraceKind::timer_set:
            return "timer-set";
        case TraceKind::timer_fire:
            return "timer-fire";
        case TraceKind::timer_cancel:
            return "timer-cancel";
        case TraceKind::node_start:
            return "start";
        case TraceKind::node_crash:
            return "crash";
        case TraceKind::node_restart:
            return "restart";
        case TraceKind::node_pause:
            return "pause";
        case TraceKind::node_resume:
            return "resume";
        case TraceKind::fault:
            return "fault";
    }
    FL_UNREACHABLE();
}

void Trace::record(const TraceEvent& event) {
    struct Record {
        Nanos time;
        std::uint64_t id;
        std::uint64_t tag;
        std::uint32_t node;
        std::uint32_t peer;
        std::uint8_t kind;
        std::uint8_t reason;
        std::uint8_t padding[6];
    } record{
        event.time,   event.id, event.tag, event.node.value, event.peer.value, static_cast<std::uint8_t>(event.kind),
        event.reason, {}};
    static_assert(sizeof(Record) == 40);
    hasher_.add(&record, sizeof record);
    if (!event.text.empty()) hasher_.add(event.text.data(), event.text.size());
    ++event_count_;
    for (TraceSink* sink : sinks_) sink->record(event);
}

void Trace::remove_sink(TraceSink* sink) {
    sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), sink), sinks_.end());
}

JsonlTraceSink::JsonlTraceSink(std::FILE* out, std::function<std::string(NodeId)> name_of)
    : out_(out), name_of_(std::move(name_of)) {
    FL_ASSERT(out_ != nullptr);
}

void JsonlTraceSink::record(const TraceEvent& event) {
    Json line;
    line["t"] = event.time;
    line["kind"] = trace_kind_name(event.kind);
    line["node"] = name_of_(event.node);
    switch (event.kind) {
        case TraceKind::send:
        case TraceKind::deliver:
        case TraceKind::drop:
            line["peer"] = name_of_(event.peer);
            line["msg"] = event.id;
            if (event.kind == TraceKind::drop) {
                line["reason"] = drop_reason_name(static_cast<DropReason>(event.reason));
            }
            if (event.message != nullptr) {
                line["type"] = event.message->type();
                if (event.kind == TraceKind::send) line["body"] = event.message->to_json();
            }
            break;
        case TraceKind::timer_set:
        case TraceKind::timer_fire:
        case TraceKind::timer_cancel:
            line["timer"] = event.id;
            line["tag"] = event.tag;
            break;
        default:
            break;
    }
    if (!event.text.empty()) line["text"] = event.text;
    std::string text = line.dump();
    text.push_back('\n');
    std::fwrite(text.data(), 1, text.size(), out_);
}

void MemoryTraceSink::record(const TraceEvent& event) {
    Entry entry{event, event.message ? std::string(event.message->type()) : std::string(), std::string(event.text)};
    entry.event.message = nullptr;
    entry.event.text = {};
    entries_.push_back(std::move(entry));
}

}  // namespace faultline::sim
