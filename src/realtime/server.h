// A built-in system's server node as a real process: `faultline serve`.
//
// The node is the same sans-IO core the simulator runs (the system's own
// server factory, as runner/system.h builds it), hosted by a single-threaded
// asio loop: its clock is the monotonic clock, its timers are asio timers, its
// disk is a FileStorage (harness/file_storage.h: real files, fdatasync), so a
// kill -9 loses exactly what the node had not synced.
//
// Peers. The cluster is this node and its --peers; NodeId i is the i-th of
// their names in sorted order, the same on every node. Each peer message is
// one frame on TCP: a 4-byte big-endian length, then the JSON object
// {"from": NAME, "type": TYPE, "faultline": WIRE} (node/wire_codec.h). A node
// dials each peer once at the address --peers gives (so a proxy can sit in
// between) and redials with backoff when the connection fails; a message for
// a peer that is not connected is dropped (the protocol retries), so a dead
// or paused peer never blocks the node. Frames arriving on accepted
// connections name their sender.
//
// Clients. JSON lines on --client-listen (docs/real-mode.md):
//   {"id":N,"type":"read","key":K}           -> {"id":N,"type":"read_ok","value":V}
//   {"id":N,"type":"write","key":K,"value":V} -> {"id":N,"type":"write_ok"}
//   {"id":N,"type":"cas","key":K,"from":A,"to":B} -> {"id":N,"type":"cas_ok"}
// or {"id":N,"type":"error","code":C,"text":"..."} with Maelstrom's codes: 20
// key does not exist, 22 precondition failed, 11 temporarily unavailable
// (definitely not applied: not the leader, with "leader":"n2" when known), 12
// malformed request, 13 outcome unknown. Each connection is a client session of
// its own, whose requests the node numbers as they arrive: a command that Raft
// carries twice (a retransmitted append) is applied once, but a request the
// client sends again is a new command.
//
// Group commit. "Persist before you send": a core syncs its storage, then
// sends. Here sync() only marks the storage dirty and every message the core
// sends is held; once the loop has handled every input that was ready, one
// fdatasync makes all of them durable and then the held messages leave, in
// order. No message leaves before the state it depends on is on disk, and
// many client commands share one fsync.
//
// SIGTERM or SIGINT ends the node gracefully: held messages are synced and
// sent, then the process exits 0.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "base/json.h"
#include "base/result.h"
#include "realtime/endpoint.h"

namespace faultline::realtime {

struct ServeOptions {
    std::string system = "raft-kv";
    Json system_options = Json::object();   // the system's own options, by JSON key
    std::string bug;                        // a deliberately broken variant (--bug)
    std::string id;                         // this node's name
    Endpoint listen;                        // peers connect here
    Endpoint client_listen;                 // clients connect here
    std::map<std::string, Endpoint> peers;  // name -> the address this node dials
    std::string data_dir;                   // the node's own folder (created)
    std::optional<std::uint64_t> seed;      // default: from the node id and the clock
};

// Every error the options can have before anything starts: the system exists,
// has clients and can build this cluster; the id is a valid name and not a
// peer; no peer is at this node's own address or at another peer's; the data
// dir is (made, if need be) a folder this process can write in. One line for
// the user, naming the flag.
Status check_serve_options(const ServeOptions& options);

// Runs the node until SIGTERM or SIGINT. Errors: a port that cannot be bound,
// a data dir that cannot be used, a failed fsync (the node stops rather than
// acknowledge what is not durable).
Status run_server(const ServeOptions& options);

}  // namespace faultline::realtime
