#include "check/txn/checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "base/assert.h"
#include "check/txn/text.h"
#include "check/txn/write_index.h"

namespace faultline::check::txn {

namespace {

class Checker {
  public:
    Checker(const TxnHistory& history, const IsolationOptions& options)
        : h_(history),
          options_(options),
          writes_(count_writes(history)),
          graph_(static_cast<std::uint32_t>(history.txns.size())) {
        FL_ASSERT_LT(history.txns.size(), std::size_t{kNone});
        FL_ASSERT_LT(history.mops.size(), std::size_t{kNone});
        for (std::size_t t = 1; t < history.txns.size(); ++t) {
            // Realtime order walks the transactions by invocation.
            FL_ASSERT_LT(history.txns[t - 1].invoke_position, history.txns[t].invoke_position);
        }
        result_.workload = history.workload;
        result_.models = options.models;
        result_.txns = history.txns.size();
        for (int i = 0; i < kAnomalyCount; ++i) relevant_[i] = matters_for(static_cast<Anomaly>(i), options.models);
        for (const CycleClass& cls : cycle_classes()) {
            if (!relevant_[static_cast<int>(cls.anomaly)]) continue;
            search_mask_ |= cls.allowed;
        }
    }

    Result<IsolationResult> run() {
        if (auto status = index_writes(); !status) return status.error();
        external_reads_and_internal_consistency();
        if (h_.workload == Workload::list_append) {
            list_append_versions();
            list_append_edges();
        } else {
            register_edges();
        }
        lost_updates();
        if ((search_mask_ & mask_of(process)) != 0) process_edges();
        if ((search_mask_ & mask_of(realtime)) != 0) realtime_edges();
        graph_.freeze();
        result_.edges = graph_.edges();
        search_cycles();
        decide();
        return std::move(result_);
    }

  private:
    static std::size_t count_writes(const TxnHistory& history) {
        std::size_t n = 0;
        for (const Mop& mop : history.mops) n += mop.kind != MopKind::read;
        return n;
    }

    const Txn& txn(std::uint32_t t) const { return h_.txns[t]; }
    bool committed(std::uint32_t t) const { return h_.txns[t].status == TxnStatus::ok; }
    bool aborted(std::uint32_t t) const { return h_.txns[t].status == TxnStatus::fail; }
    std::string name(std::uint32_t t) const { return fmt::format("T{}", h_.txns[t].index); }
    std::uint32_t mop_index(const Txn& t, std::size_t i) const { return t.mop_begin + static_cast<std::uint32_t>(i); }

    // Counts an anomaly; describes it while there is room for examples.
    template <class Describe>
    void report(Anomaly anomaly, Describe&& describe) {
        const int i = static_cast<int>(anomaly);
        if (result_.counts[i]++ >= options_.examples_per_anomaly) return;
        AnomalyReport report;
        report.anomaly = anomaly;
        describe(report);
        for (std::uint32_t t : report.txns) report.described.push_back(describe_txn(h_, t));
        result_.anomalies.push_back(std::move(report));
    }

    // ---- Writes

    Status index_writes() {
        for (std::uint32_t t = 0; t < h_.txns.size(); ++t) {
            const Txn& x = txn(t);
            const auto mops = h_.mops_of(x);
            for (std::size_t i = 0; i < mops.size(); ++i) {
                const Mop& mop = mops[i];
                if (mop.kind == MopKind::read) continue;
                auto [at, fresh] = writes_.insert(mop.key, mop.value);
                if (!fresh) return duplicate_write(writes_[at], t, mop);
                WriteSlot& slot = writes_[at];
                slot.txn = t;
                slot.mop = mop_index(x, i);
                for (std::size_t j = i + 1; j < mops.size() && slot.final_in_txn; ++j) {
                    if (mops[j].kind != MopKind::read && mops[j].key == mop.key) slot.final_in_txn = false;
                }
            }
        }
        return ok_status();
    }

    Error duplicate_write(const WriteSlot& first, std::uint32_t t, const Mop& mop) const {
        auto where = [&](std::uint32_t x) {
            return txn(x).line > 0 ? fmt::format("line {}", txn(x).line) : fmt::format("op {}", txn(x).index);
        };
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format(
                "{}{}value {} is written to key {} twice ({} and {}): {} needs every written value of a key to be "
                "unique, so that a read names the write it saw",
                h_.file, h_.file.empty() ? "" : ": ", mop.value, h_.key_names[mop.key], where(first.txn), where(t),
                workload_name(h_.workload)));
    }

    // ---- Each committed transaction's own story: its external reads, and
    // whether its later reads agree with its earlier reads and writes.

    struct ExternalRead {
        std::uint32_t txn;
        std::uint32_t mop;  // global
        bool then_writes;   // the transaction later writes the same key (a read-modify-write)
    };

    void external_reads_and_internal_consistency() {
        std::vector<std::uint32_t> keys_seen;
        for (std::uint32_t t = 0; t < h_.txns.size(); ++t) {
            const Txn& x = txn(t);
            if (x.status != TxnStatus::ok) continue;
            ++result_.committed;
            const auto mops = h_.mops_of(x);
            for (std::size_t i = 0; i < mops.size(); ++i) {
                const Mop& mop = mops[i];
                if (mop.kind != MopKind::read) continue;
                // The latest earlier micro-op on the same key, if any.
                std::size_t previous = i;
                for (std::size_t j = i; j-- > 0;) {
                    if (mops[j].key == mop.key) {
                        previous = j;
                        break;
                    }
                }
                if (previous == i) {
                    bool then_writes = false;
                    for (std::size_t j = i + 1; j < mops.size() && !then_writes; ++j) {
                        then_writes = mops[j].kind != MopKind::read && mops[j].key == mop.key;
                    }
                    external_reads_.push_back({t, mop_index(x, i), then_writes});
                    continue;
                }
                if (h_.workload == Workload::list_append) {
                    check_internal_list(t, mops, i);
                } else {
                    check_internal_register(t, mops, i, previous);
                }
            }
        }
    }

    void check_internal_list(std::uint32_t t, std::span<const Mop> mops, std::size_t i) {
        const Mop& read = mops[i];
        // What the transaction knows of the key: its latest earlier read, then
        // its own appends since.
        std::size_t last_read = i;
        for (std::size_t j = i; j-- > 0;) {
            if (mops[j].key == read.key && mops[j].kind == MopKind::read) {
                last_read = j;
                break;
            }
        }
        std::vector<std::int64_t> appended;
        for (std::size_t j = last_read == i ? 0 : last_read + 1; j < i; ++j) {
            if (mops[j].key == read.key && mops[j].kind == MopKind::append) appended.push_back(mops[j].value);
        }
        const auto seen = h_.read_list(read);
        bool consistent;
        std::string expected;
        if (last_read != i) {
            std::vector<std::int64_t> want;
            if (!mops[last_read].nil) {
                const auto before = h_.read_list(mops[last_read]);
                want.assign(before.begin(), before.end());
            }
            want.insert(want.end(), appended.begin(), appended.end());
            consistent = !read.nil ? std::equal(seen.begin(), seen.end(), want.begin(), want.end()) : want.empty();
            expected = list_text(want);
        } else {
            consistent = !read.nil && seen.size() >= appended.size() &&
                         std::equal(appended.begin(), appended.end(), seen.end() - appended.size());
            expected = fmt::format("a list ending in {}", list_text(appended));
        }
        if (consistent) return;
        report(Anomaly::internal, [&](AnomalyReport& r) {
            r.txns = {t};
            r.explanation = fmt::format("{} read key {} = {}, but its own earlier micro-ops say it should have been {}",
                                        name(t), h_.key_names[read.key], read_value_text(h_, read), expected);
        });
    }

    void check_internal_register(std::uint32_t t, std::span<const Mop> mops, std::size_t i, std::size_t previous) {
        const Mop& read = mops[i];
        const Mop& before = mops[previous];
        const bool agrees = before.kind == MopKind::write
                                ? (!read.nil && read.value == before.value)
                                : (read.nil == before.nil && (read.nil || read.value == before.value));
        if (agrees) return;
        report(Anomaly::internal, [&](AnomalyReport& r) {
            r.txns = {t};
            r.explanation =
                fmt::format("{} read key {} = {}, but its own earlier {} says it should have been {}", name(t),
                            h_.key_names[read.key], read_value_text(h_, read), mop_text(h_, before),
                            before.kind == MopKind::write ? std::to_string(before.value) : read_value_text(h_, before));
        });
    }

    // ---- list-append: version orders from the longest reads

    void list_append_versions() {
        const std::size_t keys = h_.key_names.size();
        longest_.assign(keys, kNone);
        for (std::uint32_t t = 0; t < h_.txns.size(); ++t) {
            const Txn& x = txn(t);
            if (x.status != TxnStatus::ok) continue;
            for (std::size_t i = 0; i < x.mop_size; ++i) {
                const Mop& mop = h_.mops[x.mop_begin + i];
                if (mop.kind != MopKind::read || mop.nil) continue;
                const std::uint32_t best = longest_[mop.key];
                if (best == kNone || h_.mops[best].read_size < mop.read_size) longest_[mop.key] = mop_index(x, i);
            }
        }
        version_begin_.assign(keys + 1, 0);
        for (std::size_t k = 0; k < keys; ++k) {
            version_begin_[k + 1] = version_begin_[k] + (longest_[k] == kNone ? 0 : h_.mops[longest_[k]].read_size);
        }
        version_slot_.assign(version_begin_[keys], kNone);
        bad_key_.assign(keys, false);
        first_aborted_.assign(keys, kNone);
        first_garbage_.assign(keys, kNone);
        for (std::uint32_t k = 0; k < keys; ++k) {
            if (longest_[k] == kNone) continue;
            const Mop& read = h_.mops[longest_[k]];
            const std::uint32_t reader = owner(longest_[k]);
            const auto values = h_.read_list(read);
            bool duplicate_reported = false;
            for (std::uint32_t i = 0; i < values.size(); ++i) {
                const std::uint32_t at = writes_.find(k, values[i]);
                if (at == kNone) {
                    if (first_garbage_[k] == kNone) first_garbage_[k] = i;
                    continue;
                }
                WriteSlot& slot = writes_[at];
                if (slot.version >= 0) {
                    if (!duplicate_reported) {
                        duplicate_reported = true;
                        report(Anomaly::duplicate_elements, [&](AnomalyReport& r) {
                            r.txns = {reader};
                            r.explanation = fmt::format(
                                "{} read key {} = {}, which holds {} twice (positions {} and {})", name(reader),
                                h_.key_names[k], list_text(values), values[i], slot.version, i);
                        });
                    }
                    continue;
                }
                slot.version = static_cast<std::int32_t>(i);
                version_slot_[version_begin_[k] + i] = at;
                if (aborted(slot.txn) && first_aborted_[k] == kNone) first_aborted_[k] = i;
            }
        }
    }

    std::uint32_t owner(std::uint32_t mop) const {
        // Transactions are few per lookup here (the longest reads, reports);
        // a binary search over the transactions' mop ranges would need them
        // sorted by mop_begin, which a parsed history does not promise.
        if (mop_owner_.empty()) {
            mop_owner_.assign(h_.mops.size(), kNone);
            for (std::uint32_t t = 0; t < h_.txns.size(); ++t) {
                for (std::uint32_t i = 0; i < h_.txns[t].mop_size; ++i) mop_owner_[h_.txns[t].mop_begin + i] = t;
            }
        }
        return mop_owner_[mop];
    }

    std::uint32_t version_writer(std::uint32_t key, std::uint32_t position) const {
        const std::uint32_t at = version_slot_[version_begin_[key] + position];
        return at == kNone ? kNone : writes_[at].txn;
    }

    std::uint32_t version_count(std::uint32_t key) const { return version_begin_[key + 1] - version_begin_[key]; }

    // Is this committed read of a list compatible with the longest read of its key?
    bool prefix_of_longest(const Mop& read) const {
        if (read.nil || read.read_size == 0) return true;
        const Mop& longest = h_.mops[longest_[read.key]];
        const auto seen = h_.read_list(read);
        const auto all = h_.read_list(longest);
        return std::equal(seen.begin(), seen.end(), all.begin());
    }

    void list_append_edges() {
        // Every committed read: compatible with the longest read of its key?
        // Aborted, garbage or intermediate values in it?
        for (std::uint32_t t = 0; t < h_.txns.size(); ++t) {
            const Txn& x = txn(t);
            if (x.status != TxnStatus::ok) continue;
            for (std::size_t i = 0; i < x.mop_size; ++i) {
                const Mop& read = h_.mops[x.mop_begin + i];
                if (read.kind != MopKind::read || read.nil || read.read_size == 0) continue;
                if (!prefix_of_longest(read)) {
                    bad_key_[read.key] = true;
                    report_incompatible(t, read);
                    continue;
                }
                const std::uint32_t k = read.key;
                if (read.read_size > first_aborted_[k] && first_aborted_[k] != kNone) report_aborted_read(t, read);
                if (read.read_size > first_garbage_[k] && first_garbage_[k] != kNone) report_garbage(t, read);
                const std::uint32_t last = version_writer(k, read.read_size - 1);
                if (last != kNone && last != t && !aborted(last) &&
                    !writes_[version_slot_[version_begin_[k] + read.read_size - 1]].final_in_txn) {
                    report(Anomaly::G1b, [&](AnomalyReport& r) {
                        r.txns = {last, t};
                        r.explanation = fmt::format(
                            "{} read key {} = {}, ending in {}'s append of {}, which {} followed with another append "
                            "to the same key: an intermediate state",
                            name(t), h_.key_names[k], list_text(h_.read_list(read)), name(last),
                            h_.read_list(read).back(), name(last));
                    });
                }
            }
        }
        // ww: consecutive versions of each key.
        for (std::uint32_t k = 0; k < h_.key_names.size(); ++k) {
            if (bad_key_[k]) continue;
            const std::uint32_t n = version_count(k);
            for (std::uint32_t i = 1; i < n; ++i) {
                const std::uint32_t a = version_writer(k, i - 1), b = version_writer(k, i);
                if (a == kNone || b == kNone || a == b || aborted(a) || aborted(b)) continue;
                graph_.add(a, b, ww);
            }
        }
        // wr and rw from each external read.
        for (const ExternalRead& e : external_reads_) {
            const Mop& read = h_.mops[e.mop];
            if (bad_key_[read.key]) continue;
            const std::uint32_t m = read.nil ? 0 : read.read_size;
            if (m > 0) {
                const std::uint32_t w = version_writer(read.key, m - 1);
                if (w != kNone && w != e.txn && !aborted(w)) graph_.add(w, e.txn, wr);
            }
            if (m < version_count(read.key)) {
                const std::uint32_t w = version_writer(read.key, m);
                if (w != kNone && w != e.txn && !aborted(w)) graph_.add(e.txn, w, rw);
            }
        }
    }

    void report_incompatible(std::uint32_t t, const Mop& read) {
        report(Anomaly::incompatible_order, [&](AnomalyReport& r) {
            const std::uint32_t other = owner(longest_[read.key]);
            r.txns = {t, other};
            r.explanation = fmt::format(
                "{} read key {} = {} and {} read it = {}: neither is a prefix of the other, so "
                "they cannot both come from one order of appends",
                name(t), h_.key_names[read.key], list_text(h_.read_list(read)), name(other),
                list_text(h_.read_list(h_.mops[longest_[read.key]])));
        });
    }

    void report_aborted_read(std::uint32_t t, const Mop& read) {
        const std::uint32_t k = read.key;
        const std::uint32_t writer = version_writer(k, first_aborted_[k]);
        report(Anomaly::G1a, [&](AnomalyReport& r) {
            r.txns = {writer, t};
            r.explanation =
                fmt::format("{} read key {} = {}, which includes {}'s append of {}, but {} failed (aborted)", name(t),
                            h_.key_names[k], list_text(h_.read_list(read)), name(writer),
                            h_.read_list(read)[first_aborted_[k]], name(writer));
        });
    }

    void report_garbage(std::uint32_t t, const Mop& read) {
        const std::uint32_t k = read.key;
        report(Anomaly::garbage_read, [&](AnomalyReport& r) {
            r.txns = {t};
            r.explanation =
                fmt::format("{} read key {} = {}, which holds {}, a value no transaction appended", name(t),
                            h_.key_names[k], list_text(h_.read_list(read)), h_.read_list(read)[first_garbage_[k]]);
        });
    }

    // ---- rw-register: versions from the initial state and writes-follow-reads

    struct VersionEdge {
        std::uint32_t key;
        std::int64_t from, to;
        std::uint32_t txn;  // read `from`, then wrote `to`
        bool operator<(const VersionEdge& o) const { return std::tie(key, from) < std::tie(o.key, o.from); }
    };

    // The last write of `key` in the transaction, or kNone.
    std::uint32_t final_write(const Txn& x, std::uint32_t key) const {
        for (std::size_t i = x.mop_size; i-- > 0;) {
            const Mop& mop = h_.mops[x.mop_begin + i];
            if (mop.kind == MopKind::write && mop.key == key) return mop_index(x, i);
        }
        return kNone;
    }

    void register_edges() {
        // What each external read saw.
        for (const ExternalRead& e : external_reads_) {
            const Mop& read = h_.mops[e.mop];
            if (read.nil) continue;
            const std::uint32_t at = writes_.find(read.key, read.value);
            if (at == kNone) {
                report(Anomaly::garbage_read, [&](AnomalyReport& r) {
                    r.txns = {e.txn};
                    r.explanation = fmt::format("{} read key {} = {}, a value no transaction wrote", name(e.txn),
                                                h_.key_names[read.key], read.value);
                });
                continue;
            }
            WriteSlot& slot = writes_[at];
            slot.observed = true;
            if (slot.txn == e.txn) {
                report(Anomaly::internal, [&](AnomalyReport& r) {
                    r.txns = {e.txn};
                    r.explanation = fmt::format("{} read key {} = {} before it wrote that value itself (a future read)",
                                                name(e.txn), h_.key_names[read.key], read.value);
                });
                continue;
            }
            if (aborted(slot.txn)) {
                report(Anomaly::G1a, [&](AnomalyReport& r) {
                    r.txns = {slot.txn, e.txn};
                    r.explanation = fmt::format("{} read key {} = {}, written by {}, which failed (aborted)",
                                                name(e.txn), h_.key_names[read.key], read.value, name(slot.txn));
                });
                continue;
            }
            if (!slot.final_in_txn) {
                report(Anomaly::G1b, [&](AnomalyReport& r) {
                    r.txns = {slot.txn, e.txn};
                    r.explanation = fmt::format(
                        "{} read key {} = {}, which {} wrote and then overwrote within the same transaction: an "
                        "intermediate state",
                        name(e.txn), h_.key_names[read.key], read.value, name(slot.txn));
                });
            }
            graph_.add(slot.txn, e.txn, wr);
        }
        // Writes follow reads: a committed transaction that read v1 and then
        // wrote v2 to a key put v2 right after v1.
        for (const ExternalRead& e : external_reads_) {
            if (!e.then_writes) continue;
            const Mop& read = h_.mops[e.mop];
            const std::uint32_t w = final_write(txn(e.txn), read.key);
            FL_ASSERT_NE(w, kNone);
            if (!read.nil) writes_[writes_.find(read.key, h_.mops[w].value)].has_predecessor = true;
            if (!read.nil) version_edges_.push_back({read.key, read.value, h_.mops[w].value, e.txn});
        }
        std::sort(version_edges_.begin(), version_edges_.end());
        for (const VersionEdge& v : version_edges_) {
            const std::uint32_t from = writes_.find(v.key, v.from);
            if (from == kNone || aborted(writes_[from].txn) || writes_[from].txn == v.txn) continue;
            graph_.add(writes_[from].txn, v.txn, ww);
        }
        // The versions right after nil: those written by a committed
        // transaction (or one whose write was seen) with no known predecessor.
        roots_.assign(h_.key_names.size(), {});
        for (std::uint32_t t = 0; t < h_.txns.size(); ++t) {
            const Txn& x = txn(t);
            if (x.status == TxnStatus::fail) continue;
            for (std::size_t i = 0; i < x.mop_size; ++i) {
                const Mop& mop = h_.mops[x.mop_begin + i];
                if (mop.kind != MopKind::write) continue;
                const WriteSlot& slot = writes_[writes_.find(mop.key, mop.value)];
                if (!slot.final_in_txn || slot.has_predecessor) continue;
                if (x.status == TxnStatus::info && !slot.observed) continue;
                roots_[mop.key].push_back(t);
            }
        }
        // rw: a read of v1 comes before every write of a version right after v1.
        for (const ExternalRead& e : external_reads_) {
            const Mop& read = h_.mops[e.mop];
            if (read.nil) {
                for (std::uint32_t w : roots_[read.key]) {
                    if (w != e.txn) graph_.add(e.txn, w, rw);
                }
                continue;
            }
            const VersionEdge probe{read.key, read.value, 0, 0};
            auto [first, last] = std::equal_range(version_edges_.begin(), version_edges_.end(), probe);
            for (auto it = first; it != last; ++it) {
                if (it->txn != e.txn) graph_.add(e.txn, it->txn, rw);
            }
        }
    }

    // ---- Lost update: two committed transactions read the same version of a
    // key and both wrote it.

    void lost_updates() {
        struct Rmw {
            std::uint32_t key;
            std::int64_t version;  // list-append: the read's length; rw-register: the value (nil: min)
            std::uint32_t txn;
            bool operator<(const Rmw& o) const {
                return std::tie(key, version, txn) < std::tie(o.key, o.version, o.txn);
            }
        };
        std::vector<Rmw> rmws;
        for (const ExternalRead& e : external_reads_) {
            if (!e.then_writes) continue;
            const Mop& read = h_.mops[e.mop];
            if (h_.workload == Workload::list_append && bad_key_[read.key]) continue;
            std::int64_t version = h_.workload == Workload::list_append ? (read.nil ? 0 : read.read_size) : read.value;
            if (h_.workload == Workload::rw_register && read.nil) version = std::numeric_limits<std::int64_t>::min();
            rmws.push_back({read.key, version, e.txn});
        }
        std::sort(rmws.begin(), rmws.end());
        for (std::size_t i = 0; i < rmws.size();) {
            std::size_t j = i + 1;
            while (j < rmws.size() && rmws[j].key == rmws[i].key && rmws[j].version == rmws[i].version) ++j;
            if (j - i > 1) {
                report(Anomaly::lost_update, [&](AnomalyReport& r) {
                    for (std::size_t x = i; x < j; ++x) r.txns.push_back(rmws[x].txn);
                    const std::uint32_t mop = first_read_of(rmws[i].txn, rmws[i].key);
                    std::vector<std::string> names;
                    for (std::uint32_t t : r.txns) names.push_back(name(t));
                    r.explanation = fmt::format(
                        "{} all read key {} = {} and then wrote it: each write was made without "
                        "seeing the others, so all but one of them were lost",
                        fmt::join(names, ", "), h_.key_names[rmws[i].key], read_value_text(h_, h_.mops[mop]));
                });
            }
            i = j;
        }
    }

    std::uint32_t first_read_of(std::uint32_t t, std::uint32_t key) const {
        const Txn& x = txn(t);
        for (std::size_t i = 0; i < x.mop_size; ++i) {
            const Mop& mop = h_.mops[x.mop_begin + i];
            if (mop.key == key) return mop.kind == MopKind::read ? mop_index(x, i) : kNone;
        }
        return kNone;
    }

    // ---- Session and realtime order

    // A node of the graph: a transaction that committed or may have.
    bool in_graph(std::uint32_t t) const { return !aborted(t); }

    void process_edges() {
        std::unordered_map<std::int64_t, std::uint32_t> last_ok;
        for (std::uint32_t t = 0; t < h_.txns.size(); ++t) {
            if (!in_graph(t)) continue;
            auto [at, fresh] = last_ok.try_emplace(txn(t).process, t);
            if (!fresh) {
                if (txn(at->second).complete_position < txn(t).invoke_position) graph_.add(at->second, t, process);
            }
            if (committed(t)) at->second = t;
        }
    }

    // T1 -> T2 when T1 completed before T2 was invoked. Only the frontier is
    // linked: the transactions that completed and that no later-completed
    // transaction already follows; older ones are reached through it.
    void realtime_edges() {
        std::vector<std::uint32_t> completions;
        for (std::uint32_t t = 0; t < h_.txns.size(); ++t) {
            if (committed(t)) completions.push_back(t);
        }
        std::sort(completions.begin(), completions.end(), [&](std::uint32_t a, std::uint32_t b) {
            return txn(a).complete_position < txn(b).complete_position;
        });
        std::vector<std::uint32_t> frontier;
        std::vector<std::uint32_t> preds;  // each transaction's frontier when it was invoked
        std::vector<std::uint32_t> preds_of_begin(h_.txns.size(), 0), preds_of_size(h_.txns.size(), 0);
        std::vector<bool> superseded(h_.txns.size(), false);
        std::size_t next_invoke = 0;
        auto invoke = [&](std::uint32_t t) {
            if (!in_graph(t)) return;
            preds_of_begin[t] = static_cast<std::uint32_t>(preds.size());
            for (std::uint32_t f : frontier) {
                graph_.add(f, t, realtime);
                preds.push_back(f);
            }
            preds_of_size[t] = static_cast<std::uint32_t>(frontier.size());
        };
        for (std::uint32_t t : completions) {
            while (next_invoke < h_.txns.size() && h_.txns[next_invoke].invoke_position < txn(t).complete_position) {
                invoke(static_cast<std::uint32_t>(next_invoke++));
            }
            for (std::uint32_t i = 0; i < preds_of_size[t]; ++i) superseded[preds[preds_of_begin[t] + i]] = true;
            std::erase_if(frontier, [&](std::uint32_t f) { return superseded[f]; });
            frontier.push_back(t);
        }
        while (next_invoke < h_.txns.size()) invoke(static_cast<std::uint32_t>(next_invoke++));
    }

    // ---- Cycles

    void search_cycles() {
        if (search_mask_ == 0) return;
        const auto components = strongly_connected_components(graph_, search_mask_);
        result_.components = components.size();
        for (const auto& component : components) {
            result_.largest_component = std::max(result_.largest_component, component.size());
            std::array<bool, 15> found{};
            for (const CycleClass& cls : cycle_classes()) {
                const int a = static_cast<int>(cls.anomaly);
                if (!relevant_[a]) continue;
                // A cycle without session or realtime edges is trivially one
                // with them: report the variant only when it needs them.
                const int shape = a % 5, variant = a / 5;
                if ((variant >= 1 && found[shape]) || (variant == 2 && found[5 + shape])) continue;
                auto best = search_class(component, cls);
                if (best.cycle.empty()) continue;
                found[a] = true;
                report(cls.anomaly, [&](AnomalyReport& r) { describe_cycle(r, best); });
            }
        }
    }

    CycleSearch search_class(const std::vector<std::uint32_t>& component, const CycleClass& cls) {
        CycleSearch best;
        std::uint64_t budget = options_.cycle_search_budget;
        auto search_in = [&](std::span<const std::uint32_t> nodes) {
            CycleSearch found = shortest_cycle(graph_, nodes, cls, budget);
            budget -= std::min(budget, found.steps);
            result_.search_steps += found.steps;
            best.steps += found.steps;
            if (found.exhausted) {
                best.exhausted = true;
                result_.search_exhausted = true;
                if (relevant_[static_cast<int>(cls.anomaly)]) exhausted_relevant_ = true;
            }
            if (!found.cycle.empty() && (best.cycle.empty() || found.cycle.size() < best.cycle.size())) {
                best.cycle = std::move(found.cycle);
            }
        };
        if (cls.allowed == search_mask_) {
            search_in(component);
        } else {
            for (const auto& sub : strongly_connected_components(graph_, cls.allowed, component)) {
                if (budget == 0) {
                    best.exhausted = true;
                    exhausted_relevant_ = true;
                    break;
                }
                search_in(sub);
            }
        }
        return best;
    }

    void describe_cycle(AnomalyReport& r, const CycleSearch& found) {
        r.cycle = found.cycle;
        r.shortest = !found.exhausted;
        for (const CycleStep& step : found.cycle) {
            r.txns.push_back(step.from);
            r.steps.push_back(fmt::format("{} < {} because {} ({})", name(step.from), name(step.to), explain(step),
                                          edge_kind_name(step.kind)));
        }
        std::vector<std::string> names;
        for (std::uint32_t t : r.txns) names.push_back(name(t));
        names.push_back(name(r.txns.front()));
        r.explanation = fmt::format("a cycle of {} transactions: {}", r.txns.size(), fmt::join(names, " < "));
    }

    // Why an edge holds, in words (found again from the history: edges carry no
    // reasons, which would cost memory for every edge of a million transactions).
    std::string explain(const CycleStep& step) const {
        switch (step.kind) {
            case process:
                return fmt::format("{} completed before {} began, on the same process {}", name(step.from),
                                   name(step.to), txn(step.from).process);
            case realtime:
                return fmt::format("{} completed (op {}) before {} was invoked (op {})", name(step.from),
                                   complete_index(step.from), name(step.to), txn(step.to).index);
            default:
                return h_.workload == Workload::list_append ? explain_list(step) : explain_register(step);
        }
    }

    std::string complete_index(std::uint32_t t) const {
        const Txn& x = txn(t);
        // The completion's op index: the invocation's plus the distance
        // between their positions (op indices count every op, as positions do).
        return std::to_string(x.index + (x.complete_position - x.invoke_position));
    }

    std::string explain_list(const CycleStep& step) const {
        if (step.kind == ww) {
            for (const Mop& mop : h_.mops_of(txn(step.to))) {
                if (mop.kind != MopKind::append) continue;
                const WriteSlot& slot = writes_[writes_.find(mop.key, mop.value)];
                if (slot.version <= 0) continue;
                if (version_writer(mop.key, slot.version - 1) != step.from) continue;
                const std::int64_t before = h_.read_list(h_.mops[longest_[mop.key]])[slot.version - 1];
                return fmt::format("{} appended {} to key {} right after {}'s append of {}", name(step.to), mop.value,
                                   h_.key_names[mop.key], name(step.from), before);
            }
        }
        if (step.kind == wr) {
            for (const ExternalRead& e : reads_of(step.to)) {
                const Mop& read = h_.mops[e.mop];
                if (read.nil || read.read_size == 0) continue;
                if (version_writer(read.key, read.read_size - 1) != step.from) continue;
                return fmt::format("{} read key {} = {} which includes {}'s append of {}", name(step.to),
                                   h_.key_names[read.key], list_text(h_.read_list(read)), name(step.from),
                                   h_.read_list(read).back());
            }
        }
        if (step.kind == rw) {
            for (const ExternalRead& e : reads_of(step.from)) {
                const Mop& read = h_.mops[e.mop];
                const std::uint32_t m = read.nil ? 0 : read.read_size;
                if (m >= version_count(read.key) || version_writer(read.key, m) != step.to) continue;
                const std::int64_t next = h_.read_list(h_.mops[longest_[read.key]])[m];
                return fmt::format("{}'s read of key {} = {} did not see {}'s later append of {}", name(step.from),
                                   h_.key_names[read.key], read_value_text(h_, read), name(step.to), next);
            }
        }
        return "(no reason found)";
    }

    std::string explain_register(const CycleStep& step) const {
        if (step.kind == ww || step.kind == rw) {
            // Both come from writes-follow-reads in step.to: it read v1, then wrote v2.
            for (const ExternalRead& e : reads_of(step.to)) {
                if (!e.then_writes) continue;
                const Mop& read = h_.mops[e.mop];
                const Mop& write = h_.mops[final_write(txn(step.to), read.key)];
                if (step.kind == ww) {
                    if (read.nil) continue;
                    const std::uint32_t at = writes_.find(read.key, read.value);
                    if (at == kNone || writes_[at].txn != step.from) continue;
                    return fmt::format("{} read key {} = {} (written by {}) and then overwrote it with {}",
                                       name(step.to), h_.key_names[read.key], read.value, name(step.from), write.value);
                }
                for (const ExternalRead& mine : reads_of(step.from)) {
                    const Mop& seen = h_.mops[mine.mop];
                    if (seen.key != read.key || seen.nil || read.nil || seen.value != read.value) continue;
                    return fmt::format("{} read key {} = {}, which {} then overwrote with {}", name(step.from),
                                       h_.key_names[read.key], seen.value, name(step.to), write.value);
                }
            }
            if (step.kind == rw) {
                for (const ExternalRead& mine : reads_of(step.from)) {
                    const Mop& seen = h_.mops[mine.mop];
                    if (!seen.nil) continue;
                    const std::uint32_t w = final_write(txn(step.to), seen.key);
                    if (w == kNone) continue;
                    return fmt::format("{} read key {} = nil, the initial state, which {}'s write of {} replaced",
                                       name(step.from), h_.key_names[seen.key], name(step.to), h_.mops[w].value);
                }
            }
        }
        if (step.kind == wr) {
            for (const ExternalRead& e : reads_of(step.to)) {
                const Mop& read = h_.mops[e.mop];
                if (read.nil) continue;
                const std::uint32_t at = writes_.find(read.key, read.value);
                if (at == kNone || writes_[at].txn != step.from) continue;
                return fmt::format("{} read key {} = {}, written by {}", name(step.to), h_.key_names[read.key],
                                   read.value, name(step.from));
            }
        }
        return "(no reason found)";
    }

    std::span<const ExternalRead> reads_of(std::uint32_t t) const {
        // external_reads_ is in transaction order.
        auto first = std::lower_bound(external_reads_.begin(), external_reads_.end(), t,
                                      [](const ExternalRead& e, std::uint32_t x) { return e.txn < x; });
        auto last = std::upper_bound(first, external_reads_.end(), t,
                                     [](std::uint32_t x, const ExternalRead& e) { return x < e.txn; });
        return {first, last};
    }

    // ---- The verdict

    void decide() {
        std::array<bool, kModelCount> out{};
        bool invalid = false;
        for (int a = 0; a < kAnomalyCount; ++a) {
            if (result_.counts[a] == 0) continue;
            invalid = invalid || relevant_[a];
            for (Model m : models_ruled_out_by(static_cast<Anomaly>(a))) out[static_cast<int>(m)] = true;
        }
        for (int m = 0; m < kModelCount; ++m) {
            if (out[m]) result_.ruled_out.push_back(static_cast<Model>(m));
        }
        if (invalid) {
            result_.verdict = Verdict::invalid;
        } else if (exhausted_relevant_) {
            result_.verdict = Verdict::unknown;
            result_.unknown_reason = fmt::format(
                "a cycle search ran out of its budget ({} edges followed per component and anomaly; "
                "--cycle-search-budget) before deciding",
                options_.cycle_search_budget);
        } else {
            result_.verdict = Verdict::valid;
        }
    }

    const TxnHistory& h_;
    const IsolationOptions& options_;
    IsolationResult result_;
    WriteIndex writes_;
    DependencyGraph graph_;
    std::array<bool, kAnomalyCount> relevant_{};
    EdgeMask search_mask_ = 0;
    bool exhausted_relevant_ = false;
    std::vector<ExternalRead> external_reads_;
    mutable std::vector<std::uint32_t> mop_owner_;
    // list-append
    std::vector<std::uint32_t> longest_;  // per key: the mop of its longest committed read
    std::vector<std::uint32_t> version_begin_;
    std::vector<std::uint32_t> version_slot_;  // per key, per version: its WriteIndex slot (kNone: nobody wrote it)
    std::vector<bool> bad_key_;                // reads of the key are incompatible: no edges from it
    std::vector<std::uint32_t> first_aborted_, first_garbage_;
    // rw-register
    std::vector<VersionEdge> version_edges_;
    std::vector<std::vector<std::uint32_t>> roots_;
};

}  // namespace

Result<IsolationResult> check_isolation(const TxnHistory& history, const IsolationOptions& options) {
    if (options.models.empty()) return make_error(ErrorCode::invalid_argument, "no consistency model to check");
    return Checker(history, options).run();
}

}  // namespace faultline::check::txn
