// Always-on assertions for broken invariants.
//
// A failed assertion is a bug in faultline (or in a protocol core): it prints the
// condition, its operands and the source location, then aborts. Unlike <cassert>,
// these stay on in release builds, because a simulator that silently continues
// past a broken invariant produces verdicts nobody should trust.
//
// Expected failures (bad input, I/O errors) are not assertions: return a Result.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace faultline::detail {

template <class T>
std::string describe_operand(const T& value) {
    if constexpr (requires(std::ostream & os) { os << value; }) {
        std::ostringstream out;
        out << value;
        return out.str();
    } else if constexpr (requires { value.value; }) {
        return describe_operand(value.value);
    } else {
        return "<unprintable>";
    }
}

[[noreturn]] inline void assertion_failed(const char* file, int line, const char* condition,
                                          const std::string& operands) {
    std::fprintf(stderr, "%s:%d: assertion failed: %s%s\n", file, line, condition, operands.c_str());
    std::fflush(stderr);
    std::abort();
}

}  // namespace faultline::detail

#define FL_ASSERT(condition)                                                           \
    do {                                                                               \
        if (!(condition)) [[unlikely]] {                                               \
            ::faultline::detail::assertion_failed(__FILE__, __LINE__, #condition, ""); \
        }                                                                              \
    } while (0)

#define FL_ASSERT_MSG(condition, message)                                               \
    do {                                                                                \
        if (!(condition)) [[unlikely]] {                                                \
            ::faultline::detail::assertion_failed(__FILE__, __LINE__, #condition,       \
                                                  std::string(" (") + (message) + ")"); \
        }                                                                               \
    } while (0)

#define FL_ASSERT_OP_(a, op, b)                                                                                      \
    do {                                                                                                             \
        /* By value: an operand like std::min(x, f()) refers to a temporary. */                                      \
        const auto fl_assert_a_ = (a);                                                                               \
        const auto fl_assert_b_ = (b);                                                                               \
        if (!(fl_assert_a_ op fl_assert_b_)) [[unlikely]] {                                                          \
            ::faultline::detail::assertion_failed(__FILE__, __LINE__, #a " " #op " " #b,                             \
                                                  " (" + ::faultline::detail::describe_operand(fl_assert_a_) +       \
                                                      " vs " + ::faultline::detail::describe_operand(fl_assert_b_) + \
                                                      ")");                                                          \
        }                                                                                                            \
    } while (0)

#define FL_ASSERT_EQ(a, b) FL_ASSERT_OP_(a, ==, b)
#define FL_ASSERT_NE(a, b) FL_ASSERT_OP_(a, !=, b)
#define FL_ASSERT_LT(a, b) FL_ASSERT_OP_(a, <, b)
#define FL_ASSERT_LE(a, b) FL_ASSERT_OP_(a, <=, b)
#define FL_ASSERT_GT(a, b) FL_ASSERT_OP_(a, >, b)
#define FL_ASSERT_GE(a, b) FL_ASSERT_OP_(a, >=, b)

// Marks a path that must never run.
#define FL_UNREACHABLE() ::faultline::detail::assertion_failed(__FILE__, __LINE__, "unreachable code reached", "")
