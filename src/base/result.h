// Result<T>: a value or an Error, for failures a caller is expected to handle.
//
// Shaped like C++23 std::expected so it can be swapped for it later: has_value(),
// value(), error(), operator*, operator->, explicit bool. An Error carries a code
// and a message written for the user ("scenario.toml:12: unknown partition shape
// 'halfs'"), never for the developer. Accessing the value of an error (or the error
// of a value) is a bug and asserts.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace faultline {

enum class ErrorCode {
    invalid_argument,  // bad user input: options, scenario files, histories
    parse_error,       // malformed file content
    io_error,          // the (real or simulated) disk failed
    not_found,         // a file, key or run that does not exist
    corruption,        // a checksum did not match
    disk_full,         // the simulated disk ran out of space
    unsupported,       // valid input we do not handle
    timeout,           // a budget ran out
    internal,          // a bug: an exception caught where it would have ended the process
};

struct Error {
    ErrorCode code;
    std::string message;
};

inline Error make_error(ErrorCode code, std::string message) {
    return Error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const { return storage_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        FL_ASSERT_MSG(has_value(), std::get<1>(storage_).message);
        return std::get<0>(storage_);
    }
    const T& value() const& {
        FL_ASSERT_MSG(has_value(), std::get<1>(storage_).message);
        return std::get<0>(storage_);
    }
    T&& value() && {
        FL_ASSERT_MSG(has_value(), std::get<1>(storage_).message);
        return std::get<0>(std::move(storage_));
    }
    const Error& error() const {
        FL_ASSERT(!has_value());
        return std::get<1>(storage_);
    }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

  private:
    std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), has_error_(true) {}

    bool has_value() const { return !has_error_; }
    explicit operator bool() const { return has_value(); }
    void value() const { FL_ASSERT_MSG(has_value(), error_.message); }
    const Error& error() const {
        FL_ASSERT(has_error_);
        return error_;
    }

  private:
    Error error_{};
    bool has_error_ = false;
};

using Status = Result<void>;

inline Status ok_status() {
    return Status();
}

}  // namespace faultline
