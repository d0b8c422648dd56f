// `faultline report PATH`: draws a stored run's page again, or a sweep's, a
// scenario group's, or the index of a whole store.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "report/report.h"

namespace faultline::cli {

CommandAction add_report_command(CLI::App& app) {
    auto path = std::make_shared<std::string>("store");
    CLI::App* command = app.add_subcommand(
        "report", "Write report.html for a stored run, sweep or scenario group, or index.html for a store");
    command->footer(
        "PATH is a run directory (store/latest), a sweep's (store/sweeps/...), a scenario group's\n"
        "(store/scenarios/...), or a store, whose index.html lists every run, sweep and group in it.\n"
        "Every page opens offline: it fetches nothing.");
    command->add_option("PATH", *path, "A stored run, sweep, scenario group, or a store")->capture_default_str();
    return [path] {
        auto written = report::write_report(*path);
        if (!written) {
            print_error(written.error().message);
            return written.error().code == ErrorCode::io_error ? exit_runtime : exit_usage;
        }
        std::fprintf(stdout, "report       %s\n", written->c_str());
        return exit_valid;
    };
}

}  // namespace faultline::cli
