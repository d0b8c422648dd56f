#include "harness/stdio_node.h"

#include <fmt/format.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "base/hash.h"
#include "check/set_checker.h"
#include "harness/file_storage.h"
#include "harness/wire.h"
#include "node/node.h"
#include "node/wire_codec.h"
#include "runner/system.h"

namespace faultline::harness {

namespace {

using workload::Completion;

// The Maelstrom request types a client may send, as the OpRequest each becomes.
// The reply schema follows from the request's type (and, for read, whether it
// names a key: lin-kv's read does, broadcast's does not).
struct PendingRequest {
    std::string type;
    // A read's reply holds "messages" (broadcast's) or "value" (lin-kv's, a
    // counter's).
    bool reads_messages = false;
    Json body;               // as the client sent it
    bool forwarded = false;  // by another server, which the node named the leader
};

Nanos monotonic_now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The operations a system's generator produces: the ones its codec encodes.
std::set<std::string> operations_of(runner::System& system) {
    std::set<std::string> fs;
    Prng random(1);
    for (int i = 0; i < 256; ++i) fs.insert(system.next_op(random).f);
    return fs;
}

Result<std::unique_ptr<runner::System>> make_system(const StdioNodeOptions& options, int nodes) {
    runner::RunConfig config;
    config.system = options.system;
    config.system_options = options.system_options;
    config.nodes = nodes;
    auto system = runner::make_system(config);
    if (!system) return system.error();
    if ((*system)->codec() == nullptr) {
        return make_error(
            ErrorCode::unsupported,
            fmt::format("{} has no clients (no client codec), so it cannot run as a node", options.system));
    }
    return system;
}

// A node's Context that notes the first message to a server that no wire
// codec can carry, and otherwise passes everything through.
class CodecCheckingContext final : public Context {
  public:
    CodecCheckingContext(Context& inner, std::string& missing) : inner_(inner), missing_(missing) {}
    NodeId self() const override { return inner_.self(); }
    std::span<const NodeId> cluster() const override { return inner_.cluster(); }
    std::string_view name_of(NodeId node) const override { return inner_.name_of(node); }
    Nanos now() const override { return inner_.now(); }
    void send(NodeId to, MessagePtr message) override {
        const auto cluster = inner_.cluster();
        if (missing_.empty() && std::find(cluster.begin(), cluster.end(), to) != cluster.end() &&
            !encode_wire(*message)) {
            missing_ = std::string(message->type());
        }
        inner_.send(to, std::move(message));
    }
    TimerId set_timer(Nanos after, std::uint64_t tag) override { return inner_.set_timer(after, tag); }
    void cancel_timer(TimerId timer) override { inner_.cancel_timer(timer); }
    Prng& random() override { return inner_.random(); }
    Storage& storage() override { return inner_.storage(); }
    void log(std::string_view) override {}

  private:
    Context& inner_;
    std::string& missing_;
};

class CodecCheckingNode final : public Node {
  public:
    CodecCheckingNode(std::unique_ptr<Node> inner, std::string& missing)
        : inner_(std::move(inner)), missing_(missing) {}
    void start(Context& ctx) override {
        CodecCheckingContext checking(ctx, missing_);
        inner_->start(checking);
    }
    void recover(Context& ctx) override {
        CodecCheckingContext checking(ctx, missing_);
        inner_->recover(checking);
    }
    void on_message(Context& ctx, const Envelope& envelope) override {
        CodecCheckingContext checking(ctx, missing_);
        inner_->on_message(checking, envelope);
    }
    void on_timer(Context& ctx, TimerId timer, std::uint64_t tag) override {
        CodecCheckingContext checking(ctx, missing_);
        inner_->on_timer(checking, timer, tag);
    }

  private:
    std::unique_ptr<Node> inner_;
    std::string& missing_;
};

class IdleClient final : public Node {
  public:
    void start(Context&) override {}
    void on_message(Context&, const Envelope&) override {}
    void on_timer(Context&, TimerId, std::uint64_t) override {}
};

// Whether the system's servers send each other only messages with wire codecs:
// three of them run in a simulation for a few seconds, serving a few dozen of
// its generator's operations, and the first message without a codec is named.
Status check_wire_codecs(const StdioNodeOptions& options, runner::System& system, int nodes) {
    std::vector<sim::NodeFactory> factories;
    {
        sim::Simulation built(sim::SimulationOptions{});
        system.build(built, runner::RunConfig{
                                .system = options.system, .nodes = nodes, .system_options = options.system_options});
        for (NodeId server : built.servers()) factories.push_back(built.factory(server));
    }
    std::string missing;
    sim::Simulation simulation(sim::SimulationOptions{});
    std::vector<NodeId> servers;
    for (std::size_t i = 0; i < factories.size(); ++i) {
        servers.push_back(simulation.add_server(fmt::format("n{}", i), [&factories, &missing, i] {
            return std::make_unique<CodecCheckingNode>(factories[i](), missing);
        }));
    }
    const NodeId client = simulation.add_client("c0", [] { return std::make_unique<IdleClient>(); });
    simulation.set_node_logging(false);
    simulation.start();
    simulation.run_for(seconds(2));
    Prng random(1);
    for (std::uint64_t i = 1; i <= 30 && !servers.empty(); ++i) {
        const workload::OpRequest op = system.next_op(random);
        simulation.invoke(client, [&](Node&, Context& ctx) {
            ctx.send(servers[i % servers.size()],
                     system.codec()->encode(op, workload::RequestIds{.msg_id = i, .client = 1, .sequence = i}));
        });
        simulation.run_for(milliseconds(100));
    }
    simulation.run_for(seconds(2));
    if (!missing.empty()) {
        return make_error(ErrorCode::unsupported,
                          fmt::format("{} cannot run as a node: its servers send each other '{}' messages, which "
                                      "have no wire codec (node/wire_codec.h)",
                                      options.system, missing));
    }
    return ok_status();
}

class Host final : public Context {
  public:
    Host(StdioNodeOptions options, int in_fd, int out_fd, int log_fd)
        : options_(std::move(options)), in_fd_(in_fd), out_fd_(out_fd), log_fd_(log_fd) {}

    Status run();

    // Context.
    NodeId self() const override { return self_; }
    std::span<const NodeId> cluster() const override { return cluster_; }
    std::string_view name_of(NodeId node) const override { return names_.at(node.value); }
    Nanos now() const override { return monotonic_now(); }
    void send(NodeId to, MessagePtr message) override;
    TimerId set_timer(Nanos after, std::uint64_t tag) override;
    void cancel_timer(TimerId timer) override;
    Prng& random() override { return random_; }
    Storage& storage() override { return *storage_; }
    void log(std::string_view line) override;

  private:
    void handle_line(std::string_view line);
    void handle_init(const WireMessage& message);
    void handle_client(NodeId from, const Json& body, bool forwarded);
    void fire_due_timers();
    NodeId id_of(const std::string& name);
    void write_line(const std::string& dest, Json body);
    void reply(NodeId to, const Json& request, Json body);
    void reply_error(NodeId to, const Json& request, int code, std::string text);
    Json reply_body(const PendingRequest& request, const Completion& completion) const;
    void fail(Error error) {
        if (!error_) error_ = std::move(error);
    }

    StdioNodeOptions options_;
    int in_fd_;
    int out_fd_;
    int log_fd_;

    std::shared_ptr<const workload::ClientCodec> codec_;
    std::set<std::string> operations_;
    std::unique_ptr<Node> node_;
    std::optional<FileStorage> storage_;
    Prng random_{0};

    NodeId self_;
    std::vector<NodeId> cluster_;
    std::vector<std::string> names_;
    std::map<std::string, NodeId, std::less<>> ids_;

    TimerId next_timer_ = 1;
    std::map<std::pair<Nanos, TimerId>, std::uint64_t> timers_;  // by deadline
    std::map<TimerId, Nanos> deadlines_;
    std::map<std::pair<NodeId, std::uint64_t>, PendingRequest> pending_;  // by client and msg_id
    std::optional<Error> error_;
};

void Host::log(std::string_view line) {
    const std::string text = fmt::format("{}: {}\n", names_.empty() ? "node" : names_.at(self_.value), line);
    [[maybe_unused]] const ssize_t written = ::write(log_fd_, text.data(), text.size());
}

NodeId Host::id_of(const std::string& name) {
    if (auto found = ids_.find(name); found != ids_.end()) return found->second;
    const NodeId id(static_cast<std::uint32_t>(names_.size()));
    names_.push_back(name);
    ids_.emplace(name, id);
    return id;
}

void Host::write_line(const std::string& dest, Json body) {
    Json line{{"src", names_.at(self_.value)}, {"dest", dest}, {"body", std::move(body)}};
    std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
    text.push_back('\n');
    std::string_view rest = text;
    while (!rest.empty()) {
        const ssize_t written = ::write(out_fd_, rest.data(), rest.size());
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return fail(make_error(ErrorCode::io_error, "cannot write to stdout"));
        rest.remove_prefix(static_cast<std::size_t>(written));
    }
}

void Host::reply(NodeId to, const Json& request, Json body) {
    if (auto msg_id = request.find("msg_id"); msg_id != request.end()) body["in_reply_to"] = *msg_id;
    write_line(names_.at(to.value), std::move(body));
}

void Host::reply_error(NodeId to, const Json& request, int code, std::string text) {
    reply(to, request, Json{{"type", "error"}, {"code", code}, {"text", std::move(text)}});
}

void Host::send(NodeId to, MessagePtr message) {
    if (error_) return;
    if (to.value < cluster_.size()) {
        std::optional<Json> encoded = encode_wire(*message);
        if (!encoded) {
            return fail(make_error(ErrorCode::unsupported,
                                   fmt::format("{} sends '{}' messages between servers, which have no wire codec "
                                               "(node/wire_codec.h)",
                                               options_.system, message->type())));
        }
        return write_line(names_.at(to.value), Json{{"type", message->type()}, {"faultline", std::move(*encoded)}});
    }
    std::optional<workload::DecodedReply> decoded = codec_->decode(*message);
    if (!decoded)
        return log(
            fmt::format("dropped a '{}' message to {}: not a client reply", message->type(), names_.at(to.value)));
    auto pending = pending_.find({to, decoded->in_reply_to});
    if (pending == pending_.end()) {
        return log(fmt::format("dropped a reply to {}'s request {}, which is not outstanding", names_.at(to.value),
                               decoded->in_reply_to));
    }
    // "Not the leader, ask nX": the request goes to nX once, which answers the
    // client itself (a client takes its reply from any server), so clients that
    // pick servers at random still reach the leader.
    const Completion& completion = decoded->completion;
    if (completion.kind == Completion::Kind::retry && completion.target && *completion.target != self_ &&
        completion.target->value < cluster_.size() && !pending->second.forwarded) {
        Json forward{{"type", "forward"}, {"client", names_.at(to.value)}, {"request", pending->second.body}};
        pending_.erase(pending);
        return write_line(names_.at(completion.target->value), std::move(forward));
    }
    Json body = reply_body(pending->second, decoded->completion);
    body["in_reply_to"] = decoded->in_reply_to;
    pending_.erase(pending);
    write_line(names_.at(to.value), std::move(body));
}

Json Host::reply_body(const PendingRequest& request, const Completion& completion) const {
    const auto code_of = [](const Json& error, int otherwise) {
        return error.is_number_integer() ? error.get<int>() : otherwise;
    };
    switch (completion.kind) {
        case Completion::Kind::ok: {
            Json body{{"type", request.type + "_ok"}};
            if (request.type == "echo") body["echo"] = completion.value;
            // A set read is recorded compactly (check/set_checker.h); Maelstrom's wire has the list.
            if (request.type == "read") {
                body[request.reads_messages ? "messages" : "value"] =
                    request.reads_messages ? check::set_as_array(completion.value) : completion.value;
            }
            if (request.type == "txn") body["txn"] = completion.value;
            return body;
        }
        case Completion::Kind::fail: {
            const int code = code_of(completion.error, error_code::abort);
            return Json{{"type", "error"}, {"code", code}, {"text", error_code_info(code).name}};
        }
        case Completion::Kind::retry: {
            std::string text = "not the leader";
            if (completion.target) text += fmt::format(" (the leader is {})", names_.at(completion.target->value));
            return Json{{"type", "error"}, {"code", error_code::temporarily_unavailable}, {"text", text}};
        }
        case Completion::Kind::info: {
            int code = code_of(completion.error, error_code::crash);
            if (error_code_info(code).definite) code = error_code::crash;
            return Json{{"type", "error"}, {"code", code}, {"text", "the outcome is unknown"}};
        }
    }
    return Json();
}

TimerId Host::set_timer(Nanos after, std::uint64_t tag) {
    const TimerId id = next_timer_++;
    const Nanos deadline = now() + std::max<Nanos>(after, 0);
    timers_.emplace(std::pair{deadline, id}, tag);
    deadlines_.emplace(id, deadline);
    return id;
}

void Host::cancel_timer(TimerId timer) {
    auto found = deadlines_.find(timer);
    if (found == deadlines_.end()) return;
    timers_.erase({found->second, timer});
    deadlines_.erase(found);
}

void Host::fire_due_timers() {
    while (!error_ && !timers_.empty() && timers_.begin()->first.first <= now()) {
        const auto [key, tag] = *timers_.begin();
        timers_.erase(timers_.begin());
        deadlines_.erase(key.second);
        node_->on_timer(*this, key.second, tag);
    }
}

void Host::handle_init(const WireMessage& message) {
    const Json& body = message.body;
    if (node_ != nullptr) return reply(id_of(message.src), body, Json{{"type", "init_ok"}});
    auto node_id = body.find("node_id");
    auto node_ids = body.find("node_ids");
    std::set<std::string> distinct;
    bool well_formed = node_id != body.end() && node_id->is_string() && node_ids != body.end() &&
                       node_ids->is_array() && !node_ids->empty();
    for (std::size_t i = 0; well_formed && i < node_ids->size(); ++i) {
        well_formed = node_ids->at(i).is_string() && distinct.insert(node_ids->at(i).get<std::string>()).second;
    }
    // The node id names its folder under --data-dir: no way out of it.
    well_formed = well_formed && distinct.contains(node_id->get<std::string>()) &&
                  node_id->get<std::string>().find('/') == std::string::npos &&
                  !node_id->get<std::string>().starts_with(".");
    if (!well_formed) {
        // Nothing can run without a cluster to belong to.
        return fail(make_error(ErrorCode::invalid_argument,
                               "init needs a node_id among node_ids, a list of distinct names: " + body.dump()));
    }
    // The cluster takes NodeIds 0..N-1 in node_ids' order; names seen before
    // (the init client) move after them.
    std::vector<std::string> before = std::move(names_);
    names_.clear();
    ids_.clear();
    for (const Json& name : *node_ids) cluster_.push_back(id_of(name.get<std::string>()));
    const std::string me = node_id->get<std::string>();
    self_ = ids_.at(me);
    for (const std::string& name : before) id_of(name);
    const NodeId init_client = id_of(message.src);

    auto system = make_system(options_, static_cast<int>(cluster_.size()));
    if (!system) return fail(system.error());
    codec_ = (*system)->codec();
    operations_ = operations_of(**system);
    sim::NodeFactory factory;
    {
        // The system adds its servers to a simulation; this node is server i's.
        sim::Simulation simulation(sim::SimulationOptions{});
        (*system)->build(simulation, runner::RunConfig{.system = options_.system,
                                                       .nodes = static_cast<int>(cluster_.size()),
                                                       .system_options = options_.system_options});
        if (simulation.servers().size() != cluster_.size()) {
            return fail(make_error(ErrorCode::unsupported,
                                   fmt::format("{} builds {} servers for a cluster of {}", options_.system,
                                               simulation.servers().size(), cluster_.size())));
        }
        factory = simulation.factory(simulation.servers()[self_.value]);
    }

    std::string folder = options_.data_dir.empty() ? std::string() : options_.data_dir + "/" + me;
    if (folder.empty()) {
        std::string pattern = (std::filesystem::temp_directory_path() / ("faultline-node-" + me + "-XXXXXX")).string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            return fail(make_error(ErrorCode::io_error, "cannot make a folder under " + pattern));
        }
        folder = pattern;
    }
    auto storage = FileStorage::open(folder);
    if (!storage) return fail(storage.error());
    storage_.emplace(std::move(*storage));
    random_ = Prng(options_.seed.value_or(hash_string(me)));

    const bool recovering = !storage_->list().empty();
    log(fmt::format("{} node of {} servers, data in {}{}", options_.system, cluster_.size(), folder,
                    recovering ? ", recovering" : ""));
    node_ = factory();
    if (recovering) {
        node_->recover(*this);
    } else {
        node_->start(*this);
    }
    reply(init_client, body, Json{{"type", "init_ok"}});
}

void Host::handle_client(NodeId from, const Json& body, bool forwarded) {
    const std::string type = body.at("type").get<std::string>();
    if (type == "topology") return reply(from, body, Json{{"type", "topology_ok"}});
    auto msg_id = body.find("msg_id");
    if (msg_id == body.end() || !msg_id->is_number_unsigned()) {
        return log(fmt::format("ignored a '{}' request from {} without a msg_id", type, names_.at(from.value)));
    }
    auto integer = [&](const char* key) { return body.contains(key) && body.at(key).is_number_integer(); };
    workload::OpRequest op;
    PendingRequest pending{.type = type, .body = body, .forwarded = forwarded};
    bool well_formed = true;
    if (type == "echo") {
        op = {"echo", Json(), body.value("echo", Json())};
        well_formed = op.value.is_string();
    } else if (type == "read") {
        const bool keyed = body.contains("key");
        pending.reads_messages = !keyed && options_.system == "broadcast";
        op = {"read", keyed ? body.at("key") : Json(), Json()};
        well_formed = !keyed || integer("key");
    } else if (type == "write") {
        well_formed = integer("key") && integer("value");
        if (well_formed) op = {"write", body.at("key"), body.at("value")};
    } else if (type == "cas") {
        well_formed = integer("key") && integer("from") && integer("to");
        if (well_formed) op = {"cas", body.at("key"), Json::array({body.at("from"), body.at("to")})};
    } else if (type == "broadcast") {
        well_formed = integer("message");
        op = {"add", Json(), body.value("message", Json())};
    } else if (type == "txn") {
        // txn-list-append: [["r", k, null], ["append", k, v], ...]
        const Json& txn = body.contains("txn") ? body.at("txn") : Json();
        well_formed = txn.is_array() && !txn.empty();
        for (const Json& mop : well_formed ? txn : Json::array()) {
            well_formed = well_formed && mop.is_array() && mop.size() == 3 && mop[0].is_string() &&
                          mop[1].is_number_integer() && (mop[0] == "r" || mop[2].is_number_integer());
        }
        op = {"txn", Json(), txn};
    } else if (type == "add") {
        well_formed = integer("delta");  // g-counter, pn-counter
        op = {"add", Json(), body.value("delta", Json())};
    } else {
        return reply_error(from, body, error_code::not_supported,
                           fmt::format("{} does not serve '{}' requests", options_.system, type));
    }
    if (!well_formed) {
        return reply_error(from, body, error_code::malformed_request, "a malformed '" + type + "' request");
    }
    if (!operations_.contains(op.f)) {
        return reply_error(from, body, error_code::not_supported,
                           fmt::format("{} does not serve '{}' requests", options_.system, type));
    }
    // The client's session: its number (c12 is 12; 0 means none) and the
    // msg_id, which grows with every request it sends.
    const std::string& name = names_.at(from.value);
    std::uint64_t client = from.value;
    if (name.size() > 1 && name.find_first_not_of("0123456789", 1) == std::string::npos) {
        client = std::strtoull(name.c_str() + 1, nullptr, 10);
    }
    const std::uint64_t id = msg_id->get<std::uint64_t>();
    pending_[{from, id}] = pending;
    MessagePtr request = codec_->encode(op, workload::RequestIds{.msg_id = id, .client = client + 1, .sequence = id});
    node_->on_message(*this, Envelope{from, self_, std::move(request)});
}

void Host::handle_line(std::string_view line) {
    auto parsed = parse_wire_line(line);
    if (!parsed) return log("ignored a line: " + parsed.error().message);
    const std::string type = parsed->body.at("type").get<std::string>();
    if (type == "init") return handle_init(*parsed);
    if (node_ == nullptr) return log(fmt::format("ignored a '{}' from {} before init", type, parsed->src));
    const NodeId from = id_of(parsed->src);
    if (from.value < cluster_.size() && type == "forward") {
        const Json& body = parsed->body;
        auto client = body.find("client");
        auto request = body.find("request");
        if (client == body.end() || !client->is_string() || !client->get<std::string>().starts_with("c") ||
            request == body.end() || !request->is_object() || !request->contains("type") ||
            !request->at("type").is_string()) {
            return log("ignored a malformed forward from " + parsed->src);
        }
        return handle_client(id_of(client->get<std::string>()), *request, true);
    }
    if (from.value < cluster_.size()) {
        auto wire = parsed->body.find("faultline");
        if (wire == parsed->body.end())
            return log(fmt::format("ignored a '{}' from {}: no \"faultline\" member", type, parsed->src));
        auto message = decode_wire(type, *wire);
        if (!message) return log(fmt::format("ignored a message from {}: {}", parsed->src, message.error().message));
        return node_->on_message(*this, Envelope{from, self_, std::move(*message)});
    }
    if (parsed->src.starts_with("c")) return handle_client(from, parsed->body, false);
    log(fmt::format("ignored a '{}' from {}", type, parsed->src));
}

Status Host::run() {
    std::string buffer;
    char chunk[1 << 16];
    while (!error_) {
        int timeout_ms = -1;
        if (!timers_.empty()) {
            const Nanos wait = std::max<Nanos>(timers_.begin()->first.first - now(), 0);
            timeout_ms = static_cast<int>(std::min<Nanos>((wait + milliseconds(1) - 1) / milliseconds(1), 60'000));
        }
        pollfd in{in_fd_, POLLIN, 0};
        const int ready = ::poll(&in, 1, timeout_ms);
        if (ready < 0 && errno != EINTR) return make_error(ErrorCode::io_error, "cannot poll stdin");
        if (ready > 0) {
            const ssize_t got = ::read(in_fd_, chunk, sizeof chunk);
            if (got < 0 && errno != EINTR && errno != EAGAIN)
                return make_error(ErrorCode::io_error, "cannot read stdin");
            if (got == 0) break;  // stdin ended: the test is over
            if (got > 0) buffer.append(chunk, static_cast<std::size_t>(got));
            std::size_t start = 0;
            for (std::size_t end; !error_ && (end = buffer.find('\n', start)) != std::string::npos; start = end + 1) {
                handle_line(std::string_view(buffer).substr(start, end - start));
            }
            buffer.erase(0, start);
            if (buffer.size() > 2 * kWireLineMax) {
                log("dropped an endless line");
                buffer.clear();
            }
        }
        if (node_ != nullptr) fire_due_timers();
    }
    if (error_) return *error_;
    return ok_status();
}

}  // namespace

Status check_stdio_node(const StdioNodeOptions& options) {
    // Three servers, or one for a system that runs on one (the cluster's size
    // is init's to say; a size the system refuses fails there).
    int nodes = 3;
    auto system = make_system(options, nodes);
    if (!system && make_system(options, 1)) system = make_system(options, nodes = 1);
    if (!system) return system.error();
    return check_wire_codecs(options, **system, nodes);
}

Status run_stdio_node(const StdioNodeOptions& options, int in_fd, int out_fd, int log_fd) {
    Host host(options, in_fd, out_fd, log_fd);
    return host.run();
}

}  // namespace faultline::harness
