#include "check/txn/text.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace faultline::check::txn {

std::string list_text(std::span<const std::int64_t> values) {
    return fmt::format("[{}]", fmt::join(values, " "));
}

// A read as Elle prints it: [:r 3 [1 2]], [:r 3 nil], [:w 3 5].
std::string mop_text(const TxnHistory& history, const Mop& mop) {
    const std::string& key = history.key_names[mop.key];
    switch (mop.kind) {
        case MopKind::append:
            return fmt::format("[:append {} {}]", key, mop.value);
        case MopKind::write:
            return fmt::format("[:w {} {}]", key, mop.value);
        case MopKind::read:
            if (!mop.known) return fmt::format("[:r {} ?]", key);
            if (mop.nil) return fmt::format("[:r {} nil]", key);
            if (history.workload == Workload::rw_register) return fmt::format("[:r {} {}]", key, mop.value);
            return fmt::format("[:r {} {}]", key, list_text(history.read_list(mop)));
    }
    FL_UNREACHABLE();
}

std::string read_value_text(const TxnHistory& history, const Mop& mop) {
    if (mop.nil) return "nil";
    if (history.workload == Workload::rw_register) return std::to_string(mop.value);
    return list_text(history.read_list(mop));
}

}  // namespace faultline::check::txn
