#include "runner/store.h"

#include <fmt/format.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "sim/trace_file.h"

namespace faultline::runner {

namespace fs = std::filesystem;

Status write_text_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    if (!out) return make_error(ErrorCode::io_error, fmt::format("{}: cannot open for writing", path));
    out << text;
    out.flush();
    if (!out) return make_error(ErrorCode::io_error, fmt::format("{}: write failed", path));
    return ok_status();
}

Result<std::string> compress_if_large(const std::string& path, std::uint64_t threshold_bytes) {
    std::error_code error;
    const auto size = fs::file_size(path, error);
    if (error) return make_error(ErrorCode::io_error, fmt::format("{}: {}", path, error.message()));
    if (size <= threshold_bytes) return path;
    const std::string compressed = path + ".zst";
    std::ifstream in(path, std::ios::binary);
    std::ofstream out(compressed, std::ios::binary);
    if (!in || !out) return make_error(ErrorCode::io_error, fmt::format("{}: cannot compress", path));
    std::unique_ptr<ZSTD_CCtx, std::size_t (*)(ZSTD_CCtx*)> context(ZSTD_createCCtx(), &ZSTD_freeCCtx);
    ZSTD_CCtx_setParameter(context.get(), ZSTD_c_compressionLevel, 3);
    std::vector<char> input(ZSTD_CStreamInSize()), output(ZSTD_CStreamOutSize());
    bool last = false;
    while (!last) {
        in.read(input.data(), static_cast<std::streamsize>(input.size()));
        const auto read = static_cast<std::size_t>(in.gcount());
        last = read < input.size();
        ZSTD_inBuffer chunk{input.data(), read, 0};
        const ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
        bool finished = false;
        while (!finished) {
            ZSTD_outBuffer sink{output.data(), output.size(), 0};
            const std::size_t remaining = ZSTD_compressStream2(context.get(), &sink, &chunk, mode);
            if (ZSTD_isError(remaining)) {
                return make_error(ErrorCode::io_error, fmt::format("{}: {}", path, ZSTD_getErrorName(remaining)));
            }
            out.write(output.data(), static_cast<std::streamsize>(sink.pos));
            finished = last ? remaining == 0 : chunk.pos == chunk.size;
        }
    }
    out.flush();
    if (!out) return make_error(ErrorCode::io_error, fmt::format("{}: write failed", compressed));
    fs::remove(path, error);
    return compressed;
}

Result<Json> read_json_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorCode::not_found, fmt::format("{}: cannot open", path));
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    try {
        return Json::parse(text);
    } catch (const Json::parse_error& error) {
        // The line of the first byte that cannot be read, as every other
        // input error names it; a file that stops before its JSON does (a
        // writer killed mid-write) is said to.
        const std::size_t at = std::min<std::size_t>(error.byte == 0 ? 0 : error.byte - 1, text.size());
        const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
        const bool ended = text.find_first_not_of(" \t\r\n", at) == std::string::npos;
        return make_error(ErrorCode::parse_error, fmt::format("{}:{}: not valid JSON{}", path, line,
                                                              ended ? " (it ends early: cut short?)" : ""));
    }
}

Result<std::string> create_run_directory(const std::string& store_root, const std::string& name, std::uint64_t seed) {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &utc);
    const fs::path parent = fs::path(store_root) / name;
    std::error_code error;
    fs::create_directories(parent, error);
    if (error) {
        return make_error(ErrorCode::io_error,
                          fmt::format("{}: cannot create directory: {}", parent.string(), error.message()));
    }
    // Two runs in the same second get distinct directories.
    for (int attempt = 1; attempt < 1000; ++attempt) {
        std::string leaf = fmt::format("{}-seed{}", stamp, seed);
        if (attempt > 1) leaf += fmt::format("-{}", attempt);
        const fs::path dir = parent / leaf;
        if (fs::create_directory(dir, error)) return dir.string();
        if (error) {
            return make_error(ErrorCode::io_error,
                              fmt::format("{}: cannot create directory: {}", dir.string(), error.message()));
        }
    }
    return make_error(ErrorCode::io_error, fmt::format("{}: too many runs in one second", parent.string()));
}

Status write_config(const std::string& run_dir, const RunConfig& config) {
    return write_text_file((fs::path(run_dir) / "config.json").string(), config.to_json().dump(2) + "\n");
}

Status write_results(const std::string& run_dir, const RunResult& result) {
    const fs::path dir(run_dir);
    if (auto status = check::write_history_jsonl((dir / "history.jsonl").string(), result.history); !status) {
        return status;
    }
    if (auto status = write_text_file((dir / "results.json").string(), result.to_json().dump(2) + "\n"); !status) {
        return status;
    }
    if (!result.node_logs.empty()) {
        std::error_code error;
        fs::create_directories(dir / "node-logs", error);
        if (error) {
            return make_error(ErrorCode::io_error, fmt::format("{}/node-logs: {}", run_dir, error.message()));
        }
        for (const auto& [node, lines] : result.node_logs) {
            std::string text;
            for (const std::string& line : lines) text += line + "\n";
            if (auto status = write_text_file((dir / "node-logs" / (node + ".log")).string(), text); !status) {
                return status;
            }
        }
    }
    return ok_status();
}

Status update_latest(const std::string& store_root, const std::string& run_dir) {
    const fs::path link = fs::path(store_root) / "latest";
    std::error_code error;
    fs::remove(link, error);
    fs::create_directory_symlink(fs::relative(run_dir, store_root), link, error);
    if (error) {
        return make_error(ErrorCode::io_error, fmt::format("{}: cannot link: {}", link.string(), error.message()));
    }
    return ok_status();
}

Result<RunConfig> read_config(const std::string& run_dir) {
    const std::string path = (fs::path(run_dir) / "config.json").string();
    auto json = read_json_file(path);
    if (!json) return json.error();
    auto config = RunConfig::from_json(*json);
    if (!config) {
        return make_error(config.error().code, fmt::format("{}: {}", path, config.error().message));
    }
    return config;
}

Result<Json> read_results(const std::string& run_dir) {
    return read_json_file((fs::path(run_dir) / "results.json").string());
}

const char* trace_format_name(TraceFormat format) {
    switch (format) {
        case TraceFormat::binary:
            return "binary";
        case TraceFormat::jsonl:
            return "jsonl";
    }
    FL_UNREACHABLE();
}

Result<TraceFormat> parse_trace_format(std::string_view name) {
    if (name == "binary") return TraceFormat::binary;
    if (name == "jsonl") return TraceFormat::jsonl;
    return make_error(ErrorCode::invalid_argument, fmt::format("unknown trace format '{}' (binary, jsonl)", name));
}

std::string TraceOutput::file_name(TraceFormat format) {
    return format == TraceFormat::binary ? std::string(sim::kTraceFileName) : "trace.jsonl";
}

Result<TraceOutput> TraceOutput::open(const std::string& path, TraceFormat format) {
    TraceOutput output;
    output.path_ = path;
    output.format_ = format;
    if (format == TraceFormat::binary) {
        auto writer = sim::TraceFileWriter::create(path);
        if (!writer) return writer.error();
        output.sink_ = std::move(*writer);
    } else {
        output.jsonl_ = std::fopen(path.c_str(), "w");
        if (output.jsonl_ == nullptr) {
            return make_error(ErrorCode::io_error, fmt::format("{}: cannot open for writing", path));
        }
        output.sink_ = std::make_unique<sim::JsonlTraceSink>(output.jsonl_);
    }
    return output;
}

TraceOutput::TraceOutput(TraceOutput&& other) noexcept
    : path_(std::move(other.path_)),
      format_(other.format_),
      sink_(std::move(other.sink_)),
      jsonl_(std::exchange(other.jsonl_, nullptr)) {}

TraceOutput& TraceOutput::operator=(TraceOutput&& other) noexcept {
    if (this != &other) {
        if (jsonl_ != nullptr) std::fclose(jsonl_);
        path_ = std::move(other.path_);
        format_ = other.format_;
        sink_ = std::move(other.sink_);
        jsonl_ = std::exchange(other.jsonl_, nullptr);
    }
    return *this;
}

TraceOutput::~TraceOutput() {
    sink_.reset();
    if (jsonl_ != nullptr) std::fclose(jsonl_);
}

sim::TraceSink* TraceOutput::sink() const {
    return sink_.get();
}

Result<std::string> TraceOutput::close() {
    FL_ASSERT(sink_ != nullptr);
    if (format_ == TraceFormat::binary) {
        const Status status = static_cast<const sim::TraceFileWriter&>(*sink_).status();
        sink_.reset();
        if (!status) return status.error();
        return path_;
    }
    sink_.reset();
    const bool closed = std::fclose(jsonl_) == 0;
    jsonl_ = nullptr;
    if (!closed) return make_error(ErrorCode::io_error, fmt::format("{}: write failed", path_));
    // A long run's trace is tens of megabytes of JSON: keep it compressed.
    return compress_if_large(path_, 4 << 20);
}

Result<StoredRun> run_and_store(const std::string& store_root, const RunConfig& config, const StoreOptions& options) {
    auto dir = create_run_directory(store_root, config.system, config.seed);
    if (!dir) return dir.error();
    if (auto status = write_config(*dir, config); !status) return status.error();
    std::optional<TraceOutput> trace;
    if (options.trace) {
        auto opened =
            TraceOutput::open(*dir + "/" + TraceOutput::file_name(options.trace_format), options.trace_format);
        if (!opened) return opened.error();
        trace = std::move(*opened);
    }
    auto result = run(config, RunOptions{.trace_sink = trace ? trace->sink() : nullptr, .progress = options.progress});
    if (trace) {
        if (auto kept = trace->close(); !kept) return kept.error();
    }
    if (!result) return result.error();
    // Again, now with the settings the search plan chose (its knobs).
    if (auto status = write_config(*dir, result->config); !status) return status.error();
    if (auto status = write_results(*dir, *result); !status) return status.error();
    if (options.update_latest) {
        if (auto status = update_latest(store_root, *dir); !status) return status.error();
    }
    return StoredRun{*dir, std::move(*result)};
}

}  // namespace faultline::runner
