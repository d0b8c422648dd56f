// ByzantineKvServer: a node of the Raft KV gone bad, for the Byzantine
// nemesis (nemesis/byzantine.h). Raft assumes crash faults only: a node that
// lies breaks it, and this wrapper shows how little it takes.
//
// It runs the correct KvServer and, depending on its behaviour, adds to or
// rewrites what that server sends. It signs nothing and needs no key: Raft
// trusts every message from a member.
//
//   forged-append  on every AppendEntries with entries from the leader, tells
//                  the other followers, in the leader's term, that one more
//                  entry follows (a write the client never made). A follower
//                  stores it; when the leader's real entry for that index
//                  arrives with the same term, the Log Matching rule says it
//                  is the same, and the follower keeps the forgery.
//   double-vote    grants every vote and pre-vote it is asked for, even two
//                  candidates of one term: two leaders in one term.
//   log-lie        claims, in its own (pre-)vote requests, a log as long and
//                  as recent as it could be: it wins elections with a stale
//                  log and then overwrites committed entries.
//
// Every choice draws from the node's own seeded stream: a seed replays exactly.
#pragma once

#include <cstdint>

#include "node/intercepted_context.h"
#include "node/node.h"
#include "protocols/kv/kv_server.h"

namespace faultline::protocols::kv {

enum class RaftByzantine : std::uint8_t { forged_append, double_vote, log_lie };
inline constexpr RaftByzantine kRaftByzantine[] = {RaftByzantine::forged_append, RaftByzantine::double_vote,
                                                   RaftByzantine::log_lie};
const char* raft_byzantine_name(RaftByzantine behaviour);

class ByzantineKvServer final : public Node {
  public:
    ByzantineKvServer(raft::RaftOptions options, RaftByzantine behaviour) : inner_(options), behaviour_(behaviour) {}

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    const KvServer& inner() const { return inner_; }
    KvServer& inner() { return inner_; }
    RaftByzantine behaviour() const { return behaviour_; }

  private:
    friend class InterceptedContext<ByzantineKvServer>;

    void outgoing(Context& ctx, NodeId to, MessagePtr message);
    void forge_after(Context& ctx, NodeId leader, const raft::AppendRequest& request);

    KvServer inner_;
    RaftByzantine behaviour_;
    std::uint64_t forged_sequence_ = 0;
};

}  // namespace faultline::protocols::kv
