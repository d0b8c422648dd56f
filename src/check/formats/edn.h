// EdnReader: a small reader for the subset of EDN that Jepsen histories use,
// producing JSON values.
//
// Supported: maps {k v}, vectors [..], lists (..), sets #{..} (as arrays),
// keywords (:invoke -> "invoke"; namespaced :a/b -> "a/b"), strings with
// escapes, integers (with an optional N suffix), floats (with an optional M
// suffix), nil, true, false, symbols (as strings), characters (\c, as strings),
// `;` comments, commas as whitespace, `#_` discard, and tagged values
// (#inst "...", #jepsen.history.Op{...}: the tag is dropped). Map keys become
// JSON object keys: a keyword or string as its name, anything else as its EDN
// text. Nesting is limited so hostile input cannot exhaust the stack.
//
// Errors are returned (never thrown) as "LINE:COLUMN: what was wrong".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"

namespace faultline::check::formats {

class EdnReader {
  public:
    explicit EdnReader(std::string_view text) : text_(text) {}

    // Skips whitespace, commas and comments; true if any text remains.
    bool more();
    // The next character after skipping (call more() first).
    char peek() const { return text_[at_]; }
    void advance() { step(); }
    int line() const { return line_; }
    int column() const { return column_; }

    // Reads one form into `out`.
    Status read(Json& out);

    // An error at the current position.
    Error error_here(const std::string& message) const;

  private:
    Status read_form(Json& out, int depth);
    Status read_collection(Json& out, char close, bool is_map, int depth);
    Status read_string(Json& out);
    Status read_atom(Json& out);
    void step();
    bool at_end() const { return at_ >= text_.size(); }

    std::string_view text_;
    std::size_t at_ = 0;
    int line_ = 1;
    int column_ = 1;
};

}  // namespace faultline::check::formats
