// How the isolation checker writes micro-ops and reads in its explanations,
// as Elle prints them: [:append 3 2], [:r 3 [1 2]], [:r 3 nil], [:w 3 5].
// Private to src/check/txn/.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "check/txn/txn_history.h"

namespace faultline::check::txn {

std::string list_text(std::span<const std::int64_t> values);
std::string mop_text(const TxnHistory& history, const Mop& mop);
// What a read returned: nil, a value, or a list.
std::string read_value_text(const TxnHistory& history, const Mop& mop);

}  // namespace faultline::check::txn
