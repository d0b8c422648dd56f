// Registers: `register` (read, write), `cas-register` and `kv` (read, write,
// cas [from to]), with Knossos semantics.
//
// State is the id of the value held (ValueTable; nil = absent). A read must
// return the value held. A write always succeeds. A CAS that is linearized must
// succeed: a `fail`ed CAS definitely did not happen and is dropped, an unknown
// one either succeeded at some instant or never took effect, which is exactly
// "optional". The Jepsen etcd logs are the exception (Semantics::
// failed_cas_returned_false): there a `:fail :cas` completed and returned
// false, so it is kept as a required op that observed "not `from`".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "check/models/model.h"
#include "check/models/timed_op.h"

namespace faultline::check::models {

class RegisterModel {
  public:
    using State = ValueId;
    static constexpr bool kWordState = true;  // the search can use State as its own id
    static constexpr bool kKeyed = true;      // ops on different keys are independent objects

    struct Op {
        enum class Kind : std::uint8_t { read, write, cas, cas_false };
        Kind kind = Kind::read;
        ValueId a = kNilValue;  // read: value read; write: value written; cas: from
        ValueId b = kNilValue;  // cas: to
        bool operator==(const Op&) const = default;
    };

    // allow_cas: cas-register and kv; plain register rejects cas ops.
    RegisterModel(ValueTable& values, bool allow_cas, ValueId initial)
        : values_(&values), allow_cas_(allow_cas), initial_(initial) {}

    State initial() const { return initial_; }
    static std::uint64_t hash(State s) { return s; }

    bool step(State s, const Op& op, State& next) const {
        switch (op.kind) {
            case Op::Kind::read:
                next = s;
                return s == op.a;
            case Op::Kind::write:
                next = op.a;
                return true;
            case Op::Kind::cas:
                next = op.b;
                return s == op.a;
            case Op::Kind::cas_false:
                next = s;
                return s != op.a;
        }
        FL_UNREACHABLE();
    }

    // Ops that never change any state: the search may linearize them eagerly.
    static bool read_only(const Op& op) { return op.kind == Op::Kind::read || op.kind == Op::Kind::cas_false; }

    EncodeResult<Op> encode(const OpView& view) const;
    std::string describe_op(const Op& op) const;
    std::string describe_state(State s) const;
    std::string explain(State s, const Op& op) const;
    // Reads (and CAS compares) of values that no write could have produced by
    // the time the read returned; see timed_op.h.
    std::vector<Impossible> impossible(std::span<const TimedOp<Op>> ops) const;
    // Optional writes (and CASes) of values no op observes (no read of it, no
    // CAS expecting it), when no "CAS returned false" op could need a change.
    std::vector<char> useless(std::span<const TimedOp<Op>> ops) const;

  private:
    ValueTable* values_;
    bool allow_cas_;
    ValueId initial_;
};

}  // namespace faultline::check::models
