// The CRDTs (spec/protocols.md §4.3; Shapiro, Preguiça, Baquero and
// Zawirski 2011): replicated values that any replica may update without
// coordination and that still converge.
//
//   GCounter     a count per replica; value = the sum; merge = the maximum of each
//   PNCounter    two GCounters, increments and decrements; value = their difference
//   OrSet        add-wins observed-remove set: each add tags its element with a
//                unique dot; a remove tombstones the dots it has seen, so an add
//                it has not seen (a concurrent one) survives it
//   LwwRegister  the write with the greatest (Lamport counter, replica) wins
//
// Each is a join semilattice: `merge` is commutative, associative and
// idempotent, and updates only move a state up, so state-based replicas may
// exchange whole states over a network that loses, duplicates and reorders
// (tests/protocols/crdt_types_test.cc checks the three laws on random states).
// The same types serve op-based replication: an operation is applied where it
// is delivered (OrSet::remove_dots, LwwRegister::merge of one write), which
// commutes for concurrent operations given causal, exactly-once delivery.
//
// Replicas are numbered by their position in the cluster, from 0; a dot
// (replica, seq) names a replica's seq-th update.
#pragma once

#include <compare>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "base/json.h"

namespace faultline::protocols::crdt {

struct Dot {
    std::uint32_t replica = 0;
    std::uint64_t seq = 0;
    auto operator<=>(const Dot&) const = default;
};

class GCounter {
  public:
    explicit GCounter(std::size_t replicas = 0) : counts_(replicas, 0) {}
    void add(std::size_t replica, std::uint64_t delta);
    std::uint64_t value() const;
    void merge(const GCounter& other);
    const std::vector<std::uint64_t>& counts() const { return counts_; }
    bool operator==(const GCounter&) const = default;

  private:
    std::vector<std::uint64_t> counts_;  // by replica
};

class PNCounter {
  public:
    explicit PNCounter(std::size_t replicas = 0) : up_(replicas), down_(replicas) {}
    void add(std::size_t replica, std::int64_t delta);
    std::int64_t value() const;
    void merge(const PNCounter& other);
    bool operator==(const PNCounter&) const = default;

  private:
    GCounter up_, down_;
};

class OrSet {
  public:
    void add(std::int64_t element, Dot dot);
    // Tombstones the dots of `element` present here, and returns them (what
    // an op-based remove carries).
    std::vector<Dot> remove(std::int64_t element);
    // An op-based remove delivered: tombstones exactly the dots its origin saw.
    void remove_dots(const std::vector<Dot>& dots);
    // The naive remove (not a CRDT): drops every dot of the element here,
    // concurrent adds included, and keeps no tombstone.
    void erase_element(std::int64_t element);
    bool contains(std::int64_t element) const;
    // The elements, sorted.
    std::vector<std::int64_t> value() const;
    void merge(const OrSet& other);
    bool operator==(const OrSet&) const = default;

  private:
    std::set<std::pair<std::int64_t, Dot>> entries_;  // (element, dot), none tombstoned
    std::set<Dot> tombstones_;
};

class LwwRegister {
  public:
    // A write here: stamped one past the greatest counter seen.
    void write(std::uint32_t replica, std::int64_t value);
    bool empty() const { return counter_ == 0; }
    std::int64_t value() const { return value_; }
    std::uint64_t counter() const { return counter_; }
    std::uint32_t replica() const { return replica_; }
    // Keeps the greater of the two writes.
    void merge(const LwwRegister& other);
    bool operator==(const LwwRegister&) const = default;

  private:
    std::uint64_t counter_ = 0;  // 0: never written
    std::uint32_t replica_ = 0;
    std::int64_t value_ = 0;
};

}  // namespace faultline::protocols::crdt
