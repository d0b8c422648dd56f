#include "protocols/detect/phi_accrual.h"

#include <algorithm>
#include <cmath>

#include "base/assert.h"

namespace faultline::protocols::detect {

PhiAccrual::PhiAccrual(PhiAccrualOptions options) : options_(options) {
    FL_ASSERT_GT(options_.threshold, 0.0);
    FL_ASSERT_GE(options_.max_samples, 2u);
    FL_ASSERT_GT(options_.min_std, 0);
    FL_ASSERT_GE(options_.acceptable_pause, 0);
    FL_ASSERT_GT(options_.first_estimate, 0);
}

void PhiAccrual::add_sample(double interval_ns) {
    samples_.push_back(interval_ns);
    sum_ += interval_ns;
    sum_of_squares_ += interval_ns * interval_ns;
    if (samples_.size() > options_.max_samples) {
        sum_ -= samples_.front();
        sum_of_squares_ -= samples_.front() * samples_.front();
        samples_.pop_front();
    }
}

void PhiAccrual::heartbeat(Nanos now) {
    if (last_ < 0) {
        // Seed the history with the expected interval, give or take a quarter,
        // so the first real gap is judged against something.
        const auto estimate = static_cast<double>(options_.first_estimate);
        add_sample(estimate * 0.75);
        add_sample(estimate * 1.25);
    } else {
        FL_ASSERT_GE(now, last_);
        add_sample(static_cast<double>(now - last_));
    }
    last_ = now;
}

double PhiAccrual::phi(Nanos now) const {
    if (last_ < 0) return 0;
    const auto n = static_cast<double>(samples_.size());
    const double mean = sum_ / n;
    const double variance = std::max(0.0, sum_of_squares_ / n - mean * mean);
    const double deviation = std::max(std::sqrt(variance), static_cast<double>(options_.min_std));
    const double expected = mean + static_cast<double>(options_.acceptable_pause);
    const double overdue = static_cast<double>(now - last_);
    // P(a heartbeat comes later than `overdue`) = 1 - F(y), F the normal CDF
    // approximated as logistic(1.5976 y + 0.070566 y^3).
    const double y = (overdue - expected) / deviation;
    const double e = std::exp(-y * (1.5976 + 0.070566 * y * y));
    const double later = overdue > expected ? e / (1.0 + e) : 1.0 - 1.0 / (1.0 + e);
    // Beyond double precision the probability is 0: phi is as large as it gets.
    return later <= 0 ? 1e9 : -std::log10(later);
}

}  // namespace faultline::protocols::detect
