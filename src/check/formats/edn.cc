#include "check/formats/edn.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <limits>

namespace faultline::check::formats {

namespace {

constexpr int kMaxDepth = 200;

bool is_delimiter(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '(' || c == ')' ||
           c == '[' || c == ']' || c == '{' || c == '}' || c == '"' || c == ';';
}

}  // namespace

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

Status EdnReader::read_form(Json& out, int depth) {
    if (depth > kMaxDepth) return error_here("nesting too deep");
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
            if (text_[at_] == '_') {
                step();
                Json discarded;
                if (auto status = read_form(discarded, depth + 1); !status) return status;
                return read_form(out, depth);
            }
            // A tagged value: skip the tag symbol, keep the value.
            while (!at_end() && !is_delimiter(text_[at_])) step();
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

Status EdnReader::read_string(Json& out) {
    const int start_line = line_;
    step();  // opening quote
    std::string text;
    for (;;) {
        if (at_end()) {
            return make_error(ErrorCode::parse_error,
                              fmt::format("{}:{}: unterminated string (opened on line {})", line_,
                                          column_, start_line));
        }
        const char c = text_[at_];
        step();
        if (c == '"') break;
        if (c != '\\') {
            text += c;
            continue;
        }
        if (at_end()) continue;
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
            case 'u': {
                if (at_ + 4 > text_.size()) return error_here("bad \\u escape");
                unsigned code = 0;
                for (int k = 0; k < 4; ++k) {
                    const char h = text_[at_];
                    step();
                    code <<= 4;
                    if (h >= '0' && h <= '9')
                        code |= h - '0';
                    else if (h >= 'a' && h <= 'f')
                        code |= h - 'a' + 10;
                    else if (h >= 'A' && h <= 'F')
                        code |= h - 'A' + 10;
                    else
                        return error_here("bad \\u escape");
                }
                // UTF-8 encode (surrogate pairs are kept as two code points).
                if (code < 0x80) {
                    text += static_cast<char>(code);
                } else if (code < 0x800) {
                    text += static_cast<char>(0xc0 | (code >> 6));
                    text += static_cast<char>(0x80 | (code & 0x3f));
                } else {
                    text += static_cast<char>(0xe0 | (code >> 12));
                    text += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
                    text += static_cast<char>(0x80 | (code & 0x3f));
                }
                break;
            }
            default:
                text += e;
        }
    }
    out = std::move(text);
    return ok_status();
}

Status EdnReader::read_atom(Json& out) {
    const int line = line_, column = column_;
    const std::size_t start = at_;
    if (text_[at_] == '\\') {
        // A character literal: \a, \newline, \space.
        step();
        while (!at_end() && (!is_delimiter(text_[at_]) || at_ == start + 1)) step();
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
    const bool numeric =
        (first >= '0' && first <= '9') ||
        ((first == '-' || first == '+') && token.size() > 1 && token[1] >= '0' && token[1] <= '9');
    if (!numeric) {
        out = std::string(token);  // a symbol
        return ok_status();
    }
    std::string number(token);
    if (number.back() == 'N' || number.back() == 'M') number.pop_back();
    const bool is_float = number.find_first_of(".eE") != std::string::npos;
    if (number.find('/') != std::string::npos)
        return fail(fmt::format("ratios are not supported: {}", token));
    errno = 0;
    char* end = nullptr;
    if (is_float) {
        const double value = std::strtod(number.c_str(), &end);
        if (end != number.c_str() + number.size())
            return fail(fmt::format("bad number '{}'", token));
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
