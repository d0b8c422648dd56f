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

void TraceHasher::add_text(std::string_view text) {
    if (pending_ + text.size() > sizeof buffer_) flush();
    if (text.size() > sizeof buffer_) {
        hasher_.add(text.data(), text.size());
        return;
    }
    std::memcpy(buffer_ + pending_, text.data(), text.size());
    pending_ += text.size();
}

void TraceHasher::flush() const {
    if (pending_ == 0) return;
    hasher_.add(buffer_, pending_);
    pending_ = 0;
}

void Trace::forward(const TraceEvent& event) {
    for (TraceSink* sink : sinks_) sink->record(event);
}

void Trace::remove_sink(TraceSink* sink) {
    sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), sink), sinks_.end());
}

Json trace_event_json(const TraceEvent& event, std::string_view node, std::string_view peer, std::string_view type,
                      const Json* body) {
    Json line;
    line["t"] = event.time;
    line["kind"] = trace_kind_name(event.kind);
    line["node"] = node;
    switch (event.kind) {
        case TraceKind::send:
        case TraceKind::deliver:
        case TraceKind::drop:
            line["peer"] = peer;
            line["msg"] = event.id;
            if (event.kind == TraceKind::drop) {
                line["reason"] = drop_reason_name(static_cast<DropReason>(event.reason));
            }
            if (!type.empty()) line["type"] = type;
            if (body != nullptr && event.kind == TraceKind::send) line["body"] = *body;
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
    return line;
}

JsonlTraceSink::JsonlTraceSink(std::FILE* out) : out_(out) {
    FL_ASSERT(out_ != nullptr);
}

void JsonlTraceSink::record(const TraceEvent& event) {
    FL_ASSERT(name_of_ != nullptr);
    const bool message =
        event.kind == TraceKind::send || event.kind == TraceKind::deliver || event.kind == TraceKind::drop;
    Json body;
    if (event.kind == TraceKind::send && event.message != nullptr) body = event.message->to_json();
    const Json line = trace_event_json(event, name_of_(event.node), message ? name_of_(event.peer) : std::string(),
                                       event.message != nullptr ? event.message->type() : std::string_view(),
                                       event.kind == TraceKind::send && event.message != nullptr ? &body : nullptr);
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
