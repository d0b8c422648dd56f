// `faultline proxy --config FILE`: the TCP fault proxy on its own, in front of
// any TCP service, driven over its HTTP control endpoint (docs/proxy.md).
// Runs until SIGINT or SIGTERM, then closes every link and exits 0.
#include <fmt/format.h>
#include <signal.h>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "proxy/config.h"
#include "proxy/proxy.h"

namespace faultline::cli {

namespace {

struct ProxyCommand {
    std::string config;
    std::string control;
};

int run_proxy(const ProxyCommand& command) {
    Result<proxy::ProxyConfig> config = proxy::load_proxy_config(command.config);
    if (!config) {
        print_error(config.error().message);
        return exit_usage;
    }
    if (!command.control.empty()) {
        Result<proxy::Address> control = proxy::parse_address(command.control);
        if (!control) {
            print_error("--control " + control.error().message);
            return exit_usage;
        }
        if (!proxy::is_loopback(*control)) {
            print_error(fmt::format("--control '{}' must be on loopback (127.0.0.1)", command.control));
            return exit_usage;
        }
        config->control = *control;
        for (std::size_t i = 0; i < config->links.size(); ++i) {
            const proxy::Address& listen = config->links[i].listen;
            if (listen.port != 0 && listen.port == control->port && listen.host == control->host) {
                print_error(fmt::format("--control '{}' is the listen address of link '{}' ({}:{})", command.control,
                                        config->links[i].name, command.config, config->link_lines[i]));
                return exit_usage;
            }
        }
    }
    // SIGINT and SIGTERM are taken by sigwait below, on this thread: blocked
    // before the loop's thread starts, so it inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    proxy::Proxy proxy(config->seed);
    for (std::size_t i = 0; i < config->links.size(); ++i) {
        Result<proxy::LinkInfo> link = proxy.add_link(config->links[i]);
        if (!link) {
            print_error(fmt::format("{}:{}: {}", command.config, config->link_lines[i], link.error().message));
            return exit_usage;
        }
        std::printf("link %s: %s -> %s\n", link->name.c_str(), link->listen.text().c_str(),
                    link->upstream.text().c_str());
    }
    Result<proxy::Address> control = proxy.serve_control(config->control);
    if (!control) {
        print_error(control.error().message);
        return exit_usage;
    }
    std::printf("control: http://%s/links (stop with Ctrl-C)\n", control->text().c_str());
    std::fflush(stdout);
    proxy.start();
    int received = 0;
    sigwait(&stop_signals, &received);
    proxy.stop();
    std::printf("stopped (%s)\n", received == SIGINT ? "SIGINT" : "SIGTERM");
    return exit_valid;
}

}  // namespace

CommandAction add_proxy_command(CLI::App& app) {
    auto command = std::make_shared<ProxyCommand>();
    CLI::App* sub =
        app.add_subcommand("proxy", "A TCP fault proxy in front of any TCP service (links from a TOML file)");
    sub->footer(
        "Faults are set at run time over HTTP on loopback, e.g.\n"
        "  curl -X POST localhost:8474/links/db/faults -d '{\"both\": {\"latency_us\": 20000}}'\n"
        "  curl -X DELETE localhost:8474/links/db/faults\n"
        "See docs/proxy.md for the config file, every fault and the bounds.");
    sub->add_option("--config", command->config, "The TOML file listing the links")->required();
    sub->add_option("--control", command->control,
                    "The control endpoint HOST:PORT, loopback only (overrides the file)");
    return [command] { return run_proxy(*command); };
}

}  // namespace faultline::cli
