// Consistency models, the anomalies the isolation checker finds, and which
// models each anomaly rules out.
//
// Two small graphs, after Elle's (elle.consistency-model, from Adya, Bailis et
// al., Cerone et al.): models imply weaker models (serializable implies
// repeatable-read and snapshot-isolation, ...), and anomalies imply more
// general anomalies (G0 is a G1c; a G-single is a G-nonadjacent, which is a
// G2; a cycle without realtime edges is trivially one with them, ...). Each
// model directly proscribes a few anomalies. An anomaly rules out a model if
// the model, or a weaker model it implies, proscribes the anomaly or one it
// implies. Only the models below are known; Elle's lattice has more (PL-2+,
// update-serializable, ...), which collapse into these.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace faultline::check::txn {

// Weakest first: a model may only imply models listed before it.
enum class Model : std::uint8_t {
    read_uncommitted,
    read_committed,
    cursor_stability,
    monotonic_atomic_view,
    read_atomic,
    repeatable_read,
    snapshot_isolation,
    serializable,
    strong_session_snapshot_isolation,
    strong_snapshot_isolation,
    strong_session_serializable,
    strict_serializable,
};
inline constexpr int kModelCount = 12;

const char* model_name(Model model);
// Accepts Elle's names and aliases (PL-3, strong-serializable, ...).
Result<Model> parse_model(std::string_view name);
// "serializable,snapshot-isolation" or Maelstrom's "serializable , snapshot-isolation".
Result<std::vector<Model>> parse_models(std::string_view list);
std::string describe_models();

// What the checker reports. The cycle classes come in three flavours: the
// data-dependency cycle itself, and the -process and -realtime variants that
// need at least one session-order or realtime edge to close.
enum class Anomaly : std::uint8_t {
    G0,
    G1c,
    G_single,
    G_nonadjacent,
    G2_item,
    G0_process,
    G1c_process,
    G_single_process,
    G_nonadjacent_process,
    G2_item_process,
    G0_realtime,
    G1c_realtime,
    G_single_realtime,
    G_nonadjacent_realtime,
    G2_item_realtime,
    G1a,                 // read a value written by an aborted transaction
    G1b,                 // read a value its writer overwrote later in the same transaction
    internal,            // a read disagrees with the transaction's own earlier reads and writes
    lost_update,         // two committed transactions read the same version and both wrote it
    duplicate_elements,  // a list-append read holds one element twice
    incompatible_order,  // two list-append reads of a key are not prefixes of one another
    garbage_read,        // read a value nobody wrote
};
inline constexpr int kAnomalyCount = 22;

const char* anomaly_name(Anomaly anomaly);

// The known models this anomaly rules out, weakest first.
std::vector<Model> models_ruled_out_by(Anomaly anomaly);
// True if finding `anomaly` would rule out at least one of `models`.
bool matters_for(Anomaly anomaly, const std::vector<Model>& models);
// Of these ruled-out models, the weakest ones: those that no other of them implies.
std::vector<Model> weakest(const std::vector<Model>& models);

}  // namespace faultline::check::txn
