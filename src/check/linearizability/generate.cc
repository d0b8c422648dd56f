#include "check/linearizability/generate.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <vector>

#include "base/assert.h"
#include "base/prng.h"

namespace faultline::check::lin {

namespace {

enum class Phase : std::uint8_t { idle, invoked, applied };

struct Client {
    std::int64_t process = 0;
    Phase phase = Phase::idle;
    Operation invoke;
    Json result;          // the completion's value once applied
    bool failed = false;  // applied as a definite failure (no effect)
};

// An op that timed out before it took effect and may still do so.
struct Lingering {
    Operation invoke;
};

// Runs the clients of generate_kv_history against a sequential store, one
// random step at a time: a client invokes, its op takes effect, its
// completion is recorded; a lingering timed-out op takes effect late.
class KvHistoryGenerator {
  public:
    explicit KvHistoryGenerator(const GenerateOptions& options)
        : options_(options), prng_(options.seed), clients_(static_cast<std::size_t>(options.clients)) {
        for (int c = 0; c < options.clients; ++c) clients_[static_cast<std::size_t>(c)].process = c;
    }

    History run() {
        while (invoked_ < options_.operations || busy_ > 0) {
            ++now_;
            // A lingering timed-out op may take effect now.
            if (!lingering_.empty() && prng_.chance(0.02)) {
                const std::size_t at = static_cast<std::size_t>(prng_.below(lingering_.size()));
                Json ignored;
                bool failed = false;
                apply(lingering_[at].invoke, ignored, failed);
                lingering_.erase(lingering_.begin() + static_cast<std::ptrdiff_t>(at));
                continue;
            }
            Client& client = clients_[static_cast<std::size_t>(prng_.below(clients_.size()))];
            switch (client.phase) {
                case Phase::idle:
                    if (invoked_ >= options_.operations) break;
                    invoke(client);
                    break;
                case Phase::invoked:
                    take_effect_or_time_out(client);
                    break;
                case Phase::applied:
                    complete(client);
                    break;
            }
        }
        return std::move(history_);
    }

  private:
    std::int64_t fresh_value() {
        if (options_.unique_values) return next_value_++;
        return static_cast<std::int64_t>(prng_.below(static_cast<std::uint64_t>(options_.values)));
    }

    void emit(Operation op) {
        op.index = static_cast<std::int64_t>(history_.size());
        op.time = now_;
        history_.push_back(std::move(op));
    }

    // Applies an op to the store: its completion value, or failed.
    void apply(const Operation& op, Json& result, bool& failed) {
        const std::int64_t key = op.key.is_null() ? 0 : op.key.get<std::int64_t>();
        auto found = store_.find(key);
        failed = false;
        result = nullptr;
        if (op.f == "read") {
            if (found == store_.end()) {
                failed = true;
            } else {
                result = found->second;
            }
        } else if (op.f == "write") {
            store_[key] = op.value.get<std::int64_t>();
            result = op.value;
        } else {
            const std::int64_t from = op.value[0].get<std::int64_t>();
            if (found == store_.end() || found->second != from) {
                failed = true;
            } else {
                found->second = op.value[1].get<std::int64_t>();
            }
            result = op.value;
        }
    }

    // An idle client invokes a read, write or cas of a random key.
    void invoke(Client& client) {
        Operation op;
        op.process = client.process;
        op.type = OpType::invoke;
        if (options_.keys > 1)
            op.key = static_cast<std::int64_t>(prng_.below(static_cast<std::uint64_t>(options_.keys)));
        const double kind = prng_.unit();
        if (kind < options_.read_fraction) {
            op.f = "read";
        } else if (kind < options_.read_fraction + options_.write_fraction) {
            op.f = "write";
            op.value = fresh_value();
        } else {
            op.f = "cas";
            // Expect a value that is likely there: the current one, often.
            const std::int64_t key = op.key.is_null() ? 0 : op.key.get<std::int64_t>();
            auto found = store_.find(key);
            const std::int64_t from = found != store_.end() && prng_.chance(0.7)
                                          ? found->second
                                          : static_cast<std::int64_t>(prng_.below(static_cast<std::uint64_t>(
                                                std::max<std::int64_t>(options_.values, next_value_ + 1))));
            op.value = Json::array({from, fresh_value()});
        }
        client.invoke = op;
        client.phase = Phase::invoked;
        ++invoked_;
        ++busy_;
        emit(std::move(op));
    }

    // An invoked op takes effect, or times out before it does.
    void take_effect_or_time_out(Client& client) {
        if (prng_.chance(options_.info_probability)) {
            // Timed out before taking effect: maybe later, maybe never.
            if (prng_.chance(0.5)) lingering_.push_back({client.invoke});
            Operation done = client.invoke;
            done.type = OpType::info;
            done.error = "timeout";
            emit(std::move(done));
            client.process += options_.clients;
            client.phase = Phase::idle;
            --busy_;
            return;
        }
        apply(client.invoke, client.result, client.failed);
        client.phase = Phase::applied;
    }

    // An applied op completes: ok, fail, or a timeout the client never heard
    // back from.
    void complete(Client& client) {
        Operation done = client.invoke;
        if (prng_.chance(options_.info_probability)) {
            // Took effect, but the client never heard back.
            done.type = OpType::info;
            done.error = "timeout";
            client.process += options_.clients;
        } else if (client.failed) {
            done.type = OpType::fail;
            done.error = done.f == "cas" && !client.result.is_null() ? 22 : 20;
        } else {
            done.type = OpType::ok;
            done.value = client.result;
        }
        if (done.type != OpType::ok && done.f == "read") done.value = nullptr;
        emit(std::move(done));
        client.phase = Phase::idle;
        --busy_;
    }

    const GenerateOptions& options_;
    Prng prng_;
    History history_;
    std::map<std::int64_t, std::int64_t> store_;  // key -> value; absent = nil
    std::vector<Client> clients_;
    std::vector<Lingering> lingering_;
    std::int64_t next_value_ = 0;
    std::size_t invoked_ = 0;
    std::size_t busy_ = 0;
    Nanos now_ = 0;
};

// Per (key, value): position of the first invocation that writes it, and of
// the completion of every ok write of it.
struct Writes {
    std::size_t first_invoke = SIZE_MAX;
    std::vector<std::size_t> ok_completions;
};

// What corrupt_one_read chooses from: the writes of each (key, value), the
// ok reads, and the largest value written.
struct ReadsAndWrites {
    std::map<std::pair<std::string, std::int64_t>, Writes> writes;
    std::vector<std::pair<std::size_t, std::size_t>> reads;  // (invoke, completion) of ok reads
    std::int64_t max_value = 0;
};

// The value `op` writes (a write, or a cas's new value), if any.
std::optional<std::int64_t> written_value(const Operation& op) {
    if (op.f == "write" && op.value.is_number_integer()) return op.value.get<std::int64_t>();
    if (op.f == "cas" && op.value.is_array()) return op.value[1].get<std::int64_t>();
    return std::nullopt;
}

ReadsAndWrites index_reads_and_writes(const History& history) {
    ReadsAndWrites index;
    auto& writes = index.writes;
    std::unordered_map<std::int64_t, std::size_t> open;  // process -> invoke position
    for (std::size_t i = 0; i < history.size(); ++i) {
        const Operation& op = history[i];
        const std::string key = op.key.dump();
        if (auto value = written_value(op)) index.max_value = std::max(index.max_value, *value);
        if (op.type == OpType::invoke) {
            open[op.process] = i;
            if (auto value = written_value(op)) {
                Writes& w = writes[{key, *value}];
                w.first_invoke = std::min(w.first_invoke, i);
            }
            continue;
        }
        auto found = open.find(op.process);
        if (found == open.end()) continue;
        const std::size_t invoke = found->second;
        open.erase(found);
        if (op.type != OpType::ok) continue;
        if (op.f == "read") index.reads.emplace_back(invoke, i);
        if (auto value = written_value(op)) writes[{key, *value}].ok_completions.push_back(i);
    }
    return index;
}

// A value that makes the ok read invoked at `invoke` and completed at `done`
// impossible in the way `kind` says, if there is one.
std::optional<std::int64_t> corrupted_value(const History& history, const ReadsAndWrites& index, Corruption kind,
                                            std::size_t invoke, std::size_t done) {
    const auto& writes = index.writes;
    const Operation& read = history[done];
    const std::string key = read.key.dump();
    switch (kind) {
        case Corruption::never_written:
            return index.max_value + 1000;
        case Corruption::future:
            for (const auto& [kv, w] : writes) {
                if (kv.first == key && w.first_invoke != SIZE_MAX && w.first_invoke > done) {
                    return kv.second;
                }
            }
            break;
        case Corruption::stale: {
            // A value whose only writer completed, then a write of another value
            // was invoked after that and completed before this read began.
            for (const auto& [kv, w] : writes) {
                if (kv.first != key || w.ok_completions.size() != 1 || w.first_invoke == SIZE_MAX) continue;
                const std::size_t first_done = w.ok_completions[0];
                if (first_done >= invoke || kv.second == read.value) continue;
                bool overwritten = false;
                for (const auto& [other, ow] : writes) {
                    if (other.first != key || other.second == kv.second) continue;
                    for (std::size_t c : ow.ok_completions) {
                        // Its invocation must follow first_done: find it.
                        if (c < invoke && ow.first_invoke > first_done) overwritten = true;
                    }
                }
                if (overwritten) return kv.second;
            }
            break;
        }
    }
    return std::nullopt;
}

}  // namespace

History generate_kv_history(const GenerateOptions& options) {
    FL_ASSERT_GT(options.clients, 0);
    FL_ASSERT_GT(options.keys, 0);
    FL_ASSERT_GT(options.values, 0);
    return KvHistoryGenerator(options).run();
}

std::optional<std::size_t> corrupt_one_read(History& history, Corruption kind, std::uint64_t seed) {
    Prng prng(seed);
    const ReadsAndWrites index = index_reads_and_writes(history);
    std::vector<std::pair<std::size_t, std::int64_t>> choices;  // (completion, new value)
    for (auto [invoke, done] : index.reads) {
        if (auto value = corrupted_value(history, index, kind, invoke, done)) {
            choices.emplace_back(done, *value);
        }
    }
    if (choices.empty()) return std::nullopt;
    const auto& [position, value] = choices[static_cast<std::size_t>(prng.below(choices.size()))];
    history[position].value = value;
    return position;
}

}  // namespace faultline::check::lin
