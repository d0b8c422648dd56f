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
    FL_ASSERT_GT(options.max_writes_per_key, 0);
    std::vector<std::vector<std::int64_t>> list_state(options.keys);
    std::vector<std::int64_t> register_state(options.keys, 0);
    std::vector<bool> register_set(options.keys, false);
    std::vector<std::int64_t> next_value(options.keys, 0);
    std::vector<std::int64_t> slot_key(options.keys);
    for (int k = 0; k < options.keys; ++k) slot_key[k] = k;
    // Writes planned per key; a key is retired once it has its share.
    auto retire_if_full = [&](std::size_t slot) {
        const auto key = static_cast<std::size_t>(slot_key[slot]);
        if (next_value[key] < options.max_writes_per_key) return;
        slot_key[slot] = static_cast<std::int64_t>(list_state.size());
        list_state.emplace_back();
        register_state.push_back(0);
        register_set.push_back(false);
        next_value.push_back(0);
    };
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
                    const auto slot = static_cast<std::size_t>(prng.below(options.keys));
                    mop.key = slot_key[slot];
                    if (prng.chance(options.read_fraction)) {
                        mop.kind = MopKind::read;
                    } else {
                        mop.kind = lists ? MopKind::append : MopKind::write;
                        mop.value = ++next_value[static_cast<std::size_t>(mop.key)];
                        retire_if_full(slot);
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
    // As Elle's generator does, a key takes a bounded number of appends and is
    // then replaced by a fresh one, so that reads stay short.
    constexpr std::size_t kWritesPerKey = 32;
    struct Slot {
        std::int64_t key;
        std::vector<std::int64_t> list;
    };
    std::vector<Slot> slots;
    std::int64_t next_key = 0;
    for (int k = 0; k < keys; ++k) slots.push_back({next_key++, {}});
    std::vector<Slot> retired;
    TxnHistoryBuilder builder(Workload::list_append);
    for (std::size_t i = 0; i < txns; ++i) {
        const auto position = static_cast<std::int64_t>(i) * 2;
        // Ten transactions overlap at any time; each process runs one at a time.
        builder.begin(static_cast<std::int64_t>(i % kProcesses), position, position + 2 * kProcesses - 1);
        const auto read_slot = static_cast<std::size_t>(prng.below(keys));
        auto write_slot = static_cast<std::size_t>(prng.below(keys - 1));
        if (write_slot >= read_slot) ++write_slot;
        const Slot& read = slots[read_slot];
        const std::size_t stale = std::min<std::size_t>(read.list.size(), prng.below(4));
        builder.read_list(read.key, std::span<const std::int64_t>(read.list.data(), read.list.size() - stale));
        Slot& write = slots[write_slot];
        const auto value = static_cast<std::int64_t>(write.list.size()) + 1;
        builder.append(write.key, value);
        write.list.push_back(value);
        builder.end();
        if (write.list.size() == kWritesPerKey) {
            retired.push_back(std::move(write));
            write = Slot{next_key++, {}};
        }
    }
    // A final read of every key fixes every version order.
    const auto end = static_cast<std::int64_t>(txns) * 2 + 2 * kProcesses;
    builder.begin(kProcesses, end, end + 1);
    for (const Slot& slot : retired) builder.read_list(slot.key, slot.list);
    for (const Slot& slot : slots) builder.read_list(slot.key, slot.list);
    builder.end();
    return builder.take();
}

}  // namespace faultline::check::txn
