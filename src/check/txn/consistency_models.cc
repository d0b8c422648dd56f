#include "check/txn/consistency_models.h"

#include <fmt/format.h>

#include <array>
#include <bitset>

#include "base/assert.h"

namespace faultline::check::txn {

namespace {

using M = Model;
using A = Anomaly;

// Anomalies that are not reported but that models proscribe: G1 (G1a, G1b or
// G1c) and G2 (any cycle with an rw edge), with their session and realtime
// variants. They extend the Anomaly numbering.
enum Extra : int { G1 = kAnomalyCount, G1_process, G1_realtime, G2, G2_process, G2_realtime, kAllAnomalies };

using AnomalySet = std::bitset<kAllAnomalies>;

constexpr int id(A a) {
    return static_cast<int>(a);
}

struct Implication {
    int from;
    std::vector<int> to;
};

// a -> b: every history with a also has b.
const std::vector<Implication>& anomaly_implications() {
    static const std::vector<Implication> graph = {
        {id(A::G0), {id(A::G1c), id(A::G0_process)}},
        {id(A::G0_process), {id(A::G1c_process), id(A::G0_realtime)}},
        {id(A::G0_realtime), {id(A::G1c_realtime)}},
        {id(A::G1a), {G1}},
        {id(A::G1b), {G1}},
        {id(A::G1c), {G1, id(A::G1c_process)}},
        {id(A::G1c_process), {id(A::G1c_realtime), G1_process}},
        {id(A::G1c_realtime), {G1_realtime}},
        {G1, {G1_process}},
        {G1_process, {G1_realtime}},
        {id(A::G_single), {id(A::G_nonadjacent), id(A::G_single_process)}},
        {id(A::G_single_process), {id(A::G_nonadjacent_process), id(A::G_single_realtime)}},
        {id(A::G_single_realtime), {id(A::G_nonadjacent_realtime)}},
        {id(A::G_nonadjacent), {G2, id(A::G_nonadjacent_process)}},
        {id(A::G_nonadjacent_process), {G2_process, id(A::G_nonadjacent_realtime)}},
        {id(A::G_nonadjacent_realtime), {G2_realtime}},
        {id(A::G2_item), {G2, id(A::G2_item_process)}},
        {id(A::G2_item_process), {G2_process, id(A::G2_item_realtime)}},
        {id(A::G2_item_realtime), {G2_realtime}},
        {G2, {G2_process}},
        {G2_process, {G2_realtime}},
        // Two reads from different timelines imply that one saw a write that
        // never committed in the order the other saw.
        {id(A::incompatible_order), {id(A::G1a)}},
        // A value nobody wrote (as far as the history says) can only come from
        // a write that never committed: counted with aborted reads.
        {id(A::garbage_read), {id(A::G1a)}},
        // Lost update is a write skew on one key: G2-item.
        {id(A::lost_update), {id(A::G2_item)}},
    };
    return graph;
}

struct ModelRule {
    Model model;
    const char* name;
    std::vector<Model> implies;  // directly weaker models
    std::vector<int> proscribes;
};

const std::array<ModelRule, kModelCount>& model_rules() {
    static const std::array<ModelRule, kModelCount> rules = {{
        {M::read_uncommitted, "read-uncommitted", {}, {id(A::G0), id(A::duplicate_elements)}},
        {M::read_committed, "read-committed", {M::read_uncommitted}, {G1}},
        {M::cursor_stability, "cursor-stability", {M::read_committed}, {G1, id(A::lost_update)}},
        {M::monotonic_atomic_view, "monotonic-atomic-view", {M::read_committed}, {}},
        {M::read_atomic, "read-atomic", {M::monotonic_atomic_view}, {id(A::internal), id(A::G1a)}},
        {M::repeatable_read,
         "repeatable-read",
         {M::cursor_stability, M::monotonic_atomic_view},
         {G1, id(A::G2_item), id(A::lost_update)}},
        // Generalized SI forbids every cycle whose rw edges are never adjacent
        // (Cerone, Gotsman), not only G-single.
        {M::snapshot_isolation,
         "snapshot-isolation",
         {M::cursor_stability, M::read_atomic},
         {id(A::internal), G1, id(A::G_single), id(A::G_nonadjacent)}},
        {M::serializable, "serializable", {M::repeatable_read, M::snapshot_isolation}, {id(A::internal), G1, G2}},
        {M::strong_session_snapshot_isolation,
         "strong-session-snapshot-isolation",
         {M::snapshot_isolation},
         {id(A::internal), G1_process, id(A::G_nonadjacent_process)}},
        {M::strong_snapshot_isolation,
         "strong-snapshot-isolation",
         {M::strong_session_snapshot_isolation},
         {id(A::internal), G1_realtime, id(A::G_nonadjacent_realtime)}},
        {M::strong_session_serializable,
         "strong-session-serializable",
         {M::serializable, M::strong_session_snapshot_isolation},
         {G1_process, G2_process}},
        {M::strict_serializable,
         "strict-serializable",
         {M::serializable, M::strong_snapshot_isolation, M::strong_session_serializable},
         {G1, id(A::G1c_realtime), G2_realtime}},
    }};
    return rules;
}

// `a` and everything it implies.
AnomalySet implied_closure(int a) {
    AnomalySet set;
    std::vector<int> todo{a};
    while (!todo.empty()) {
        const int next = todo.back();
        todo.pop_back();
        if (set.test(next)) continue;
        set.set(next);
        for (const Implication& rule : anomaly_implications()) {
            if (rule.from == next) todo.insert(todo.end(), rule.to.begin(), rule.to.end());
        }
    }
    return set;
}

// Does `model` (or a weaker model it implies) proscribe something in `anomalies`?
bool proscribes_any(Model model, const AnomalySet& anomalies) {
    const ModelRule& rule = model_rules()[static_cast<int>(model)];
    for (int a : rule.proscribes) {
        if (anomalies.test(a)) return true;
    }
    for (Model weaker : rule.implies) {
        if (proscribes_any(weaker, anomalies)) return true;
    }
    return false;
}

bool implies(Model stronger, Model weaker) {
    if (stronger == weaker) return true;
    for (Model next : model_rules()[static_cast<int>(stronger)].implies) {
        if (implies(next, weaker)) return true;
    }
    return false;
}

}  // namespace

const char* model_name(Model model) {
    return model_rules()[static_cast<int>(model)].name;
}

Result<Model> parse_model(std::string_view name) {
    for (const ModelRule& rule : model_rules()) {
        if (name == rule.name) return rule.model;
    }
    struct Alias {
        const char* name;
        Model model;
    };
    static constexpr Alias aliases[] = {
        {"PL-1", M::read_uncommitted},
        {"PL-2", M::read_committed},
        {"PL-CS", M::cursor_stability},
        {"PL-2.99", M::repeatable_read},
        {"PL-SI", M::snapshot_isolation},
        {"PL-3", M::serializable},
        {"PL-SS", M::strict_serializable},
        {"strong-serializable", M::strict_serializable},
        {"conflict-serializable", M::serializable},
    };
    for (const Alias& alias : aliases) {
        if (name == alias.name) return alias.model;
    }
    return make_error(ErrorCode::invalid_argument,
                      fmt::format("unknown consistency model '{}' (one of: {})", name, describe_models()));
}

Result<std::vector<Model>> parse_models(std::string_view list) {
    std::vector<Model> models;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t end = list.find(',', start);
        if (end == std::string_view::npos) end = list.size();
        std::string_view name = list.substr(start, end - start);
        while (!name.empty() && (name.front() == ' ' || name.front() == ':')) name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (!name.empty()) {
            auto model = parse_model(name);
            if (!model) return model.error();
            models.push_back(*model);
        }
        start = end + 1;
    }
    if (models.empty()) return make_error(ErrorCode::invalid_argument, "no consistency model given");
    return models;
}

std::string describe_models() {
    std::string out;
    for (const ModelRule& rule : model_rules()) {
        if (!out.empty()) out += ", ";
        out += rule.name;
    }
    return out;
}

const char* anomaly_name(Anomaly anomaly) {
    static constexpr const char* names[kAnomalyCount] = {
        "G0",
        "G1c",
        "G-single",
        "G-nonadjacent",
        "G2-item",
        "G0-process",
        "G1c-process",
        "G-single-process",
        "G-nonadjacent-process",
        "G2-item-process",
        "G0-realtime",
        "G1c-realtime",
        "G-single-realtime",
        "G-nonadjacent-realtime",
        "G2-item-realtime",
        "G1a",
        "G1b",
        "internal",
        "lost-update",
        "duplicate-elements",
        "incompatible-order",
        "garbage-read",
    };
    const int i = static_cast<int>(anomaly);
    FL_ASSERT_LT(i, kAnomalyCount);
    return names[i];
}

std::vector<Model> models_ruled_out_by(Anomaly anomaly) {
    const AnomalySet implied = implied_closure(id(anomaly));
    std::vector<Model> out;
    for (const ModelRule& rule : model_rules()) {
        if (proscribes_any(rule.model, implied)) out.push_back(rule.model);
    }
    return out;
}

bool matters_for(Anomaly anomaly, const std::vector<Model>& models) {
    const AnomalySet implied = implied_closure(id(anomaly));
    for (Model model : models) {
        if (proscribes_any(model, implied)) return true;
    }
    return false;
}

std::vector<Model> weakest(const std::vector<Model>& models) {
    std::vector<Model> out;
    for (Model model : models) {
        bool implies_another = false;
        for (Model other : models) implies_another = implies_another || (other != model && implies(model, other));
        if (!implies_another) out.push_back(model);
    }
    return out;
}

}  // namespace faultline::check::txn
