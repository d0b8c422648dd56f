#include "check/txn/generate.h"

#include <vector>

#include "base/assert.h"
#include "base/prng.h"

namespace faultline::check::txn {

namespace {

struct PlannedMop {
    MopKind kind;
    std::int64_t key;
    std::int64_t value = 0;          // written value; a register read's result
    bool nil = false;                // a read that saw nothing
    std::vector<std::int64_t> list;  // a list read's result
};

struct Planned {
    std::int64_t process = 0;
    std::int64_t invoke_position = 0;
    std::int64_t complete_position = Txn::kNever;
    TxnStatus status = TxnStatus::ok;
    std::vector<PlannedMop> mops;
};

}  // namespace

TxnHistory generate_serial(const SerialGenerateOptions& options) {
    FL_ASSERT_GT(options.clients, 0);
    FL_ASSERT_GT(options.keys, 0);
    FL_ASSERT_GT(options.max_txn_length, 0);
    Prng prng(options.seed);
    const bool lists = options.workload == Workload::list_append;
    std::vector<std::vector<std::int64_t>> list_state(options.keys);
    std::vector<std::int64_t> register_state(options.keys, 0);
    std::vector<bool> register_set(options.keys, false);
    std::vector<std::int64_t> next_value(options.keys, 0);
    std::vector<Planned> planned;
    enum class Phase { idle, invoked, done_effect };
    struct Client {
        std::int64_t process;
        Phase phase = Phase::idle;
        std::size_t txn = 0;
    };
    std::vector<Client> clients;
    for (int c = 0; c < options.clients; ++c) clients.push_back({c});
    std::int64_t next_process = options.clients;
    std::int64_t position = 0;
    std::size_t busy = 0;
    auto apply = [&](Planned& txn) {
        for (PlannedMop& mop : txn.mops) {
            const auto k = static_cast<std::size_t>(mop.key);
            if (mop.kind == MopKind::read) {
                if (lists) {
                    mop.list = list_state[k];
                    mop.nil = list_state[k].empty() && prng.chance(0.5);  // absent and empty read alike
                } else {
                    mop.nil = !register_set[k];
                    mop.value = register_state[k];
                }
            } else if (lists) {
                list_state[k].push_back(mop.value);
            } else {
                register_state[k] = mop.value;
                register_set[k] = true;
            }
        }
    };
    while (planned.size() < options.txns || busy > 0) {
        Client& client = clients[prng.below(clients.size())];
        switch (client.phase) {
            case Phase::idle: {
                if (planned.size() >= options.txns) break;
                Planned txn;
                txn.process = client.process;
                txn.invoke_position = position++;
                const int length = static_cast<int>(prng.between(1, options.max_txn_length));
                for (int i = 0; i < length; ++i) {
                    PlannedMop mop;
                    mop.key = static_cast<std::int64_t>(prng.below(options.keys));
                    if (prng.chance(options.read_fraction)) {
                        mop.kind = MopKind::read;
                    } else {
                        mop.kind = lists ? MopKind::append : MopKind::write;
                        mop.value = ++next_value[static_cast<std::size_t>(mop.key)];
                    }
                    txn.mops.push_back(std::move(mop));
                }
                const double fate = prng.unit();
                txn.status = fate < options.fail_probability                              ? TxnStatus::fail
                             : fate < options.fail_probability + options.info_probability ? TxnStatus::info
                                                                                          : TxnStatus::ok;
                client.txn = planned.size();
                client.phase = Phase::invoked;
                planned.push_back(std::move(txn));
                ++busy;
                break;
            }
            case Phase::invoked: {
                Planned& txn = planned[client.txn];
                // A failed transaction has no effect; an unknown one, maybe.
                if (txn.status == TxnStatus::ok || (txn.status == TxnStatus::info && prng.chance(0.5))) apply(txn);
                client.phase = Phase::done_effect;
                break;
            }
            case Phase::done_effect: {
                Planned& txn = planned[client.txn];
                // An unknown outcome may never be reported at all.
                const bool reported = txn.status != TxnStatus::info || prng.chance(0.5);
                txn.complete_position = reported ? position++ : Txn::kNever;
                if (txn.status == TxnStatus::info) client.process = next_process++;
                client.phase = Phase::idle;
                --busy;
                break;
            }
        }
    }
    TxnHistoryBuilder builder(options.workload);
    for (const Planned& txn : planned) {
        builder.begin(txn.process, txn.invoke_position, txn.complete_position, txn.status);
        for (const PlannedMop& mop : txn.mops) {
            if (mop.kind == MopKind::append) {
                builder.append(mop.key, mop.value);
            } else if (mop.kind == MopKind::write) {
                builder.write(mop.key, mop.value);
            } else if (mop.nil || txn.status != TxnStatus::ok) {
                builder.read_nil(mop.key);
            } else if (lists) {
                builder.read_list(mop.key, mop.list);
            } else {
                builder.read_register(mop.key, mop.value);
            }
        }
        builder.end();
    }
    return builder.take();
}

TxnHistory generate_stale_reads(std::size_t txns, int keys, std::uint64_t seed) {
    FL_ASSERT_GT(keys, 1);
    Prng prng(seed);
    constexpr int kProcesses = 10;
    std::vector<std::vector<std::int64_t>> state(keys);
    TxnHistoryBuilder builder(Workload::list_append);
    for (std::size_t i = 0; i < txns; ++i) {
        const auto position = static_cast<std::int64_t>(i) * 2;
        // Ten transactions overlap at any time; each process runs one at a time.
        builder.begin(static_cast<std::int64_t>(i % kProcesses), position, position + 2 * kProcesses - 1);
        const auto read_key = static_cast<std::size_t>(prng.below(keys));
        auto write_key = static_cast<std::size_t>(prng.below(keys - 1));
        if (write_key >= read_key) ++write_key;
        const std::vector<std::int64_t>& list = state[read_key];
        const std::size_t stale = std::min<std::size_t>(list.size(), prng.below(3));
        builder.read_list(static_cast<std::int64_t>(read_key),
                          std::span<const std::int64_t>(list.data(), list.size() - stale));
        const auto value = static_cast<std::int64_t>(state[write_key].size()) + 1;
        builder.append(static_cast<std::int64_t>(write_key), value);
        state[write_key].push_back(value);
        builder.end();
    }
    // A final read of every key fixes every version order.
    const auto end = static_cast<std::int64_t>(txns) * 2 + 2 * kProcesses;
    builder.begin(kProcesses, end, end + 1);
    for (int k = 0; k < keys; ++k) builder.read_list(k, state[static_cast<std::size_t>(k)]);
    builder.end();
    return builder.take();
}

}  // namespace faultline::check::txn
