#include "runner/sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

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
    const bool ok = dots == std::string::npos
                        ? parse(text, first) && parse(text, last)
                        : parse(text.substr(0, dots), first) && parse(text.substr(dots + 2), last);
    if (!ok || first > last) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("'{}' is not a seed range (try 1..2000, with the first <= the last)", text));
    }
    return std::make_pair(first, last);
}

namespace {

using SteadyClock = std::chrono::steady_clock;

// One sweep: the seeds its worker threads share, behind one mutex, and the
// result so far. Failing runs are handed back to the calling thread, so
// on_failure never runs concurrently.
class Sweeper {
  public:
    Sweeper(const RunConfig& config, const SweepOptions& options, int jobs)
        : config_(config),
          options_(options),
          next_seed_(options.first_seed),
          all_handed_out_(options.first_seed > options.last_seed),
          running_(jobs) {}

    // A worker thread: runs seeds until none are left or the sweep stops.
    void work() {
        std::uint64_t seed = 0;
        while (take_seed(seed)) record(seed, run_seed(seed));
        std::lock_guard<std::mutex> lock(mutex_);
        --running_;
        done_.notify_all();
    }

    // The calling thread, until every worker is done: hands each failing run
    // to `on_failure`, and reports progress every options.progress_seconds.
    void serve(const std::function<void(const RunResult&)>& on_failure, SteadyClock::time_point wall_start) {
        const std::uint64_t total = options_.first_seed > options_.last_seed
                                        ? 0
                                        : (options_.last_seed - options_.first_seed == UINT64_MAX
                                               ? UINT64_MAX
                                               : options_.last_seed - options_.first_seed + 1);
        const auto interval = std::chrono::duration<double>(std::max(0.1, options_.progress_seconds));
        auto next_progress = wall_start + std::chrono::duration_cast<SteadyClock::duration>(interval);
        std::unique_lock<std::mutex> lock(mutex_);
        while (running_ > 0 || !failed_results_.empty()) {
            if (!failed_results_.empty()) {
                std::vector<RunResult> batch = std::move(failed_results_);
                failed_results_.clear();
                lock.unlock();
                for (const RunResult& failed : batch) on_failure(failed);
                lock.lock();
                continue;
            }
            if (!options_.progress) {
                done_.wait(lock);
                continue;
            }
            done_.wait_until(lock, next_progress);
            const auto now = SteadyClock::now();
            if (now >= next_progress && running_ > 0) {
                const SweepProgress progress{result_.runs, total, result_.failures.size(),
                                             std::chrono::duration<double>(now - wall_start).count(), operations_};
                next_progress = now + std::chrono::duration_cast<SteadyClock::duration>(interval);
                lock.unlock();
                options_.progress(progress);
                lock.lock();
            }
        }
    }

    // Once every worker has been joined.
    SweepResult& result() { return result_; }

  private:
    // The next seed to run, if the sweep goes on.
    bool take_seed(std::uint64_t& seed) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stop_ || all_handed_out_) return false;
        if (options_.stop_requested != nullptr && options_.stop_requested->load()) {
            result_.interrupted = true;
            stop_ = true;
            return false;
        }
        seed = next_seed_;
        if (seed == options_.last_seed) {
            all_handed_out_ = true;
        } else {
            ++next_seed_;
        }
        return true;
    }

    Result<RunResult> run_seed(std::uint64_t seed) const {
        RunConfig seeded = config_;
        seeded.seed = seed;
        if (options_.configure) options_.configure(seeded);
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
        return run_result;
    }

    // Counts a seed's run: valid, failing (kept for on_failure), or one that
    // could not run. Either of the last two stops the sweep unless it keeps going.
    void record(std::uint64_t seed, Result<RunResult> run_result) {
        std::lock_guard<std::mutex> lock(mutex_);
        ++result_.runs;
        if (!run_result) {
            result_.failures.push_back(SweepOutcome{seed, Verdict::unknown, run_result.error().message, ""});
            if (!options_.keep_going) stop_ = true;
            return;
        }
        if (options_.on_run) options_.on_run(*run_result);
        result_.simulated_seconds += to_seconds(run_result->simulated);
        operations_ += run_result->ops.invoked;
        SweepSeed ran{seed, run_result->verdict, run_result->schedule.faults.size(), 0};
        for (const nemesis::Fault& fault : run_result->schedule.faults) ran.fault_load += to_seconds(fault.duration);
        if (config_.time_limit > 0) ran.fault_load /= to_seconds(config_.time_limit);
        result_.seeds.push_back(ran);
        if (run_result->verdict == Verdict::valid) {
            ++result_.valid;
            return;
        }
        std::string failed;
        for (const CheckOutcome& check : run_result->checks) {
            if (check.verdict != Verdict::valid) failed += (failed.empty() ? "" : ", ") + check.name;
        }
        result_.failures.push_back(SweepOutcome{seed, run_result->verdict, "", failed});
        failed_results_.push_back(std::move(*run_result));
        if (!options_.keep_going) stop_ = true;
        done_.notify_all();
    }

    const RunConfig& config_;
    const SweepOptions& options_;
    std::mutex mutex_;
    std::condition_variable done_;
    std::uint64_t next_seed_;
    // Set once last_seed is handed out: `next_seed_ > last_seed` alone never
    // holds when last_seed is 2^64-1, as the counter wraps to 0.
    bool all_handed_out_;
    bool stop_ = false;
    int running_;
    SweepResult result_;
    std::int64_t operations_ = 0;
    std::vector<RunResult> failed_results_;  // not yet handed to on_failure
};

}  // namespace

SweepResult sweep(const RunConfig& config, const SweepOptions& options,
                  const std::function<void(const RunResult&)>& on_failure) {
    const auto wall_start = SteadyClock::now();
    const int jobs = std::max(1, options.jobs);
    Sweeper sweeper(config, options, jobs);
    std::vector<std::thread> threads;
    for (int i = 0; i < jobs; ++i) threads.emplace_back([&sweeper] { sweeper.work(); });
    sweeper.serve(on_failure, wall_start);
    for (std::thread& thread : threads) thread.join();
    SweepResult& result = sweeper.result();
    std::sort(result.failures.begin(), result.failures.end(),
              [](const SweepOutcome& a, const SweepOutcome& b) { return a.seed < b.seed; });
    std::sort(result.seeds.begin(), result.seeds.end(),
              [](const SweepSeed& a, const SweepSeed& b) { return a.seed < b.seed; });
    result.wall_seconds = std::chrono::duration<double>(SteadyClock::now() - wall_start).count();
    return std::move(result);
}

}  // namespace faultline::runner
