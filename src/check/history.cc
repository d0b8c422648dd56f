#include "check/history.h"

#include <fmt/format.h>

#include <fstream>

namespace faultline::check {

const char* op_type_name(OpType type) {
    switch (type) {
        case OpType::invoke:
            return "invoke";
        case OpType::ok:
            return "ok";
        case OpType::fail:
            return "fail";
        case OpType::info:
            return "info";
    }
    FL_UNREACHABLE();
}

Result<OpType> parse_op_type(std::string_view name) {
    if (name == "invoke") return OpType::invoke;
    if (name == "ok") return OpType::ok;
    if (name == "fail") return OpType::fail;
    if (name == "info") return OpType::info;
    return make_error(ErrorCode::parse_error,
                      fmt::format("unknown operation type '{}' (invoke, ok, fail, info)", name));
}

Json operation_to_json(const Operation& op) {
    Json json;
    json["index"] = op.index;
    json["time"] = op.time;
    json["process"] = op.process;
    json["type"] = op_type_name(op.type);
    json["f"] = op.f;
    if (!op.key.is_null()) json["key"] = op.key;
    json["value"] = op.value;
    if (!op.error.is_null()) json["error"] = op.error;
    if (!op.node.empty()) json["node"] = op.node;
    return json;
}

Status write_history_jsonl(const std::string& path, const History& history) {
    std::ofstream out(path);
    if (!out) return make_error(ErrorCode::io_error, fmt::format("{}: cannot open for writing", path));
    for (const Operation& op : history) out << operation_to_json(op).dump() << '\n';
    out.flush();
    if (!out) return make_error(ErrorCode::io_error, fmt::format("{}: write failed", path));
    return ok_status();
}

}  // namespace faultline::check
