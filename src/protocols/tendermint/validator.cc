#include "protocols/tendermint/validator.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <optional>

#include "base/assert.h"
#include "base/coding.h"
#include "base/hash.h"
#include "protocols/kv/messages.h"

namespace faultline::protocols::tendermint {

namespace {

// The state record is kept in two copies, each synced before the next is
// written and both before the vote goes out: a torn write or bit rot damages
// one, and the other still holds every vote sent.
constexpr std::array<std::string_view, 2> kStateFiles = {"tendermint.state", "tendermint.state.copy"};
constexpr std::string_view kChainFile = "tendermint.chain";

}  // namespace

std::vector<std::uint32_t> proposer_schedule(const std::vector<std::uint64_t>& powers) {
    FL_ASSERT(!powers.empty());
    std::uint64_t divisor = 0;
    for (const std::uint64_t power : powers) {
        FL_ASSERT(power > 0);
        divisor = std::gcd(divisor, power);
    }
    std::uint64_t total = 0;
    for (const std::uint64_t power : powers) total += power / divisor;
    // CometBFT's proposer priorities: each turn every validator gains its
    // power, the highest (the lowest index on a tie) proposes and pays the
    // total. After `total` turns every priority is back at zero.
    std::vector<std::int64_t> priority(powers.size(), 0);
    std::vector<std::uint32_t> turns;
    for (std::uint64_t turn = 0; turn < total; ++turn) {
        std::size_t best = 0;
        for (std::size_t i = 0; i < powers.size(); ++i) {
            priority[i] += static_cast<std::int64_t>(powers[i] / divisor);
            if (priority[i] > priority[best]) best = i;
        }
        priority[best] -= static_cast<std::int64_t>(total);
        turns.push_back(static_cast<std::uint32_t>(best));
    }
    FL_ASSERT(std::all_of(priority.begin(), priority.end(), [](std::int64_t p) { return p == 0; }));
    return turns;
}

Nanos weighted_median(std::vector<std::pair<Nanos, std::uint64_t>> stamps) {
    FL_ASSERT(!stamps.empty());
    std::sort(stamps.begin(), stamps.end());
    std::uint64_t total = 0;
    for (const auto& [time, power] : stamps) total += power;
    std::uint64_t below = 0;
    for (const auto& [time, power] : stamps) {
        below += power;
        if (2 * below >= total) return time;
    }
    return stamps.back().first;
}

std::uint32_t Validator::proposer_of(Height height, Round round) const {
    FL_ASSERT(height >= 1 && round >= 0 && !schedule_.empty());
    return schedule_[(height - 1 + static_cast<std::uint64_t>(round)) % schedule_.size()];
}

BlockPtr Validator::proposal_in(Round round) const {
    auto at = rounds_.find(round);
    return at == rounds_.end() ? nullptr : at->second.proposal;
}

std::uint32_t Validator::index_of(NodeId node) const {
    auto at = std::find(validators_.begin(), validators_.end(), node);
    return at == validators_.end() ? static_cast<std::uint32_t>(validators_.size())
                                   : static_cast<std::uint32_t>(at - validators_.begin());
}

void Validator::boot(Context& ctx) {
    validators_.assign(ctx.cluster().begin(), ctx.cluster().end());
    index_ = index_of(ctx.self());
    FL_ASSERT(index_ < validators_.size());
    powers_ = options_.powers.empty() ? std::vector<std::uint64_t>(validators_.size(), 1) : options_.powers;
    FL_ASSERT_EQ(powers_.size(), validators_.size());
    total_ = std::accumulate(powers_.begin(), powers_.end(), std::uint64_t{0});
    schedule_ = proposer_schedule(powers_);
    ctx.set_timer(options_.gossip_interval, gossip_tag);
}

void Validator::start(Context& ctx) {
    boot(ctx);
    enter_height(ctx);
}

void Validator::recover(Context& ctx) {
    boot(ctx);
    load_chain(ctx);
    // Each copy: (sequence, height, lockedRound + 1, the locked block, its own
    // votes of the height), then a checksum. The readable copy with the
    // highest sequence is the last one written.
    std::optional<std::string> best;
    std::uint64_t best_sequence = 0;
    bool found = false;
    for (const std::string_view file : kStateFiles) {
        auto bytes = ctx.storage().read(file);
        if (!bytes) continue;
        found = true;
        Height height = 0;
        std::uint64_t sequence = 0;
        BlockPtr lock;
        Round lock_round = -1;
        std::vector<VotePtr> votes;
        if (decode_state(*bytes, sequence, height, lock, lock_round, votes) && (!best || sequence > best_sequence)) {
            best = std::move(*bytes);
            best_sequence = sequence;
            resume_height_ = height;
            resume_lock_ = std::move(lock);
            resume_lock_round_ = lock_round;
            resume_votes_ = std::move(votes);
        }
    }
    if (best) {
        state_sequence_ = best_sequence;
        // Both copies hold it again, so one more damaged copy is survived too.
        Storage& disk = ctx.storage();
        for (const std::string_view file : kStateFiles) {
            (void)(disk.write(file, 0, *best) && disk.truncate(file, best->size()));
        }
        (void)disk.sync();
    } else if (found) {
        mute_ = true;  // it may have voted and cannot tell how: never again
        ctx.log("state record unreadable in both copies: this validator will not vote");
    }
    enter_height(ctx);
}

bool Validator::decode_state(std::string_view in, std::uint64_t& sequence, Height& height, BlockPtr& lock,
                             Round& lock_round, std::vector<VotePtr>& votes) const {
    std::uint64_t checksum = 0, locked = 0;
    std::uint32_t size = 0;
    if (in.size() < 8) return false;
    std::string_view tail = in.substr(in.size() - 8);
    in.remove_suffix(8);
    if (!take_u64(tail, checksum) || checksum != hash_string(in)) return false;
    if (!take_u64(in, sequence) || !take_u64(in, height) || !take_u64(in, locked) || !take_u32(in, size) ||
        size > in.size()) {
        return false;
    }
    if (locked > 0) {
        auto block = std::make_shared<Block>();
        if (!Block::decode(in.substr(0, size), *block)) return false;
        lock = block;
    }
    lock_round = static_cast<Round>(locked) - 1;
    in.remove_prefix(size);
    if (!decode_votes(in, votes)) return false;
    for (const auto& vote : votes) {
        if (vote->voter != index_ || vote->height != height || !vote->verify()) return false;
    }
    return true;
}

// The chain file: one frame per decided height, (size, block, round, commit,
// checksum). A damaged frame and all after it are dropped: those heights come
// back from the peers' commits.
void Validator::load_chain(Context& ctx) {
    auto bytes = ctx.storage().read(kChainFile);
    if (!bytes) return;
    std::string_view in = *bytes;
    std::uint64_t good = 0;
    while (true) {
        std::string_view frame = in;
        std::uint32_t size = 0, block_size = 0;
        std::uint64_t round = 0, checksum = 0;
        if (!take_u32(frame, size) || frame.size() < std::uint64_t{size} + 8) break;
        std::string_view record = frame.substr(0, size);
        frame.remove_prefix(size);
        if (!take_u64(frame, checksum) || checksum != hash_string(record)) break;
        auto block = std::make_shared<Block>();
        std::vector<VotePtr> commit;
        if (!take_u32(record, block_size) || block_size > record.size() ||
            !Block::decode(record.substr(0, block_size), *block)) {
            break;
        }
        record.remove_prefix(block_size);
        if (!take_u64(record, round) || !decode_votes(record, commit) || block->height != height_ ||
            !valid_commit(commit, height_, block->id())) {
            break;
        }
        apply(ctx, *block);
        decisions_.push_back(Decision{static_cast<Round>(round), block, block->time, std::move(commit)});
        ++height_;
        good += 4 + std::uint64_t{size} + 8;
        in = frame;
    }
    if (good != bytes->size()) (void)ctx.storage().truncate(kChainFile, good);
}

bool Validator::persist(Context& ctx) {
    std::string record;
    put_u64(record, ++state_sequence_);
    put_u64(record, height_);
    put_u64(record, static_cast<std::uint64_t>(locked_round_ + 1));
    const std::string lock = locked_value_ ? locked_value_->encode() : std::string();
    put_u32(record, static_cast<std::uint32_t>(lock.size()));
    record += lock;
    encode_votes(record, own_votes_);
    put_u64(record, hash_string(record));
    Storage& disk = ctx.storage();
    for (const std::string_view file : kStateFiles) {
        if (!disk.write(file, 0, record) || !disk.truncate(file, record.size()) || !disk.sync()) return false;
    }
    return true;
}

bool Validator::can_vote() const {
    return !mute_ && height_ >= resume_height_;
}

void Validator::enter_height(Context& ctx) {
    waiting_commit_ = false;
    if (height_ != resume_height_ || mute_ || resume_votes_.empty()) {
        if (height_ == resume_height_ && !mute_) resume_lock();
        start_round(ctx, 0);
        progress(ctx);
        return;
    }
    // Back where it voted last, with its lock and its votes (which it resends),
    // past the steps it took: it never votes twice in one step.
    resume_lock();
    own_votes_ = resume_votes_;
    round_ = 0;
    for (const auto& vote : own_votes_) {
        count(vote);
        round_ = std::max(round_, vote->round);
    }
    step_ = Step::propose;
    for (const auto& vote : own_votes_) {
        if (vote->round != round_) continue;
        step_ = std::max(step_, vote->kind == VoteType::prevote ? Step::prevote : Step::precommit);
    }
    if (step_ == Step::propose) schedule(ctx, propose_tag, timeout(options_.timeout_propose, round_));
    progress(ctx);
}

// The lock read back after a restart. It is also the validValue: the
// validator locked on seeing a polka for it in lockedRound, which is what
// validValue records (lines 36-43 set both together). Without it a restarted
// locked proposer offered fresh blocks it would itself prevote nil on, and
// two validators locked on different blocks in different rounds refused
// every proposal for ever (a height stalled after the faults healed).
void Validator::resume_lock() {
    locked_value_ = resume_lock_;
    locked_round_ = resume_lock_round_;
    FL_ASSERT(!locked_value_ == (locked_round_ == -1));
    if (locked_value_ && locked_round_ > valid_round_) {
        valid_value_ = locked_value_;
        valid_round_ = locked_round_;
    }
}

// Algorithm 1, lines 11-21.
void Validator::start_round(Context& ctx, Round round) {
    round_ = round;
    step_ = Step::propose;
    if (proposer_of(height_, round_) == index_ && can_vote()) {
        BlockPtr value = valid_value_;
        if (!value) value = new_block(ctx);
        auto proposal = std::make_shared<Proposal>();
        proposal->height = height_;
        proposal->round = round_;
        proposal->valid_round = valid_round_;
        proposal->block = value;
        proposal->proposer = index_;
        proposal->sign();
        rounds_[round_].message = proposal;
        rounds_[round_].proposal = value;
        rounds_[round_].proposal_valid_round = valid_round_;
        multicast(ctx, proposal);
    } else {
        schedule(ctx, propose_tag, timeout(options_.timeout_propose, round_));
    }
}

BlockPtr Validator::new_block(Context& ctx) const {
    (void)ctx;
    auto block = std::make_shared<Block>();
    block->height = height_;
    block->proposer = index_;
    for (const auto& [session, command] : mempool_) {
        if (block->commands.size() >= options_.block_commands_max) break;
        block->commands.push_back(command);
    }
    if (height_ > 1) {
        const Decision& last = decisions_.back();
        block->last_commit = last.commit;
        block->time = commit_time(last.commit);
    }
    block->seal();
    return block;
}

Nanos Validator::commit_time(const std::vector<VotePtr>& commit) const {
    std::vector<std::pair<Nanos, std::uint64_t>> stamps;
    for (const auto& vote : commit) stamps.emplace_back(vote->timestamp, powers_.at(vote->voter));
    return weighted_median(std::move(stamps));
}

bool Validator::valid_commit(const std::vector<VotePtr>& commit, Height height, BlockId block) const {
    if (commit.empty()) return false;
    std::set<std::uint32_t> voters;
    std::uint64_t power = 0;
    for (const auto& vote : commit) {
        if (vote->voter >= validators_.size() || !vote->verify() || vote->kind != VoteType::precommit ||
            vote->height != height || vote->round != commit.front()->round || vote->block != block ||
            !voters.insert(vote->voter).second) {
            return false;
        }
        power += powers_[vote->voter];
    }
    return more_than_two_thirds(power);
}

// valid(v): a well-formed block for this height whose last_commit decided the
// block this validator decided at the height before, and whose time is that
// commit's weighted median.
bool Validator::valid(const Block& block) const {
    if (block.height != height_ || block.proposer >= validators_.size() ||
        block.commands.size() > options_.block_commands_max) {
        return false;
    }
    if (block.height == 1) return block.last_commit.empty() && block.time == 0;
    if (decisions_.size() + 1 != block.height) return false;
    const Decision& last = decisions_.back();
    return valid_commit(block.last_commit, block.height - 1, last.block->id()) &&
           block.time == commit_time(block.last_commit);
}

void Validator::schedule(Context& ctx, TimerTag tag, Nanos after) {
    const TimerId timer = ctx.set_timer(after, tag);
    timer_args_[timer] = {height_, round_};
}

void Validator::multicast(Context& ctx, const MessagePtr& message) {
    for (const NodeId node : validators_) {
        if (node != ctx.self()) ctx.send(node, message);
    }
}

void Validator::vote(Context& ctx, VoteType kind, BlockId block) {
    if (!can_vote()) return;
    auto message = std::make_shared<Vote>();
    message->kind = kind;
    message->height = height_;
    message->round = round_;
    message->block = block;
    // BFT time: past the time of the block voted for, so that the next
    // block's time (the median of these) is later than this one's.
    Nanos floor = 0;
    if (block != kNil) {
        if (auto known = known_block(block)) floor = known->time + milliseconds(1);
    }
    message->timestamp = std::max(ctx.now(), floor);
    message->voter = index_;
    message->sign();
    own_votes_.push_back(message);
    if (!persist(ctx)) {  // the disk refused: do not vote
        own_votes_.pop_back();
        return;
    }
    ctx.fault_point("tendermint.vote-persisted");
    count(message);
    multicast(ctx, message);
}

BlockPtr Validator::known_block(BlockId id) const {
    for (const auto& [round, state] : rounds_) {
        if (state.proposal && state.proposal->id() == id) return state.proposal;
    }
    return nullptr;
}

void Validator::count(const VotePtr& vote) {
    FL_ASSERT_EQ(vote->height, height_);
    RoundState& state = rounds_[vote->round];
    Tally& tally = vote->kind == VoteType::prevote ? state.prevotes : state.precommits;
    auto& blocks = tally.by_voter[vote->voter];
    if (!blocks.insert(vote->block).second) return;
    const std::uint64_t power = powers_[vote->voter];
    tally.power[vote->block] += power;
    if (blocks.size() == 1) {
        tally.any += power;
        tally.first[vote->voter] = vote;
    }
    (vote->kind == VoteType::prevote ? state.prevote_votes : state.precommit_votes)[vote->block].push_back(vote);
}

void Validator::note_evidence(const Vote& vote) {
    auto [first, inserted] =
        first_votes_.emplace(std::make_tuple(vote.height, vote.round, vote.kind, vote.voter), vote.block);
    if (inserted || first->second == vote.block) return;
    for (const Evidence& known : evidence_) {
        if (known.validator == vote.voter && known.height == vote.height && known.round == vote.round &&
            known.kind == vote.kind) {
            return;
        }
    }
    evidence_.push_back(Evidence{vote.voter, vote.height, vote.round, vote.kind, first->second, vote.block});
}

void Validator::on_message(Context& ctx, const Envelope& envelope) {
    const Message& message = *envelope.message;
    if (const auto* vote = message_as<Vote>(message)) {
        on_vote(ctx, envelope.from, std::static_pointer_cast<const Vote>(envelope.message));
        (void)vote;
    } else if (const auto* proposal = message_as<Proposal>(message)) {
        if (index_of(envelope.from) < validators_.size()) {
            on_proposal(ctx, std::static_pointer_cast<const Proposal>(envelope.message));
        }
        (void)proposal;
    } else if (const auto* commit = message_as<Commit>(message)) {
        on_commit(ctx, envelope.from, *commit);
    } else if (const auto* status = message_as<Status>(message)) {
        // A peer behind: the commit of the height it is at.
        if (status->height >= 1 && status->height <= decisions_.size() &&
            index_of(envelope.from) < validators_.size()) {
            const Decision& decided = decisions_[status->height - 1];
            auto reply = std::make_shared<Commit>();
            reply->block = decided.block;
            reply->round = decided.round;
            reply->precommits = decided.commit;
            reply->sender_height = height_;
            ctx.send(envelope.from, reply);
        }
    } else if (const auto* tx = message_as<Tx>(message)) {
        if (index_of(envelope.from) < validators_.size()) {
            mempool_.emplace(std::make_pair(tx->command.client, tx->command.sequence), tx->command);
        }
    } else if (const auto* request = message_as<kv::KvRequest>(message)) {
        const auto session = std::make_pair(request->command.client, request->command.sequence);
        waiting_[session].emplace_back(envelope.from, request->msg_id);
        mempool_.emplace(session, request->command);
        auto relay = std::make_shared<Tx>();
        relay->command = request->command;
        multicast(ctx, relay);
    }
}

void Validator::on_vote(Context& ctx, NodeId from, const VotePtr& vote) {
    if (vote->voter >= validators_.size() || !vote->verify() || index_of(from) >= validators_.size()) return;
    if (validators_[vote->voter] == from) {
        // Gossip: what a voter said to this validator, the others hear too.
        if (relayed_.emplace(vote->height, vote->round, vote->kind, vote->voter, vote->block).second) {
            for (const NodeId node : validators_) {
                if (node != ctx.self() && node != from) ctx.send(node, vote);
            }
        }
    }
    note_evidence(*vote);
    if (vote->height != height_ || vote->round > round_ + kRoundsAhead) return;
    count(vote);
    progress(ctx);
}

void Validator::on_proposal(Context& ctx, const std::shared_ptr<const Proposal>& proposal) {
    if (proposal->height != height_ || proposal->round < 0 || proposal->round > round_ + kRoundsAhead ||
        !proposal->verify() || proposal->block->height != proposal->height ||
        proposal->proposer != proposer_of(proposal->height, proposal->round)) {
        return;
    }
    RoundState& state = rounds_[proposal->round];
    if (state.proposal) return;  // the first proposal of a round stands
    state.message = proposal;
    state.proposal = proposal->block;
    state.proposal_valid_round = proposal->valid_round;
    progress(ctx);
}

// A commit for the height this validator is at decides it (line 49 with the
// precommits of the certificate).
void Validator::on_commit(Context& ctx, NodeId from, const Commit& commit) {
    if (!commit.block || index_of(from) >= validators_.size()) return;
    for (const auto& vote : commit.precommits) {
        if (vote->voter < validators_.size() && vote->verify()) note_evidence(*vote);
    }
    if (commit.block->height == height_ && valid(*commit.block) &&
        valid_commit(commit.precommits, height_, commit.block->id()) &&
        commit.precommits.front()->round == commit.round) {
        decide(ctx, commit.round, commit.block, commit.precommits);
    } else {
        return;  // not one it can take: no asking again before the next gossip
    }
    if (commit.sender_height > height_) {
        auto status = std::make_shared<Status>();
        status->height = height_;
        ctx.send(from, status);
    }
}

void Validator::on_timer(Context& ctx, TimerId timer, std::uint64_t tag) {
    if (tag == gossip_tag) {
        gossip(ctx);
        ctx.set_timer(options_.gossip_interval, gossip_tag);
        return;
    }
    auto args = timer_args_.find(timer);
    FL_ASSERT(args != timer_args_.end());
    const auto [height, round] = args->second;
    timer_args_.erase(args);
    if (height != height_) return;
    if (tag == commit_tag) {
        if (waiting_commit_) enter_height(ctx);
        return;
    }
    if (round != round_ || waiting_commit_) return;
    if (tag == propose_tag && step_ == Step::propose) {  // lines 57-60
        vote(ctx, VoteType::prevote, kNil);
        step_ = Step::prevote;
    } else if (tag == prevote_tag && step_ == Step::prevote) {  // lines 61-64
        vote(ctx, VoteType::precommit, kNil);
        step_ = Step::precommit;
    } else if (tag == precommit_tag) {  // lines 65-67
        start_round(ctx, round_ + 1);
    }
    progress(ctx);
}

// The height, the votes of this height and this round's proposal again: what a
// lossy network or a partition lost reaches the others once it heals.
void Validator::gossip(Context& ctx) {
    auto status = std::make_shared<Status>();
    status->height = height_;
    multicast(ctx, status);
    if (waiting_commit_) return;
    // Its own votes of every round of this height, and the polka behind its
    // validValue: a validator that missed them (down, cut off) needs them to
    // unlock from an older lock (lines 28-33), or the height stalls.
    for (const auto& [round, state] : rounds_) {
        for (const Tally* tally : {&state.prevotes, &state.precommits}) {
            auto own = tally->first.find(index_);
            if (own != tally->first.end()) multicast(ctx, own->second);
        }
    }
    if (valid_value_) {
        const RoundState& polka = rounds_[valid_round_];
        // Every prevote for it, not each voter's first: a voter that also
        // prevoted another block (a double-signer) may have sent that one
        // first, and without its vote for validValue the others never see the
        // polka and refuse the proposal.
        auto votes = polka.prevote_votes.find(valid_value_->id());
        if (votes != polka.prevote_votes.end()) {
            for (const auto& vote : votes->second) {
                if (vote->voter != index_) multicast(ctx, vote);
            }
        }
        if (polka.message) multicast(ctx, polka.message);
    }
    auto at = rounds_.find(round_);
    if (at != rounds_.end() && at->second.message && proposer_of(height_, round_) == index_ &&
        (!valid_value_ || valid_round_ != round_)) {
        multicast(ctx, at->second.message);
    }
}

void Validator::progress(Context& ctx) {
    if (waiting_commit_) return;
    while (step_rules(ctx)) {
        if (waiting_commit_) return;
    }
}

// One "upon" rule of Algorithm 1 that fires, if any (true: the state moved).
bool Validator::step_rules(Context& ctx) {
    // Lines 49-54: a decision, in any round.
    for (auto& [round, state] : rounds_) {
        for (const auto& [id, power] : state.precommits.power) {
            if (id == kNil || !more_than_two_thirds(power)) continue;
            BlockPtr block = known_block(id);
            if (block && valid(*block)) {
                decide(ctx, round, block, state.precommit_votes[id]);
                return true;
            }
        }
    }
    // Lines 55-56: f + 1 (over 1/3 of the power) already in a later round.
    for (auto at = rounds_.rbegin(); at != rounds_.rend() && at->first > round_; ++at) {
        std::set<std::uint32_t> senders;
        for (const auto& [voter, blocks] : at->second.prevotes.by_voter) senders.insert(voter);
        for (const auto& [voter, blocks] : at->second.precommits.by_voter) senders.insert(voter);
        if (at->second.proposal) senders.insert(proposer_of(height_, at->first));
        std::uint64_t power = 0;
        for (const std::uint32_t sender : senders) power += powers_[sender];
        if (more_than_one_third(power)) {
            start_round(ctx, at->first);
            return true;
        }
    }
    // Lines 36-43 keep only a polka of the current round as validValue; one of
    // an earlier round, seen late (after a partition), is as good a value to
    // propose (lines 28-33 check it), and without it a validator locked in
    // that round would refuse every proposal with an older validRound.
    for (auto& [round, earlier] : rounds_) {
        if (round <= valid_round_ || round >= round_ || !earlier.proposal) continue;
        auto polka = earlier.prevotes.power.find(earlier.proposal->id());
        if (polka != earlier.prevotes.power.end() && more_than_two_thirds(polka->second) && valid(*earlier.proposal)) {
            valid_value_ = earlier.proposal;
            valid_round_ = round;
        }
    }
    RoundState& state = rounds_[round_];
    const BlockPtr& proposal = state.proposal;
    const Round vr = state.proposal_valid_round;
    auto prevotes_for = [&](Round round, BlockId id) -> std::uint64_t {
        auto at = rounds_.find(round);
        if (at == rounds_.end()) return 0;
        auto power = at->second.prevotes.power.find(id);
        return power == at->second.prevotes.power.end() ? 0 : power->second;
    };
    if (step_ == Step::propose && proposal) {
        const bool unlocked = locked_round_ == -1 || locked_value_->id() == proposal->id();
        if (vr == -1) {  // lines 22-27
            vote(ctx, VoteType::prevote, valid(*proposal) && unlocked ? proposal->id() : kNil);
            step_ = Step::prevote;
            return true;
        }
        if (vr >= 0 && vr < round_ && more_than_two_thirds(prevotes_for(vr, proposal->id()))) {  // lines 28-33
            const bool free = unlocked || locked_round_ <= vr;
            vote(ctx, VoteType::prevote, valid(*proposal) && free ? proposal->id() : kNil);
            step_ = Step::prevote;
            return true;
        }
    }
    if (step_ == Step::prevote && more_than_two_thirds(state.prevotes.any) &&
        prevote_timeout_set_.insert(round_).second) {  // lines 34-35
        schedule(ctx, prevote_tag, timeout(options_.timeout_prevote, round_));
    }
    if (proposal && step_ != Step::propose && more_than_two_thirds(prevotes_for(round_, proposal->id())) &&
        valid(*proposal) && polka_seen_.insert(round_).second) {  // lines 36-43
        if (step_ == Step::prevote) {
            locked_value_ = proposal;
            locked_round_ = round_;
            vote(ctx, VoteType::precommit, proposal->id());
            step_ = Step::precommit;
        }
        valid_value_ = proposal;
        valid_round_ = round_;
        return true;
    }
    if (step_ == Step::prevote && more_than_two_thirds(prevotes_for(round_, kNil))) {  // lines 44-46
        vote(ctx, VoteType::precommit, kNil);
        step_ = Step::precommit;
        return true;
    }
    if (more_than_two_thirds(state.precommits.any) && precommit_timeout_set_.insert(round_).second) {  // lines 47-48
        schedule(ctx, precommit_tag, timeout(options_.timeout_precommit, round_));
    }
    return false;
}

void Validator::decide(Context& ctx, Round round, BlockPtr block, std::vector<VotePtr> commit) {
    FL_ASSERT_EQ(block->height, height_);
    FL_ASSERT_EQ(decisions_.size() + 1, height_);
    // One precommit per voter in the commit.
    std::set<std::uint32_t> voters;
    std::erase_if(commit, [&](const VotePtr& vote) { return !voters.insert(vote->voter).second; });
    FL_ASSERT(valid_commit(commit, height_, block->id()));
    std::string record;
    const std::string block_bytes = block->encode();
    put_u32(record, static_cast<std::uint32_t>(block_bytes.size()));
    record += block_bytes;
    put_u64(record, static_cast<std::uint64_t>(round));
    encode_votes(record, commit);
    std::string frame;
    put_u32(frame, static_cast<std::uint32_t>(record.size()));
    frame += record;
    put_u64(frame, hash_string(record));
    // A block that did not reach the disk comes back from the peers after a
    // crash; nothing here depends on it being durable.
    if (ctx.storage().append(kChainFile, frame)) (void)ctx.storage().sync();
    apply(ctx, *block);
    decisions_.push_back(Decision{round, block, block->time, std::move(commit)});
    ++height_;
    rounds_.clear();
    prevote_timeout_set_.clear();
    precommit_timeout_set_.clear();
    polka_seen_.clear();
    locked_value_.reset();
    locked_round_ = -1;
    valid_value_.reset();
    valid_round_ = -1;
    round_ = 0;
    step_ = Step::propose;
    own_votes_.clear();
    // Evidence is kept for votes of the last few heights.
    std::erase_if(first_votes_,
                  [&](const auto& entry) { return std::get<0>(entry.first) + kEvidenceHeights < height_; });
    std::erase_if(relayed_, [&](const auto& entry) { return std::get<0>(entry) + kEvidenceHeights < height_; });
    waiting_commit_ = true;
    schedule(ctx, commit_tag, options_.timeout_commit);
}

void Validator::apply(Context& ctx, const Block& block) {
    for (const kv::KvCommand& command : block.commands) {
        const kv::KvResult result = command.op == kv::KvOp::read ? store_.read(command.key) : store_.apply(command);
        const auto session = std::make_pair(command.client, command.sequence);
        mempool_.erase(session);
        auto waiting = waiting_.find(session);
        if (waiting == waiting_.end()) continue;
        for (const auto& [client, msg_id] : waiting->second) {
            auto reply = std::make_shared<kv::KvReply>();
            reply->in_reply_to = msg_id;
            reply->op = command.op;
            reply->code = result.code;
            reply->value = result.value;
            ctx.send(client, reply);
        }
        waiting_.erase(waiting);
    }
}

}  // namespace faultline::protocols::tendermint
