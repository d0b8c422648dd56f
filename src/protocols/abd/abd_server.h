// AbdServer: a node of the ABD register store (Attiya, Bar-Noy and Dolev 1995,
// multi-writer): every server is a replica of every key, and any server
// coordinates the client operations it receives (the lin-kv read and write of
// protocols/kv; cas cannot be built on ABD, it needs consensus, so it is
// answered with error 10, "not supported").
//
//   write(k, v)  query: ask every replica for its copy of k, wait for a
//                majority, take the highest version m;
//                store: send (m.counter + 1, client, sequence) with v to every
//                replica, wait until a majority acknowledges it; answer ok.
//   read(k)      query: as above, take the copy with the highest version;
//                write-back: send that copy to the replicas that did not
//                report it, wait until a majority holds it; answer its value.
//
// Any two majorities intersect, so a query sees every write whose store phase
// finished, and a read's write-back makes the value it returns visible to every
// later read: the register is linearizable. Without the write-back (the
// `skip_write_back` bug) a read may return a value that only a minority holds,
// and a later read can return the older one: the new/old inversion.
//
// Replicas keep their copies in a ReplicaStore, synced before they answer.
// Messages are resent to the replicas that have not answered every
// `resend_interval`; an operation still unfinished after `give_up_after` is
// dropped unanswered (the client's timeout then makes a write's outcome
// unknown). Operation ids begin at a random point drawn at every boot, so a
// late reply to an operation of an earlier incarnation matches nothing.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "node/node.h"
#include "protocols/kv/messages.h"
#include "protocols/quorum/messages.h"
#include "protocols/quorum/replica_store.h"

namespace faultline::protocols::abd {

constexpr int error_not_supported = 10;

struct AbdOptions {
    Nanos resend_interval = milliseconds(100);
    Nanos give_up_after = seconds(2);
    // The bug: a read answers as soon as its query phase ends.
    bool skip_write_back = false;
};

class AbdServer final : public Node {
  public:
    explicit AbdServer(AbdOptions options) : options_(options) {}

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    // The god's view.
    const quorum::ReplicaStore& store() const { return store_; }
    std::size_t operations_in_flight() const { return operations_.size(); }

  private:
    enum class Phase { query, store };
    struct Operation {
        NodeId client;
        std::uint64_t msg_id = 0;
        kv::KvOp op = kv::KvOp::read;
        std::int64_t key = 0;
        std::int64_t value = 0;  // a write's
        std::uint64_t session_client = 0;
        std::uint64_t session_sequence = 0;
        Nanos started = 0;
        Phase phase = Phase::query;
        std::map<NodeId, quorum::Version> answered;  // query: each reply's version (zero: none)
        bool found = false;                          // some replica holds a copy
        quorum::Versioned best;                      // the highest copy reported
        quorum::Versioned target;                    // store: the copy being written
        std::set<NodeId> holding;                    // store: replicas holding `target` or newer
    };

    void begin(Context& ctx, NodeId client, const kv::KvRequest& request);
    void on_query_reply(Context& ctx, NodeId from, const quorum::QueryReply& reply);
    void on_store_reply(Context& ctx, NodeId from, const quorum::StoreReply& reply);
    // The next step of operation `id` once its current phase has what it needs.
    void advance(Context& ctx, std::uint64_t id);
    void enter_store(Context& ctx, std::uint64_t id);
    // Sends the phase's request to the replicas that have not answered; this
    // node, a replica too, answers itself first, without a message.
    void send_phase(Context& ctx, std::uint64_t id);
    void answer_self(Context& ctx, std::uint64_t id);
    void finish(Context& ctx, std::uint64_t id, kv::KvResult result);

    std::size_t majority(const Context& ctx) const { return ctx.cluster().size() / 2 + 1; }
    void boot(Context& ctx);

    AbdOptions options_;
    quorum::ReplicaStore store_;
    std::map<std::uint64_t, Operation> operations_;
    std::uint64_t next_op_ = 1;
    // Each client's highest session sequence begun here: a request the network
    // duplicated must not run twice (a write run again would bring its value
    // back after later writes). Volatile: a crash forgets it.
    std::map<std::uint64_t, std::uint64_t> sessions_;
};

}  // namespace faultline::protocols::abd
