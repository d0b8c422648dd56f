// The report's stylesheet and the space-time diagram's script, kept as files
// of their own under src/report/assets/ and compiled in as strings
// (scripts/embed-assets.cmake), so every page carries them inline.
#pragma once

namespace faultline::report {

extern const char* const kReportCss;      // assets/report.css
extern const char* const kDiagramScript;  // assets/diagram.js

}  // namespace faultline::report
