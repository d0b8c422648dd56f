#include "runner/store.h"

#include <fmt/format.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

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
    Json json = Json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
        return make_error(ErrorCode::parse_error, fmt::format("{}: not valid JSON", path));
    }
    return json;
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

Result<StoredRun> run_and_store(const std::string& store_root, const RunConfig& config, const StoreOptions& options) {
    auto dir = create_run_directory(store_root, config.system, config.seed);
    if (!dir) return dir.error();
    if (auto status = write_config(*dir, config); !status) return status.error();
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> trace_file(nullptr, &std::fclose);
    const std::string trace_path = *dir + "/trace.jsonl";
    if (options.trace) {
        trace_file.reset(std::fopen(trace_path.c_str(), "w"));
        if (!trace_file) return make_error(ErrorCode::io_error, fmt::format("{}: cannot open for writing", trace_path));
    }
    auto result = run(config, RunOptions{.trace_out = trace_file.get(), .progress = options.progress});
    trace_file.reset();
    if (!result) return result.error();
    if (options.trace) {
        // A long run's trace is tens of megabytes of JSON: keep it compressed.
        if (auto kept = compress_if_large(trace_path, 4 << 20); !kept) return kept.error();
    }
    if (auto status = write_results(*dir, *result); !status) return status.error();
    if (options.update_latest) {
        if (auto status = update_latest(store_root, *dir); !status) return status.error();
    }
    return StoredRun{*dir, std::move(*result)};
}

}  // namespace faultline::runner
