#include "check/models/model.h"

#include <fmt/format.h>

namespace faultline::check::models {

namespace {

struct ModelName {
    ModelKind kind;
    const char* name;
    const char* ops;
};

constexpr ModelName kModels[] = {
    {ModelKind::register_rw, "register", "read, write"},
    {ModelKind::cas_register, "cas-register", "read, write, cas [from to]"},
    {ModelKind::kv, "kv", "read, write, cas per key (faultline lin-kv)"},
    {ModelKind::multi_register, "multi-register", "txn [[read k v] [write k v] ...]"},
    {ModelKind::kv_append, "kv-append", "get, put, append per key (Porcupine kv)"},
    {ModelKind::mutex, "mutex", "acquire, release"},
    {ModelKind::set, "set", "add, read"},
    {ModelKind::fifo_queue, "fifo-queue", "enqueue, dequeue"},
    {ModelKind::counter, "counter", "add, read"},
};

}  // namespace

Result<ModelKind> parse_model_kind(std::string_view name) {
    for (const ModelName& model : kModels) {
        if (name == model.name) return model.kind;
    }
    if (name == "queue") return ModelKind::fifo_queue;
    if (name == "lin-kv") return ModelKind::kv;
    std::string names;
    for (const ModelName& model : kModels) names += (names.empty() ? "" : ", ") + std::string(model.name);
    return make_error(ErrorCode::invalid_argument, fmt::format("unknown model '{}' (models: {})", name, names));
}

const char* model_kind_name(ModelKind kind) {
    for (const ModelName& model : kModels) {
        if (model.kind == kind) return model.name;
    }
    FL_UNREACHABLE();
}

std::string describe_model_kinds() {
    std::string out;
    for (const ModelName& model : kModels) out += fmt::format("  {:<15} {}\n", model.name, model.ops);
    return out;
}

}  // namespace faultline::check::models
