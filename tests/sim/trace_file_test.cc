// The binary trace file: what the writer streams, the reader gives back whole
// (every field, names, the trace hash); a file cut where a dying run left it
// reads up to the cut; a file whose end disagrees with its events is damaged.
#include "sim/trace_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "sim/simulation.h"
#include "sim/test_nodes.h"
#include "support/faultline_process.h"

namespace faultline::sim {
namespace {

using testing::Probe;
using testing::ProbeNode;

// A busy run with every kind of event: sends with 64-bit digests over a lossy,
// duplicating link, timers set, fired and cancelled, crashes, restarts,
// pauses and fault notes. Each node fires a timer every millisecond.
struct BusyRun {
    Simulation simulation{SimulationOptions{
        .seed = 7,
        .link = LinkConfig{
            .latency = LatencyModel::exponential(milliseconds(3), milliseconds(1)), .loss = 0.05, .duplicate = 0.05}}};
    MemoryTraceSink memory;

    void run(TraceSink* sink, Nanos duration) {
        for (const char* name : {"n0", "n1", "n2", "c0"}) {
            simulation.add_server(name, [this] {
                auto node = std::make_unique<ProbeNode>();
                node->on_start = [](Context& ctx) { ctx.set_timer(milliseconds(1), 1); };
                node->on_recover = node->on_start;
                node->on_fire = [this](Context& ctx, TimerId, std::uint64_t tag) {
                    if (tag != 1) return;
                    const auto to = NodeId(static_cast<std::uint32_t>(ctx.random().below(simulation.node_count())));
                    ctx.send(to, std::make_shared<Probe>(ctx.random().next()));
                    const TimerId spare = ctx.set_timer(milliseconds(5), 2);
                    if (ctx.random().chance(0.5)) ctx.cancel_timer(spare);
                    ctx.set_timer(milliseconds(1), 1);
                };
                return node;
            });
        }
        if (sink != nullptr) {
            sink->start([this](NodeId id) { return simulation.name(id); });
            simulation.trace().add_sink(sink);
        }
        simulation.trace().add_sink(&memory);
        for (Nanos at = seconds(1); at < duration; at += seconds(1)) {
            const NodeId victim(static_cast<std::uint32_t>((at / seconds(1)) % 3));
            simulation.at(at, [this, victim, at] {
                simulation.note_fault("fault at " + std::to_string(at) + std::string(200, '.'));
                if ((at / seconds(1)) % 2 == 0) {
                    simulation.crash(victim);
                } else {
                    simulation.pause(victim);
                }
            });
            simulation.at(at + milliseconds(300), [this, victim] {
                simulation.restart(victim);
                simulation.resume(victim);
            });
        }
        simulation.start();
        simulation.run_until(duration);
        if (sink != nullptr) sink->finish(simulation.trace().hash(), simulation.trace().event_count());
    }
};

std::string trace_path(const std::string& name) {
    const std::string folder = faultline::testing::fresh_folder("trace-file");
    EXPECT_FALSE(folder.empty());
    return folder + "/" + name;
}

// Reads `path` to its end, comparing each event with what the run recorded.
// Returns the number of events read.
std::uint64_t read_and_compare(const std::string& path, const BusyRun& run, bool expect_complete) {
    auto reader = TraceReader::open(path);
    EXPECT_TRUE(reader.has_value()) << reader.error().message;
    if (!reader) return 0;
    TraceRecord record;
    std::uint64_t read = 0;
    const ::testing::TestResult& result = *::testing::UnitTest::GetInstance()->current_test_info()->result();
    const int failures_before = result.total_part_count();
    while (true) {
        auto next = reader->next(record);
        EXPECT_TRUE(next.has_value()) << next.error().message;
        if (!next || !*next) break;
        const auto& expected = run.memory.entries().at(read);
        EXPECT_EQ(record.event.time, expected.event.time) << "event " << read;
        EXPECT_EQ(record.event.kind, expected.event.kind) << "event " << read;
        EXPECT_EQ(record.event.node, expected.event.node) << "event " << read;
        EXPECT_EQ(record.event.peer, expected.event.peer) << "event " << read;
        EXPECT_EQ(record.event.id, expected.event.id) << "event " << read;
        EXPECT_EQ(record.event.tag, expected.event.tag) << "event " << read;
        EXPECT_EQ(record.event.reason, expected.event.reason) << "event " << read;
        EXPECT_EQ(record.event.text, expected.text) << "event " << read;
        EXPECT_EQ(record.message_type, expected.message_type) << "event " << read;
        EXPECT_EQ(record.node, run.simulation.name(expected.event.node)) << "event " << read;
        ++read;
        // One mismatch is enough to see: stop before it repeats a million times.
        if (result.total_part_count() > failures_before) break;
    }
    EXPECT_EQ(reader->complete(), expect_complete);
    EXPECT_EQ(reader->events_read(), read);
    return read;
}

TEST(TraceFile, ReadsBackEveryEventWithNamesAndTheTraceHash) {
    const std::string path = trace_path("trace.bin.zst");
    auto writer = TraceFileWriter::create(path);
    ASSERT_TRUE(writer.has_value()) << writer.error().message;
    BusyRun run;
    run.run(writer->get(), seconds(10));
    ASSERT_TRUE((*writer)->status().has_value());
    writer->reset();
    // Several chunks of records, and every kind of event.
    ASSERT_GT(run.simulation.trace().event_count(), 100'000u);
    std::set<TraceKind> kinds;
    for (const auto& entry : run.memory.entries()) kinds.insert(entry.event.kind);
    EXPECT_EQ(kinds.size(), 12u);

    EXPECT_EQ(read_and_compare(path, run, true), run.simulation.trace().event_count());
    auto reader = TraceReader::open(path);
    ASSERT_TRUE(reader.has_value());
    TraceRecord record;
    while (reader->next(record).value()) {
    }
    EXPECT_EQ(reader->hash(), run.simulation.trace().hash());
    // A few bytes an event (each send here carries 8 random bytes of digest): the
    // trace is compact; trace.jsonl took over a hundred.
    EXPECT_LT(std::filesystem::file_size(path), run.simulation.trace().event_count() * 8);
}

TEST(TraceFile, TheTraceHashIsTheSameWithOrWithoutAFile) {
    BusyRun with_file;
    auto writer = TraceFileWriter::create(trace_path("trace.bin.zst"));
    ASSERT_TRUE(writer.has_value());
    with_file.run(writer->get(), seconds(3));
    BusyRun without;
    without.run(nullptr, seconds(3));
    EXPECT_EQ(with_file.simulation.trace().hash(), without.simulation.trace().hash());
}

// A run that dies leaves the chunks it wrote: the reader returns their events
// and says the trace was cut, wherever the file ends.
TEST(TraceFile, ACutTraceReadsUpToTheCut) {
    const std::string path = trace_path("trace.bin.zst");
    auto writer = TraceFileWriter::create(path);
    ASSERT_TRUE(writer.has_value());
    BusyRun run;
    run.run(writer->get(), seconds(10));
    writer->reset();
    std::ifstream in(path, std::ios::binary);
    const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::uint64_t previous = 0;
    for (const double fraction : {0.0, 0.1, 0.5, 0.9, 0.999}) {
        const std::string cut_path = path + ".cut";
        std::ofstream(cut_path, std::ios::binary)
            .write(whole.data(), static_cast<std::streamsize>(static_cast<double>(whole.size()) * fraction));
        if (fraction == 0.0) {
            EXPECT_FALSE(TraceReader::open(cut_path).has_value());
            continue;
        }
        const std::uint64_t read = read_and_compare(cut_path, run, false);
        EXPECT_GE(read, previous) << fraction;
        EXPECT_LT(read, run.simulation.trace().event_count()) << fraction;
        previous = read;
    }
    EXPECT_GT(previous, run.simulation.trace().event_count() / 2);
}

TEST(TraceFile, AnEndThatDisagreesWithTheEventsIsDamage) {
    const std::string path = trace_path("trace.bin.zst");
    {
        auto writer = TraceFileWriter::create(path);
        ASSERT_TRUE(writer.has_value());
        BusyRun run;
        run.run(nullptr, seconds(1));
        // The events of one run, the end of another.
        for (const auto& entry : run.memory.entries()) {
            TraceEvent event = entry.event;
            event.text = entry.text;
            (*writer)->record(event);
        }
        (*writer)->finish(run.simulation.trace().hash() ^ 1, run.simulation.trace().event_count());
    }
    auto reader = TraceReader::open(path);
    ASSERT_TRUE(reader.has_value());
    TraceRecord record;
    Result<bool> next = true;
    while (next && *next) next = reader->next(record);
    ASSERT_FALSE(next.has_value());
    EXPECT_NE(next.error().message.find("hash"), std::string::npos) << next.error().message;
}

TEST(TraceFile, OtherFilesAreNotTraces) {
    const std::string path = trace_path("not-a-trace");
    std::ofstream(path) << "{\"t\":0}\n";
    auto reader = TraceReader::open(path);
    ASSERT_FALSE(reader.has_value());
    EXPECT_FALSE(TraceReader::open(path + ".missing").has_value());
}

}  // namespace
}  // namespace faultline::sim
