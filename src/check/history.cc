#include "check/history.h"

#include <fmt/format.h>

#include <cstdio>
#include <iterator>

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

namespace {

// Appends `text` as a JSON string, as Json::dump writes it. Names (`f`, `node`)
// are almost always plain ASCII, written as they are; anything else goes
// through Json for its escapes.
void append_json_string(std::string& out, std::string_view text) {
    for (const char c : text) {
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
            out += Json(text).dump();
            return;
        }
    }
    out.push_back('"');
    out.append(text);
    out.push_back('"');
}

// Appends a value as Json::dump writes it: integers and null, the common
// keys and values, without a call to the serializer.
void append_json_value(std::string& out, const Json& value) {
    if (value.is_null()) {
        out += "null";
    } else if (value.is_number_unsigned()) {
        fmt::format_to(std::back_inserter(out), "{}", value.get<std::uint64_t>());
    } else if (value.is_number_integer()) {
        fmt::format_to(std::back_inserter(out), "{}", value.get<std::int64_t>());
    } else {
        out += value.dump();
    }
}

}  // namespace

void append_operation_jsonl(std::string& out, const Operation& op) {
    // The members in the order Json keeps them (sorted by name), so the line
    // is the one operation_to_json(op).dump() gives.
    out.push_back('{');
    if (!op.error.is_null()) {
        out += "\"error\":";
        append_json_value(out, op.error);
        out.push_back(',');
    }
    out += "\"f\":";
    append_json_string(out, op.f);
    fmt::format_to(std::back_inserter(out), ",\"index\":{}", op.index);
    if (!op.key.is_null()) {
        out += ",\"key\":";
        append_json_value(out, op.key);
    }
    if (!op.node.empty()) {
        out += ",\"node\":";
        append_json_string(out, op.node);
    }
    fmt::format_to(std::back_inserter(out), ",\"process\":{},\"time\":{},\"type\":\"{}\",\"value\":", op.process,
                   op.time, op_type_name(op.type));
    append_json_value(out, op.value);
    out += "}\n";
}

Status write_history_jsonl(const std::string& path, const History& history) {
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr) return make_error(ErrorCode::io_error, fmt::format("{}: cannot open for writing", path));
    std::string buffer;
    buffer.reserve(1 << 17);
    bool written = true;
    for (const Operation& op : history) {
        append_operation_jsonl(buffer, op);
        if (buffer.size() >= (1 << 16)) {
            written = written && std::fwrite(buffer.data(), 1, buffer.size(), file) == buffer.size();
            buffer.clear();
        }
    }
    written = written && std::fwrite(buffer.data(), 1, buffer.size(), file) == buffer.size();
    written = std::fclose(file) == 0 && written;
    if (!written) return make_error(ErrorCode::io_error, fmt::format("{}: write failed", path));
    return ok_status();
}

}  // namespace faultline::check
