// The pieces every report page is made of: escaping, the page frame with its
// stylesheet, verdict badges, and numbers and times written for people.
//
// Pages are self-contained: the stylesheet and scripts are inlined, and
// nothing refers to another origin, so a page opens offline and from an
// archive of the store.
#pragma once

#include <string>
#include <string_view>

#include "base/json.h"
#include "base/time.h"

namespace faultline::report {

// Text made safe for HTML content and attribute values.
std::string escape(std::string_view text);

// A JSON value made safe inside a <script> element.
std::string script_json(const Json& value);

// A whole page: `title` in the head and as the heading, `body` after it,
// `script` (JavaScript, may be empty) at the end of the body.
std::string page(const std::string& title, const std::string& body, const std::string& script = "");

// A verdict as a coloured badge ("valid", "invalid", "unknown", or any word).
std::string verdict_badge(std::string_view verdict);

// "1.25 s", "830 ms", "12 µs": a duration rounded for reading.
std::string human_duration(Nanos t);
// "12.4 s" with one decimal (for times within a run).
std::string run_time(Nanos t);
// "1,234,567".
std::string grouped(std::int64_t value);

// Writes `text` to `path`.
bool write_page(const std::string& path, const std::string& text, std::string& error);

}  // namespace faultline::report
