#include "protocols/pbft/messages.h"

#include "base/hash.h"
#include "base/json.h"

namespace faultline::protocols::pbft {

namespace {

// The keys behind the modelled signatures: one per principal, derived from a
// constant no message carries.
constexpr std::uint64_t kReplicaKey = 0x9e3779b97f4a7c15ULL;
constexpr std::uint64_t kClientKey = 0xc2b2ae3d27d4eb4fULL;

Json request_json(const ClientRequest& request) {
    Json json{{"op", kv::kv_op_name(request.command.op)}, {"key", request.command.key}};
    if (request.command.op != kv::KvOp::read) json["value"] = request.command.value;
    if (request.command.op == kv::KvOp::cas) json["from"] = request.command.from;
    json["session"] = {request.command.client, request.command.sequence};
    return json;
}

std::uint64_t flip_bit(Prng& random, std::uint64_t word) {
    return word ^ (std::uint64_t{1} << random.below(64));
}

}  // namespace

Signature sign_as_replica(std::uint32_t replica, Digest content) {
    return hash_words({content, replica}, kReplicaKey);
}

Signature sign_as_client(std::uint64_t client, Digest content) {
    return hash_words({content, client}, kClientKey);
}

Digest ClientRequest::digest() const {
    const Digest d = hash_string(command.encode(), msg_id);
    return d == kNullDigest ? 1 : d;
}

Json RequestMessage::to_json() const {
    Json json = request_json(request);
    json["type"] = type();
    json["msg_id"] = request.msg_id;
    return json;
}

std::shared_ptr<const Message> RequestMessage::tampered(Prng& random) const {
    auto copy = std::make_shared<RequestMessage>(*this);
    copy->request.command.value = static_cast<std::int64_t>(flip_bit(random, copy->request.command.value));
    return copy;
}

Json Forward::to_json() const {
    Json json = request_json(request);
    json["type"] = type();
    return json;
}

Digest PrePrepare::content() const {
    return hash_words({1, view, seq, request_digest});
}

bool PrePrepare::well_formed() const {
    if (!request) return request_digest == kNullDigest;
    return request->digest() == request_digest && request->verify();
}

Json PrePrepare::to_json() const {
    Json json{{"type", type()}, {"view", view}, {"seq", seq}, {"replica", replica}};
    json["request"] = request ? request_json(*request) : Json(nullptr);
    return json;
}

std::shared_ptr<const Message> PrePrepare::tampered(Prng& random) const {
    auto copy = std::make_shared<PrePrepare>(*this);
    if (copy->request) {
        copy->request->command.value = static_cast<std::int64_t>(flip_bit(random, copy->request->command.value));
    } else {
        copy->seq = flip_bit(random, copy->seq);
    }
    return copy;
}

Digest Vote::content() const {
    return hash_words({kind == Kind::prepare ? 2u : 3u, view, seq, request_digest});
}

Json Vote::to_json() const {
    return Json{{"type", type()}, {"view", view}, {"seq", seq}, {"digest", request_digest}, {"replica", replica}};
}

std::shared_ptr<const Message> Vote::tampered(Prng& random) const {
    auto copy = std::make_shared<Vote>(*this);
    copy->request_digest = flip_bit(random, copy->request_digest);
    return copy;
}

Digest Checkpoint::content() const {
    return hash_words({4, seq, state_digest});
}

Json Checkpoint::to_json() const {
    return Json{{"type", type()}, {"seq", seq}, {"state", state_digest}, {"replica", replica}};
}

Digest ViewChange::content() const {
    Digest d = hash_words({5, new_view, stable_seq, stable_digest});
    for (const auto& checkpoint : checkpoint_proof) d = hash_words({d, checkpoint->digest()});
    for (const PreparedProof& proof : prepared) {
        d = hash_words({d, proof.pre_prepare->digest()});
        for (const auto& prepare : proof.prepares) d = hash_words({d, prepare->digest()});
    }
    return d;
}

Json ViewChange::to_json() const {
    Json prepared_json = Json::array();
    for (const PreparedProof& proof : prepared) {
        prepared_json.push_back(Json::array({proof.pre_prepare->view, proof.pre_prepare->seq}));
    }
    return Json{{"type", type()},
                {"new_view", new_view},
                {"stable", stable_seq},
                {"prepared", prepared_json},
                {"replica", replica}};
}

std::uint32_t ViewChange::size_bytes() const {
    std::uint64_t bytes = 48 + 40 * checkpoint_proof.size();
    for (const PreparedProof& proof : prepared) bytes += proof.pre_prepare->size_bytes() + 48 * proof.prepares.size();
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes, 1u << 30));
}

Digest NewView::content() const {
    Digest d = hash_words({6, view});
    for (const auto& change : view_changes) d = hash_words({d, change->digest()});
    for (const auto& pre_prepare : pre_prepares) d = hash_words({d, pre_prepare->digest()});
    return d;
}

Json NewView::to_json() const {
    Json senders = Json::array();
    for (const auto& change : view_changes) senders.push_back(change->replica);
    return Json{{"type", type()},
                {"view", view},
                {"view_changes_from", senders},
                {"pre_prepares", pre_prepares.size()},
                {"replica", replica}};
}

std::uint32_t NewView::size_bytes() const {
    std::uint64_t bytes = 32;
    for (const auto& change : view_changes) bytes += change->size_bytes();
    for (const auto& pre_prepare : pre_prepares) bytes += pre_prepare->size_bytes();
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(bytes, 1u << 30));
}

Digest Reply::content() const {
    return hash_words({7, view, client, sequence, msg_id, static_cast<std::uint64_t>(op),
                       static_cast<std::uint64_t>(result.code), static_cast<std::uint64_t>(result.value)});
}

std::string_view Reply::type() const {
    if (result.code != 0) return "error";
    switch (op) {
        case kv::KvOp::read:
            return "read_ok";
        case kv::KvOp::write:
            return "write_ok";
        case kv::KvOp::cas:
            return "cas_ok";
    }
    return "?";
}

Json Reply::to_json() const {
    Json json{{"type", type()}, {"in_reply_to", msg_id}, {"replica", replica}, {"view", view}};
    if (result.code != 0) json["code"] = result.code;
    if (result.code == 0 && op == kv::KvOp::read) json["value"] = result.value;
    return json;
}

std::shared_ptr<const Message> Reply::tampered(Prng& random) const {
    auto copy = std::make_shared<Reply>(*this);
    copy->result.value = static_cast<std::int64_t>(flip_bit(random, copy->result.value));
    return copy;
}

Digest Status::content() const {
    return hash_words({8, view, in_view_change ? 1u : 0u, stable_seq, executed});
}

Json Status::to_json() const {
    return Json{{"type", type()},       {"view", view},         {"view_change", in_view_change},
                {"stable", stable_seq}, {"executed", executed}, {"replica", replica}};
}

Json FetchState::to_json() const {
    return Json{{"type", type()}, {"seq", seq}};
}

Json StateReply::to_json() const {
    return Json{{"type", type()}, {"seq", seq}, {"bytes", state.size()}};
}

std::uint64_t StateReply::digest() const {
    return hash_string(state, seq);
}

Digest state_digest(std::string_view state) {
    return hash_string(state, 0x51a7e);
}

}  // namespace faultline::protocols::pbft
