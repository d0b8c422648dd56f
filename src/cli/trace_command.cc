// `faultline trace DIR`: a stored run's binary trace as JSON lines, the
// format of trace.jsonl (docs/formats.md).
//
// The binary trace holds every event but not the bodies of the messages sent.
// With --bodies they are rendered from a replay of the run (config.json): the
// replay's events are compared with the file's one by one, so a body is only
// ever printed beside the event it belongs to, and a replay that diverges
// (another build) stops the output with an error.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "base/json.h"
#include "cli/commands.h"
#include "runner/run.h"
#include "runner/store.h"
#include "sim/trace_file.h"

namespace faultline::cli {

namespace {

struct TraceArguments {
    std::string path;
    bool bodies = false;
};

void print_line(const sim::TraceRecord& record, const Json* body) {
    std::string line = sim::trace_event_json(record.event, record.node, record.peer, record.message_type, body).dump();
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
}

bool same_event(const sim::TraceEvent& a, const sim::TraceEvent& b) {
    return a.time == b.time && a.kind == b.kind && a.reason == b.reason && a.node == b.node && a.peer == b.peer &&
           a.id == b.id && a.tag == b.tag && a.text == b.text;
}

// Prints the file's events as the replay reaches them, each send with the
// body of the message the replay sent.
class BodySink final : public sim::TraceSink {
  public:
    explicit BodySink(sim::TraceReader& reader) : reader_(reader) {}

    void record(const sim::TraceEvent& event) override {
        if (problem_) return;
        sim::TraceRecord record;
        auto read = reader_.next(record);
        if (!read) {
            problem_ = read.error().message;
            return;
        }
        if (!*read) {
            // A cut trace ends where the run that wrote it died; a whole one
            // ending early is another run.
            if (reader_.complete()) problem_ = "the replay goes on past the end of the trace";
            ended_ = true;
            return;
        }
        if (!same_event(event, record.event)) {
            problem_ = fmt::format("the replay diverges from the trace at event {} (t={})", reader_.events_read(),
                                   record.event.time);
            return;
        }
        if (event.kind == sim::TraceKind::send && event.message != nullptr) {
            const Json body = event.message->to_json();
            print_line(record, &body);
        } else {
            print_line(record, nullptr);
        }
    }

    bool ended() const { return ended_; }
    const std::optional<std::string>& problem() const { return problem_; }

  private:
    sim::TraceReader& reader_;
    bool ended_ = false;
    std::optional<std::string> problem_;
};

// The trace file of a run directory, or the file itself.
std::string trace_path(const std::string& path) {
    return std::filesystem::is_directory(path) ? path + "/" + std::string(sim::kTraceFileName) : path;
}

int print_with_bodies(const std::string& run_dir, sim::TraceReader& reader) {
    auto config = runner::read_config(run_dir);
    if (!config) {
        print_error(config.error().message + " (--bodies replays the run: give its directory)");
        return exit_usage;
    }
    BodySink sink(reader);
    auto result = runner::run(*config, runner::RunOptions{.trace_sink = &sink, .keep_node_logs = false});
    std::fflush(stdout);
    if (!result) {
        print_error(result.error().message);
        return exit_runtime;
    }
    if (sink.problem()) {
        print_error(*sink.problem());
        return exit_diverged;
    }
    if (!sink.ended()) {
        sim::TraceRecord record;
        auto more = reader.next(record);
        if (!more) {
            print_error(more.error().message);
            return exit_usage;
        }
        if (*more) {
            print_error("the trace goes on past the end of the replay");
            return exit_diverged;
        }
    }
    if (!reader.complete()) {
        print_error(
            fmt::format("the trace was cut after {} events (the run did not finish writing it)", reader.events_read()));
    }
    return exit_valid;
}

int run_trace(const TraceArguments& arguments) {
    const std::string path = trace_path(arguments.path);
    auto reader = sim::TraceReader::open(path);
    if (!reader) {
        std::string message = reader.error().message;
        if (std::filesystem::is_directory(arguments.path) &&
            (std::filesystem::exists(arguments.path + "/trace.jsonl") ||
             std::filesystem::exists(arguments.path + "/trace.jsonl.zst"))) {
            message += "; this run's trace is trace.jsonl, JSON lines already (zstdcat reads trace.jsonl.zst)";
        }
        print_error(message);
        return exit_usage;
    }
    if (arguments.bodies) {
        if (!std::filesystem::is_directory(arguments.path)) {
            print_error("--bodies replays the run: give its directory, not the trace file");
            return exit_usage;
        }
        return print_with_bodies(arguments.path, *reader);
    }
    sim::TraceRecord record;
    while (true) {
        auto read = reader->next(record);
        if (!read) {
            std::fflush(stdout);
            print_error(read.error().message);
            return exit_usage;
        }
        if (!*read) break;
        print_line(record, nullptr);
    }
    std::fflush(stdout);
    if (!reader->complete()) {
        print_error(fmt::format("the trace was cut after {} events (the run did not finish writing it)",
                                reader->events_read()));
    }
    return exit_valid;
}

}  // namespace

CommandAction add_trace_command(CLI::App& app) {
    auto arguments = std::make_shared<TraceArguments>();
    CLI::App* trace = app.add_subcommand("trace", "Print a stored run's trace as JSON lines");
    trace->footer(
        "One JSON object per event, as docs/formats.md describes trace.jsonl. The events are checked\n"
        "against the trace hash the file ends with. Exit codes: 0 printed (a trace cut short by a run\n"
        "that died is printed up to the cut, with a note on stderr); 3 the trace cannot be read or is\n"
        "damaged; 5 with --bodies, the replay is not the traced run.");
    trace->add_option("DIR", arguments->path, "A run directory (e.g. store/latest) or its trace.bin.zst")->required();
    trace->add_flag("--bodies", arguments->bodies,
                    "Add each sent message's body, rendered from a replay of the run checked event by event "
                    "against the trace");
    return [arguments] { return run_trace(*arguments); };
}

}  // namespace faultline::cli
