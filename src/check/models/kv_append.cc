#include "check/models/kv_append.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "base/hash.h"

namespace faultline::check::models {

std::uint64_t KvAppendModel::hash(const State& s) {
    return hash_string(s.text, s.unobservable);
}

std::uint32_t KvAppendModel::add_text(std::string text) {
    // Equal values share an index, so equal ops compare equal.
    auto [it, inserted] = text_ids_.try_emplace(text, static_cast<std::uint32_t>(texts_.size()));
    if (inserted) texts_.push_back(std::move(text));
    return it->second;
}

EncodeResult<KvAppendModel::Op> KvAppendModel::encode(const OpView& view) {
    using Kind = Op::Kind;
    const bool ok = view.completion == Completion::ok;
    if (view.f == "get") {
        if (!ok) return drop<Op>();
        const Json& value = view.complete_value;
        if (value.is_null() && view.semantics.nil_read_is_unknown) return drop<Op>();
        if (!value.is_string()) {
            return encode_error(fmt::format("get must return a string, got {}", describe_json(value)));
        }
        return keep(Op{Kind::get, add_text(value.get<std::string>())}, true);
    }
    if (view.f == "put" || view.f == "append") {
        if (view.completion == Completion::fail) return drop<Op>();
        const Json& value = ok && !view.complete_value.is_null() ? view.complete_value : view.invoke_value;
        if (!value.is_string()) {
            return encode_error(fmt::format("{} needs a string value, got {}", view.f, describe_json(value)));
        }
        const Kind kind = view.f == "put" ? Kind::put : Kind::append;
        return keep(Op{kind, add_text(value.get<std::string>())}, ok);
    }
    return encode_error(fmt::format("model kv-append has no operation '{}' (it has get, put, append)", view.f));
}

std::string quote_short(const std::string& text, std::size_t max_chars) {
    if (text.size() <= max_chars) return Json(text).dump();
    const std::size_t half = max_chars / 2;
    return Json(text.substr(0, half)).dump() + "..." + Json(text.substr(text.size() - half)).dump() +
           fmt::format(" ({} chars)", text.size());
}

std::string KvAppendModel::describe_op(const Op& op) const {
    const char* name = op.kind == Op::Kind::get ? "get" : op.kind == Op::Kind::put ? "put" : "append";
    return fmt::format("{} {}", name, quote_short(texts_[op.text]));
}

std::string KvAppendModel::describe_state(const State& s) const {
    return s.unobservable ? "(a string no later get can observe)" : quote_short(s.text);
}

std::string KvAppendModel::explain(const State& s, const Op& op) const {
    if (op.kind != Op::Kind::get) return fmt::format("{} is always legal", describe_op(op));
    return fmt::format("get returned {} but the value was {}", quote_short(texts_[op.text]), describe_state(s));
}

std::vector<char> KvAppendModel::useless(std::span<const TimedOp<Op>> ops) const {
    // After such an append, no get can be legal until a put replaces the string,
    // so leaving it out changes nothing that any completed op saw.
    std::vector<char> drop(ops.size(), 0);
    std::vector<std::string_view> gets;
    for (const auto& timed : ops) {
        if (timed.op.kind == Op::Kind::get) gets.push_back(texts_[timed.op.text]);
    }
    for (std::size_t i = 0; i < ops.size(); ++i) {
        if (ops[i].required() || ops[i].op.kind != Op::Kind::append) continue;
        const std::string& text = texts_[ops[i].op.text];
        if (text.empty()) continue;
        const bool seen = std::any_of(gets.begin(), gets.end(),
                                      [&](std::string_view got) { return got.find(text) != std::string_view::npos; });
        if (!seen) drop[i] = 1;
    }
    return drop;
}

std::vector<Impossible> KvAppendModel::impossible(std::span<const TimedOp<Op>> ops) const {
    // A get's string must be a put value (or the initial string) followed by a
    // sequence of appended values. This ignores how often each append may be
    // used, so it only rejects strings that are impossible for certain.
    std::unordered_set<std::string_view> appended;
    std::unordered_set<std::size_t> appended_lengths;
    std::vector<std::string_view> bases{initial_.text};
    for (const auto& timed : ops) {
        const std::string& text = texts_[timed.op.text];
        if (timed.op.kind == Op::Kind::append && !text.empty()) {
            appended.insert(text);
            appended_lengths.insert(text.size());
        }
        if (timed.op.kind == Op::Kind::put) bases.push_back(text);
    }
    std::vector<Impossible> found;
    std::vector<char> reachable;
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
        const auto& timed = ops[i];
        if (timed.op.kind != Op::Kind::get || !timed.required()) continue;
        const std::string_view got = texts_[timed.op.text];
        reachable.assign(got.size() + 1, 0);
        for (std::string_view base : bases) {
            if (got.substr(0, base.size()) == base) reachable[base.size()] = 1;
        }
        for (std::size_t at = 0; at < got.size(); ++at) {
            if (!reachable[at]) continue;
            for (std::size_t length : appended_lengths) {
                if (at + length <= got.size() && appended.contains(got.substr(at, length))) {
                    reachable[at + length] = 1;
                }
            }
        }
        if (!reachable[got.size()]) {
            found.push_back({i, fmt::format("get returned {}, which no sequence of puts and "
                                            "appends produces",
                                            quote_short(std::string(got)))});
        }
    }
    return found;
}

}  // namespace faultline::check::models
