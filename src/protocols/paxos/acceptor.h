// Acceptor: the Multi-Paxos acceptor, one promise for every slot and an
// accepted (ballot, value) per slot, durable before any answer leaves.
//
// The rules are the Synod acceptor's (synod.h): promise a ballot not below the
// promise (phase 1b); accept (ballot, value) unless a higher ballot was
// promised, which raises the promise to that ballot (phase 2b). A stable
// leader's single prepare covers all slots, so there is one promise, not one
// per slot.
//
// Durability. Both answers are only as good as the acceptor's memory of them:
// an acceptor that promised ballot b and forgets it after a crash may accept
// a lower ballot's value, and two values can be chosen; one that forgets an
// acceptance may report nothing to the next leader, who then proposes another
// value for a slot that was chosen. So prepare() and accept() write a record
// and sync it before they return success, and the node sends the reply only
// after that (persist before you send).
//
// On disk (the node's Storage): `acceptor`, an append-only file of records,
// each [length u32][length check u32][checksum u64][payload], a payload being
// "promise b" or "accept slot, b, value" (which also promises b). Recovery
// replays them. A torn tail (the last record cut short by a crash) was never
// synced, so never answered: it is cut off. A complete record that fails its
// checksum is synced data lost: the acceptor can no longer know what it
// promised or accepted, so it is mute from then on (it never promises or
// accepts again: a vote it forgot could make a second value chosen). The
// `damaged` file records that, synced before anything else happens, so a
// later recovery stays mute too. A disk that refuses a write or a sync mutes
// the acceptor until it restarts (its memory is then ahead of its disk).
// Disk faults strike a minority of the servers (nemesis/generator.h), so a
// majority of acceptors stays able to vote.
//
// The file is never compacted: a run lasts minutes, not months.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "node/storage.h"
#include "protocols/paxos/messages.h"
#include "protocols/paxos/types.h"

namespace faultline::protocols::paxos {

class Acceptor {
  public:
    // `forget_promise` is the acceptor-forgets-promise bug: a promise is
    // answered from memory, never written (only acceptances are).
    explicit Acceptor(bool forget_promise = false) : forget_promise_(forget_promise) {}

    enum class Outcome {
        done,     // promised / accepted, durably (the reply may go out)
        refused,  // a higher ballot was promised: answer with a Nack
        mute,     // lost state, or a failing disk: no answer at all
    };

    // Reads the state back after a crash; lines for the node log.
    std::vector<std::string> recover(Storage& storage);

    Outcome prepare(Storage& storage, Ballot ballot);
    // Accepts every entry in `ballot`, or none.
    Outcome accept(Storage& storage, Ballot ballot, const std::vector<SlotValue>& entries);

    Ballot promised() const { return promised_; }
    const std::map<Slot, Accepted>& accepted() const { return accepted_; }
    // What it accepted at slots from `from` on (a promise's report).
    std::vector<std::pair<Slot, Accepted>> accepted_from(Slot from) const;
    bool mute() const { return damaged_ || disk_failed_; }
    // Slots it accepted that its node may learn from a leader's chosen_below.
    const Accepted* accepted_at(Slot slot) const;

    // The god's view: every acceptance made durable since this incarnation
    // started, oldest first (the invariant checker tallies them).
    const std::vector<Vote>& durable_votes() const { return durable_votes_; }

    // Record framing, exposed for tests that damage the file on purpose.
    static std::string frame(std::string_view payload);
    static constexpr std::string_view kFile = "acceptor";
    static constexpr std::string_view kDamaged = "damaged";

  private:
    bool write_and_sync(Storage& storage, const std::string& records);
    void apply_record(std::string_view payload);

    bool forget_promise_;
    Ballot promised_;
    std::map<Slot, Accepted> accepted_;
    bool damaged_ = false;      // durable: lost synced state
    bool disk_failed_ = false;  // volatile: a write or sync failed
    std::vector<Vote> durable_votes_;
};

}  // namespace faultline::protocols::paxos
