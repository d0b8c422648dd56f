#include "protocols/crdt/types.h"

#include <algorithm>
#include <tuple>

#include "base/assert.h"

namespace faultline::protocols::crdt {

void GCounter::add(std::size_t replica, std::uint64_t delta) {
    FL_ASSERT_LT(replica, counts_.size());
    counts_[replica] += delta;
}

std::uint64_t GCounter::value() const {
    std::uint64_t sum = 0;
    for (std::uint64_t count : counts_) sum += count;
    return sum;
}

void GCounter::merge(const GCounter& other) {
    FL_ASSERT_EQ(counts_.size(), other.counts_.size());
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] = std::max(counts_[i], other.counts_[i]);
}

void PNCounter::add(std::size_t replica, std::int64_t delta) {
    if (delta >= 0) {
        up_.add(replica, static_cast<std::uint64_t>(delta));
    } else {
        down_.add(replica, 0 - static_cast<std::uint64_t>(delta));  // |delta|, INT64_MIN included
    }
}

std::int64_t PNCounter::value() const {
    return static_cast<std::int64_t>(up_.value()) - static_cast<std::int64_t>(down_.value());
}

void PNCounter::merge(const PNCounter& other) {
    up_.merge(other.up_);
    down_.merge(other.down_);
}

void OrSet::add(std::int64_t element, Dot dot) {
    FL_ASSERT(!tombstones_.contains(dot));  // dots are unique: a new add was never removed
    entries_.emplace(element, dot);
}

std::vector<Dot> OrSet::remove(std::int64_t element) {
    std::vector<Dot> seen;
    auto it = entries_.lower_bound({element, Dot{}});
    while (it != entries_.end() && it->first == element) {
        seen.push_back(it->second);
        tombstones_.insert(it->second);
        it = entries_.erase(it);
    }
    return seen;
}

void OrSet::remove_dots(const std::vector<Dot>& dots) {
    for (Dot dot : dots) tombstones_.insert(dot);
    std::erase_if(entries_, [&](const auto& entry) { return tombstones_.contains(entry.second); });
}

void OrSet::erase_element(std::int64_t element) {
    std::erase_if(entries_, [&](const auto& entry) { return entry.first == element; });
}

bool OrSet::contains(std::int64_t element) const {
    auto it = entries_.lower_bound({element, Dot{}});
    return it != entries_.end() && it->first == element;
}

std::vector<std::int64_t> OrSet::value() const {
    std::vector<std::int64_t> elements;
    for (const auto& [element, dot] : entries_) {
        if (elements.empty() || elements.back() != element) elements.push_back(element);
    }
    return elements;
}

void OrSet::merge(const OrSet& other) {
    tombstones_.insert(other.tombstones_.begin(), other.tombstones_.end());
    for (const auto& entry : other.entries_) entries_.insert(entry);
    std::erase_if(entries_, [&](const auto& entry) { return tombstones_.contains(entry.second); });
}

void LwwRegister::write(std::uint32_t replica, std::int64_t value) {
    ++counter_;
    replica_ = replica;
    value_ = value;
}

void LwwRegister::merge(const LwwRegister& other) {
    if (std::tie(other.counter_, other.replica_) > std::tie(counter_, replica_)) *this = other;
    // Two writes never share a stamp: a replica's own counter only grows.
    FL_ASSERT(std::tie(other.counter_, other.replica_) != std::tie(counter_, replica_) || other.value_ == value_);
}

}  // namespace faultline::protocols::crdt
