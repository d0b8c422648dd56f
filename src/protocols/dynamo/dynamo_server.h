// DynamoServer: a node of a Dynamo-style key-value store (DeCandia et al.
// 2007): N replicas per key on a consistent-hash ring (ring.h), R and W
// quorums, sloppy quorums with hinted handoff, read repair and anti-entropy.
// Clients speak the lin-kv read and write of protocols/kv (no cas: it needs
// consensus); any server coordinates the operations it receives.
//
//   read(k)   ask k's N home replicas; answer with the newest copy once R have
//             answered; read repair: every home replica that answers (then or
//             later) with an older copy is sent the newest.
//   write(k)  version: ask the home replicas for their copies as a read does,
//             and once R have answered take the highest counter c; the write's
//             version is (c + 1, client, sequence);
//             store: send the copy to the N home replicas, answer ok once W
//             hold it.
//
// Versioning: last-writer-wins on these Lamport-style versions, not vector
// clocks and not physical time. Vector clocks keep concurrent writes as
// siblings that a client must merge, and the lin-kv client has no merge: it
// would come back to a last-writer-wins rule anyway. Physical timestamps lose
// a write that comes later in real time from a node whose clock runs behind
// (scenarios/clocks/lww-skew). With R + W > N, the version read meets every
// acknowledged write (the quorums intersect), so a later write always gets a
// higher version, and a read meets the newest acknowledged write: no read
// misses a write acknowledged before it began (the stale-read check). With
// R + W <= N neither holds.
//
// Sloppy quorums (`sloppy`): a home replica that has not answered within
// `fallback_after` is replaced by the next stand-in on the preference list,
// which answers a version query from what it holds (hints included) and keeps a
// write as a hint for that home replica, handing it back every
// `handoff_interval` until the home replica acknowledges it. Writes stay
// available when home replicas are cut off, but the W nodes that acknowledged
// and the R nodes a read asks need no longer intersect: a read of the home
// replicas can miss an acknowledged write until the hint is handed back.
// R + W > N then promises nothing about stale reads. Without `sloppy`, only
// home replicas count, and an operation waits for them.
//
// Anti-entropy (every `anti_entropy_interval`, 0: off): a node sends a random
// peer the versions it holds of the keys both replicate; the peer answers with
// the copies it holds newer and the keys it wants, which the node then sends.
//
// Replicas keep copies and hints in a ReplicaStore, synced before they answer.
// A replica that lost synced data (a corrupt record) answers no quorum request
// until it has rebuilt: it asks every peer for the copies of the keys both
// replicate, and ends the damage once each has answered (a peer that lost its
// own data answers that it has nothing). Its own acknowledged writes are then
// back, as W - 1 other replicas hold each; hints it held are lost.
// Bug `local_version`: a write's counter comes from the coordinator's own copy
// instead of the R replicas' (a later write can get a lower version and lose
// to an older one).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "node/node.h"
#include "protocols/dynamo/ring.h"
#include "protocols/kv/messages.h"
#include "protocols/quorum/messages.h"
#include "protocols/quorum/replica_store.h"

namespace faultline::protocols::dynamo {

constexpr int error_not_supported = 10;

struct DynamoBugs {
    bool local_version = false;
};

struct DynamoOptions {
    int replicas = 3;      // N
    int read_quorum = 2;   // R
    int write_quorum = 2;  // W
    int tokens_per_server = 8;
    bool sloppy = false;
    bool read_repair = true;
    Nanos anti_entropy_interval = seconds(1);
    Nanos handoff_interval = milliseconds(500);
    Nanos fallback_after = milliseconds(100);
    Nanos resend_interval = milliseconds(100);
    Nanos give_up_after = seconds(2);
    DynamoBugs bugs;
};

class DynamoServer final : public Node {
  public:
    explicit DynamoServer(DynamoOptions options) : options_(options) {}

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    // The god's view.
    const quorum::ReplicaStore& store() const { return store_; }

  private:
    enum class Phase { query, store, repair };
    struct Operation {
        NodeId client;
        std::uint64_t msg_id = 0;
        kv::KvOp op = kv::KvOp::read;
        std::int64_t key = 0;
        std::int64_t value = 0;
        std::uint64_t session_client = 0;
        std::uint64_t session_sequence = 0;
        std::vector<NodeId> preference;
        Nanos started = 0;
        Phase phase = Phase::query;
        Nanos phase_started = 0;
        // Who this phase asked: a home replica, or a stand-in for one (the home it replaces).
        std::map<NodeId, std::optional<NodeId>> asked;
        std::size_t next_stand_in = 0;              // index into `preference`
        std::map<NodeId, quorum::Version> replied;  // query: each reply's version (zero: none)
        bool found = false;
        quorum::Versioned best;    // the newest copy reported
        quorum::Versioned target;  // store: the copy written
        std::set<NodeId> acked;    // store: who holds it
    };

    void boot(Context& ctx);
    // Sends `message` to `to`; to itself, through an inbox drained after the input.
    void send(Context& ctx, NodeId to, MessagePtr message);
    void drain_inbox(Context& ctx);
    void handle(Context& ctx, NodeId from, const Message& message);

    void begin(Context& ctx, NodeId client, const kv::KvRequest& request);
    void answer_query(Context& ctx, NodeId from, const quorum::Query& query);
    void answer_store(Context& ctx, NodeId from, const quorum::Store& store);
    void on_query_reply(Context& ctx, NodeId from, const quorum::QueryReply& reply);
    void on_store_reply(Context& ctx, NodeId from, const quorum::StoreReply& reply);
    void enter_phase(Context& ctx, std::uint64_t id, Phase phase);
    // (Re)sends the phase's request to each node asked that has not answered,
    // and with a sloppy quorum, brings in stand-ins for silent home replicas.
    void push_phase(Context& ctx, std::uint64_t id);
    void send_request(Context& ctx, std::uint64_t id, NodeId to);
    void repair(Context& ctx, const Operation& operation, NodeId replica, const quorum::Version& held);
    void answer_client(Context& ctx, const Operation& operation, kv::KvResult result);
    bool is_home(const Operation& operation, NodeId node) const;
    std::size_t homes_replied(const Operation& operation) const;

    void start_anti_entropy(Context& ctx);
    void on_sync_digest(Context& ctx, NodeId from, const quorum::SyncDigest& digest);
    void on_sync_reply(Context& ctx, NodeId from, const quorum::SyncReply& reply);
    void hand_off(Context& ctx);
    void ask_to_rebuild(Context& ctx);
    // Both `a` and `b` are home replicas of `key`.
    bool both_replicate(std::int64_t key, NodeId a, NodeId b) const;
    std::vector<NodeId> homes(std::int64_t key) const;
    // The newest copy this node holds of `key`, hints included (a stand-in's answer).
    std::optional<quorum::Versioned> newest_held(std::int64_t key) const;

    DynamoOptions options_;
    Ring ring_;
    quorum::ReplicaStore store_;
    std::map<std::uint64_t, Operation> operations_;
    std::map<std::uint64_t, std::pair<NodeId, std::int64_t>> handoffs_;  // op -> (home, key)
    std::deque<std::pair<NodeId, MessagePtr>> inbox_;                    // messages to itself
    std::uint64_t next_op_ = 1;
    // Each client's highest session sequence begun here: a request the network
    // duplicated must not run twice (a write run again would bring its value
    // back after later writes). Volatile: a crash forgets it.
    std::map<std::uint64_t, std::uint64_t> sessions_;
    std::set<NodeId> rebuilt_from_;  // peers that answered a rebuild
};

}  // namespace faultline::protocols::dynamo
