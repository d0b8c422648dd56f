#include "lin_oracle.h"

#include <fmt/format.h>

#include <vector>

#include "brute_force.h"
#include "check/linearizability/checker.h"
#include "lin_modes.h"

namespace faultline::check::testing {

namespace {

std::string describe(const OracleCase& c) {
    return fmt::format("model {}, initial {}, nil_read_is_unknown {}, failed_cas_returned_false {}\n{}",
                       models::model_kind_name(c.model), c.initial.dump(), c.semantics.nil_read_is_unknown,
                       c.semantics.failed_cas_returned_false, history_jsonl(c.history));
}

}  // namespace

std::optional<std::string> disagreement(const OracleCase& c, bool* valid) {
    auto expected = brute_force_linearizable(c.history, {c.model, c.initial, c.semantics});
    if (!expected) return "brute force: " + expected.error().message + "\n" + describe(c);
    if (valid != nullptr) *valid = *expected;
    LinearizabilityOptions base;
    base.model = c.model;
    base.initial = c.initial;
    base.semantics = c.semantics;
    for (const CheckMode& mode : every_mode(base)) {
        auto result = check_linearizability(c.history, mode.options);
        if (!result) {
            return fmt::format("checker ({}): {}\n{}", mode.name, result.error().message, describe(c));
        }
        const Verdict want = *expected ? Verdict::valid : Verdict::invalid;
        if (result->verdict != want) {
            return fmt::format("checker ({}) says {}, brute force says {}\n{}", mode.name,
                               verdict_name(result->verdict), verdict_name(want), describe(c));
        }
    }
    return std::nullopt;
}

OracleCase shrink_disagreement(OracleCase c) {
    // Operations by process: an invocation and the next event of its process.
    for (bool progress = true; progress;) {
        progress = false;
        for (std::size_t i = 0; i < c.history.size(); ++i) {
            if (c.history[i].type != OpType::invoke) continue;
            std::vector<std::size_t> drop{i};
            for (std::size_t j = i + 1; j < c.history.size(); ++j) {
                if (c.history[j].process != c.history[i].process) continue;
                if (c.history[j].type != OpType::invoke) drop.push_back(j);
                break;
            }
            OracleCase smaller = c;
            for (auto it = drop.rbegin(); it != drop.rend(); ++it) {
                smaller.history.erase(smaller.history.begin() + static_cast<long>(*it));
            }
            if (disagreement(smaller)) {
                c = std::move(smaller);
                progress = true;
                break;
            }
        }
    }
    return c;
}

namespace {

// The rest of a random case once its shape is set.
OracleCase random_case(models::ModelKind model, Prng& prng, SimOptions sim, bool with_info) {
    using models::ModelKind;
    sim.model = model;
    sim.seed = prng.next();
    sim.clients = static_cast<int>(prng.between(1, 4));
    sim.values = static_cast<int>(prng.between(1, 3));
    sim.info_probability = with_info ? 0.1 + 0.4 * prng.unit() : 0;
    sim.fail_probability = 0.1;
    const auto bug = prng.below(4);
    sim.bug = bug == 0 ? Bug::stale_read : bug == 1 ? Bug::lost_write : Bug::none;
    sim.bug_in_tail = prng.chance(0.5);
    sim.corrupt_probability = 0.4;
    OracleCase c;
    c.model = model;
    c.history = simulate_history(sim).history;
    c.semantics.nil_read_is_unknown = prng.chance(0.2);
    c.semantics.failed_cas_returned_false = prng.chance(0.3);
    if (prng.chance(0.15)) {
        switch (model) {
            case ModelKind::register_rw:
            case ModelKind::cas_register:
            case ModelKind::kv:
                c.initial = 0;
                break;
            case ModelKind::kv_append:
                c.initial = "x0y";
                break;
            case ModelKind::counter:
                c.initial = 2;
                break;
            case ModelKind::multi_register:
                c.initial = Json{{"x", 1}};
                break;
            default:
                break;  // mutex, set and fifo-queue take no initial value
        }
    }
    return c;
}

}  // namespace

OracleCase random_small_case(models::ModelKind model, Prng& prng, std::size_t max_ops, bool with_info) {
    SimOptions sim;
    const std::size_t ops = 1 + prng.below(max_ops);
    sim.prefix = prng.below(std::min<std::size_t>(ops, 2) + 1);
    sim.tail = prng.below(std::min<std::size_t>(ops - sim.prefix, 3) + 1);
    sim.core = ops - sim.prefix - sim.tail;
    sim.keys = static_cast<int>(prng.between(0, 2));
    return random_case(model, prng, sim, with_info);
}

OracleCase random_segmented_case(models::ModelKind model, Prng& prng, bool with_info) {
    SimOptions sim;
    sim.prefix = static_cast<std::size_t>(prng.between(20, 34));
    sim.core = static_cast<std::size_t>(prng.between(2, 8));
    sim.tail = static_cast<std::size_t>(prng.between(30, 60));
    sim.keys = prng.chance(0.2) ? 2 : static_cast<int>(prng.between(0, 1));
    // Each op of unknown outcome may take effect anywhere in the long tail:
    // the brute force tries every place (a queue, for one, is a different
    // queue for each), so a few of them already cost it millions of steps.
    sim.max_unknown = 2;
    return random_case(model, prng, sim, with_info);
}

}  // namespace faultline::check::testing
