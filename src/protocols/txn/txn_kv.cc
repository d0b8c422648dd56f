#include "protocols/txn/txn_kv.h"

#include <algorithm>

#include "base/assert.h"
#include "base/coding.h"
#include "base/hash.h"
#include "base/json.h"
#include "node/wire_codec.h"

namespace faultline::protocols::txn {

namespace {

constexpr std::uint64_t resend_tag = 0;  // transactions' step timers carry their id, from 1
constexpr std::size_t replicate_batch_max = 64;

nlohmann::json mops_json(const std::vector<Mop>& mops) {
    nlohmann::json out = nlohmann::json::array();
    for (const Mop& mop : mops) {
        if (mop.kind == Mop::Kind::append) {
            out.push_back({"append", mop.key, mop.value});
        } else {
            out.push_back({"r", mop.key, mop.result ? nlohmann::json(*mop.result) : nlohmann::json()});
        }
    }
    return out;
}

std::uint64_t mops_digest(const std::vector<Mop>& mops, std::uint64_t seed) {
    std::uint64_t h = seed;
    for (const Mop& mop : mops) {
        const std::int64_t words[] = {static_cast<std::int64_t>(mop.kind), mop.key, mop.value,
                                      mop.result ? static_cast<std::int64_t>(mop.result->size()) : -1};
        h = hash_bytes(words, sizeof words, h);
    }
    return h;
}

}  // namespace

nlohmann::json TxnRequest::to_json() const {
    return {{"type", "txn"}, {"msg_id", msg_id}, {"client", client}, {"seq", sequence}, {"txn", mops_json(mops)}};
}

std::uint64_t TxnRequest::digest() const {
    return mops_digest(mops, msg_id ^ (client << 32) ^ sequence);
}

nlohmann::json TxnReply::to_json() const {
    return {{"type", "txn_ok"}, {"in_reply_to", in_reply_to}, {"code", code}, {"txn", mops_json(mops)}};
}

std::uint32_t TxnReply::size_bytes() const {
    std::uint32_t size = 24;
    for (const Mop& mop : mops) size += 24 + (mop.result ? 8 * static_cast<std::uint32_t>(mop.result->size()) : 0);
    return size;
}

std::uint64_t TxnReply::digest() const {
    return mops_digest(mops, in_reply_to * 31 + static_cast<std::uint64_t>(code));
}

nlohmann::json Replicate::to_json() const {
    nlohmann::json records_json = nlohmann::json::array();
    for (const LogRecord& record : records) {
        records_json.push_back({{"client", record.client},
                                {"seq", record.sequence},
                                {"committed", record.committed},
                                {"appends", record.appends}});
    }
    return {{"type", "txn_replicate"}, {"first_index", first_index}, {"records", records_json}};
}

std::uint64_t Replicate::digest() const {
    std::uint64_t h = first_index;
    for (const LogRecord& record : records) {
        const std::string bytes = encode_record(record);
        h = hash_bytes(bytes.data(), bytes.size(), h);
    }
    return h;
}

nlohmann::json ReplicateAck::to_json() const {
    return {{"type", "txn_replicate_ok"}, {"index", index}};
}

// A record on disk: client, sequence, committed, the number of appends, then
// each (key, value); all little-endian.
std::string encode_record(const LogRecord& record) {
    std::string out;
    put_u64(out, record.client);
    put_u64(out, record.sequence);
    put_u8(out, record.committed ? 1 : 0);
    put_u32(out, static_cast<std::uint32_t>(record.appends.size()));
    for (const auto& [key, value] : record.appends) {
        put_u64(out, static_cast<std::uint64_t>(key));
        put_u64(out, static_cast<std::uint64_t>(value));
    }
    return out;
}

std::vector<LogRecord> decode_records(std::string_view bytes) {
    std::vector<LogRecord> records;
    ByteReader reader(bytes);
    while (!reader.at_end()) {
        LogRecord record;
        std::uint8_t committed = 0;
        std::uint32_t count = 0;
        if (!reader.u64(record.client) || !reader.u64(record.sequence) || !reader.u8(committed) || !reader.u32(count)) {
            break;
        }
        record.committed = committed == 1;
        bool whole = true;
        for (std::uint32_t i = 0; i < count && whole; ++i) {
            std::uint64_t key = 0;
            std::uint64_t value = 0;
            whole = reader.u64(key) && reader.u64(value);
            record.appends.emplace_back(static_cast<std::int64_t>(key), static_cast<std::int64_t>(value));
        }
        if (!whole) break;  // a torn last write: the record never took effect
        records.push_back(std::move(record));
    }
    return records;
}

void TxnKvNode::start(Context& ctx) {
    if (leader(ctx)) ctx.set_timer(options_.resend_interval, resend_tag);
}

void TxnKvNode::recover(Context& ctx) {
    FL_ASSERT(log_.empty() && store_.empty() && running_.empty());
    if (auto saved = ctx.storage().read("log")) {
        for (const LogRecord& record : decode_records(*saved)) {
            log_bytes_ += encode_record(record).size();
            apply(record);
        }
        // Cut a torn tail, so that the next record is appended after the last whole one.
        if (log_bytes_ < saved->size()) (void)ctx.storage().truncate("log", log_bytes_);
    }
    start(ctx);
}

std::vector<std::int64_t> TxnKvNode::committed(std::int64_t key) const {
    std::vector<std::int64_t> values;
    if (auto found = store_.find(key); found != store_.end()) {
        for (const Element& element : found->second) values.push_back(element.value);
    }
    return values;
}

void TxnKvNode::on_message(Context& ctx, const Envelope& envelope) {
    if (const auto* request = message_as<TxnRequest>(*envelope.message)) {
        if (!leader(ctx)) {
            auto reply = std::make_shared<TxnReply>();
            reply->in_reply_to = request->msg_id;
            reply->code = kTemporarilyUnavailable;
            ctx.send(envelope.from, std::move(reply));
            return;
        }
        begin(ctx, envelope.from, *request);
        return;
    }
    if (const auto* replicated = message_as<Replicate>(*envelope.message)) {
        FL_ASSERT(!leader(ctx));
        FL_ASSERT_GE(replicated->first_index, 1u);
        // Take the records that extend the log; older ones are duplicates, and
        // a gap waits for the leader's resend.
        for (std::size_t i = 0; i < replicated->records.size(); ++i) {
            const std::uint64_t index = replicated->first_index + i;
            if (index <= log_.size()) {
                FL_ASSERT(log_[index - 1] == replicated->records[i]);  // the leader's log never changes
                continue;
            }
            if (index > log_.size() + 1 || !append_record(ctx, replicated->records[i])) break;
        }
        auto ack = std::make_shared<ReplicateAck>();
        ack->index = log_.size();
        ctx.send(envelope.from, std::move(ack));
        return;
    }
    if (const auto* ack = message_as<ReplicateAck>(*envelope.message)) {
        if (!leader(ctx)) return;
        FL_ASSERT_LE(ack->index, log_.size());
        std::uint64_t& acked = acked_[envelope.from];
        acked = std::max(acked, ack->index);
        answer_majority(ctx);
    }
}

void TxnKvNode::begin(Context& ctx, NodeId from, const TxnRequest& request) {
    // At most once: a request seen before is a duplicate (its answer, if any, was sent).
    std::uint64_t& last = last_sequence_[request.client];
    if (request.sequence <= last) return;
    last = request.sequence;
    const std::uint64_t txn = next_txn_++;
    running_.emplace(txn, Running{.from = from,
                                  .msg_id = request.msg_id,
                                  .client = request.client,
                                  .sequence = request.sequence,
                                  .mops = request.mops,
                                  .snapshot = log_.size()});
    step(ctx, txn);
}

void TxnKvNode::step(Context& ctx, std::uint64_t txn) {
    auto found = running_.find(txn);
    if (found == running_.end()) return;  // aborted already
    Running& running = found->second;
    if (running.next == running.mops.size()) {
        finish(ctx, txn, !conflicts(running));
        return;
    }
    Mop& mop = running.mops[running.next++];
    if (mop.kind == Mop::Kind::read) {
        mop.result = read(txn, running, mop.key);
        running.read_keys.insert(mop.key);
    } else {
        if (options_.isolation == Isolation::read_uncommitted || options_.isolation == Isolation::read_committed) {
            // A long write lock: uncommitted appends of two transactions never
            // interleave on one key (no G0), and a transaction's own appends
            // stay on top of the newest committed list while it reads. No
            // waiting, so no deadlock.
            auto [holder, taken] = write_locks_.try_emplace(mop.key, txn);
            if (!taken && holder->second != txn) {
                finish(ctx, txn, false);
                return;
            }
        }
        running.appends[mop.key].push_back(mop.value);
    }
    ctx.set_timer(options_.op_interval, txn);
}

std::optional<std::vector<std::int64_t>> TxnKvNode::read(std::uint64_t txn, const Running& running,
                                                         std::int64_t key) const {
    const bool from_snapshot =
        options_.isolation == Isolation::snapshot_isolation || options_.isolation == Isolation::serializable;
    std::vector<std::int64_t> values;
    if (auto found = store_.find(key); found != store_.end()) {
        for (const Element& element : found->second) {
            if (from_snapshot && element.index > running.snapshot) break;  // elements are in commit order
            values.push_back(element.value);
        }
    }
    if (options_.isolation == Isolation::read_uncommitted) {
        auto holder = write_locks_.find(key);
        if (holder != write_locks_.end() && holder->second != txn) {
            const Running& writer = running_.at(holder->second);
            const auto& dirty = writer.appends.at(key);
            values.insert(values.end(), dirty.begin(), dirty.end());
        }
    }
    if (auto own = running.appends.find(key); own != running.appends.end()) {
        values.insert(values.end(), own->second.begin(), own->second.end());
    }
    if (values.empty()) return std::nullopt;  // lists never shrink: empty is absent
    return values;
}

bool TxnKvNode::conflicts(const Running& running) const {
    if (options_.isolation != Isolation::snapshot_isolation && options_.isolation != Isolation::serializable) {
        return false;
    }
    auto changed_since_snapshot = [&](std::int64_t key) {
        auto found = store_.find(key);
        return found != store_.end() && !found->second.empty() && found->second.back().index > running.snapshot;
    };
    for (const auto& [key, values] : running.appends) {
        if (changed_since_snapshot(key)) return true;  // first committer wins
    }
    if (options_.isolation == Isolation::serializable && options_.validate_reads) {
        for (std::int64_t key : running.read_keys) {
            if (changed_since_snapshot(key)) return true;  // a read is no longer true at the commit
        }
    }
    return false;
}

void TxnKvNode::finish(Context& ctx, std::uint64_t txn, bool commit) {
    auto node = running_.extract(txn);
    FL_ASSERT(!node.empty());
    Running& running = node.mapped();
    for (auto lock = write_locks_.begin(); lock != write_locks_.end();) {
        lock = lock->second == txn ? write_locks_.erase(lock) : std::next(lock);
    }
    LogRecord record{.client = running.client, .sequence = running.sequence, .committed = commit, .appends = {}};
    if (commit) {
        // In micro-op order, so that replaying the log appends as the transaction did.
        for (const Mop& mop : running.mops) {
            if (mop.kind == Mop::Kind::append) record.appends.emplace_back(mop.key, mop.value);
        }
    }
    // The disk failed: no outcome is known, and the client times out (info).
    if (!append_record(ctx, record)) return;
    waiting_.emplace(log_.size(), Waiting{running.from, running.msg_id, commit ? kTxnOk : kTxnConflict,
                                          commit ? std::move(running.mops) : std::vector<Mop>{}});
    for (NodeId follower : ctx.cluster()) {
        if (follower != ctx.self()) replicate(ctx, follower);
    }
    answer_majority(ctx);
}

bool TxnKvNode::append_record(Context& ctx, const LogRecord& record) {
    const std::string bytes = encode_record(record);
    if (!ctx.storage().append("log", bytes) || !ctx.storage().sync()) {
        // Whatever reached the cache must not reach the disk later, behind
        // records that were written after it.
        (void)ctx.storage().truncate("log", log_bytes_);
        return false;
    }
    log_bytes_ += bytes.size();
    apply(record);
    return true;
}

void TxnKvNode::apply(const LogRecord& record) {
    log_.push_back(record);
    std::uint64_t& last = last_sequence_[record.client];
    last = std::max(last, record.sequence);
    for (const auto& [key, value] : record.appends) store_[key].push_back(Element{value, log_.size()});
}

void TxnKvNode::replicate(Context& ctx, NodeId follower) {
    const std::uint64_t from = acked_[follower] + 1;
    if (from > log_.size()) return;
    auto message = std::make_shared<Replicate>();
    message->first_index = from;
    const std::uint64_t to = std::min<std::uint64_t>(log_.size(), from + replicate_batch_max - 1);
    message->records.assign(log_.begin() + static_cast<std::ptrdiff_t>(from - 1),
                            log_.begin() + static_cast<std::ptrdiff_t>(to));
    ctx.send(follower, std::move(message));
}

void TxnKvNode::answer_majority(Context& ctx) {
    // The index a majority holds: the leader holds all of its log.
    std::vector<std::uint64_t> held{log_.size()};
    for (NodeId follower : ctx.cluster()) {
        if (follower != ctx.self()) held.push_back(acked_[follower]);
    }
    std::sort(held.begin(), held.end(), std::greater<>());
    const std::uint64_t majority_holds = held[held.size() / 2];
    while (!waiting_.empty() && waiting_.begin()->first <= majority_holds) {
        Waiting& waiting = waiting_.begin()->second;
        auto reply = std::make_shared<TxnReply>();
        reply->in_reply_to = waiting.msg_id;
        reply->code = waiting.code;
        reply->mops = std::move(waiting.mops);
        ctx.send(waiting.to, std::move(reply));
        waiting_.erase(waiting_.begin());
    }
}

void TxnKvNode::on_timer(Context& ctx, TimerId, std::uint64_t tag) {
    if (tag != resend_tag) {
        step(ctx, tag);
        return;
    }
    FL_ASSERT(leader(ctx));
    for (NodeId follower : ctx.cluster()) {
        if (follower != ctx.self()) replicate(ctx, follower);
    }
    ctx.set_timer(options_.resend_interval, resend_tag);
}

// Wire codecs (node/wire_codec.h): the followers as separate processes. A
// record travels in its own disk encoding, as hex.
namespace {

Json encode_replicate(const Replicate& m) {
    Json records = Json::array();
    for (const LogRecord& record : m.records) records.push_back(hex_encode(encode_record(record)));
    return Json{{"first_index", m.first_index}, {"records", records}};
}
std::shared_ptr<Replicate> decode_replicate(const Json& json) {
    auto m = std::make_shared<Replicate>();
    m->first_index = json.at("first_index").get<std::uint64_t>();
    for (const Json& record : json.at("records")) {
        const std::string bytes = hex_decode(record.get<std::string>());
        std::vector<LogRecord> decoded = decode_records(bytes);
        if (decoded.size() != 1 || encode_record(decoded.front()) != bytes) {
            throw std::invalid_argument("a replicated record that does not decode");
        }
        m->records.push_back(std::move(decoded.front()));
    }
    return m;
}

Json encode_replicate_ack(const ReplicateAck& m) {
    return Json{{"index", m.index}};
}
std::shared_ptr<ReplicateAck> decode_replicate_ack(const Json& json) {
    auto m = std::make_shared<ReplicateAck>();
    m->index = json.at("index").get<std::uint64_t>();
    return m;
}

const WireCodecRegistration wire_codecs[] = {
    WireCodecRegistration{wire_codec<Replicate>({"txn_replicate"}, encode_replicate, decode_replicate)},
    WireCodecRegistration{wire_codec<ReplicateAck>({"txn_replicate_ok"}, encode_replicate_ack, decode_replicate_ack)},
};

}  // namespace

}  // namespace faultline::protocols::txn
