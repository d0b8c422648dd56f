#include "report/trace_source.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <zstd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "sim/network.h"
#include "sim/trace_file.h"

namespace faultline::report {

namespace fs = std::filesystem;

namespace {

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

// Reads a file in blocks, decompressing it if it is zstd.
class BlockReader {
  public:
    BlockReader(File file, bool compressed)
        : file_(std::move(file)),
          compressed_(compressed),
          context_(compressed ? ZSTD_createDStream() : nullptr, &ZSTD_freeDStream),
          input_(compressed ? ZSTD_DStreamInSize() : 0) {}

    // Appends the next block to `out`; false at the end (or on an error, in `error`).
    bool next(std::string& out, std::string& error) {
        constexpr std::size_t kBlock = 4 << 20;
        if (!compressed_) {
            const std::size_t had = out.size();
            out.resize(had + kBlock);
            const std::size_t read = std::fread(out.data() + had, 1, kBlock, file_.get());
            out.resize(had + read);
            return read > 0;
        }
        std::vector<char> output(ZSTD_DStreamOutSize());
        while (true) {
            if (in_.pos == in_.size) {
                const std::size_t read = std::fread(input_.data(), 1, input_.size(), file_.get());
                if (read == 0) return false;
                in_ = ZSTD_inBuffer{input_.data(), read, 0};
            }
            ZSTD_outBuffer sink{output.data(), output.size(), 0};
            const std::size_t status = ZSTD_decompressStream(context_.get(), &sink, &in_);
            if (ZSTD_isError(status)) {
                error = ZSTD_getErrorName(status);
                return false;
            }
            out.append(output.data(), sink.pos);
            if (sink.pos > 0) return true;
        }
    }

  private:
    File file_;
    bool compressed_;
    std::unique_ptr<ZSTD_DStream, std::size_t (*)(ZSTD_DStream*)> context_;
    std::vector<char> input_;
    ZSTD_inBuffer in_{nullptr, 0, 0};
};

Result<sim::TraceKind> kind_named(std::string_view name) {
    static const std::vector<std::pair<std::string_view, sim::TraceKind>> kinds = [] {
        std::vector<std::pair<std::string_view, sim::TraceKind>> all;
        for (int k = 0; k <= static_cast<int>(sim::TraceKind::fault); ++k) {
            const auto kind = static_cast<sim::TraceKind>(k);
            all.emplace_back(sim::trace_kind_name(kind), kind);
        }
        return all;
    }();
    for (const auto& [known, kind] : kinds) {
        if (known == name) return kind;
    }
    return make_error(ErrorCode::parse_error, fmt::format("unknown event kind '{}'", name));
}

std::string_view text_field(simdjson::dom::object object, std::string_view key) {
    std::string_view value;
    if (object[key].get_string().get(value) != simdjson::SUCCESS) return {};
    return value;
}

// The binary trace (trace.bin.zst): every event, no message bodies.
Status for_each_binary_event(const std::string& path, const std::function<void(const TraceRecord&)>& visit) {
    auto reader = sim::TraceReader::open(path);
    if (!reader) return reader.error();
    sim::TraceRecord read;
    while (true) {
        auto more = reader->next(read);
        if (!more) return more.error();
        if (!*more) break;
        TraceRecord record;
        record.time = read.event.time;
        record.kind = read.event.kind;
        record.node = read.node;
        record.peer = read.peer;
        record.id = read.event.id;
        record.type = read.message_type;
        if (read.event.kind == sim::TraceKind::drop) {
            record.reason = sim::drop_reason_name(static_cast<sim::DropReason>(read.event.reason));
        }
        record.text = read.event.text;
        visit(record);
    }
    return ok_status();
}

}  // namespace

std::optional<std::string> trace_file(const std::string& run_dir) {
    for (const char* name : {"trace.bin.zst", "trace.jsonl", "trace.jsonl.zst"}) {
        const fs::path path = fs::path(run_dir) / name;
        std::error_code error;
        if (fs::is_regular_file(path, error)) return path.string();
    }
    return std::nullopt;
}

Status for_each_trace_event(const std::string& run_dir, const std::function<void(const TraceRecord&)>& visit) {
    const std::optional<std::string> path = trace_file(run_dir);
    if (!path) return make_error(ErrorCode::not_found, fmt::format("{}: no trace (run without --no-trace)", run_dir));
    if (path->ends_with(".bin.zst")) return for_each_binary_event(*path, visit);
    File file(std::fopen(path->c_str(), "rb"), &std::fclose);
    if (!file) return make_error(ErrorCode::io_error, fmt::format("{}: cannot open", *path));
    BlockReader reader(std::move(file), path->ends_with(".zst"));
    simdjson::dom::parser parser;
    std::string buffer;
    std::string error;
    std::size_t line_number = 0;
    bool more = true;
    while (more) {
        more = reader.next(buffer, error);
        if (!error.empty()) return make_error(ErrorCode::io_error, fmt::format("{}: {}", *path, error));
        // Whole lines only, unless the file has ended.
        std::size_t end = more ? buffer.rfind('\n') : buffer.size();
        if (end == std::string::npos) continue;
        if (more) ++end;
        // simdjson reads up to SIMDJSON_PADDING bytes past a line: keep them allocated.
        buffer.reserve(buffer.size() + simdjson::SIMDJSON_PADDING);
        std::size_t start = 0;
        while (start < end) {
            std::size_t stop = buffer.find('\n', start);
            if (stop == std::string::npos || stop > end) stop = end;
            const std::string_view line(buffer.data() + start, stop - start);
            start = stop + 1;
            ++line_number;
            if (line.empty()) continue;
            simdjson::dom::object object;
            if (parser.parse(line.data(), line.size(), false).get(object) != simdjson::SUCCESS) {
                return make_error(ErrorCode::parse_error, fmt::format("{}:{}: not a JSON object", *path, line_number));
            }
            auto kind = kind_named(text_field(object, "kind"));
            if (!kind)
                return make_error(ErrorCode::parse_error,
                                  fmt::format("{}:{}: {}", *path, line_number, kind.error().message));
            TraceRecord record;
            std::int64_t time = 0;
            if (object["t"].get_int64().get(time) != simdjson::SUCCESS) {
                return make_error(ErrorCode::parse_error, fmt::format("{}:{}: no time 't'", *path, line_number));
            }
            record.time = time;
            record.kind = *kind;
            record.node = text_field(object, "node");
            record.peer = text_field(object, "peer");
            record.type = text_field(object, "type");
            record.reason = text_field(object, "reason");
            record.text = text_field(object, "text");
            std::uint64_t id = 0;
            if (object["msg"].get_uint64().get(id) == simdjson::SUCCESS ||
                object["timer"].get_uint64().get(id) == simdjson::SUCCESS) {
                record.id = id;
            }
            simdjson::dom::element body;
            if (object["body"].get(body) == simdjson::SUCCESS) {
                record.body = [body] { return simdjson::minify(body); };
            }
            visit(record);
        }
        buffer.erase(0, end);
    }
    return ok_status();
}

}  // namespace faultline::report
