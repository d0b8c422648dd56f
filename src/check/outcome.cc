#include "check/outcome.h"

#include "base/assert.h"

namespace faultline::check {

const char* verdict_name(Verdict verdict) {
    switch (verdict) {
        case Verdict::valid:
            return "valid";
        case Verdict::invalid:
            return "invalid";
        case Verdict::unknown:
            return "unknown";
    }
    FL_UNREACHABLE();
}

Verdict combine(Verdict a, Verdict b) {
    if (a == Verdict::invalid || b == Verdict::invalid) return Verdict::invalid;
    if (a == Verdict::unknown || b == Verdict::unknown) return Verdict::unknown;
    return Verdict::valid;
}

}  // namespace faultline::check
