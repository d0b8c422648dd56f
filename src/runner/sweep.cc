#include "runner/sweep.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <fmt/format.h>

namespace faultline::runner {

Result<std::pair<std::uint64_t, std::uint64_t>> parse_seed_range(const std::string& text) {
    // from_chars, not strtoull: a number past 2^64-1 is refused, not clamped to it.
    auto parse = [](const std::string& number, std::uint64_t& out) {
        const char* end = number.data() + number.size();
        const auto [stop, error] = std::from_chars(number.data(), end, out);
        return !number.empty() && stop == end && error == std::errc{};
    };
    const auto dots = text.find("..");
    std::uint64_t first = 0, last = 0;
    const bool ok = dots == std::string::npos ? parse(text, first) && parse(text, last)
                                              : parse(text.substr(0, dots), first) && parse(text.substr(dots + 2), last);
    if (!ok || first > last) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("'{}' is not a seed range (try 1..2000, with the first <= the last)", text));
    }
    return std::make_pair(first, last);
}

SweepResult sweep(const RunConfig& config, const SweepOptions& options,
                  const std::function<void(const RunResult&)>& on_failure) {
    const auto wall_start = std::chrono::steady_clock::now();
    SweepResult result;
    std::mutex mutex;
    std::condition_variable done;
    std::uint64_t next_seed = options.first_seed;
    // Set once last_seed is handed out: `next_seed > last_seed` alone never
    // holds when last_seed is 2^64-1, as the counter wraps to 0.
    bool all_handed_out = options.first_seed > options.last_seed;
    bool stop = false;
    int running = 0;
    // Results are handed back to this thread so on_failure never runs concurrently.
    std::vector<RunResult> failed_results;

    auto worker = [&] {
        while (true) {
            std::uint64_t seed = 0;
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (stop || all_handed_out) break;
                seed = next_seed;
                if (seed == options.last_seed) {
                    all_handed_out = true;
                } else {
                    ++next_seed;
                }
            }
            RunConfig seeded = config;
            seeded.seed = seed;
            // Node logs are not kept: a failing seed is stored by running it
            // again whole (see run_and_store), which costs one run per failure
            // instead of every seed's logs.
            // An exception escaping a worker thread would end the process with
            // std::terminate, losing every result so far: it becomes this
            // seed's error instead (a library can throw: bad_alloc, json).
            Result<RunResult> run_result = make_error(ErrorCode::internal, "no run");
            try {
                run_result = run(seeded, RunOptions{.keep_node_logs = false});
            } catch (const std::exception& e) {
                run_result = make_error(ErrorCode::internal, std::string("internal error: ") + e.what());
            }
            std::lock_guard<std::mutex> lock(mutex);
            ++result.runs;
            if (!run_result) {
                result.failures.push_back(SweepOutcome{seed, Verdict::unknown, run_result.error().message, ""});
                if (!options.keep_going) stop = true;
                continue;
            }
            result.simulated_seconds += to_seconds(run_result->simulated);
            if (run_result->verdict == Verdict::valid) {
                ++result.valid;
                continue;
            }
            std::string failed;
            for (const CheckOutcome& check : run_result->checks) {
                if (check.verdict != Verdict::valid) failed += (failed.empty() ? "" : ", ") + check.name;
            }
            result.failures.push_back(SweepOutcome{seed, run_result->verdict, "", failed});
            failed_results.push_back(std::move(*run_result));
            if (!options.keep_going) stop = true;
            done.notify_all();
        }
        std::lock_guard<std::mutex> lock(mutex);
        --running;
        done.notify_all();
    };

    const int jobs = std::max(1, options.jobs);
    std::vector<std::thread> threads;
    running = jobs;
    for (int i = 0; i < jobs; ++i) threads.emplace_back(worker);
    const std::uint64_t total =
        options.first_seed > options.last_seed
            ? 0
            : (options.last_seed - options.first_seed == UINT64_MAX ? UINT64_MAX
                                                                   : options.last_seed - options.first_seed + 1);
    const auto interval = std::chrono::duration<double>(std::max(0.1, options.progress_seconds));
    auto next_progress = wall_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
    {
        std::unique_lock<std::mutex> lock(mutex);
        while (running > 0 || !failed_results.empty()) {
            if (!failed_results.empty()) {
                std::vector<RunResult> batch = std::move(failed_results);
                failed_results.clear();
                lock.unlock();
                for (const RunResult& failed : batch) on_failure(failed);
                lock.lock();
                continue;
            }
            if (!options.progress) {
                done.wait(lock);
                continue;
            }
            done.wait_until(lock, next_progress);
            const auto now = std::chrono::steady_clock::now();
            if (now >= next_progress && running > 0) {
                const SweepProgress progress{result.runs, total, result.failures.size(),
                                             std::chrono::duration<double>(now - wall_start).count()};
                next_progress = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
                lock.unlock();
                options.progress(progress);
                lock.lock();
            }
        }
    }
    for (std::thread& thread : threads) thread.join();
    std::sort(result.failures.begin(), result.failures.end(),
              [](const SweepOutcome& a, const SweepOutcome& b) { return a.seed < b.seed; });
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return result;
}

}  // namespace faultline::runner
