// A counter service: one server, `add` a delta and `read` the total.
//
// The smallest service where a retry can do harm, which makes it the stage for
// "the four fates of a request": the request is answered, the request is lost,
// the server crashes after applying it but before answering, or the answer is
// lost. Only the client can tell "lost before" from "lost after" by... nothing
// at all: it just times out.
//
// The total is durable (synced before the answer) so a restarted server keeps
// what it acknowledged. Two server behaviours, chosen by `deduplicate`:
//   off   every add that arrives is applied (a blind retry of an applied add
//         applies it twice)
//   on    adds carry an idempotency key (the client's session: client id and
//         operation sequence); the server keeps a durable table of keys it
//         applied and answers a repeated key with the original result
// `reply_delay` is the time the server takes to produce an answer after
// applying: a crash inside that window leaves an applied but unanswered add.
#pragma once

#include <cstdint>
#include <map>

#include "node/node.h"

namespace faultline::protocols::counter {

struct CounterOptions {
    bool deduplicate = false;
    Nanos reply_delay = milliseconds(5);
};

struct CounterRequest final : Message {
    std::uint64_t msg_id = 0;
    bool read = false;
    std::int64_t delta = 0;
    std::uint64_t client = 0;  // idempotency key: (client, sequence)
    std::uint64_t sequence = 0;

    std::string_view type() const override { return read ? "read" : "add"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48; }
    std::uint64_t digest() const override;
};

struct CounterReply final : Message {
    std::uint64_t in_reply_to = 0;
    bool read = false;
    std::int64_t value = 0;

    std::string_view type() const override { return read ? "read_ok" : "add_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32; }
    std::uint64_t digest() const override;
};

class CounterServer final : public Node {
  public:
    explicit CounterServer(CounterOptions options) : options_(options) {}

    void start(Context& ctx) override;
    void recover(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    std::int64_t total() const { return total_; }
    std::uint64_t applied() const { return applied_; }

  private:
    struct PendingReply {
        NodeId client;
        std::uint64_t msg_id = 0;
        bool read = false;
        std::int64_t value = 0;
    };

    bool persist(Context& ctx);

    CounterOptions options_;
    std::int64_t total_ = 0;
    std::uint64_t applied_ = 0;
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::int64_t> applied_keys_;  // key -> total after it
    std::map<std::uint64_t, PendingReply> pending_;                                 // by reply tag
    std::uint64_t next_tag_ = 1;
    bool broken_ = false;  // the disk failed: answer nothing rather than lie
};

}  // namespace faultline::protocols::counter
