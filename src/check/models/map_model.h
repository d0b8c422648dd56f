// MapModel<M>: many independent objects of model M, one per key, checked as a
// single object whose state maps every key to its M state.
//
// Splitting a keyed history by key (P-compositionality) is always valid and much
// faster; this wrapper exists for checking *without* splitting, which is what
// Porcupine's non-partitioned kv benchmark measures and what a user asks for
// with --no-split. State is the vector of per-key states, indexed by key id.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/hash.h"
#include "check/models/model.h"
#include "check/models/timed_op.h"

namespace faultline::check::models {

template <class M>
class MapModel {
  public:
    using Inner = M;
    using State = std::vector<typename M::State>;
    static constexpr bool kWordState = false;
    static constexpr bool kKeyed = false;  // it is the whole keyed history
    struct Op {
        std::uint32_t key = 0;
        typename M::Op op;
        bool operator==(const Op&) const = default;
    };

    explicit MapModel(M inner) : inner_(std::move(inner)) {}

    const State& initial() const { return initial_; }
    void finish_encoding() {
        if constexpr (requires(M & m) { m.finish_encoding(); }) inner_.finish_encoding();
        initial_.assign(keys_.size(), inner_.initial());
    }
    static std::uint64_t hash(const State& s) {
        std::uint64_t h = s.size();
        for (const auto& item : s) {
            h = (h ^ M::hash(item)) * 0x9e3779b97f4a7c15ULL;
            h ^= h >> 29;
        }
        return h;
    }
    bool read_only(const Op& op) const { return inner_.read_only(op.op); }

    // Monotone if the inner model is, with one group per key (a put on one key
    // cannot help a read of another).
    // Groups are keys (see search.h: monotone lookahead, and backjumping).
    std::uint32_t group_count() const { return static_cast<std::uint32_t>(keys_.size()); }
    std::uint32_t group(const Op& op) const { return op.key; }
    const typename M::State& component(const State& s, std::uint32_t group) const { return s[group]; }
    const M& inner() const { return inner_; }
    const Json& key(std::uint32_t group) const { return keys_[group]; }
    bool resets(const Op& op) const requires requires(const M& m, const typename M::Op& o) { m.resets(o); }
    { return inner_.resets(op.op); }
    bool may_reach(const State& s, const Op& read) const requires
        requires(const M& m, const typename M::State& st, const typename M::Op& o) {
        m.may_reach(st, o);
    }
    { return inner_.may_reach(s[read.key], read.op); }
    State unobservable(const State& s, std::uint32_t group) const requires
        requires(const M& m, const typename M::State& st) {
        m.unobservable(st, 0u);
    }
    {
        State out = s;
        out[group] = inner_.unobservable(s[group], 0);
        return out;
    }
    bool is_unobservable(const State& s, std::uint32_t group) const requires
        requires(const M& m, const typename M::State& st) {
        m.is_unobservable(st, 0u);
    }
    { return inner_.is_unobservable(s[group], 0); }
    bool reset_may_reach(const Op& reset, const Op& read) const requires requires(const M& m, const typename M::Op& o) {
        m.reset_may_reach(o, o);
    }
    { return reset.key == read.key && inner_.reset_may_reach(reset.op, read.op); }
    bool step(const State& s, const Op& op, State& next) const {
        typename M::State inner_next{};
        if (!inner_.step(s[op.key], op.op, inner_next)) return false;
        next = s;
        next[op.key] = std::move(inner_next);
        return true;
    }
    EncodeResult<Op> encode(const OpView& view) {
        auto encoded = inner_.encode(view);
        if (!encoded || !encoded->has_value()) {
            if (!encoded) return encoded.error();
            return drop<Op>();
        }
        const std::uint32_t key = key_id(view.key);
        return keep(Op{key, (*encoded)->op}, (*encoded)->required);
    }
    std::string describe_op(const Op& op) const {
        return fmt::format("{} (key {})", inner_.describe_op(op.op), keys_[op.key].dump());
    }
    std::string describe_state(const State& s) const {
        std::string out = "{";
        for (std::size_t k = 0; k < s.size(); ++k) {
            if (k > 0) out += ", ";
            out += keys_[k].dump() + ": " + inner_.describe_state(s[k]);
        }
        return out + "}";
    }
    std::string explain(const State& s, const Op& op) const {
        return fmt::format("key {}: {}", keys_[op.key].dump(), inner_.explain(s[op.key], op.op));
    }
    std::vector<Impossible> impossible(std::span<const TimedOp<Op>> ops) const {
        std::vector<Impossible> found;
        if constexpr (requires(const M& m, std::span<const TimedOp<typename M::Op>> inner_ops) {
                          m.impossible(inner_ops);
                      }) {
            std::vector<std::vector<std::uint32_t>> by_key(keys_.size());
            for (std::uint32_t i = 0; i < ops.size(); ++i) by_key[ops[i].op.key].push_back(i);
            std::vector<TimedOp<typename M::Op>> inner_ops;
            for (const auto& indexes : by_key) {
                inner_ops.clear();
                for (std::uint32_t i : indexes) {
                    inner_ops.push_back({ops[i].op.op, ops[i].call, ops[i].ret});
                }
                for (Impossible& bad : inner_.impossible(inner_ops)) {
                    found.push_back({indexes[bad.op], std::move(bad.reason)});
                }
            }
        }
        return found;
    }

    std::vector<char> useless(std::span<const TimedOp<Op>> ops) const {
        std::vector<char> drop(ops.size(), 0);
        if constexpr (requires(const M& m, std::span<const TimedOp<typename M::Op>> inner_ops) {
                          m.useless(inner_ops);
                      }) {
            std::vector<std::vector<std::uint32_t>> by_key(keys_.size());
            for (std::uint32_t i = 0; i < ops.size(); ++i) by_key[ops[i].op.key].push_back(i);
            std::vector<TimedOp<typename M::Op>> inner_ops;
            for (const auto& indexes : by_key) {
                inner_ops.clear();
                for (std::uint32_t i : indexes) inner_ops.push_back({ops[i].op.op, ops[i].call, ops[i].ret});
                const std::vector<char> inner = inner_.useless(inner_ops);
                for (std::size_t k = 0; k < indexes.size(); ++k) drop[indexes[k]] = inner[k];
            }
        }
        return drop;
    }

  private:
    std::uint32_t key_id(const Json& key) {
        auto [it, inserted] = key_ids_.try_emplace(key.dump(), static_cast<std::uint32_t>(keys_.size()));
        if (inserted) keys_.push_back(key);
        return it->second;
    }

    M inner_;
    std::unordered_map<std::string, std::uint32_t> key_ids_;
    std::vector<Json> keys_;
    State initial_;
};

}  // namespace faultline::check::models
