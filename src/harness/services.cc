#include "harness/services.h"

#include <fmt/format.h>

#include <map>

#include "base/assert.h"
#include "harness/wire.h"

namespace faultline::harness {

namespace {

// Keys may be any JSON value; they are compared by their text.
using KvState = std::map<std::string, Json>;

const MaelstromMessage* request_of(const Envelope& envelope) {
    return message_as<MaelstromMessage>(*envelope.message);
}

void answer(Context& ctx, const Envelope& envelope, Json body) {
    ctx.send(envelope.from, std::make_shared<MaelstromMessage>(std::move(body)));
}

// Runs a kv operation against `state`. Returns the reply, and whether the
// state changed (then `state` holds the new one).
struct KvOutcome {
    Json reply;
    bool changed = false;
};

KvOutcome run_kv(const MaelstromMessage& request, KvState& state, bool cas_may_create) {
    const Json& body = request.body();
    const std::string type = std::string(request.type());
    auto key_of = [&]() { return body.contains("key") ? body["key"].dump() : std::string("null"); };
    if (type == "read") {
        auto found = state.find(key_of());
        if (found == state.end()) return {error_body(request, error_code::key_does_not_exist, "key does not exist")};
        Json reply = reply_body(request, "read_ok");
        reply["value"] = found->second;
        return {reply};
    }
    if (type == "write") {
        state[key_of()] = body.value("value", Json());
        return {reply_body(request, "write_ok"), true};
    }
    FL_ASSERT(type == "cas");
    const Json from = body.value("from", Json());
    const Json to = body.value("to", Json());
    auto found = state.find(key_of());
    if (found == state.end()) {
        if (cas_may_create && body.value("create_if_not_exists", false)) {
            state[key_of()] = to;
            return {reply_body(request, "cas_ok"), true};
        }
        return {error_body(request, error_code::key_does_not_exist, "key does not exist")};
    }
    if (found->second != from) {
        return {error_body(request, error_code::precondition_failed,
                           fmt::format("current value {} is not {}", found->second.dump(), from.dump()))};
    }
    const bool changed = found->second != to;
    found->second = to;
    return {reply_body(request, "cas_ok"), changed};
}

bool is_kv_request(std::string_view type) {
    return type == "read" || type == "write" || type == "cas";
}

class LinKvService final : public Node {
  public:
    void start(Context&) override {}
    void on_timer(Context&, TimerId, std::uint64_t) override {}
    void on_message(Context& ctx, const Envelope& envelope) override {
        const MaelstromMessage* request = request_of(envelope);
        if (request == nullptr || !is_kv_request(request->type())) return unknown(ctx, request);
        answer(ctx, envelope, run_kv(*request, state_, true).reply);
    }
    static void unknown(Context& ctx, const MaelstromMessage* request) {
        ctx.log(fmt::format("no reply to a request of unknown type '{}'", request ? request->type() : "?"));
    }

  private:
    KvState state_;
};

class SeqKvService final : public Node {
  public:
    static constexpr std::size_t kStatesKept = 32;

    void start(Context&) override { states_.push_back(std::make_shared<const KvState>()); }
    void on_timer(Context&, TimerId, std::uint64_t) override {}
    void on_message(Context& ctx, const Envelope& envelope) override {
        const MaelstromMessage* request = request_of(envelope);
        if (request == nullptr || !is_kv_request(request->type())) return LinKvService::unknown(ctx, request);
        // States are numbered from the first (first_index_); a caller's
        // newest observed one may have left the window: then the oldest kept.
        const std::uint64_t newest = first_index_ + states_.size() - 1;
        std::uint64_t& seen = seen_[envelope.from.value];
        const std::uint64_t low = std::max(seen, first_index_);
        const std::uint64_t chosen = low + ctx.random().below(newest - low + 1);
        KvState trial = *states_[chosen - first_index_];
        KvOutcome outcome = run_kv(*request, trial, true);
        if (!outcome.changed) {
            seen = chosen;
            return answer(ctx, envelope, std::move(outcome.reply));
        }
        KvState head = *states_.back();
        outcome = run_kv(*request, head, true);
        states_.push_back(std::make_shared<const KvState>(std::move(head)));
        if (states_.size() > kStatesKept) {
            states_.erase(states_.begin());
            ++first_index_;
        }
        seen = first_index_ + states_.size() - 1;
        answer(ctx, envelope, std::move(outcome.reply));
    }

  private:
    std::vector<std::shared_ptr<const KvState>> states_;
    std::uint64_t first_index_ = 0;
    std::map<std::uint32_t, std::uint64_t> seen_;  // caller -> newest state index it observed
};

class LwwKvService final : public Node {
  public:
    void start(Context&) override {}
    void on_timer(Context&, TimerId, std::uint64_t) override {}
    void on_message(Context& ctx, const Envelope& envelope) override {
        const MaelstromMessage* request = request_of(envelope);
        if (request == nullptr || !is_kv_request(request->type())) return LinKvService::unknown(ctx, request);
        const std::size_t from = ctx.random().below(kReplicas);
        const std::size_t into = ctx.random().below(kReplicas);
        if (from != into) merge(replicas_[from], replicas_[into]);
        Replica& replica = replicas_[ctx.random().below(kReplicas)];
        KvState values;
        for (const auto& [key, stamped] : replica.values) values[key] = stamped.value;
        KvOutcome outcome = run_kv(*request, values, false);
        if (outcome.changed) {
            // A write stamps the key with the replica's clock, then ticks it.
            const std::string key = request->body().value("key", Json()).dump();
            replica.values[key] = Stamped{values[key], replica.clock++};
        }
        answer(ctx, envelope, std::move(outcome.reply));
    }

  private:
    static constexpr std::size_t kReplicas = 2;
    struct Stamped {
        Json value;
        std::uint64_t stamp = 0;
    };
    struct Replica {
        std::map<std::string, Stamped> values;
        std::uint64_t clock = 0;
    };
    static void merge(const Replica& from, Replica& into) {
        for (const auto& [key, stamped] : from.values) {
            auto found = into.values.find(key);
            if (found == into.values.end() || found->second.stamp < stamped.stamp) into.values[key] = stamped;
        }
        into.clock = std::max(into.clock, from.clock);
    }
    Replica replicas_[kReplicas];
};

class LinTsoService final : public Node {
  public:
    void start(Context&) override {}
    void on_timer(Context&, TimerId, std::uint64_t) override {}
    void on_message(Context& ctx, const Envelope& envelope) override {
        const MaelstromMessage* request = request_of(envelope);
        if (request == nullptr || request->type() != "ts") return LinKvService::unknown(ctx, request);
        Json reply = reply_body(*request, "ts_ok");
        reply["ts"] = next_++;
        answer(ctx, envelope, std::move(reply));
    }

  private:
    std::uint64_t next_ = 0;
};

}  // namespace

std::unique_ptr<Node> make_service(const std::string& name) {
    if (name == "lin-kv") return std::make_unique<LinKvService>();
    if (name == "seq-kv") return std::make_unique<SeqKvService>();
    if (name == "lww-kv") return std::make_unique<LwwKvService>();
    FL_ASSERT(name == "lin-tso");
    return std::make_unique<LinTsoService>();
}

}  // namespace faultline::harness
