#include <cstdio>
#include <string>

#include "cli/commands.h"

namespace faultline::cli {

void print_error(const std::string& message) {
    std::fprintf(stderr, "faultline: %s\n", message.c_str());
}

}  // namespace faultline::cli
