// multi-register: Knossos' model of several registers read and written
// together in transactions. An op is `:txn` with a list of micro-ops
// [:read k v] / [:write k v], applied in order and atomically; a read with
// value nil observed nothing when the format says so (Semantics).
//
// Every register starts at 0 (kDefaultInitial), as in Knossos' multi-register
// histories, which are checked with (multi-register {:x 0 :y 0}): a register
// no one has written reads 0. A JSON object {"x": 5, "y": null} overrides the
// registers it names (null: the register starts empty, nil); the others still
// start at 0.
//
// A transaction can touch several keys, so this model is not split by key.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "check/models/model.h"

namespace faultline::check::models {

class MultiRegisterModel {
  public:
    using State = std::vector<ValueId>;  // indexed by key id
    static constexpr bool kWordState = false;
    static constexpr bool kKeyed = false;
    struct Op {
        std::uint32_t txn = 0;  // index into the model's transaction table
        bool operator==(const Op&) const = default;
    };

    // The value of a register `initial` does not name.
    static constexpr int kDefaultInitial = 0;

    // `initial` is a JSON object from key to value, or null (every key starts
    // at kDefaultInitial).
    static Result<MultiRegisterModel> make(ValueTable& values, const Json& initial);

    const State& initial() const { return initial_state_; }
    // Called once every op is encoded: every key is known then.
    void finish_encoding();
    static std::uint64_t hash(const State& s);
    bool read_only(const Op& op) const;
    bool step(const State& s, const Op& op, State& next) const;
    EncodeResult<Op> encode(const OpView& view);
    std::string describe_op(const Op& op) const;
    std::string describe_state(const State& s) const;
    std::string explain(const State& s, const Op& op) const;

  private:
    struct Micro {
        bool write = false;
        bool unknown = false;  // a read that observed nothing
        std::uint32_t key = 0;
        ValueId value = kNilValue;
    };
    explicit MultiRegisterModel(ValueTable& values) : values_(&values) {}
    std::uint32_t key_id(const Json& key);

    ValueTable* values_;
    std::unordered_map<std::string, std::uint32_t> key_ids_;
    std::vector<Json> keys_;
    std::unordered_map<std::uint32_t, ValueId> initial_values_;  // named by `initial`
    ValueId default_initial_ = kNilValue;
    std::vector<std::vector<Micro>> txns_;
    State initial_state_;
};

}  // namespace faultline::check::models
