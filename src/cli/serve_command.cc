// `faultline serve`: one server of a built-in system as a real process, on
// loopback TCP with a real disk (realtime/server.h, docs/real-mode.md).
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "cli/commands.h"
#include "cli/options_cli.h"
#include "realtime/server.h"
#include "runner/system.h"

namespace faultline::cli {

CommandAction add_serve_command(CLI::App& app, const std::string& system) {
    struct Texts {
        std::string listen, client_listen, peers;
    };
    auto options = std::make_shared<realtime::ServeOptions>();
    auto texts = std::make_shared<Texts>();
    auto seed = std::make_shared<std::uint64_t>(0);
    CLI::App* serve = app.add_subcommand(
        "serve", "Run one server of a built-in system as a real process: peers and clients on loopback TCP");
    serve->add_option("--system", options->system, "The system (raft-kv)")->capture_default_str();
    serve->add_option("--id", options->id, "This node's name (n1)")->required();
    serve->add_option("--listen", texts->listen, "Where peers connect: 127.0.0.1:PORT")->required();
    serve->add_option("--client-listen", texts->client_listen, "Where clients connect (JSON lines): 127.0.0.1:PORT")
        ->required();
    serve->add_option("--peers", texts->peers,
                      "The other nodes and the address this node dials for each: n2=127.0.0.1:P2,n3=127.0.0.1:P3 "
                      "(none: a cluster of one)");
    serve
        ->add_option("--data-dir", options->data_dir,
                     "The node's folder (created); started again on it, the node recovers what it synced")
        ->required();
    serve->add_option("--seed", *seed, "Seed of the node's random stream (default: from its id and the clock)")
        ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()))
        ->each([options, seed](const std::string&) { options->seed = *seed; });
    const runner::SystemDescription* description = runner::find_system(system);
    if (description != nullptr && !description->bugs.empty()) {
        serve->add_option("--bug", options->bug, "Run a deliberately broken variant (see faultline test --help)");
    }
    if (description != nullptr && description->options != nullptr) {
        const runner::OptionSchema& own = *description->options;
        add_declared_options(*serve, own, own.defaults(), system + " options",
                             [options, &own](const runner::OptionInfo& info, const Json& value) -> Status {
                                 const Json one{{info.json_key(), value}};
                                 if (auto normalized = own.normalize(one); !normalized) return normalized.error();
                                 options->system_options[info.json_key()] = value;
                                 return ok_status();
                             });
    }
    return [options, texts, seed] {
        if (options->seed) options->seed = *seed;
        auto listen = realtime::parse_endpoint(texts->listen);
        auto client_listen = realtime::parse_endpoint(texts->client_listen);
        auto peers =
            texts->peers.empty()
                ? Result<std::map<std::string, realtime::Endpoint>>(std::map<std::string, realtime::Endpoint>())
                : realtime::parse_peers(texts->peers);
        for (const auto& [flag, parsed] :
             {std::pair{"--listen", listen ? ok_status() : Status(listen.error())},
              std::pair{"--client-listen", client_listen ? ok_status() : Status(client_listen.error())},
              std::pair{"--peers", peers ? ok_status() : Status(peers.error())}}) {
            if (!parsed) {
                print_error(std::string(flag) + ": " + parsed.error().message);
                return exit_usage;
            }
        }
        options->listen = *listen;
        options->client_listen = *client_listen;
        options->peers = *peers;
        if (auto ready = realtime::check_serve_options(*options); !ready) {
            print_error(ready.error().message);
            return exit_usage;
        }
        if (auto ran = realtime::run_server(*options); !ran) {
            print_error(ran.error().message);
            return exit_runtime;
        }
        return exit_valid;
    };
}

}  // namespace faultline::cli
