// Opening a report page in headless Chromium from a test (browser_check.py,
// over the DevTools protocol on a pipe) and reading what it saw: console
// errors, requests beyond the file, the elements found, the page's own render
// time, and a screenshot.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/json.h"

namespace faultline::testing {

struct PageView {
    int exit_code = -1;
    std::string output;  // what the helper printed (its JSON, or why it failed)
    Json seen;           // the JSON, or null
};

// Opens `page`, looks for each selector, and saves a screenshot at `screenshot`.
// When FAULTLINE_SCREENSHOT_DIR is set, the screenshot is copied there too.
inline PageView open_in_browser(const std::string& page, const std::string& screenshot,
                                const std::vector<std::string>& selectors) {
    std::string command = "python3 '" + std::string(FAULTLINE_SOURCE_DIR) + "/tests/report/browser_check.py' '" + page +
                          "' --screenshot '" + screenshot + "'";
    for (const std::string& selector : selectors) command += " --select '" + selector + "'";
    command += " 2>&1";
    PageView view;
    std::FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return view;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) view.output += buffer.data();
    const int status = pclose(pipe);
    view.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    view.seen = Json::parse(view.output, nullptr, false);
    if (view.seen.is_discarded()) view.seen = Json();
    if (const char* keep = std::getenv("FAULTLINE_SCREENSHOT_DIR"); keep != nullptr && view.exit_code == 0) {
        std::error_code ignored;
        std::filesystem::copy_file(screenshot,
                                   std::filesystem::path(keep) / std::filesystem::path(screenshot).filename(),
                                   std::filesystem::copy_options::overwrite_existing, ignored);
    }
    return view;
}

}  // namespace faultline::testing
