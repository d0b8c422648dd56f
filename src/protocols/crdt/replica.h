// A CRDT replica (types.h): clients update it and read it anywhere, without
// coordination; replicas converge by one of two kinds of delivery.
//
//   state  every `sync_interval` a replica sends its whole state to one peer
//          chosen at random, which merges it (anti-entropy; loss, duplication
//          and reordering do no harm: merge is a join)
//   op     an update is applied where it is made and sent to every peer as an
//          operation; every `sync_interval` a replica sends one random peer its
//          version vector and gets back the operations it lacks (so lost
//          messages are made good). Operations are delivered causally and
//          exactly once: held back until everything their origin had applied
//          first is applied here, dropped when already applied.
//
// Every replica keeps a version vector: how many updates of each replica its
// state includes (a state holds a prefix of each replica's updates: states
// merge whole, and operations are delivered in their origin's order). It is
// what op delivery needs, and what the strong-eventual-consistency checks
// read (check/sec_checker.h): which updates a replica had applied.
//
// Two naive replicas, each the textbook way to get it wrong:
//   sum_deltas      op delivery applies an operation each time it arrives
//                   (at-least-once): a duplicated or resent increment counts twice
//   remove_deletes  an op-based remove deletes the element outright, concurrent
//                   adds included: replicas that see an add and a concurrent
//                   remove in different orders disagree for ever
//
// Replicas keep nothing on disk and fail by crashing for good (crash-stop): a
// restarted replica keeps quiet and refuses clients, who go to another.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/node.h"
#include "protocols/crdt/types.h"

namespace faultline::protocols::crdt {

enum class Type : std::uint8_t { g_counter, pn_counter, or_set, lww_register };
enum class Delivery : std::uint8_t { state, op };

const char* type_name(Type type);
std::optional<Type> parse_type(std::string_view name);
std::vector<std::string> type_names();

// What a client asks: add (counters: a delta; or-set: an element), remove
// (or-set), write (lww-register), read.
enum class OpKind : std::uint8_t { read, add, remove, write };
const char* op_name(OpKind kind);

struct ReplicaOptions {
    Type type = Type::g_counter;
    Delivery delivery = Delivery::state;
    Nanos sync_interval = milliseconds(100);
    bool sum_deltas = false;      // naive: at-least-once op delivery (counters)
    bool remove_deletes = false;  // naive: an op remove deletes the element (or-set)
};

// One replicated value of any of the types.
struct Object {
    Type type = Type::g_counter;
    GCounter g;
    PNCounter pn;
    OrSet set;
    LwwRegister lww;

    Object(Type t, std::size_t replicas) : type(t), g(replicas), pn(replicas) {}
    Json value() const;  // what a read returns: a number, a sorted array, or null
    void merge(const Object& other);
    bool operator==(const Object&) const = default;
};

// An update as an operation (op delivery).
struct Operation {
    Dot dot;
    std::vector<std::uint64_t> deps;  // the origin's version vector before it
    OpKind kind = OpKind::add;
    std::int64_t arg = 0;
    std::vector<Dot> removed;  // or-set remove: the dots its origin saw
    LwwRegister write;         // lww-register write: the stamped write
};

// The checks' view. Never feeds anything back.
class CrdtSink {
  public:
    virtual ~CrdtSink() = default;
    // `node` made an update (its dot and its origin's version before it).
    virtual void updated(NodeId node, const Operation& update) = 0;
    // `node`'s state changed (an update, a merge, a delivery).
    virtual void changed(NodeId node, const std::vector<std::uint64_t>& version, const Json& value) = 0;
};

struct CrdtRequest final : Message {
    std::uint64_t msg_id = 0;
    OpKind op = OpKind::read;
    std::int64_t value = 0;

    std::string_view type() const override { return op_name(op); }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32; }
    std::uint64_t digest() const override;
};

struct CrdtReply final : Message {
    std::uint64_t in_reply_to = 0;
    bool refused = false;   // crashed before: ask another replica
    bool rejected = false;  // an update the type does not take (a g-counter's negative delta)
    Json value;             // reads

    std::string_view type() const override { return refused || rejected ? "error" : "crdt_ok"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 32; }
    std::uint64_t digest() const override;
};

// State delivery: a replica's whole state.
struct StateSync final : Message {
    Object object{Type::g_counter, 0};
    std::vector<std::uint64_t> version;

    std::string_view type() const override { return "crdt_state"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 64 + 16 * static_cast<std::uint32_t>(version.size()); }
};

// Op delivery: operations, and the version vector that asks for missing ones.
struct OpSync final : Message {
    std::vector<Operation> ops;
    std::optional<std::vector<std::uint64_t>> missing_since;  // set: "send me what I lack"

    std::string_view type() const override { return missing_since ? "crdt_summary" : "crdt_ops"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 16 + 64 * static_cast<std::uint32_t>(ops.size()); }
};

class Replica final : public Node {
  public:
    // `sink` must outlive the replica.
    Replica(const ReplicaOptions& options, CrdtSink* sink);

    void start(Context& ctx) override;
    void recover(Context& ctx) override;  // crash-stop: keeps quiet
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    const Object& object() const { return object_; }
    const std::vector<std::uint64_t>& version() const { return version_; }

  private:
    void answer_client(Context& ctx, const Envelope& envelope);
    Operation update(Context& ctx, OpKind kind, std::int64_t arg);
    void apply(const Operation& op);
    void receive(const Operation& op);
    bool deliverable(const Operation& op) const;
    void report();
    NodeId random_peer(Context& ctx);

    ReplicaOptions options_;
    CrdtSink* sink_;
    NodeId self_;
    std::uint32_t position_ = 0;
    bool crashed_before_ = false;
    Object object_{Type::g_counter, 0};
    std::vector<std::uint64_t> version_;
    // Op delivery: every operation applied here, by origin then seq (what
    // peers may ask for), and those held back until their dependencies are in.
    std::vector<std::vector<Operation>> log_;
    std::list<Operation> held_;
};

}  // namespace faultline::protocols::crdt
