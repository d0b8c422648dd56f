// The lin-kv operations on etcd 3.4 through its JSON gateway (/v3/kv/...),
// with keys and values as base64: read (range, linearizable or serializable),
// write (put) and compare-and-swap (a txn comparing the value).
//
// Each outcome is what a Jepsen client would record: ok (it happened), fail
// (it certainly did not: refused before it was sent, a read that erred, a cas
// whose compare failed) or info (unknown: a write or cas without a reply).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace faultline::etcd {

std::string base64_encode(const std::string& bytes);
// Empty on malformed input.
std::optional<std::string> base64_decode(const std::string& text);

enum class Outcome { ok, fail, info };

struct OpResult {
    Outcome outcome = Outcome::info;
    std::optional<std::int64_t> value;  // a read's value; nothing: the key is missing
    int error = 0;                      // Maelstrom's codes: 20 key missing, 22 cas mismatch, 11 unavailable
    std::string message;                // what went wrong, for the log
};

class Client {
  public:
    Client(std::uint16_t port, std::chrono::milliseconds timeout) : port_(port), timeout_(timeout) {}
    OpResult read(const std::string& key, bool serializable) const;
    OpResult write(const std::string& key, std::int64_t value) const;
    OpResult cas(const std::string& key, std::int64_t from, std::int64_t to) const;

  private:
    std::uint16_t port_;
    std::chrono::milliseconds timeout_;
};

}  // namespace faultline::etcd
