// multi-register: Knossos' model of several registers read and written
// together in transactions. An op is `:txn` with a list of micro-ops
// [:read k v] / [:write k v], applied in order and atomically; a read with
// value nil observed nothing when the format says so (Semantics). Initial
// values come from a JSON object {"x": 0, "y": 0}; keys not named start nil.
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

    // `initial` is a JSON object from key to value, or null (every key nil).
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
    std::unordered_map<std::uint32_t, ValueId> initial_values_;
    std::vector<std::vector<Micro>> txns_;
    State initial_state_;
};

}  // namespace faultline::check::models
