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

}  // namespace

History generate_kv_history(const GenerateOptions& options) {
    FL_ASSERT_GT(options.clients, 0);
    FL_ASSERT_GT(options.keys, 0);
    FL_ASSERT_GT(options.values, 0);
    Prng prng(options.seed);
    History history;
    std::map<std::int64_t, std::int64_t> store;  // key -> value; absent = nil
    std::vector<Client> clients(static_cast<std::size_t>(options.clients));
    for (int c = 0; c < options.clients; ++c) clients[static_cast<std::size_t>(c)].process = c;
    std::vector<Lingering> lingering;
    std::int64_t next_value = 0;
    std::size_t invoked = 0;
    Nanos now = 0;

    auto fresh_value = [&] {
        return options.unique_values ? next_value++
                                     : static_cast<std::int64_t>(
                                           prng.below(static_cast<std::uint64_t>(options.values)));
    };
    auto emit = [&](Operation op) {
        op.index = static_cast<std::int64_t>(history.size());
        op.time = now;
        history.push_back(std::move(op));
    };
    // Applies an op to the store: its completion value, or failed.
    auto apply = [&](const Operation& op, Json& result, bool& failed) {
        const std::int64_t key = op.key.is_null() ? 0 : op.key.get<std::int64_t>();
        auto found = store.find(key);
        failed = false;
        result = nullptr;
        if (op.f == "read") {
            if (found == store.end()) {
                failed = true;
            } else {
                result = found->second;
            }
        } else if (op.f == "write") {
            store[key] = op.value.get<std::int64_t>();
            result = op.value;
        } else {
            const std::int64_t from = op.value[0].get<std::int64_t>();
            if (found == store.end() || found->second != from) {
                failed = true;
            } else {
                found->second = op.value[1].get<std::int64_t>();
            }
            result = op.value;
        }
    };

    std::size_t busy = 0;
    while (invoked < options.operations || busy > 0) {
        ++now;
        // A lingering timed-out op may take effect now.
        if (!lingering.empty() && prng.chance(0.02)) {
            const std::size_t at = static_cast<std::size_t>(prng.below(lingering.size()));
            Json ignored;
            bool failed = false;
            apply(lingering[at].invoke, ignored, failed);
            lingering.erase(lingering.begin() + static_cast<std::ptrdiff_t>(at));
            continue;
        }
        Client& client = clients[static_cast<std::size_t>(prng.below(clients.size()))];
        switch (client.phase) {
            case Phase::idle: {
                if (invoked >= options.operations) break;
                Operation op;
                op.process = client.process;
                op.type = OpType::invoke;
                if (options.keys > 1)
                    op.key = static_cast<std::int64_t>(
                        prng.below(static_cast<std::uint64_t>(options.keys)));
                const double kind = prng.unit();
                if (kind < options.read_fraction) {
                    op.f = "read";
                } else if (kind < options.read_fraction + options.write_fraction) {
                    op.f = "write";
                    op.value = fresh_value();
                } else {
                    op.f = "cas";
                    // Expect a value that is likely there: the current one, often.
                    const std::int64_t key = op.key.is_null() ? 0 : op.key.get<std::int64_t>();
                    auto found = store.find(key);
                    const std::int64_t from =
                        found != store.end() && prng.chance(0.7)
                            ? found->second
                            : static_cast<std::int64_t>(prng.below(static_cast<std::uint64_t>(
                                  std::max<std::int64_t>(options.values, next_value + 1))));
                    op.value = Json::array({from, fresh_value()});
                }
                client.invoke = op;
                client.phase = Phase::invoked;
                ++invoked;
                ++busy;
                emit(std::move(op));
                break;
            }
            case Phase::invoked: {
                if (prng.chance(options.info_probability)) {
                    // Timed out before taking effect: maybe later, maybe never.
                    if (prng.chance(0.5)) lingering.push_back({client.invoke});
                    Operation done = client.invoke;
                    done.type = OpType::info;
                    done.error = "timeout";
                    emit(std::move(done));
                    client.process += options.clients;
                    client.phase = Phase::idle;
                    --busy;
                    break;
                }
                apply(client.invoke, client.result, client.failed);
                client.phase = Phase::applied;
                break;
            }
            case Phase::applied: {
                Operation done = client.invoke;
                if (prng.chance(options.info_probability)) {
                    // Took effect, but the client never heard back.
                    done.type = OpType::info;
                    done.error = "timeout";
                    client.process += options.clients;
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
                --busy;
                break;
            }
        }
    }
    return history;
}

std::optional<std::size_t> corrupt_one_read(History& history, Corruption kind, std::uint64_t seed) {
    Prng prng(seed);
    // Per (key, value): position of the first invocation that writes it, and of
    // the completion of every ok write of it.
    struct Writes {
        std::size_t first_invoke = SIZE_MAX;
        std::vector<std::size_t> ok_completions;
    };
    std::map<std::pair<std::string, std::int64_t>, Writes> writes;
    std::unordered_map<std::int64_t, std::size_t> open;      // process -> invoke position
    std::vector<std::pair<std::size_t, std::size_t>> reads;  // (invoke, completion) of ok reads
    std::int64_t max_value = 0;
    for (std::size_t i = 0; i < history.size(); ++i) {
        const Operation& op = history[i];
        const std::string key = op.key.dump();
        auto written = [&]() -> std::optional<std::int64_t> {
            if (op.f == "write" && op.value.is_number_integer())
                return op.value.get<std::int64_t>();
            if (op.f == "cas" && op.value.is_array()) return op.value[1].get<std::int64_t>();
            return std::nullopt;
        };
        if (auto value = written()) max_value = std::max(max_value, *value);
        if (op.type == OpType::invoke) {
            open[op.process] = i;
            if (auto value = written()) {
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
        if (op.f == "read") reads.emplace_back(invoke, i);
        if (auto value = written()) writes[{key, *value}].ok_completions.push_back(i);
    }
    std::vector<std::pair<std::size_t, std::int64_t>> choices;  // (completion, new value)
    for (auto [invoke, done] : reads) {
        const Operation& read = history[done];
        const std::string key = read.key.dump();
        switch (kind) {
            case Corruption::never_written:
                choices.emplace_back(done, max_value + 1000);
                break;
            case Corruption::future:
                for (const auto& [kv, w] : writes) {
                    if (kv.first == key && w.first_invoke != SIZE_MAX && w.first_invoke > done) {
                        choices.emplace_back(done, kv.second);
                        break;
                    }
                }
                break;
            case Corruption::stale: {
                // A value whose only writer completed, then a write of another value
                // was invoked after that and completed before this read began.
                for (const auto& [kv, w] : writes) {
                    if (kv.first != key || w.ok_completions.size() != 1 ||
                        w.first_invoke == SIZE_MAX)
                        continue;
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
                    if (overwritten) {
                        choices.emplace_back(done, kv.second);
                        break;
                    }
                }
                break;
            }
        }
    }
    if (choices.empty()) return std::nullopt;
    const auto& [position, value] = choices[static_cast<std::size_t>(prng.below(choices.size()))];
    history[position].value = value;
    return position;
}

}  // namespace faultline::check::lin
