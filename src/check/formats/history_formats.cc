#include "check/formats/history_formats.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "check/formats/edn.h"

namespace faultline::check::formats {

namespace {

Error error_at(const std::string& name, int line, const std::string& message) {
    return make_error(ErrorCode::parse_error, fmt::format("{}:{}: {}", name, line, message));
}

// Turns "LINE:COL: message" from the EDN reader into "name:LINE:COL: message".
Error edn_error(const std::string& name, const Error& error) {
    return make_error(ErrorCode::parse_error, fmt::format("{}:{}", name, error.message));
}

// ---- Jepsen EDN

// One EDN op map -> an Operation; nullopt for ops that are not client ops.
Result<std::optional<Operation>> op_from_edn(const Json& map, std::int64_t position) {
    if (!map.is_object()) {
        return make_error(ErrorCode::parse_error, fmt::format("expected an operation map, got {}", map.dump()));
    }
    auto field = [&](const char* name) -> const Json* {
        auto found = map.find(name);
        return found == map.end() ? nullptr : &*found;
    };
    const Json* process = field("process");
    const Json* type = field("type");
    const Json* f = field("f");
    if (process == nullptr) return make_error(ErrorCode::parse_error, "operation has no :process");
    if (type == nullptr || !type->is_string()) {
        return make_error(ErrorCode::parse_error, "operation has no :type keyword");
    }
    auto parsed_type = parse_op_type(type->get<std::string>());
    if (!parsed_type) {
        return make_error(ErrorCode::parse_error,
                          fmt::format("unknown :type :{} (invoke, ok, fail, info)", type->get<std::string>()));
    }
    // Jepsen's client ops have integer processes; :nemesis and friends do not.
    if (!process->is_number_integer()) return std::optional<Operation>();
    if (f == nullptr || !(f->is_string() || f->is_number())) {
        return make_error(ErrorCode::parse_error, "operation has no :f");
    }
    Operation op;
    op.process = process->get<std::int64_t>();
    if (op.process < 0) {
        return make_error(ErrorCode::parse_error, fmt::format("process {} is negative", op.process));
    }
    op.type = *parsed_type;
    op.f = f->is_string() ? f->get<std::string>() : f->dump();
    op.index = position;
    if (const Json* index = field("index"); index != nullptr && index->is_number_integer()) {
        op.index = index->get<std::int64_t>();
    }
    if (const Json* time = field("time"); time != nullptr && time->is_number_integer()) {
        op.time = time->get<std::int64_t>();
    }
    if (const Json* value = field("value")) op.value = *value;
    if (const Json* key = field("key")) op.key = *key;
    if (const Json* error = field("error")) op.error = *error;
    return std::optional<Operation>(std::move(op));
}

Result<ParsedHistory> parse_edn(std::string_view content, const std::string& name) {
    ParsedHistory parsed;
    parsed.name = name;
    parsed.format = Format::jepsen_edn;
    parsed.semantics.nil_read_is_unknown = true;
    EdnReader reader(content);
    std::int64_t position = 0;
    auto take = [&](const Json& form, int line) -> Status {
        auto op = op_from_edn(form, position++);
        if (!op) return error_at(name, line, op.error().message);
        if (!op->has_value()) {
            ++parsed.skipped_ops;
            return ok_status();
        }
        parsed.history.push_back(std::move(**op));
        parsed.lines->push_back(line);
        return ok_status();
    };
    for (;;) {
        if (auto status = reader.skip_discarded(); !status) return edn_error(name, status.error());
        if (!reader.more()) break;
        const char c = reader.peek();
        if (c == '[' || c == '(') {
            const char close = c == '[' ? ']' : ')';
            const int open_line = reader.line();
            reader.advance();
            for (;;) {
                if (auto status = reader.skip_discarded(); !status) return edn_error(name, status.error());
                if (!reader.more()) {
                    return edn_error(name,
                                     reader.error_here(fmt::format("unexpected end of input: '{}' opened on line {} "
                                                                   "is never closed",
                                                                   c, open_line)));
                }
                if (reader.peek() == close) {
                    reader.advance();
                    break;
                }
                const int line = reader.line();
                Json form;
                if (auto status = reader.read(form); !status) return edn_error(name, status.error());
                if (auto status = take(form, line); !status) return status.error();
            }
            continue;
        }
        if (c != '{' && c != '#') {
            return edn_error(
                name, reader.error_here(fmt::format("expected an operation map or a vector of them, found '{}'", c)));
        }
        const int line = reader.line();
        Json form;
        if (auto status = reader.read(form); !status) return edn_error(name, status.error());
        if (auto status = take(form, line); !status) return status.error();
    }
    // Porcupine's kv data is this EDN with get/put/append on keys.
    if (!parsed.history.empty() && std::all_of(parsed.history.begin(), parsed.history.end(), [](const Operation& op) {
            return op.f == "get" || op.f == "put" || op.f == "append";
        })) {
        parsed.format = Format::porcupine_kv;
    }
    return parsed;
}

// ---- Jepsen log lines

Result<ParsedHistory> parse_jepsen_log(std::string_view content, const std::string& name) {
    ParsedHistory parsed;
    parsed.name = name;
    parsed.format = Format::jepsen_log;
    parsed.semantics.failed_cas_returned_false = true;
    int line_number = 0;
    std::size_t start = 0;
    std::int64_t position = 0;
    while (start < content.size()) {
        std::size_t end = content.find('\n', start);
        if (end == std::string_view::npos) end = content.size();
        std::string_view line = content.substr(start, end - start);
        start = end + 1;
        ++line_number;
        const std::size_t marker = line.find("jepsen.util");
        if (marker == std::string_view::npos) continue;
        std::string_view rest = line.substr(marker + std::string_view("jepsen.util").size());
        // "jepsen.util - 4 ..." or "jepsen.util: 4 ...".
        while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t' || rest[0] == '-' || rest[0] == ':')) {
            rest.remove_prefix(1);
        }
        EdnReader reader(rest, line_number, static_cast<int>(rest.data() - line.data()) + 1);
        auto fail = [&](const std::string& what) { return error_at(name, line_number, what); };
        std::vector<Json> forms;
        while (reader.more()) {
            Json form;
            if (auto status = reader.read(form); !status) return edn_error(name, status.error());
            forms.push_back(std::move(form));
        }
        // Not an operation line (Jepsen logs other things through jepsen.util too),
        // or a non-client process such as :nemesis.
        if (forms.empty() || !forms[0].is_number_integer()) {
            if (!forms.empty() && forms[0].is_string() && forms.size() >= 3) ++parsed.skipped_ops;
            continue;
        }
        if (forms.size() < 3 || !forms[1].is_string() || !forms[2].is_string()) {
            return fail("expected PROCESS :TYPE :F [VALUE]");
        }
        auto type = parse_op_type(forms[1].get<std::string>());
        if (!type) {
            return fail(fmt::format("unknown type :{} (invoke, ok, fail, info)", forms[1].get<std::string>()));
        }
        Operation op;
        op.process = forms[0].get<std::int64_t>();
        if (op.process < 0) return fail(fmt::format("process {} is negative", op.process));
        op.type = *type;
        op.f = forms[2].get<std::string>();
        op.index = position++;
        const bool timed_out = std::any_of(forms.begin() + 3, forms.end(), [](const Json& form) {
            return form.is_string() && form.get<std::string>() == "timed-out";
        });
        if (timed_out && op.type != OpType::invoke && op.type != OpType::ok) {
            // A timeout: the outcome is unknown, whatever the log calls it.
            op.type = OpType::info;
            op.error = "timed-out";
        } else if (forms.size() > 3) {
            op.value = forms[3];
            if (forms.size() > 4) op.error = forms[4];
        }
        parsed.history.push_back(std::move(op));
        parsed.lines->push_back(line_number);
    }
    return parsed;
}

// ---- faultline history.jsonl

Json from_simdjson(simdjson::dom::element element) {
    using simdjson::dom::element_type;
    switch (element.type()) {
        case element_type::ARRAY: {
            Json out = Json::array();
            for (simdjson::dom::element item : element.get_array()) out.push_back(from_simdjson(item));
            return out;
        }
        case element_type::OBJECT: {
            Json out = Json::object();
            for (auto field : element.get_object()) {
                out[std::string(field.key)] = from_simdjson(field.value);
            }
            return out;
        }
        case element_type::INT64:
            return Json(static_cast<std::int64_t>(element.get_int64()));
        case element_type::UINT64:
            return Json(static_cast<std::uint64_t>(element.get_uint64()));
        case element_type::DOUBLE:
            return Json(static_cast<double>(element.get_double()));
        case element_type::STRING:
            return Json(std::string(element.get_string().value()));
        case element_type::BOOL:
            return Json(static_cast<bool>(element.get_bool()));
        case element_type::NULL_VALUE:
            return Json(nullptr);
    }
    return Json(nullptr);
}

Result<ParsedHistory> parse_jsonl(std::string_view content, const std::string& name) {
    ParsedHistory parsed;
    parsed.name = name;
    parsed.format = Format::jsonl;
    parsed.semantics = models::faultline_history_semantics();
    simdjson::dom::parser parser;
    int line_number = 0;
    std::size_t start = 0;
    while (start < content.size()) {
        std::size_t end = content.find('\n', start);
        if (end == std::string_view::npos) end = content.size();
        std::string_view line = content.substr(start, end - start);
        start = end + 1;
        ++line_number;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        auto fail = [&](const std::string& what) { return error_at(name, line_number, what); };
        simdjson::dom::element doc;
        if (auto error = parser.parse(line.data(), line.size(), true).get(doc); error) {
            return fail(fmt::format("not valid JSON ({})", simdjson::error_message(error)));
        }
        simdjson::dom::object object;
        if (doc.get_object().get(object)) return fail("expected a JSON object");
        Operation op;
        std::string_view type, f;
        if (object["type"].get_string().get(type)) return fail("missing string field 'type'");
        auto parsed_type = parse_op_type(type);
        if (!parsed_type) return fail(parsed_type.error().message);
        op.type = *parsed_type;
        if (object["f"].get_string().get(f)) return fail("missing string field 'f'");
        op.f = std::string(f);
        // A client process is a non-negative integer. The checker leaves
        // negative ones out (not client ops), so reading -1 or 1.5 here would
        // drop operations from the history without a word.
        simdjson::dom::element process_field;
        if (object["process"].get(process_field)) return fail("missing integer field 'process'");
        std::int64_t process = 0;
        if (process_field.get_int64().get(process)) {
            return fail(fmt::format("'process' must be an integer, got {}", simdjson::to_string(process_field)));
        }
        if (process < 0) {
            return fail(fmt::format("process {} is negative (client processes are 0, 1, 2, ...)", process));
        }
        op.process = process;
        std::int64_t number = 0;
        op.index = static_cast<std::int64_t>(parsed.history.size());
        if (!object["index"].get_int64().get(number)) op.index = number;
        if (!object["time"].get_int64().get(number)) op.time = number;
        simdjson::dom::element field;
        if (!object["key"].get(field)) op.key = from_simdjson(field);
        if (!object["value"].get(field)) op.value = from_simdjson(field);
        if (!object["error"].get(field)) op.error = from_simdjson(field);
        if (std::string_view node; !object["node"].get_string().get(node)) op.node = std::string(node);
        parsed.history.push_back(std::move(op));
        parsed.lines->push_back(line_number);
    }
    return parsed;
}

}  // namespace

const char* format_name(Format format) {
    switch (format) {
        case Format::jepsen_edn:
            return "jepsen-edn";
        case Format::porcupine_kv:
            return "porcupine-kv";
        case Format::jepsen_log:
            return "jepsen-log";
        case Format::jsonl:
            return "jsonl";
    }
    FL_UNREACHABLE();
}

Result<Format> parse_format_name(std::string_view name) {
    if (name == "jepsen-edn" || name == "edn" || name == "knossos") return Format::jepsen_edn;
    if (name == "porcupine-kv" || name == "porcupine") return Format::porcupine_kv;
    if (name == "jepsen-log" || name == "log" || name == "etcd-log") return Format::jepsen_log;
    if (name == "jsonl" || name == "history.jsonl" || name == "faultline") return Format::jsonl;
    return make_error(ErrorCode::invalid_argument,
                      fmt::format("unknown format '{}' (jepsen-edn, porcupine-kv, jepsen-log, jsonl)", name));
}

lin::Locator ParsedHistory::locator() const {
    return [name = name, lines = lines](std::uint32_t position) {
        if (position < lines->size()) return fmt::format("{}:{}", name, (*lines)[position]);
        return fmt::format("{}: op {}", name, position);
    };
}

Result<Format> detect_format(std::string_view content, const std::string& name) {
    // The first meaningful character, skipping blank and `;` comment lines.
    std::size_t at = 0;
    while (at < content.size()) {
        const char c = content[at];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
            ++at;
        } else if (c == ';') {
            while (at < content.size() && content[at] != '\n') ++at;
        } else {
            break;
        }
    }
    if (at == content.size()) return Format::jepsen_edn;  // empty: an empty history
    if (content.substr(0, 1 << 16).find("jepsen.util") != std::string_view::npos) {
        return Format::jepsen_log;
    }
    if (content[at] == '{') {
        std::size_t next = at + 1;
        while (next < content.size() && (content[next] == ' ' || content[next] == '\t')) ++next;
        if (next < content.size() && content[next] == '"') return Format::jsonl;
        return Format::jepsen_edn;
    }
    if (content[at] == '[' || content[at] == '(' || content[at] == '#') return Format::jepsen_edn;
    return make_error(ErrorCode::parse_error, fmt::format("{}: cannot tell the history format (expected Jepsen EDN, "
                                                          "Jepsen log lines or history.jsonl; use --format)",
                                                          name));
}

Result<ParsedHistory> parse_history(std::string_view content, const std::string& name, std::optional<Format> format) {
    if (!format) {
        auto detected = detect_format(content, name);
        if (!detected) return detected.error();
        format = *detected;
    }
    switch (*format) {
        case Format::jepsen_edn:
            return parse_edn(content, name);
        case Format::porcupine_kv: {
            auto parsed = parse_edn(content, name);
            if (parsed) parsed->format = Format::porcupine_kv;
            return parsed;
        }
        case Format::jepsen_log:
            return parse_jepsen_log(content, name);
        case Format::jsonl:
            return parse_jsonl(content, name);
    }
    FL_UNREACHABLE();
}

Result<ParsedHistory> read_history_file(const std::string& path, std::optional<Format> format) {
    // A directory opens as a stream on Linux and reads as nothing at all.
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{}: is a directory, not a history file", path));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(ErrorCode::not_found, fmt::format("{}: cannot open", path));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) return make_error(ErrorCode::io_error, fmt::format("{}: read failed", path));
    const std::string content = buffer.str();
    return parse_history(content, path, format);
}

models::ModelKind infer_model(const History& history) {
    using models::ModelKind;
    std::set<std::string> fs;
    bool keys = false, collection_reads = false;
    for (const Operation& op : history) {
        fs.insert(op.f);
        keys = keys || !op.key.is_null();
        if (op.f == "read" && op.type == OpType::ok && op.value.is_array()) collection_reads = true;
    }
    auto has = [&](const char* f) { return fs.contains(f); };
    if (has("get") || has("put") || has("append")) return ModelKind::kv_append;
    if (has("txn")) return ModelKind::multi_register;
    if (has("acquire") || has("release")) return ModelKind::mutex;
    if (has("enqueue") || has("dequeue")) return ModelKind::fifo_queue;
    if (has("add") || has("increment")) return collection_reads ? ModelKind::set : ModelKind::counter;
    return keys ? ModelKind::kv : ModelKind::cas_register;
}

}  // namespace faultline::check::formats
