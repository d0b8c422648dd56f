// The summary a seed sweep writes (`faultline test --seeds`, docs/formats.md
// "sweep.json"), read back by the tests that run sweeps as a user would.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace faultline::testing {

// The sweep.json of the one sweep under `store`/sweeps, and its folder if
// asked. A store with no sweep or several fails the test; a file that does
// not parse throws, which fails it too.
inline nlohmann::json only_sweep(const std::filesystem::path& store, std::filesystem::path* folder = nullptr) {
    nlohmann::json found;
    int count = 0;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(store / "sweeps", error)) {
        std::ifstream file(entry.path() / "sweep.json");
        found = nlohmann::json::parse(file);
        if (folder != nullptr) *folder = entry.path();
        ++count;
    }
    EXPECT_EQ(count, 1) << store;
    return found;
}

}  // namespace faultline::testing
