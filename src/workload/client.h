// RpcClient: a workload client, as a node, that records a Jepsen-style history.
//
// A client runs one operation at a time. invoke() records the `invoke`, sends a
// request built by the workload's ClientCodec, and arms a timeout. The reply the
// codec decodes completes the operation as ok or fail; a timeout completes it as
// info (the request may or may not have taken effect), or as fail when the
// operation is idempotent-safe to call failed (a read that timed out changed
// nothing). After an info, the client takes a new process id, as Jepsen does:
// a process whose last operation is in doubt is never reused.
//
// The codec can also answer "retry": the server was not the right one (a Raft
// follower with a leader hint). The client then re-sends the same operation,
// with the same session sequence, to the suggested server at once, or after
// `retry_delay` to a random one when there is no hint, all within the same
// timeout. Each rejection is a definite "not done" for that attempt. When
// retries run out the operation fails definitely only if no copy of an earlier
// attempt can still arrive: on a network that duplicates messages, one may yet
// reach a leader and be applied, so the outcome is unknown (info). Jepsen's
// rule: a failure is definite only if the operation certainly did not, and
// never will, take effect.
//
// Replies that do not match the outstanding request (late answers to a request
// that already timed out, duplicates) are ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "check/history.h"
#include "node/node.h"

namespace faultline::workload {

// An operation a generator asks a client to perform.
struct OpRequest {
    std::string f;
    Json key;
    Json value;
    // Send to this server (final reads of each node); otherwise the client picks.
    std::optional<NodeId> target = std::nullopt;
};

// How a reply completes the outstanding operation.
struct Completion {
    enum class Kind { ok, fail, info, retry } kind = Kind::ok;
    Json value;                    // ok: the observed value
    Json error;                    // fail / info: the error
    std::optional<NodeId> target;  // retry: where to send next (none: any server)
};

struct DecodedReply {
    std::uint64_t in_reply_to = 0;
    Completion completion;
};

// What identifies one request: the message id (new for every attempt), and the
// client's session: its id and the operation's sequence number, the same for
// every attempt of one operation so that a server can apply it at most once.
struct RequestIds {
    std::uint64_t msg_id = 0;
    std::uint64_t client = 0;
    std::uint64_t sequence = 0;
};

// Translates between operations and a system's messages.
class ClientCodec {
  public:
    virtual ~ClientCodec() = default;
    virtual MessagePtr encode(const OpRequest& op, const RequestIds& ids) const = 0;
    virtual std::optional<DecodedReply> decode(const Message& message) const = 0;
    // Operations that cannot have taken effect when they time out (reads).
    virtual bool timeout_is_failure(const std::string& f) const {
        (void)f;
        return false;
    }
};

// Receives every history event, stamped with the simulator's true time.
class HistoryRecorder {
  public:
    explicit HistoryRecorder(std::function<Nanos()> true_now) : true_now_(std::move(true_now)) {}
    void record(check::Operation op);
    const check::History& history() const { return history_; }
    check::History take() { return std::move(history_); }

  private:
    std::function<Nanos()> true_now_;
    check::History history_;
};

struct ClientOptions {
    Nanos timeout = seconds(1);
    std::int64_t first_process = 0;
    // After an info, the next process id is the current one plus this stride, so
    // clients never collide (stride = number of clients).
    std::int64_t process_stride = 1;
    // Which server a new operation goes to first.
    enum class Targeting { fixed_first, round_robin, random } targeting = Targeting::random;
    // How many times one operation may be redirected before it fails.
    int retries_max = 10;
    // Pause before retrying without a hint (an election is probably under way).
    Nanos retry_delay = milliseconds(20);
    // After a timeout, send the operation again to another server this many
    // times before giving up with info. Safe only with idempotency keys (the
    // same session sequence) against servers that deduplicate them.
    int timeout_retries_max = 0;
    // Blind retries: each timeout retry is a new request with a new sequence,
    // as a client without idempotency keys sends (the fates scenarios).
    bool blind_retries = false;
    // 0: wait forever for an answer (no timeout at all).
    bool wait_forever = false;
    // The network may deliver a request more than once (duplication, or
    // tampering that replays): rejected attempts are then no proof that the
    // operation will not take effect.
    bool requests_may_repeat = true;
};

class RpcClient final : public Node {
  public:
    RpcClient(ClientOptions options, std::shared_ptr<const ClientCodec> codec, HistoryRecorder& recorder);

    void start(Context&) override {}
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    bool idle() const { return !outstanding_.has_value(); }
    void invoke(Context& ctx, OpRequest op);
    std::int64_t process() const { return process_; }
    // Called after every completion (the driver schedules the next operation).
    void set_completion_listener(std::function<void()> listener) { completion_listener_ = std::move(listener); }

  private:
    enum TimerTag : std::uint64_t { timeout_tag = 0, retry_tag = 1 };
    struct Outstanding {
        OpRequest op;
        std::uint64_t msg_id = 0;
        std::uint64_t sequence = 0;
        TimerId timeout = 0;
        TimerId retry = 0;
        int retries = 0;
        int timeout_retries = 0;
        Json last_error;
    };

    NodeId choose_target(Context& ctx);
    void send_request(Context& ctx, NodeId target);
    // `answered_by`: the server whose reply completes it (none: a timeout).
    void complete(Context& ctx, check::OpType type, Json value, Json error,
                  std::optional<NodeId> answered_by = std::nullopt);
    // How an operation ends when its last attempt was rejected outright: a
    // definite fail only if no attempt can still be applied.
    check::OpType every_attempt_rejected_outcome() const;

    ClientOptions options_;
    std::shared_ptr<const ClientCodec> codec_;
    HistoryRecorder& recorder_;
    std::int64_t process_;
    std::uint64_t next_msg_id_ = 1;
    std::uint64_t next_sequence_ = 1;
    std::size_t round_robin_ = 0;
    std::optional<Outstanding> outstanding_;
    std::function<void()> completion_listener_;
};

}  // namespace faultline::workload
