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
// text. Nesting (collections, tags, discards within discards) is limited to 512
// levels and a run of discards is read without recursion, so hostile input
// cannot exhaust the stack.
//
// Every string, keyword, symbol and character must be valid UTF-8 (a \u escape
// must not leave a lone surrogate): the values become JSON, which holds only
// Unicode text, and a history of bytes that are not text is rejected rather
// than silently altered. Comments are not values and are not checked.
//
// Errors are returned (never thrown) as "LINE:COLUMN: what was wrong".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"

namespace faultline::check::formats {

class EdnReader {
  public:
    // `line` and `column` are where `text` starts in its file, for messages
    // about text cut from the middle of a line (a Jepsen log's op).
    explicit EdnReader(std::string_view text, int line = 1, int column = 1)
        : text_(text), line_(line), column_(column) {}

    // Skips whitespace, commas and comments; true if any text remains.
    bool more();
    // The next character after skipping (call more() first).
    char peek() const { return text_[at_]; }
    void advance() { step(); }
    int line() const { return line_; }
    int column() const { return column_; }

    // Reads one form into `out` (skipping `#_` discarded forms before it).
    Status read(Json& out);
    // Skips whitespace, comments and `#_` discarded forms, so that peek()
    // shows what follows them (a closing bracket, say).
    Status skip_discarded();

    // An error at the current position.
    Error error_here(const std::string& message) const;

  private:
    Status read_form(Json& out, int depth);
    Status skip_discards(int depth);
    Result<unsigned> read_hex4();
    // An error if text_[begin, at_) (a token that starts at line:column) is not
    // valid UTF-8, naming the position of the first bad byte.
    Status check_utf8(std::size_t begin, int line, int column) const;
    Status read_collection(Json& out, char close, bool is_map, int depth);
    Status read_string(Json& out);
    Status read_escape(std::string& text);
    Status read_unicode_escape(std::string& text);
    Status read_atom(Json& out);
    void step();
    bool at_end() const { return at_ >= text_.size(); }

    std::string_view text_;
    std::size_t at_ = 0;
    int line_ = 1;
    int column_ = 1;
};

// The offset of the first byte of `text` that is not part of a valid UTF-8
// sequence (RFC 3629), or nullopt when all of it is valid.
std::optional<std::size_t> invalid_utf8_at(std::string_view text);

}  // namespace faultline::check::formats
