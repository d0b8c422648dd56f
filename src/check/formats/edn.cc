#include "check/formats/edn.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <limits>

namespace faultline::check::formats {

namespace {

// Deeper than any history needs, shallow enough that the recursion fits the stack.
constexpr int kMaxDepth = 512;

bool is_delimiter(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '(' || c == ')' || c == '[' ||
           c == ']' || c == '{' || c == '}' || c == '"' || c == ';';
}

// The length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) that starts `text`, or 0 if none does.
std::size_t utf8_sequence_length(std::string_view text) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char first = byte(0);
    if (first < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;  // the range of the second byte
    if (first >= 0xc2 && first <= 0xdf) {
        length = 2;
    } else if (first >= 0xe0 && first <= 0xef) {
        length = 3;
        if (first == 0xe0) low = 0xa0;   // overlong
        if (first == 0xed) high = 0x9f;  // surrogates
    } else if (first >= 0xf0 && first <= 0xf4) {
        length = 4;
        if (first == 0xf0) low = 0x90;   // overlong
        if (first == 0xf4) high = 0x8f;  // above U+10FFFF
    } else {
        return 0;
    }
    if (text.size() < length) return 0;
    if (byte(1) < low || byte(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
    }
    return length;
}

void append_utf8(std::string& out, unsigned code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xc0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xe0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    }
}

}  // namespace

std::optional<std::size_t> invalid_utf8_at(std::string_view text) {
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t length = utf8_sequence_length(text.substr(at));
        if (length == 0) return at;
        at += length;
    }
    return std::nullopt;
}

Status EdnReader::check_utf8(std::size_t begin, int line, int column) const {
    const std::string_view token = text_.substr(begin, at_ - begin);
    const std::optional<std::size_t> bad = invalid_utf8_at(token);
    if (!bad) return ok_status();
    // Where the bad byte is: count from the token's start, as step() does.
    for (std::size_t i = 0; i < *bad; ++i) {
        if (token[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return make_error(ErrorCode::parse_error,
                      fmt::format("{}:{}: invalid UTF-8 (byte 0x{:02x}); histories must be UTF-8 text", line, column,
                                  static_cast<unsigned char>(token[*bad])));
}

void EdnReader::step() {
    if (text_[at_] == '\n') {
        ++line_;
        column_ = 1;
    } else {
        ++column_;
    }
    ++at_;
}

bool EdnReader::more() {
    while (!at_end()) {
        const char c = text_[at_];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\f') {
            step();
        } else if (c == ';') {
            while (!at_end() && text_[at_] != '\n') step();
        } else {
            return true;
        }
    }
    return false;
}

Error EdnReader::error_here(const std::string& message) const {
    return make_error(ErrorCode::parse_error, fmt::format("{}:{}: {}", line_, column_, message));
}

Status EdnReader::read(Json& out) {
    return read_form(out, 0);
}

Status EdnReader::skip_discarded() {
    return skip_discards(0);
}

Status EdnReader::skip_discards(int depth) {
    // A run of discards ("#_1 #_2 x") is read in this loop, not by recursion,
    // so its length cannot exhaust the stack; a discard inside a discard
    // ("#_ #_ 1 2 x") nests, and counts as depth.
    while (more() && text_[at_] == '#' && at_ + 1 < text_.size() && text_[at_ + 1] == '_') {
        step();
        step();
        Json discarded;
        if (auto status = read_form(discarded, depth + 1); !status) return status;
    }
    return ok_status();
}

Status EdnReader::read_form(Json& out, int depth) {
    if (depth > kMaxDepth) {
        return error_here(fmt::format("nesting too deep (more than {} levels)", kMaxDepth));
    }
    if (auto status = skip_discards(depth); !status) return status;
    if (!more()) return error_here("unexpected end of input");
    const char c = text_[at_];
    switch (c) {
        case '{':
            step();
            return read_collection(out, '}', true, depth);
        case '[':
            step();
            return read_collection(out, ']', false, depth);
        case '(':
            step();
            return read_collection(out, ')', false, depth);
        case '"':
            return read_string(out);
        case '}':
        case ']':
        case ')':
            return error_here(fmt::format("unexpected '{}'", c));
        case '#': {
            step();
            if (at_end()) return error_here("unexpected end of input after '#'");
            if (text_[at_] == '{') {
                step();
                return read_collection(out, '}', false, depth);
            }
            // A tagged value: skip the tag symbol, keep the value.
            const int line = line_, column = column_;
            const std::size_t tag = at_;
            while (!at_end() && !is_delimiter(text_[at_])) step();
            if (auto status = check_utf8(tag, line, column); !status) return status;
            return read_form(out, depth + 1);
        }
        default:
            return read_atom(out);
    }
}

Status EdnReader::read_collection(Json& out, char close, bool is_map, int depth) {
    out = is_map ? Json::object() : Json::array();
    const int open_line = line_;
    for (;;) {
        if (auto status = skip_discards(depth + 1); !status) return status;
        if (!more()) {
            return make_error(ErrorCode::parse_error,
                              fmt::format("{}:{}: unexpected end of input: '{}' opened on line {} "
                                          "is never closed",
                                          line_, column_,
                                          close == '}'   ? '{'
                                          : close == ']' ? '['
                                                         : '(',
                                          open_line));
        }
        if (text_[at_] == close) {
            step();
            return ok_status();
        }
        if (!is_map) {
            Json item;
            if (auto status = read_form(item, depth + 1); !status) return status;
            out.push_back(std::move(item));
            continue;
        }
        Json key, value;
        if (auto status = read_form(key, depth + 1); !status) return status;
        if (!more()) return error_here("unexpected end of input: a map key has no value");
        if (text_[at_] == close) return error_here("a map key has no value");
        if (auto status = read_form(value, depth + 1); !status) return status;
        out[key.is_string() ? key.get<std::string>() : key.dump()] = std::move(value);
    }
}

Result<unsigned> EdnReader::read_hex4() {
    if (at_ + 4 > text_.size()) return error_here("bad \\u escape");
    unsigned code = 0;
    for (int k = 0; k < 4; ++k) {
        const char h = text_[at_];
        code <<= 4;
        if (h >= '0' && h <= '9')
            code |= static_cast<unsigned>(h - '0');
        else if (h >= 'a' && h <= 'f')
            code |= static_cast<unsigned>(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            code |= static_cast<unsigned>(h - 'A' + 10);
        else
            return error_here("bad \\u escape");
        step();
    }
    return code;
}

Status EdnReader::read_string(Json& out) {
    const int start_line = line_, start_column = column_;
    const std::size_t start = at_;
    step();  // opening quote
    std::string text;
    for (;;) {
        if (at_end()) {
            return make_error(ErrorCode::parse_error, fmt::format("{}:{}: unterminated string (opened on line {})",
                                                                  line_, column_, start_line));
        }
        const char c = text_[at_];
        step();
        if (c == '"') break;
        if (c != '\\') {
            text += c;
            continue;
        }
        if (at_end()) continue;
        if (auto status = read_escape(text); !status) return status;
    }
    // Escapes are ASCII, so the literal's raw bytes are valid UTF-8 exactly
    // when the text they spell is (\u escapes were encoded above).
    if (auto status = check_utf8(start, start_line, start_column); !status) return status;
    out = std::move(text);
    return ok_status();
}

// After a backslash in a string: the escape's character, appended to `text`.
Status EdnReader::read_escape(std::string& text) {
    const char e = text_[at_];
    step();
    switch (e) {
        case 'n':
            text += '\n';
            break;
        case 't':
            text += '\t';
            break;
        case 'r':
            text += '\r';
            break;
        case 'b':
            text += '\b';
            break;
        case 'f':
            text += '\f';
            break;
        case '"':
            text += '"';
            break;
        case '\\':
            text += '\\';
            break;
        case 'u':
            return read_unicode_escape(text);
        default:
            text += e;
    }
    return ok_status();
}

// After `\u` in a string: the code point, appended to `text` as UTF-8.
Status EdnReader::read_unicode_escape(std::string& text) {
    auto code = read_hex4();
    if (!code) return code.error();
    // A surrogate pair (\ud83d\ude00) is one code point; a lone
    // surrogate is no character at all, and not valid UTF-8.
    if (*code >= 0xd800 && *code <= 0xdbff && at_ + 1 < text_.size() && text_[at_] == '\\' && text_[at_ + 1] == 'u') {
        step();
        step();
        auto low = read_hex4();
        if (!low) return low.error();
        if (*low < 0xdc00 || *low > 0xdfff) {
            return error_here("a \\u surrogate pair needs a low surrogate second");
        }
        append_utf8(text, 0x10000 + ((*code - 0xd800) << 10) + (*low - 0xdc00));
        return ok_status();
    }
    if (*code >= 0xd800 && *code <= 0xdfff) {
        return error_here(fmt::format("lone surrogate \\u{:04x} in a string", *code));
    }
    append_utf8(text, *code);
    return ok_status();
}

Status EdnReader::read_atom(Json& out) {
    const int line = line_, column = column_;
    const std::size_t start = at_;
    if (text_[at_] == '\\') {
        // A character literal: \a, \newline, \space.
        step();
        while (!at_end() && (!is_delimiter(text_[at_]) || at_ == start + 1)) step();
        if (auto status = check_utf8(start, line, column); !status) return status;
        std::string name(text_.substr(start + 1, at_ - start - 1));
        out = name == "newline" ? "\n" : name == "space" ? " " : name == "tab" ? "\t" : name;
        return ok_status();
    }
    while (!at_end() && !is_delimiter(text_[at_])) step();
    std::string_view token = text_.substr(start, at_ - start);
    auto fail = [&](const std::string& what) {
        return make_error(ErrorCode::parse_error, fmt::format("{}:{}: {}", line, column, what));
    };
    if (token.empty()) return fail("unexpected character");
    if (auto status = check_utf8(start, line, column); !status) return status;
    if (token == "nil") {
        out = nullptr;
        return ok_status();
    }
    if (token == "true" || token == "false") {
        out = token == "true";
        return ok_status();
    }
    if (token[0] == ':') {
        if (token.size() == 1) return fail("empty keyword");
        out = std::string(token.substr(1));
        return ok_status();
    }
    const char first = token[0];
    const bool numeric = (first >= '0' && first <= '9') ||
                         ((first == '-' || first == '+') && token.size() > 1 && token[1] >= '0' && token[1] <= '9');
    if (!numeric) {
        out = std::string(token);  // a symbol
        return ok_status();
    }
    std::string number(token);
    if (number.back() == 'N' || number.back() == 'M') number.pop_back();
    const bool is_float = number.find_first_of(".eE") != std::string::npos;
    if (number.find('/') != std::string::npos) return fail(fmt::format("ratios are not supported: {}", token));
    errno = 0;
    char* end = nullptr;
    if (is_float) {
        const double value = std::strtod(number.c_str(), &end);
        if (end != number.c_str() + number.size()) return fail(fmt::format("bad number '{}'", token));
        out = value;
        return ok_status();
    }
    const long long value = std::strtoll(number.c_str(), &end, 10);
    if (end != number.c_str() + number.size()) return fail(fmt::format("bad number '{}'", token));
    if (errno == ERANGE) return fail(fmt::format("integer out of range: {}", token));
    out = static_cast<std::int64_t>(value);
    return ok_status();
}

}  // namespace faultline::check::formats
