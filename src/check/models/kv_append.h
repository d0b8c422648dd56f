// kv-append: Porcupine's key/value model (the MIT 6.824 KV lab): per key a
// string, initially "", with get (returns the string), put (replaces it) and
// append (concatenates). Keys are independent objects.
//
// State is the string itself. The search interns states and caches transitions
// (state_space.h), so the string work is done once per distinct (state, op).
// One more state stands for "a string no pending get can observe any more"
// (see `unobservable()` in model.h): every such string behaves the same until
// the next put, so the search merges them, and the orders of appends that a
// later put erases are not told apart.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "check/models/model.h"
#include "check/models/timed_op.h"

namespace faultline::check::models {

class KvAppendModel {
  public:
    struct State {
        std::string text;
        bool unobservable = false;  // some string no pending get can observe
        bool operator==(const State&) const = default;
    };
    static constexpr bool kWordState = false;
    static constexpr bool kKeyed = true;

    struct Op {
        enum class Kind : std::uint8_t { get, put, append };
        Kind kind = Kind::get;
        std::uint32_t text = 0;  // index into the model's string table
        bool operator==(const Op&) const = default;
    };

    explicit KvAppendModel(std::string initial = "") : initial_{std::move(initial), false} {}

    const State& initial() const { return initial_; }
    static std::uint64_t hash(const State& s);

    bool step(const State& s, const Op& op, State& next) const {
        const std::string& text = texts_[op.text];
        switch (op.kind) {
            case Op::Kind::get:
                if (s.unobservable || s.text != text) return false;
                next = s;
                return true;
            case Op::Kind::put:
                next = State{text, false};
                return true;
            case Op::Kind::append:
                if (s.unobservable) {
                    next = s;
                    return true;
                }
                next.text.reserve(s.text.size() + text.size());
                next.text = s.text;
                next.text += text;
                next.unobservable = false;
                return true;
        }
        FL_UNREACHABLE();
    }

    static bool read_only(const Op& op) { return op.kind == Op::Kind::get; }

    // Monotone: appends only extend the string; a put may replace it.
    static std::uint32_t group_count() { return 1; }
    static std::uint32_t group(const Op&) { return 0; }
    static bool resets(const Op& op) { return op.kind == Op::Kind::put; }
    bool may_reach(const State& s, const Op& get) const {
        return !s.unobservable && texts_[get.text].starts_with(s.text);
    }
    // Appends keep an unobservable string unobservable; only a put leaves it.
    State unobservable(const State&, std::uint32_t) const { return State{"", true}; }
    static bool is_unobservable(const State& s, std::uint32_t) { return s.unobservable; }
    bool reset_may_reach(const Op& put, const Op& get) const { return texts_[get.text].starts_with(texts_[put.text]); }

    // Encoding adds to the model's string table, hence non-const.
    EncodeResult<Op> encode(const OpView& view);
    std::string describe_op(const Op& op) const;
    std::string describe_state(const State& s) const;
    std::string explain(const State& s, const Op& op) const;
    // Gets of strings that cannot be built from a put value (or the initial
    // string) followed by appended values.
    std::vector<Impossible> impossible(std::span<const TimedOp<Op>> ops) const;
    // Optional appends of text that occurs in no get's value.
    std::vector<char> useless(std::span<const TimedOp<Op>> ops) const;

  private:
    std::uint32_t add_text(std::string text);

    State initial_;
    std::vector<std::string> texts_;
    std::unordered_map<std::string, std::uint32_t> text_ids_;
};

// Quotes a string for messages, shortening long ones in the middle.
std::string quote_short(const std::string& text, std::size_t max_chars = 60);

}  // namespace faultline::check::models
