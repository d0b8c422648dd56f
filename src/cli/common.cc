#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "runner/store.h"

namespace faultline::cli {

void print_error(const std::string& message) {
    std::fprintf(stderr, "faultline: %s\n", message.c_str());
}

void add_trace_format_option(CLI::App& command, runner::TraceFormat& format) {
    command
        .add_option_function<std::string>(
            "--trace-format",
            [&format](const std::string& name) {
                auto parsed = runner::parse_trace_format(name);
                if (!parsed) throw CLI::ValidationError("--trace-format", parsed.error().message);
                format = *parsed;
            },
            "How the trace is written: binary (trace.bin.zst; `faultline trace DIR` prints it as JSON lines) or "
            "jsonl (trace.jsonl with every message body, as JSON lines; several times slower)")
        ->default_str("binary");
}

}  // namespace faultline::cli
