// StdioNode: one server node of a built-in system as a Maelstrom node program,
// on stdin and stdout (`faultline node SYSTEM`), so that faultline's harness or
// Maelstrom itself can test faultline's own systems as processes.
//
// The node is the same sans-IO core the simulator runs, hosted in real time:
// its clock is the monotonic clock, its timers wait in a poll loop on stdin
// (the earliest timer is the poll's timeout), its randomness comes from a seed,
// and its disk is a FileStorage in a folder of its own, so a node killed and
// started again recovers what it synced (it boots with recover() when its
// folder holds files, else with start()).
//
//   init      builds the node: `node_ids[i]` is NodeId i, the cluster; every
//             other name (clients c*, services) gets a NodeId after them
//   clients   requests in the workload's Maelstrom schema become the system's
//             own client messages through its ClientCodec; the node's replies
//             are decoded by the codec and answered in the schema, with
//             in_reply_to (see docs/harness.md, "faultline node")
//             A request the node refuses as "not the leader, ask nX" is
//             forwarded once to nX ({"type": "forward", "client", "request"}),
//             which answers the client itself
//   servers   each typed message travels as {"type": type(), "faultline":
//             its wire JSON} (node/wire_codec.h) and is decoded on arrival
//
// Lines go out one at a time, flushed; logs go to stderr.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/json.h"
#include "base/result.h"

namespace faultline::harness {

struct StdioNodeOptions {
    std::string system;
    Json system_options = Json::object();  // the system's own options, by JSON key
    // The node's files go in DATA_DIR/<node id>; empty: a fresh folder under
    // the temporary folder.
    std::string data_dir;
    std::optional<std::uint64_t> seed;  // default: derived from the node id
};

// Checks that the system exists, takes these options, and can run as a node:
// it has a client codec, and its servers, run briefly in a simulation, send
// each other only messages with wire codecs. The error is one line for the user.
Status check_stdio_node(const StdioNodeOptions& options);

// Runs the node until stdin ends (check_stdio_node first). An error (a
// malformed init, no wire codec for a message the node sends, a folder that
// cannot be used) ends it early.
Status run_stdio_node(const StdioNodeOptions& options, int in_fd, int out_fd, int log_fd);

}  // namespace faultline::harness
