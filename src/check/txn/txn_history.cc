#include "check/txn/txn_history.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace faultline::check::txn {

const char* workload_name(Workload workload) {
    switch (workload) {
        case Workload::list_append:
            return "list-append";
        case Workload::rw_register:
            return "rw-register";
    }
    FL_UNREACHABLE();
}

Result<Workload> parse_workload(std::string_view name) {
    if (name == "list-append" || name == "txn-list-append") return Workload::list_append;
    if (name == "rw-register" || name == "txn-rw-register") return Workload::rw_register;
    return make_error(ErrorCode::invalid_argument,
                      fmt::format("unknown transactional workload '{}' (list-append, rw-register)", name));
}

const char* txn_status_name(TxnStatus status) {
    switch (status) {
        case TxnStatus::ok:
            return "ok";
        case TxnStatus::fail:
            return "fail";
        case TxnStatus::info:
            return "info";
    }
    FL_UNREACHABLE();
}

// ---- TxnHistoryBuilder

TxnHistoryBuilder::TxnHistoryBuilder(Workload workload) {
    history_.workload = workload;
}

void TxnHistoryBuilder::begin(std::int64_t process, std::int64_t invoke_position, std::int64_t complete_position,
                              TxnStatus status) {
    FL_ASSERT(!open_);
    FL_ASSERT_LT(invoke_position, complete_position);
    open_ = true;
    Txn txn;
    txn.mop_begin = static_cast<std::uint32_t>(history_.mops.size());
    txn.status = status;
    txn.process = process;
    txn.invoke_position = invoke_position;
    txn.complete_position = complete_position;
    txn.index = invoke_position;
    txn.invoke_time = invoke_position;
    txn.complete_time = complete_position == Txn::kNever ? 0 : complete_position;
    history_.txns.push_back(txn);
}

std::uint32_t TxnHistoryBuilder::key_id(std::int64_t key) {
    auto [at, inserted] = keys_.try_emplace(key, static_cast<std::uint32_t>(history_.key_names.size()));
    if (inserted) history_.key_names.push_back(std::to_string(key));
    return at->second;
}

Mop& TxnHistoryBuilder::add(MopKind kind, std::int64_t key) {
    FL_ASSERT(open_);
    Mop& mop = history_.mops.emplace_back();
    mop.kind = kind;
    mop.key = key_id(key);
    mop.known = kind != MopKind::read || history_.txns.back().status == TxnStatus::ok;
    ++history_.txns.back().mop_size;
    return mop;
}

void TxnHistoryBuilder::append(std::int64_t key, std::int64_t value) {
    FL_ASSERT(history_.workload == Workload::list_append);
    add(MopKind::append, key).value = value;
}

void TxnHistoryBuilder::write(std::int64_t key, std::int64_t value) {
    FL_ASSERT(history_.workload == Workload::rw_register);
    add(MopKind::write, key).value = value;
}

void TxnHistoryBuilder::read_list(std::int64_t key, std::span<const std::int64_t> values) {
    FL_ASSERT(history_.workload == Workload::list_append);
    Mop& mop = add(MopKind::read, key);
    mop.read_begin = static_cast<std::uint32_t>(history_.read_values.size());
    mop.read_size = static_cast<std::uint32_t>(values.size());
    history_.read_values.insert(history_.read_values.end(), values.begin(), values.end());
}

void TxnHistoryBuilder::read_register(std::int64_t key, std::int64_t value) {
    FL_ASSERT(history_.workload == Workload::rw_register);
    add(MopKind::read, key).value = value;
}

void TxnHistoryBuilder::read_nil(std::int64_t key) {
    add(MopKind::read, key).nil = true;
}

void TxnHistoryBuilder::end() {
    FL_ASSERT(open_);
    open_ = false;
}

// ---- From a parsed history

namespace {

class Converter {
  public:
    Converter(const formats::ParsedHistory& parsed, Workload workload) : parsed_(parsed) {
        out_.workload = workload;
        out_.file = parsed.name;
    }

    Result<TxnHistory> run() {
        const History& history = parsed_.history;
        std::unordered_map<std::int64_t, std::size_t> open;  // process -> its invocation's position
        std::vector<std::size_t> invocation_txn(history.size(), 0);
        for (std::size_t position = 0; position < history.size(); ++position) {
            const Operation& op = history[position];
            if (op.f != "txn") {
                return fail(position, fmt::format("operation f is '{}', but a {} history holds only txn operations",
                                                  op.f, workload_name(out_.workload)));
            }
            if (op.type == OpType::invoke) {
                if (open.contains(op.process)) {
                    return fail(position, fmt::format("process {} invokes a transaction while its previous one (line "
                                                      "{}) has not completed",
                                                      op.process, line(open[op.process])));
                }
                open[op.process] = position;
                Txn txn;
                txn.process = op.process;
                txn.invoke_position = static_cast<std::int64_t>(position);
                txn.complete_position = Txn::kNever;
                txn.index = op.index;
                txn.invoke_time = op.time;
                txn.line = line(position);
                txn.status = TxnStatus::info;
                invocation_txn[position] = out_.txns.size();
                out_.txns.push_back(txn);
                continue;
            }
            auto found = open.find(op.process);
            if (found == open.end()) {
                return fail(position, fmt::format("a {} completion for process {}, which has no transaction open",
                                                  op_type_name(op.type), op.process));
            }
            const std::size_t invoke_position = found->second;
            open.erase(found);
            Txn& txn = out_.txns[invocation_txn[invoke_position]];
            txn.complete_position = static_cast<std::int64_t>(position);
            txn.complete_time = op.time;
            txn.status = op.type == OpType::ok     ? TxnStatus::ok
                         : op.type == OpType::fail ? TxnStatus::fail
                                                   : TxnStatus::info;
            // An info completion of a crashed client may carry no value; then
            // what was attempted is what was invoked.
            const bool use_completion = txn.status == TxnStatus::ok || op.value.is_array();
            const std::size_t source = use_completion ? position : invoke_position;
            if (auto status = add_mops(txn, source); !status) return status.error();
            if (txn.status == TxnStatus::ok) {
                if (auto status = check_matches_invocation(txn, invoke_position, position); !status) {
                    return status.error();
                }
            }
        }
        // Never completed: unknown, with what was invoked.
        for (const auto& [process, invoke_position] : open) {
            (void)process;
            Txn& txn = out_.txns[invocation_txn[invoke_position]];
            if (auto status = add_mops(txn, invoke_position); !status) return status.error();
        }
        return std::move(out_);
    }

  private:
    std::int32_t line(std::size_t position) const {
        return position < parsed_.lines->size() ? (*parsed_.lines)[position] : 0;
    }

    Error fail(std::size_t position, const std::string& message) const {
        const std::int32_t at = line(position);
        return make_error(ErrorCode::parse_error, at > 0
                                                      ? fmt::format("{}:{}: {}", parsed_.name, at, message)
                                                      : fmt::format("{}: op {}: {}", parsed_.name, position, message));
    }

    Result<std::uint32_t> key_id(const Json& key, std::size_t position, std::size_t mop) {
        if (key.is_number_integer()) {
            const std::int64_t k = key.get<std::int64_t>();
            auto [at, inserted] = int_keys_.try_emplace(k, static_cast<std::uint32_t>(out_.key_names.size()));
            if (inserted) out_.key_names.push_back(std::to_string(k));
            return at->second;
        }
        if (key.is_string()) {
            auto [at, inserted] =
                string_keys_.try_emplace(key.get<std::string>(), static_cast<std::uint32_t>(out_.key_names.size()));
            // Keywords and strings alike print bare (:x and "x" both read as x).
            if (inserted) out_.key_names.push_back(key.get<std::string>());
            return at->second;
        }
        return fail(position, fmt::format("micro-op {} has key {}: keys must be integers or strings", mop, key.dump()));
    }

    Status add_mops(Txn& txn, std::size_t position) {
        const Json& value = parsed_.history[position].value;
        if (!value.is_array()) {
            return fail(position,
                        fmt::format("a transaction's value must be a list of micro-ops, got {}", value.dump()));
        }
        const bool list_append = out_.workload == Workload::list_append;
        const char* write_name = list_append ? "append" : "w";
        txn.mop_begin = static_cast<std::uint32_t>(out_.mops.size());
        txn.mop_size = 0;
        for (std::size_t i = 0; i < value.size(); ++i) {
            const Json& m = value[i];
            if (!m.is_array() || m.size() != 3 || !m[0].is_string()) {
                return fail(position, fmt::format("micro-op {} is {}, expected [f key value]", i, m.dump()));
            }
            const std::string& f = m[0].get_ref<const std::string&>();
            Mop mop;
            auto key = key_id(m[1], position, i);
            if (!key) return key.error();
            mop.key = *key;
            if (f == write_name) {
                mop.kind = list_append ? MopKind::append : MopKind::write;
                if (!m[2].is_number_integer()) {
                    return fail(position, fmt::format("micro-op {} ({}) writes {}: written values must be integers", i,
                                                      m.dump(), m[2].dump()));
                }
                mop.value = m[2].get<std::int64_t>();
                mop.known = true;
            } else if (f == "r") {
                mop.kind = MopKind::read;
                mop.known = txn.status == TxnStatus::ok;
                if (mop.known) {
                    if (auto status = read_value(mop, m, position, i); !status) return status;
                }
            } else {
                return fail(position, fmt::format("micro-op {} is {}: a {} micro-op is [:{} k v] or [:r k v]", i,
                                                  m.dump(), workload_name(out_.workload), write_name));
            }
            out_.mops.push_back(mop);
            ++txn.mop_size;
        }
        return ok_status();
    }

    Status read_value(Mop& mop, const Json& m, std::size_t position, std::size_t i) {
        const Json& seen = m[2];
        if (seen.is_null()) {
            mop.nil = true;
            return ok_status();
        }
        if (out_.workload == Workload::rw_register) {
            if (!seen.is_number_integer()) {
                return fail(position, fmt::format("micro-op {} ({}) read {}: a register read is an integer or nil", i,
                                                  m.dump(), seen.dump()));
            }
            mop.value = seen.get<std::int64_t>();
            return ok_status();
        }
        if (!seen.is_array()) {
            return fail(position, fmt::format("micro-op {} ({}) read {}: a list-append read is a list or nil", i,
                                              m.dump(), seen.dump()));
        }
        mop.read_begin = static_cast<std::uint32_t>(out_.read_values.size());
        mop.read_size = static_cast<std::uint32_t>(seen.size());
        for (const Json& element : seen) {
            if (!element.is_number_integer()) {
                return fail(position, fmt::format("micro-op {} ({}) read a list holding {}: elements are integers", i,
                                                  m.dump(), element.dump()));
            }
            out_.read_values.push_back(element.get<std::int64_t>());
        }
        return ok_status();
    }

    // An ok completion reports the same micro-ops as were invoked, with the
    // reads filled in; anything else is a broken history, not an anomaly.
    Status check_matches_invocation(const Txn& txn, std::size_t invoke_position, std::size_t position) const {
        const Json& invoked = parsed_.history[invoke_position].value;
        if (!invoked.is_array()) return ok_status();
        if (invoked.size() != txn.mop_size) {
            return fail(position, fmt::format("the completion has {} micro-ops but its invocation (line {}) had {}",
                                              txn.mop_size, line(invoke_position), invoked.size()));
        }
        for (std::size_t i = 0; i < invoked.size(); ++i) {
            const Json& m = invoked[i];
            const Mop& done = out_.mops[txn.mop_begin + i];
            const bool same_f = m.is_array() && !m.empty() && m[0].is_string() &&
                                (m[0].get_ref<const std::string&>() == "r") == (done.kind == MopKind::read);
            const bool same_key =
                m.size() == 3 && (m[1].is_string() ? m[1].get<std::string>() : m[1].dump()) == key_text(done.key);
            if (!same_f || !same_key) {
                return fail(position, fmt::format("micro-op {} of the completion differs from its invocation's {} "
                                                  "(line {})",
                                                  i, m.dump(), line(invoke_position)));
            }
        }
        return ok_status();
    }

    std::string key_text(std::uint32_t key) const { return out_.key_names[key]; }

    const formats::ParsedHistory& parsed_;
    TxnHistory out_;
    std::unordered_map<std::int64_t, std::uint32_t> int_keys_;
    std::unordered_map<std::string, std::uint32_t> string_keys_;
};

}  // namespace

Result<TxnHistory> txn_history_from(const formats::ParsedHistory& parsed, Workload workload) {
    return Converter(parsed, workload).run();
}

}  // namespace faultline::check::txn
