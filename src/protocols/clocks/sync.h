// Physical clock synchronisation against a reference: Cristian's algorithm
// and NTP's four-timestamp exchange, with NTP's discipline (Kleppmann's notes
// §3; RFC 5905 for the thresholds).
//
// Every `interval` the client asks the time server. With t1 its send time, t2
// and t3 the server's receive and send times, and t4 its receive time (t1 and
// t4 on the client's *corrected* clock):
//   ntp       delay d = (t4 - t1) - (t3 - t2),  offset = ((t2 - t1) + (t3 - t4)) / 2
//   cristian  delay d = t4 - t1,                offset = t3 + d / 2 - t4
//   naive     delay d = t4 - t1,                offset = t3 - t4  (the answer's
//             travel time ignored: the client sets its clock to the server's
//             reading as if it had arrived at once)
// The first two assume the two directions take equally long; whatever the
// split, their offset is wrong by at most d/2, reached when one direction
// takes all the time. The naive one is wrong by the whole return trip.
//
// Discipline (ntpd's defaults): |offset| < 125 ms is slewed, the correction
// fed in at most 500 ppm; 125 ms <= |offset| < 1000 s is stepped at once; at
// 1000 s or more the client panics and changes nothing (a clock that far out
// needs a person). The hardware clock (ctx.now()) is never touched: the client
// keeps a software correction and reads corrected() = now + correction, the
// way an OS clock sits on top of its oscillator.
//
// Sans-IO; each exchange is also reported to a SyncObserver, the simulator's
// measuring instrument, which knows the true offsets.
#pragma once

#include <cstdint>

#include "node/node.h"

namespace faultline::protocols::clocks {

enum class SyncMethod : std::uint8_t { ntp, cristian, naive };
const char* sync_method_name(SyncMethod method);

enum class SyncDecision : std::uint8_t { slew, step, panic };
const char* sync_decision_name(SyncDecision decision);

struct SyncOptions {
    SyncMethod method = SyncMethod::ntp;
    NodeId server;
    Nanos interval = seconds(30);
    double slew_max_ppm = 500;
    Nanos step_threshold = milliseconds(125);
    Nanos panic_threshold = seconds(1000);
};

struct TimeRequest final : Message {
    std::uint64_t sequence = 0;
    std::string_view type() const override { return "time-request"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48; }
    std::uint64_t digest() const override { return sequence; }
};

struct TimeReply final : Message {
    std::uint64_t sequence = 0;
    Nanos received = 0;  // t2, server clock
    Nanos sent = 0;      // t3, server clock
    std::string_view type() const override { return "time-reply"; }
    nlohmann::json to_json() const override;
    std::uint32_t size_bytes() const override { return 48; }
    std::uint64_t digest() const override { return sequence ^ static_cast<std::uint64_t>(sent); }
};

// One exchange: what the client measured, decided, and read at t4.
struct SyncSample {
    NodeId client;
    Nanos delay = 0;
    Nanos offset = 0;        // the estimate
    Nanos corrected_t4 = 0;  // the client's corrected clock when the reply arrived
    SyncDecision decision = SyncDecision::slew;
};

class SyncObserver {
  public:
    virtual ~SyncObserver() = default;
    virtual void sampled(const SyncSample& sample) = 0;
};

// The reference: answers with its own clock.
class TimeServer final : public Node {
  public:
    void start(Context&) override {}
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context&, TimerId, std::uint64_t) override {}
};

class SyncClient final : public Node {
  public:
    SyncClient(SyncOptions options, SyncObserver* observer = nullptr);
    void start(Context& ctx) override;
    void on_message(Context& ctx, const Envelope& envelope) override;
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override;

    // The corrected clock at hardware time `local`.
    Nanos corrected(Nanos local) const;

  private:
    SyncDecision apply(Nanos local, Nanos offset);

    SyncOptions options_;
    SyncObserver* observer_;
    std::uint64_t sequence_ = 0;
    std::uint64_t outstanding_ = 0;  // the request awaiting its answer (0: none)
    Nanos sent_at_ = 0;              // t1, corrected
    Nanos correction_ = 0;           // stepped, and slews already fed in
    Nanos slew_ = 0;                 // being fed in since slew_from_
    Nanos slew_from_ = 0;            // hardware time
};

}  // namespace faultline::protocols::clocks
