#include "report/html.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "report/assets.h"

namespace faultline::report {

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string script_json(const Json& value) {
    // "</script>" inside a string would end the element: JSON allows "<\/".
    std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
            out += "<\\/";
            ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string page(const std::string& title, const std::string& body, const std::string& script) {
    std::string out;
    out.reserve(body.size() + script.size() + 16384);
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    // Nothing may be fetched from anywhere: the page is whole in itself.
    out +=
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">\n";
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out += fmt::format("<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n", escape(title), kReportCss);
    out += fmt::format("<h1>{}</h1>\n", escape(title));
    out += body;
    if (!script.empty()) out += "<script>\n" + script + "\n</script>\n";
    out += "</body>\n</html>\n";
    return out;
}

std::string verdict_badge(std::string_view verdict) {
    const char* kind = verdict == "valid" ? "ok" : verdict == "invalid" ? "bad" : "unknown";
    return fmt::format("<span class=\"badge {}\">{}</span>", kind, escape(verdict));
}

std::string human_duration(Nanos t) {
    const double value = static_cast<double>(t);
    const double magnitude = std::abs(value);
    if (magnitude >= 1e9) return fmt::format("{:.3g} s", value / 1e9);
    if (magnitude >= 1e6) return fmt::format("{:.3g} ms", value / 1e6);
    if (magnitude >= 1e3) return fmt::format("{:.3g} µs", value / 1e3);
    return fmt::format("{} ns", t);
}

std::string run_time(Nanos t) {
    return fmt::format("{:.3f} s", static_cast<double>(t) / 1e9);
}

std::string grouped(std::int64_t value) {
    std::string digits = std::to_string(value < 0 ? -value : value);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return value < 0 ? "-" + out : out;
}

bool write_page(const std::string& path, const std::string& text, std::string& error) {
    std::ofstream out(path, std::ios::binary);
    if (!out) {
        error = path + ": cannot open for writing";
        return false;
    }
    out << text;
    out.flush();
    if (!out) {
        error = path + ": write failed";
        return false;
    }
    return true;
}

}  // namespace faultline::report
