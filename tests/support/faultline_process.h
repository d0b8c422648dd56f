// Running the faultline binary from a test, as a user would: the command's
// exit code and everything it printed, and a fresh folder of the test's own
// (mkdtemp), so two copies of the suite (two checkouts, ctest -j) never meet.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace faultline::testing {

struct Outcome {
    int exit_code = -1;      // -1 when the process did not exit normally
    bool signalled = false;  // killed by a signal (a crash, an abort)
    std::string output;      // stdout and stderr together
};

// Runs `faultline ARGUMENTS` through a shell. `prefix` goes before the binary
// ("timeout 60 "), `folder` is where it runs (empty: here).
inline Outcome run_faultline(const std::string& arguments, const std::string& prefix = "",
                             const std::string& folder = "") {
    const std::string command = (folder.empty() ? "" : "cd '" + folder + "' && ") + prefix +
                                std::string(FAULTLINE_BINARY) + " " + arguments + " 2>&1";
    Outcome outcome;
    std::FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return outcome;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) outcome.output += buffer.data();
    const int status = pclose(pipe);
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    // popen runs a shell, which reports its child's death by signal N as 128+N.
    outcome.signalled = WIFSIGNALED(status) || outcome.exit_code > 128;
    return outcome;
}

// The folders fresh_folder made, removed when the test binary exits, unless
// FAULTLINE_KEEP_TEST_FOLDERS is set (to look at what a failing test left).
class FreshFolders {
  public:
    static FreshFolders& instance() {
        static FreshFolders folders;
        return folders;
    }
    void add(const std::string& folder) { folders_.push_back(folder); }
    ~FreshFolders() {
        if (std::getenv("FAULTLINE_KEEP_TEST_FOLDERS") != nullptr) return;
        std::error_code ignored;
        for (const std::string& folder : folders_) std::filesystem::remove_all(folder, ignored);
    }

  private:
    std::vector<std::string> folders_;
};

// A fresh, empty folder under the system's temporary folder ("" if none could
// be made), removed when the test binary exits.
inline std::string fresh_folder(const std::string& name) {
    std::string pattern = (std::filesystem::temp_directory_path() / ("faultline-" + name + "-XXXXXX")).string();
    const char* made = mkdtemp(pattern.data());
    if (made == nullptr) return std::string();
    FreshFolders::instance().add(made);
    return std::string(made);
}

}  // namespace faultline::testing
