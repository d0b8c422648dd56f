// A history: what clients asked for and what they were told, in time order.
//
// Jepsen's model. Each client operation appears twice: an `invoke` when the
// client sends it, then exactly one completion from the same process:
//   ok    it happened, at some instant between invoke and ok
//   fail  it definitely did not happen (a definite error, e.g. key missing)
//   info  unknown: it may have happened at any instant after the invoke, or
//         never (a timeout, a crash); the process is never reused afterwards
// A process runs one operation at a time.
//
// This is faultline's in-memory form and its history.jsonl file format, one
// object per line:
//   {"index":0,"time":1200000,"process":3,"type":"invoke","f":"write","key":1,"value":4}
//   {"index":1,"time":3400000,"process":3,"type":"ok","f":"write","key":1,"value":4,"node":"n2"}
//   {"index":7,"time":9100000,"process":2,"type":"fail","f":"cas","key":1,"value":[3,4],"error":22}
// `key` is absent for single-object workloads; `error` is absent unless set;
// `node` names the server that answered, on completions that came from a reply.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "base/time.h"

namespace faultline::check {

enum class OpType : std::uint8_t { invoke, ok, fail, info };
const char* op_type_name(OpType type);
Result<OpType> parse_op_type(std::string_view name);

struct Operation {
    std::int64_t index = 0;
    Nanos time = 0;
    std::int64_t process = 0;
    OpType type = OpType::invoke;
    std::string f;
    Json key;    // null when the workload has no keys
    Json value;  // null when unknown (a read's invoke)
    Json error;  // null unless the completion carries an error
    // The server that answered, on a completion from a reply ("n2"); empty on
    // an invoke and on a completion the client decided alone (a timeout).
    std::string node;
};

using History = std::vector<Operation>;

Json operation_to_json(const Operation& op);

// Appends the operation's line of history.jsonl (operation_to_json(op).dump()
// and a newline), without building the Json object: a seed's history is
// thousands of lines, and building each line's object cost a fifth of a run.
void append_operation_jsonl(std::string& out, const Operation& op);

// Writes one line per operation. Fails with io_error if the file cannot be written.
Status write_history_jsonl(const std::string& path, const History& history);

}  // namespace faultline::check
