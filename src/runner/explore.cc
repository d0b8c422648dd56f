#include "runner/explore.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <unordered_set>

#include "base/hash.h"
#include "base/prng.h"
#include "nemesis/generator.h"
#include "runner/search.h"
#include "runner/system.h"

namespace faultline::runner {

namespace {

// One corpus entry: a run that reached something new.
struct Entry {
    std::uint64_t seed = 0;
    nemesis::Schedule schedule;
};

// The explorer's choices, all drawn from one stream in one thread.
class Mutator {
  public:
    Mutator(const RunConfig& base, const SearchPlan& plan, std::uint64_t seed)
        : base_(base), plan_(plan), random_(Prng::stream(seed, "explore")) {
        Prng disk = Prng::stream(seed, "explore/disk");
        disk_prone_ = nemesis::disk_prone_servers(base.nodes, disk);
    }

    std::size_t pick(std::size_t size) { return random_.below(size); }
    bool chance(double p) { return random_.chance(p); }

    nemesis::Schedule mutate(const nemesis::Schedule& parent, const std::vector<Entry>& corpus) {
        nemesis::Schedule schedule = parent;
        const auto count = random_.between(1, 3);
        for (std::int64_t i = 0; i < count; ++i) mutate_once(schedule, corpus);
        // Bounded: splices and additions would otherwise grow schedules
        // generation after generation, until every run is one long outage.
        while (schedule.faults.size() > kFaultsMax) {
            schedule.faults.erase(schedule.faults.begin() +
                                  static_cast<std::ptrdiff_t>(random_.below(schedule.faults.size())));
        }
        // Disk faults stay on one minority for the whole exploration, as the
        // generator keeps them within a run: faults added or spliced from
        // other seeds' schedules would otherwise damage a majority, and no
        // quorum would be left to repair it.
        if (disk_prone_.empty())
            std::erase_if(schedule.faults,
                          [](const nemesis::Fault& fault) { return fault.kind == nemesis::FaultKind::disk; });
        for (nemesis::Fault& fault : schedule.faults) {
            if (fault.kind != nemesis::FaultKind::disk) continue;
            for (int& node : fault.nodes) node = disk_prone_[static_cast<std::size_t>(node) % disk_prone_.size()];
        }
        std::sort(schedule.faults.begin(), schedule.faults.end(),
                  [](const nemesis::Fault& a, const nemesis::Fault& b) { return a.start < b.start; });
        return schedule;
    }

    // The most faults a mutated schedule keeps.
    static constexpr std::size_t kFaultsMax = 64;

  private:
    void mutate_once(nemesis::Schedule& schedule, const std::vector<Entry>& corpus) {
        auto& faults = schedule.faults;
        const Nanos limit = base_.time_limit;
        switch (faults.empty() ? 0 : random_.below(6)) {
            case 0: {  // add a fault, drawn as the generator draws them
                const nemesis::Schedule drawn = nemesis::generate_schedule(generator_options(), random_.next());
                if (drawn.faults.empty()) return;
                nemesis::Fault fault = drawn.faults[random_.below(drawn.faults.size())];
                fault.start = random_.between(0, limit - 1);
                fault.duration = std::min(fault.duration, limit - fault.start);
                faults.push_back(fault);
                return;
            }
            case 1:  // remove one
                faults.erase(faults.begin() + static_cast<std::ptrdiff_t>(random_.below(faults.size())));
                return;
            case 2: {  // move one
                nemesis::Fault& fault = faults[random_.below(faults.size())];
                fault.start = std::clamp<Nanos>(fault.start + random_.between(-seconds(3), seconds(3)), 0, limit - 1);
                fault.duration = std::min(fault.duration, limit - fault.start);
                return;
            }
            case 3: {  // stretch or shrink one
                nemesis::Fault& fault = faults[random_.below(faults.size())];
                if (fault.kind == nemesis::FaultKind::clock_step) return;
                const double factor = random_.chance(0.5) ? 0.25 + 0.75 * random_.unit() : 1 + 3 * random_.unit();
                fault.duration = std::clamp<Nanos>(static_cast<Nanos>(static_cast<double>(fault.duration) * factor),
                                                   milliseconds(10), limit - fault.start);
                return;
            }
            case 4: {  // aim one at another role
                nemesis::Fault& fault = faults[random_.below(faults.size())];
                if (!nemesis::targetable(fault.kind) || plan_.roles.empty()) return;
                nemesis::aim_at_role(fault, plan_.roles[random_.below(plan_.roles.size())]);
                return;
            }
            default: {  // splice in the faults of another entry within a window
                const Entry& other = corpus[random_.below(corpus.size())];
                const Nanos from = random_.between(0, limit - 1);
                const Nanos to = std::min(limit, from + random_.between(seconds(1), seconds(10)));
                for (const nemesis::Fault& fault : other.schedule.faults) {
                    if (fault.start >= from && fault.start < to) faults.push_back(fault);
                }
                return;
            }
        }
    }

    nemesis::GeneratorOptions generator_options() const {
        return nemesis::GeneratorOptions{.kinds = plan_.kinds,
                                         .nodes = base_.nodes,
                                         .time_limit = base_.time_limit,
                                         .interval_mean_max = plan_.fault_interval,
                                         .duration_mean_max = plan_.fault_duration,
                                         .targeted = plan_.roles.empty() ? 0.0 : 0.5,
                                         .roles = plan_.roles};
    }

    const RunConfig& base_;
    const SearchPlan& plan_;
    Prng random_;
    std::vector<int> disk_prone_;  // the servers whose disks may fail
};

// Runs every config of a batch on up to `jobs` threads; results in batch order.
std::vector<Result<RunResult>> run_batch(const std::vector<RunConfig>& batch, int jobs) {
    std::vector<Result<RunResult>> results(batch.size(), make_error(ErrorCode::internal, "not run"));
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i = next++; i < batch.size(); i = next++) {
            results[i] = run(batch[i], RunOptions{.keep_node_logs = false});
        }
    };
    std::vector<std::thread> threads;
    for (int j = 1; j < jobs; ++j) threads.emplace_back(work);
    work();
    for (std::thread& thread : threads) thread.join();
    return results;
}

}  // namespace

std::vector<std::uint64_t> run_features(const RunResult& result, const std::vector<std::uint64_t>& system_features) {
    std::vector<std::uint64_t> features = system_features;
    // Which fault kinds overlapped which, in the order they started: the
    // interleavings of recovery code.
    const auto& faults = result.schedule.faults;
    for (std::size_t i = 0; i < faults.size(); ++i) {
        for (std::size_t j = i + 1; j < faults.size() && faults[j].start < faults[i].end(); ++j) {
            features.push_back(hash_words(
                {0xFA, static_cast<std::uint64_t>(faults[i].kind), static_cast<std::uint64_t>(faults[i].target),
                 static_cast<std::uint64_t>(faults[j].kind), static_cast<std::uint64_t>(faults[j].target)}));
        }
    }
    return features;
}

ExploreResult explore(const RunConfig& base, const ExploreOptions& options,
                      const std::function<void(const RunResult&)>& on_failure) {
    const auto wall_start = std::chrono::steady_clock::now();
    ExploreResult result;
    const SystemDescription* description = find_system(base.system);
    RunConfig plan_config = base;
    plan_config.seed = options.seed;
    auto plan = description != nullptr ? plan_search(plan_config, *description) : Result<SearchPlan>(SearchPlan{});
    const SearchPlan search = plan ? *plan : SearchPlan{};
    Mutator mutator(base, search, options.seed);
    std::vector<Entry> corpus;
    std::unordered_set<std::uint64_t> seen;
    const int jobs = std::max(1, options.jobs);
    // Fixed, not by jobs: candidates are drawn from the corpus as it stood
    // before their batch, so the batch size decides what is drawn.
    constexpr std::size_t batch_size = 8;
    bool stop = false;

    while (!stop && result.runs < options.runs) {
        // A batch of candidates, drawn before any of them runs.
        std::vector<RunConfig> batch;
        std::vector<std::uint64_t> seeds;
        while (batch.size() < batch_size && result.runs + batch.size() < options.runs) {
            const std::uint64_t index = result.runs + batch.size();
            RunConfig config = base;
            if (index < options.initial_runs || corpus.empty()) {
                config.seed = options.seed + index;  // a plain seed, as a sweep runs it
            } else {
                const Entry& parent = corpus[mutator.pick(corpus.size())];
                config.seed = mutator.chance(0.5) ? parent.seed : options.seed + index;
                config.schedule = mutator.mutate(parent.schedule, corpus).to_json();
            }
            batch.push_back(std::move(config));
        }
        std::vector<Result<RunResult>> results = run_batch(batch, jobs);
        for (std::size_t i = 0; i < batch.size() && !stop; ++i) {
            ++result.runs;
            if (!results[i]) {
                result.failures.push_back({result.runs, batch[i], Verdict::unknown, results[i].error().message});
                stop = !options.keep_going;
                continue;
            }
            const RunResult& run = *results[i];
            bool fresh = false;
            for (std::uint64_t feature : run_features(run, run.abstract_features)) fresh |= seen.insert(feature).second;
            if (fresh) corpus.push_back(Entry{run.config.seed, run.schedule});
            if (run.verdict != Verdict::valid) {
                RunConfig failing = run.config;
                failing.schedule = run.schedule.to_json();
                result.failures.push_back({result.runs, failing, run.verdict, ""});
                on_failure(run);
                stop = !options.keep_going;
            }
        }
        if (options.progress) options.progress(result.runs, corpus.size(), seen.size(), result.failures.size());
    }
    result.corpus = corpus.size();
    result.features = seen.size();
    for (const Entry& entry : corpus) result.corpus_entries.push_back({entry.seed, entry.schedule.to_json()});
    result.reached.assign(seen.begin(), seen.end());
    std::sort(result.reached.begin(), result.reached.end());
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return result;
}

}  // namespace faultline::runner
