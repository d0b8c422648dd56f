// JSON for configs, results, traces and messages rendered for humans.
// nlohmann::json everywhere except hot read paths of large histories, where the
// checker uses simdjson. Include this only in .cc files or headers that need it:
// the library is heavy to compile.
#pragma once

#include <nlohmann/json.hpp>

namespace faultline {
using Json = nlohmann::json;
}
