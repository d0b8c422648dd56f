// The phi-accrual failure detector (Hayashibara, Defago, Yared, Katayama, SRDS
// 2004), with the refinements Akka's cluster uses.
//
// Instead of a yes/no timeout it keeps the recent inter-arrival times of a
// peer's heartbeats, models the next arrival as normal with their mean and
// standard deviation, and reports phi = -log10(probability that a heartbeat
// arrives later than now). Phi grows the longer a heartbeat is overdue, faster
// when arrivals have been regular. Suspect when phi reaches a threshold: 8
// means about one wrong suspicion in 10^8 checks if the model held.
//
// Refinements: `acceptable_pause` is added to the mean, so a pause that long
// (a GC, a lost heartbeat) is expected; the deviation is at least `min_std`;
// and until real samples exist, `first_estimate` seeds the history. The normal
// CDF is the logistic approximation Akka uses (error < 1.5e-4).
//
// Sans-IO: the caller passes its own clock's time.
#pragma once

#include <cstddef>
#include <deque>

#include "base/time.h"

namespace faultline::protocols::detect {

struct PhiAccrualOptions {
    double threshold = 8.0;
    std::size_t max_samples = 1000;
    Nanos min_std = milliseconds(100);
    Nanos acceptable_pause = seconds(3);
    Nanos first_estimate = seconds(1);  // the expected heartbeat interval
};

class PhiAccrual {
  public:
    explicit PhiAccrual(PhiAccrualOptions options);

    // A heartbeat arrived at `now`.
    void heartbeat(Nanos now);
    // Suspicion level at `now`: 0 before the first heartbeat.
    double phi(Nanos now) const;
    bool suspects(Nanos now) const { return phi(now) >= options_.threshold; }
    const PhiAccrualOptions& options() const { return options_; }

  private:
    void add_sample(double interval_ns);

    PhiAccrualOptions options_;
    Nanos last_ = -1;  // -1: no heartbeat yet
    std::deque<double> samples_;
    double sum_ = 0;
    double sum_of_squares_ = 0;
};

}  // namespace faultline::protocols::detect
