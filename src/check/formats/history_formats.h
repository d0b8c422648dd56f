// Reading histories from files in the formats the linearizability checker
// accepts, with the semantics each format implies (models::Semantics):
//
//   jepsen-edn    Jepsen/Knossos EDN: a vector or list of op maps, or a bare
//                 stream of them ({:process 0, :type :invoke, :f :read,
//                 :value nil}). Ops of non-integer processes (:nemesis) are
//                 not client ops and are left out. A read completing with nil
//                 observed nothing (Knossos). Order: the file's.
//   porcupine-kv  Porcupine's kv test data: the same EDN, one map per line,
//                 with :key and get/put/append. Detected from the content.
//   jepsen-log    Jepsen log lines, as in Porcupine's etcd logs:
//                   INFO  jepsen.util - 4<TAB>:invoke<TAB>:cas<TAB>[1 2]
//                 (tabs or spaces). `:fail :cas` is a CAS that returned false;
//                 `:fail :read :timed-out` and `:info ... :timed-out` are
//                 timeouts (outcome unknown); a read of nil observed an absent
//                 value. Other log lines are ignored.
//   jsonl         faultline's history.jsonl (check/history.h), read as a run
//                 reads its own history (models::faultline_history_semantics):
//                 by time, stably; nil read values are values; Maelstrom's
//                 error codes 20 and 22 are observations. A process is a
//                 non-negative integer (others are errors, not dropped ops).
//
// Errors name the file and line: "h.edn:12: operation has no :type". Values
// must be UTF-8 text (see EdnReader); a directory is an error.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "check/history.h"
#include "check/linearizability/paired_history.h"
#include "check/models/model.h"

namespace faultline::check::formats {

enum class Format : std::uint8_t { jepsen_edn, porcupine_kv, jepsen_log, jsonl };

const char* format_name(Format format);
Result<Format> parse_format_name(std::string_view name);

struct ParsedHistory {
    std::string name;  // the file name, for messages
    Format format = Format::jepsen_edn;
    History history;
    models::Semantics semantics;
    // The line each op of `history` starts on.
    std::shared_ptr<std::vector<std::int32_t>> lines = std::make_shared<std::vector<std::int32_t>>();
    std::size_t skipped_ops = 0;  // non-client ops left out

    // "file:line" for a position in `history`, for error messages.
    lin::Locator locator() const;
};

// Guesses the format from the first bytes of the content.
Result<Format> detect_format(std::string_view content, const std::string& name);

Result<ParsedHistory> parse_history(std::string_view content, const std::string& name,
                                    std::optional<Format> format = std::nullopt);

Result<ParsedHistory> read_history_file(const std::string& path, std::optional<Format> format = std::nullopt);

// Infers a model from the operations' names (get/put/append: kv-append; txn:
// multi-register; acquire/release: mutex; enqueue/dequeue: fifo-queue; add
// with a collection read: set, with an integer read: counter; otherwise
// cas-register, or kv when ops have keys).
models::ModelKind infer_model(const History& history);

}  // namespace faultline::check::formats
