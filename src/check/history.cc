#include "check/history.h"

#include <fstream>

#include <fmt/format.h>

namespace faultline::check {

const char* op_type_name(OpType type) {
    switch (type) {
        case OpType::invoke: return "invoke";
        case OpType::ok: return "ok";
        case OpType::fail: return "fail";
        case OpType::info: return "info";
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
    return json;
}

Result<Operation> operation_from_json(const Json& json) {
    if (!json.is_object()) return make_error(ErrorCode::parse_error, "expected a JSON object");
    Operation op;
    auto need = [&](const char* field) -> const Json* {
        auto found = json.find(field);
        return found == json.end() ? nullptr : &*found;
    };
    const Json* type = need("type");
    const Json* process = need("process");
    const Json* f = need("f");
    if (type == nullptr || !type->is_string()) {
        return make_error(ErrorCode::parse_error, "missing string field 'type'");
    }
    if (process == nullptr || !process->is_number_integer()) {
        return make_error(ErrorCode::parse_error, "missing integer field 'process'");
    }
    if (f == nullptr || !f->is_string()) {
        return make_error(ErrorCode::parse_error, "missing string field 'f'");
    }
    auto parsed_type = parse_op_type(type->get<std::string>());
    if (!parsed_type) return parsed_type.error();
    op.type = *parsed_type;
    op.process = process->get<std::int64_t>();
    op.f = f->get<std::string>();
    if (const Json* index = need("index"); index && index->is_number_integer()) {
        op.index = index->get<std::int64_t>();
    }
    if (const Json* time = need("time"); time && time->is_number_integer()) {
        op.time = time->get<Nanos>();
    }
    if (const Json* key = need("key")) op.key = *key;
    if (const Json* value = need("value")) op.value = *value;
    if (const Json* error = need("error")) op.error = *error;
    return op;
}

Status write_history_jsonl(const std::string& path, const History& history) {
    std::ofstream out(path);
    if (!out) return make_error(ErrorCode::io_error, fmt::format("{}: cannot open for writing", path));
    for (const Operation& op : history) out << operation_to_json(op).dump() << '\n';
    out.flush();
    if (!out) return make_error(ErrorCode::io_error, fmt::format("{}: write failed", path));
    return ok_status();
}

Result<History> read_history_jsonl(const std::string& path) {
    std::ifstream in(path);
    if (!in) return make_error(ErrorCode::not_found, fmt::format("{}: cannot open", path));
    History history;
    std::string line;
    std::int64_t line_number = 0;
    while (std::getline(in, line)) {
        ++line_number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        Json json = Json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (json.is_discarded()) {
            return make_error(ErrorCode::parse_error,
                              fmt::format("{}:{}: not valid JSON", path, line_number));
        }
        auto op = operation_from_json(json);
        if (!op) {
            return make_error(ErrorCode::parse_error,
                              fmt::format("{}:{}: {}", path, line_number, op.error().message));
        }
        if (!json.contains("index")) op->index = static_cast<std::int64_t>(history.size());
        history.push_back(std::move(*op));
    }
    return history;
}

}  // namespace faultline::check
