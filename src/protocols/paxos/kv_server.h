// PaxosKvServer: a node of the Paxos KV, the lin-kv service of protocols/kv
// replicated by Multi-Paxos (multi_paxos.h).
//
// Every client operation, reads included, is a value in the log: the leader
// proposes it in the next slot, and the node answers once that slot is chosen
// and applied in order to its KvStore. A read is answered from the store at
// its slot, which is linearizable without a lease: the slot orders it after
// every write chosen before it and before every write chosen after.
//
// A server that is not the leader answers error 11 (unavailable, definite)
// with the leader it knows of, and the client retries there. A proposal whose
// slot is chosen with another value (the leader was deposed, and the next one
// filled the slot) is answered with error 13 (indefinite: a retry of the same
// request may have been chosen elsewhere), or 11 for a read, which has no
// effect. Client sessions in the store (client, sequence) make retries safe.
#pragma once

#include <map>
#include <vector>

#include "node/node.h"
#include "protocols/kv/kv_store.h"
#include "protocols/kv/messages.h"
#include "protocols/paxos/multi_paxos.h"

namespace faultline::protocols::paxos {

class PaxosKvServer final : public Node {
  public:
    explicit PaxosKvServer(PaxosOptions options) : paxos_(options) {}

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    // The god's view.
    const MultiPaxos& paxos() const { return paxos_; }
    const kv::KvStore& store() const { return store_; }

  private:
    struct Pending {
        NodeId client;
        std::uint64_t msg_id = 0;
        kv::KvOp op = kv::KvOp::write;
        std::uint64_t digest = 0;  // of the value proposed
    };

    void handle_request(Context& ctx, NodeId client, const kv::KvRequest& request);
    // Applies what Multi-Paxos chose since the last input, answering our clients.
    void apply_chosen(Context& ctx);
    void reply(Context& ctx, NodeId client, std::uint64_t msg_id, kv::KvOp op, kv::KvResult result);

    MultiPaxos paxos_;
    kv::KvStore store_;
    std::map<Slot, Pending> pending_;
    std::vector<SlotValue> chosen_;  // reused for every input
};

}  // namespace faultline::protocols::paxos
