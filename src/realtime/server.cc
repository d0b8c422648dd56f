#include "realtime/server.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <asio.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iterator>
#include <memory>
#include <vector>

#include "base/assert.h"
#include "base/hash.h"
#include "harness/file_storage.h"
#include "harness/wire.h"
#include "node/node.h"
#include "node/wire_codec.h"
#include "realtime/monotonic.h"
#include "runner/system.h"

namespace faultline::realtime {

namespace {

using asio::ip::tcp;
using workload::Completion;

// A frame larger than this is a broken peer, not a message.
constexpr std::uint32_t kFrameMax = 64u << 20;
// Bytes queued for one peer or client beyond which messages are dropped: a
// paused reader must not make this node grow without bound.
constexpr std::size_t kQueuedMax = 64u << 20;
constexpr Nanos kRedialMin = milliseconds(20);
constexpr Nanos kRedialMax = milliseconds(500);

// The cluster's names, sorted: NodeId i is names[i] on every node.
std::vector<std::string> cluster_names(const ServeOptions& options) {
    std::vector<std::string> names{options.id};
    for (const auto& [name, endpoint] : options.peers) names.push_back(name);
    std::sort(names.begin(), names.end());
    return names;
}

Result<std::unique_ptr<runner::System>> make_system(const ServeOptions& options, int nodes) {
    runner::RunConfig config;
    config.system = options.system;
    config.system_options = options.system_options;
    config.bug = options.bug;
    config.nodes = nodes;
    auto system = runner::make_system(config);
    if (!system) return system.error();
    if ((*system)->codec() == nullptr) {
        return make_error(ErrorCode::unsupported,
                          fmt::format("{} has no clients (no client codec), so it cannot serve", options.system));
    }
    return system;
}

// Storage whose sync() is deferred to the host's next flush (group commit).
class DeferredSyncStorage final : public Storage {
  public:
    explicit DeferredSyncStorage(harness::FileStorage inner) : inner_(std::move(inner)) {}
    Status write(std::string_view file, std::uint64_t offset, std::string_view data) override {
        return inner_.write(file, offset, data);
    }
    Status append(std::string_view file, std::string_view data) override { return inner_.append(file, data); }
    Status truncate(std::string_view file, std::uint64_t size) override { return inner_.truncate(file, size); }
    Status remove(std::string_view file) override { return inner_.remove(file); }
    Status sync() override {
        sync_wanted_ = true;
        return ok_status();
    }
    Result<std::string> read(std::string_view file) override { return inner_.read(file); }
    bool exists(std::string_view file) const override { return inner_.exists(file); }
    std::vector<std::string> list() const override { return inner_.list(); }

    bool sync_wanted() const { return sync_wanted_; }
    // The real sync that the calls since the last one asked for.
    Status sync_now() {
        sync_wanted_ = false;
        return inner_.sync();
    }

  private:
    harness::FileStorage inner_;
    bool sync_wanted_ = false;
};

// One peer this node dials.
struct Peer {
    Endpoint endpoint;
    std::shared_ptr<tcp::socket> socket;
    bool connected = false;
    bool writing = false;
    std::string queued;   // frames not yet handed to the socket
    std::string sending;  // frames the socket is writing
    Nanos backoff = kRedialMin;
    std::unique_ptr<asio::steady_timer> redial;
    std::uint64_t dropped = 0;
};

// One client connection: a session of its own.
struct ClientConn {
    explicit ClientConn(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    NodeId node;
    std::uint64_t session = 0;
    std::uint64_t next_request = 1;
    std::map<std::uint64_t, std::pair<Json, std::string>> pending;  // request -> (client's id, type)
    std::string input;
    std::string queued;
    std::string sending;
    bool writing = false;
    bool closed = false;
    char buffer[1 << 14];
};

// A connection a peer dialed: frames in.
struct PeerIn {
    explicit PeerIn(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::string input;
    char buffer[1 << 16];
};

class Host final : public Context {
  public:
    explicit Host(ServeOptions options) : options_(std::move(options)) {}
    Status run();

    NodeId self() const override { return self_; }
    std::span<const NodeId> cluster() const override { return cluster_; }
    std::string_view name_of(NodeId node) const override {
        if (node.value < names_.size()) return names_[node.value];
        auto found = client_names_.find(node.value);
        return found == client_names_.end() ? std::string_view("?") : std::string_view(found->second);
    }
    Nanos now() const override { return monotonic_now(); }
    void send(NodeId to, MessagePtr message) override { outbox_.emplace_back(to, std::move(message)); }
    TimerId set_timer(Nanos after, std::uint64_t tag) override;
    void cancel_timer(TimerId timer) override;
    Prng& random() override { return random_; }
    Storage& storage() override { return *storage_; }
    void log(std::string_view line) override;

  private:
    void after_input();
    void flush();
    void deliver(NodeId to, const MessagePtr& message);
    void dial(NodeId peer);
    void redial_later(NodeId peer);
    void write_peer(NodeId peer);
    void accept_peers();
    void read_peer(std::shared_ptr<PeerIn> in);
    void handle_frame(std::string_view frame);
    void accept_clients();
    void read_client(std::shared_ptr<ClientConn> conn);
    void handle_client_line(const std::shared_ptr<ClientConn>& conn, std::string_view line);
    void reply_client(const std::shared_ptr<ClientConn>& conn, Json body);
    void write_client(const std::shared_ptr<ClientConn>& conn);
    void close_client(const std::shared_ptr<ClientConn>& conn);
    Json reply_body(const std::string& type, const Completion& completion) const;
    void fail(Error error) {
        if (!error_) error_ = std::move(error);
        io_.stop();
    }

    ServeOptions options_;
    asio::io_context io_;
    tcp::acceptor peer_acceptor_{io_};
    tcp::acceptor client_acceptor_{io_};
    asio::signal_set signals_{io_, SIGTERM, SIGINT};

    std::shared_ptr<const workload::ClientCodec> codec_;
    std::unique_ptr<Node> node_;
    std::optional<DeferredSyncStorage> storage_;
    Prng random_{0};
    NodeId self_;
    std::vector<NodeId> cluster_;
    std::vector<std::string> names_;
    std::map<std::uint32_t, std::string> client_names_;
    std::vector<Peer> peers_;  // by NodeId; this node's slot is unused

    TimerId next_timer_ = 1;
    std::map<TimerId, std::unique_ptr<asio::steady_timer>> timers_;
    std::vector<std::pair<NodeId, MessagePtr>> outbox_;
    bool flush_posted_ = false;
    std::uint32_t next_client_ = 0;
    std::map<std::uint32_t, std::shared_ptr<ClientConn>> clients_;
    std::uint64_t session_base_ = 0;
    std::optional<Error> error_;
};

void Host::log(std::string_view line) {
    const std::string text =
        fmt::format("{:.6f} {}: {}\n", static_cast<double>(monotonic_now()) / 1e9, options_.id, line);
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, text.data(), text.size());
}

TimerId Host::set_timer(Nanos after, std::uint64_t tag) {
    const TimerId id = next_timer_++;
    auto timer = std::make_unique<asio::steady_timer>(io_, std::chrono::nanoseconds(std::max<Nanos>(after, 0)));
    timer->async_wait([this, id, tag](const asio::error_code& error) {
        if (error || timers_.erase(id) == 0) return;
        node_->on_timer(*this, id, tag);
        after_input();
    });
    timers_.emplace(id, std::move(timer));
    return id;
}

void Host::cancel_timer(TimerId timer) {
    auto found = timers_.find(timer);
    if (found == timers_.end()) return;
    found->second->cancel();
    // The handler still runs (aborted) and must not find the timer: erase now,
    // but keep the object alive until asio is done with it.
    asio::post(io_, [timer = std::shared_ptr<asio::steady_timer>(std::move(found->second))] {});
    timers_.erase(found);
}

// Every input ends here: the held messages leave at the next flush, which runs
// after whatever other inputs are ready now (they share its fsync).
void Host::after_input() {
    if (flush_posted_) return;
    flush_posted_ = true;
    asio::post(io_, [this] { flush(); });
}

void Host::flush() {
    flush_posted_ = false;
    if (storage_->sync_wanted()) {
        if (Status synced = storage_->sync_now(); !synced) {
            // Nothing that depends on the lost sync may leave: stop here.
            outbox_.clear();
            return fail(synced.error());
        }
    }
    std::vector<std::pair<NodeId, MessagePtr>> out;
    out.swap(outbox_);
    for (const auto& [to, message] : out) deliver(to, message);
}

void Host::deliver(NodeId to, const MessagePtr& message) {
    if (to.value < cluster_.size()) {
        FL_ASSERT_NE(to.value, self_.value);
        std::optional<Json> encoded = encode_wire(*message);
        if (!encoded) {
            return fail(make_error(ErrorCode::unsupported,
                                   fmt::format("{} sends '{}' messages between servers, which have no wire codec",
                                               options_.system, message->type())));
        }
        const std::string body = Json{{"from", options_.id}, {"type", message->type()}, {"faultline", *encoded}}.dump(
            -1, ' ', false, Json::error_handler_t::replace);
        Peer& peer = peers_[to.value];
        if (!peer.connected || peer.queued.size() + body.size() > kQueuedMax) {
            ++peer.dropped;
            return;
        }
        const auto size = static_cast<std::uint32_t>(body.size());
        const char header[4] = {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                                static_cast<char>(size >> 8), static_cast<char>(size)};
        peer.queued.append(header, 4);
        peer.queued += body;
        return write_peer(to);
    }
    auto conn = clients_.find(to.value);
    if (conn == clients_.end()) return;  // the client went away
    std::optional<workload::DecodedReply> decoded = codec_->decode(*message);
    if (!decoded) return log(fmt::format("dropped a '{}' message to a client: not a reply", message->type()));
    auto pending = conn->second->pending.find(decoded->in_reply_to);
    if (pending == conn->second->pending.end()) return;
    Json body = reply_body(pending->second.second, decoded->completion);
    body["id"] = pending->second.first;
    conn->second->pending.erase(pending);
    reply_client(conn->second, std::move(body));
}

Json Host::reply_body(const std::string& type, const Completion& completion) const {
    const auto code_of = [](const Json& error, int otherwise) {
        return error.is_number_integer() ? error.get<int>() : otherwise;
    };
    switch (completion.kind) {
        case Completion::Kind::ok: {
            Json body{{"type", type + "_ok"}};
            if (type == "read") body["value"] = completion.value;
            return body;
        }
        case Completion::Kind::fail: {
            const int code = code_of(completion.error, harness::error_code::abort);
            return Json{{"type", "error"}, {"code", code}, {"text", harness::error_code_info(code).name}};
        }
        case Completion::Kind::retry: {
            Json body{
                {"type", "error"}, {"code", harness::error_code::temporarily_unavailable}, {"text", "not the leader"}};
            if (completion.target && completion.target->value < names_.size()) {
                body["leader"] = names_[completion.target->value];
            }
            return body;
        }
        case Completion::Kind::info: {
            int code = code_of(completion.error, harness::error_code::crash);
            if (harness::error_code_info(code).definite) code = harness::error_code::crash;
            return Json{{"type", "error"}, {"code", code}, {"text", "the outcome is unknown"}};
        }
    }
    return Json();
}

void Host::dial(NodeId peer_id) {
    Peer& peer = peers_[peer_id.value];
    peer.connected = false;
    peer.writing = false;
    peer.queued.clear();
    peer.sending.clear();
    peer.socket = std::make_shared<tcp::socket>(io_);
    const tcp::endpoint target(asio::ip::make_address(peer.endpoint.host), peer.endpoint.port);
    auto socket = peer.socket;
    socket->async_connect(target, [this, peer_id, socket](const asio::error_code& error) {
        Peer& p = peers_[peer_id.value];
        if (p.socket != socket) return;
        if (error) return redial_later(peer_id);
        asio::error_code ignored;
        socket->set_option(tcp::no_delay(true), ignored);
        p.connected = true;
        p.backoff = kRedialMin;
        // Learn of a close: a dialed connection carries nothing back.
        auto sink = std::make_shared<std::array<char, 256>>();
        auto watch = std::make_shared<std::function<void()>>();
        *watch = [this, peer_id, socket, sink, watch] {
            socket->async_read_some(asio::buffer(*sink), [this, peer_id, socket, sink, watch](
                                                             const asio::error_code& read_error, std::size_t) {
                const bool current = peers_[peer_id.value].socket == socket;
                if (!current || read_error) {
                    *watch = nullptr;  // the handler holds itself: let it go
                    if (current) redial_later(peer_id);
                    return;
                }
                (*watch)();
            });
        };
        (*watch)();
    });
}

void Host::redial_later(NodeId peer_id) {
    Peer& peer = peers_[peer_id.value];
    if (peer.socket) {
        asio::error_code ignored;
        peer.socket->close(ignored);
        peer.socket.reset();
    }
    peer.connected = false;
    peer.redial = std::make_unique<asio::steady_timer>(io_, std::chrono::nanoseconds(peer.backoff));
    peer.backoff = std::min(peer.backoff * 2, kRedialMax);
    peer.redial->async_wait([this, peer_id](const asio::error_code& error) {
        if (!error) dial(peer_id);
    });
}

void Host::write_peer(NodeId peer_id) {
    Peer& peer = peers_[peer_id.value];
    if (peer.writing || peer.queued.empty() || !peer.connected) return;
    peer.writing = true;
    peer.sending.swap(peer.queued);
    auto socket = peer.socket;
    asio::async_write(*socket, asio::buffer(peer.sending),
                      [this, peer_id, socket](const asio::error_code& error, std::size_t) {
                          Peer& p = peers_[peer_id.value];
                          if (p.socket != socket) return;
                          p.writing = false;
                          p.sending.clear();
                          if (error) return redial_later(peer_id);
                          write_peer(peer_id);
                      });
}

void Host::accept_peers() {
    peer_acceptor_.async_accept([this](const asio::error_code& error, tcp::socket socket) {
        if (error == asio::error::operation_aborted) return;
        if (!error) {
            asio::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            read_peer(std::make_shared<PeerIn>(std::move(socket)));
        }
        accept_peers();
    });
}

void Host::read_peer(std::shared_ptr<PeerIn> in) {
    in->socket.async_read_some(asio::buffer(in->buffer), [this, in](const asio::error_code& error, std::size_t got) {
        if (error) return;  // the peer went away; it dials again
        in->input.append(in->buffer, got);
        std::size_t start = 0;
        while (in->input.size() - start >= 4) {
            const auto* bytes = reinterpret_cast<const unsigned char*>(in->input.data() + start);
            const std::uint32_t size = std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
                                       std::uint32_t{bytes[2]} << 8 | std::uint32_t{bytes[3]};
            if (size > kFrameMax) {
                log(fmt::format("closed a peer connection that sent a frame of {} bytes", size));
                asio::error_code ignored;
                in->socket.close(ignored);
                return;
            }
            if (in->input.size() - start - 4 < size) break;
            handle_frame(std::string_view(in->input).substr(start + 4, size));
            start += 4 + size;
        }
        in->input.erase(0, start);
        if (error_) return;
        read_peer(in);
    });
}

void Host::handle_frame(std::string_view frame) {
    const Json json = Json::parse(frame, nullptr, false);
    if (!json.is_object() || !json.contains("from") || !json["from"].is_string() || !json.contains("type") ||
        !json["type"].is_string() || !json.contains("faultline")) {
        return log("ignored a malformed peer frame");
    }
    const std::string from = json["from"].get<std::string>();
    const auto at = std::lower_bound(names_.begin(), names_.end(), from);
    if (at == names_.end() || *at != from || from == options_.id) {
        return log(fmt::format("ignored a frame from '{}', not a peer", from));
    }
    auto message = decode_wire(json["type"].get<std::string>(), json["faultline"]);
    if (!message) return log(fmt::format("ignored a message from {}: {}", from, message.error().message));
    const NodeId sender(static_cast<std::uint32_t>(at - names_.begin()));
    node_->on_message(*this, Envelope{sender, self_, std::move(*message)});
    after_input();
}

void Host::accept_clients() {
    client_acceptor_.async_accept([this](const asio::error_code& error, tcp::socket socket) {
        if (error == asio::error::operation_aborted) return;
        if (!error) {
            asio::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            auto conn = std::make_shared<ClientConn>(std::move(socket));
            const std::uint32_t number = ++next_client_;
            conn->node = NodeId(static_cast<std::uint32_t>(cluster_.size()) + number);
            // Sessions live in the replicated state: a new connection, to this
            // node or another, after a restart or not, must not reuse one.
            conn->session = hash_words({session_base_, number}) | 1;
            client_names_[conn->node.value] = fmt::format("c{}", number);
            clients_[conn->node.value] = conn;
            read_client(conn);
        }
        accept_clients();
    });
}

void Host::read_client(std::shared_ptr<ClientConn> conn) {
    conn->socket.async_read_some(
        asio::buffer(conn->buffer), [this, conn](const asio::error_code& error, std::size_t got) {
            if (error) return close_client(conn);
            conn->input.append(conn->buffer, got);
            std::size_t start = 0;
            for (std::size_t end; !conn->closed && (end = conn->input.find('\n', start)) != std::string::npos;
                 start = end + 1) {
                handle_client_line(conn, std::string_view(conn->input).substr(start, end - start));
            }
            conn->input.erase(0, start);
            if (conn->input.size() > harness::kWireLineMax) {
                reply_client(conn, Json{{"id", nullptr},
                                        {"type", "error"},
                                        {"code", harness::error_code::malformed_request},
                                        {"text", "a line longer than the limit"}});
                conn->input.clear();
            }
            if (!conn->closed && !error_) read_client(conn);
        });
}

void Host::handle_client_line(const std::shared_ptr<ClientConn>& conn, std::string_view line) {
    if (line.empty() || line == "\r") return;
    const Json body = Json::parse(line, nullptr, false);
    const Json id = body.is_object() && body.contains("id") ? body["id"] : Json();
    const auto refuse = [&](int code, std::string text) {
        reply_client(conn, Json{{"id", id}, {"type", "error"}, {"code", code}, {"text", std::move(text)}});
    };
    if (!body.is_object() || !id.is_number_integer() || !body.contains("type") || !body["type"].is_string()) {
        return refuse(harness::error_code::malformed_request,
                      "a request is a JSON object with an integer \"id\" and a \"type\"");
    }
    const std::string type = body["type"].get<std::string>();
    auto integer = [&](const char* key) { return body.contains(key) && body[key].is_number_integer(); };
    workload::OpRequest op;
    if (type == "read" && integer("key")) {
        op = {"read", body["key"], Json()};
    } else if (type == "write" && integer("key") && integer("value")) {
        op = {"write", body["key"], body["value"]};
    } else if (type == "cas" && integer("key") && integer("from") && integer("to")) {
        op = {"cas", body["key"], Json::array({body["from"], body["to"]})};
    } else if (type == "read" || type == "write" || type == "cas") {
        return refuse(harness::error_code::malformed_request,
                      fmt::format("a malformed '{}' request: keys and values are integers", type));
    } else {
        return refuse(harness::error_code::not_supported,
                      fmt::format("'{}' is not a request: read, write or cas", type));
    }
    const std::uint64_t request = conn->next_request++;
    conn->pending[request] = {id, type};
    MessagePtr message =
        codec_->encode(op, workload::RequestIds{.msg_id = request, .client = conn->session, .sequence = request});
    node_->on_message(*this, Envelope{conn->node, self_, std::move(message)});
    after_input();
}

void Host::reply_client(const std::shared_ptr<ClientConn>& conn, Json body) {
    if (conn->closed) return;
    std::string text = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    text.push_back('\n');
    if (conn->queued.size() + text.size() > kQueuedMax) return close_client(conn);
    conn->queued += text;
    write_client(conn);
}

void Host::write_client(const std::shared_ptr<ClientConn>& conn) {
    if (conn->writing || conn->queued.empty() || conn->closed) return;
    conn->writing = true;
    conn->sending.swap(conn->queued);
    asio::async_write(conn->socket, asio::buffer(conn->sending),
                      [this, conn](const asio::error_code& error, std::size_t) {
                          conn->writing = false;
                          conn->sending.clear();
                          if (error) return close_client(conn);
                          write_client(conn);
                      });
}

void Host::close_client(const std::shared_ptr<ClientConn>& conn) {
    if (conn->closed) return;
    conn->closed = true;
    asio::error_code ignored;
    conn->socket.close(ignored);
    clients_.erase(conn->node.value);
    client_names_.erase(conn->node.value);
}

Status Host::run() {
    names_ = cluster_names(options_);
    auto system = make_system(options_, static_cast<int>(names_.size()));
    if (!system) return system.error();
    codec_ = (*system)->codec();
    sim::NodeFactory factory;
    {
        // The system adds its servers to a simulation; this node is the
        // server with its index. The simulation only builds the factory.
        runner::RunConfig config;
        config.system = options_.system;
        config.system_options = options_.system_options;
        config.bug = options_.bug;
        config.nodes = static_cast<int>(names_.size());
        sim::Simulation simulation(sim::SimulationOptions{});
        (*system)->build(simulation, config);
        if (simulation.servers().size() != names_.size()) {
            return make_error(ErrorCode::unsupported,
                              fmt::format("{} builds {} servers for a cluster of {}", options_.system,
                                          simulation.servers().size(), names_.size()));
        }
        const auto at = std::find(names_.begin(), names_.end(), options_.id) - names_.begin();
        self_ = NodeId(static_cast<std::uint32_t>(at));
        factory = simulation.factory(simulation.servers()[self_.value]);
    }
    for (std::size_t i = 0; i < names_.size(); ++i) cluster_.push_back(NodeId(static_cast<std::uint32_t>(i)));

    auto storage = harness::FileStorage::open(options_.data_dir);
    if (!storage) return storage.error();
    storage_.emplace(std::move(*storage));
    session_base_ = hash_words({hash_string(options_.id), static_cast<std::uint64_t>(::getpid()),
                                static_cast<std::uint64_t>(monotonic_now())});
    random_ = Prng(options_.seed.value_or(session_base_));

    const auto open = [this](tcp::acceptor& acceptor, const Endpoint& endpoint, const char* what) -> Status {
        asio::error_code error;
        const tcp::endpoint at(asio::ip::make_address(endpoint.host, error), endpoint.port);
        if (!error) acceptor.open(at.protocol(), error);
        if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
        if (!error) acceptor.bind(at, error);
        if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
        if (error) {
            return make_error(ErrorCode::io_error,
                              fmt::format("cannot listen for {} on {}: {}", what, endpoint.text(), error.message()));
        }
        return ok_status();
    };
    if (Status opened = open(peer_acceptor_, options_.listen, "peers"); !opened) return opened;
    if (Status opened = open(client_acceptor_, options_.client_listen, "clients"); !opened) return opened;
    std::signal(SIGPIPE, SIG_IGN);
    signals_.async_wait([this](const asio::error_code& error, int) {
        if (error) return;
        log("stopping");
        flush();
        io_.stop();
    });

    peers_.resize(names_.size());
    for (std::size_t i = 0; i < names_.size(); ++i) {
        if (NodeId(static_cast<std::uint32_t>(i)) == self_) continue;
        peers_[i].endpoint = options_.peers.at(names_[i]);
    }

    const bool recovering = !storage_->list().empty();
    log(fmt::format("{} node of {} servers, peers on {}, clients on {}, data in {}{}", options_.system, names_.size(),
                    options_.listen.text(), options_.client_listen.text(), options_.data_dir,
                    recovering ? ", recovering" : ""));
    node_ = factory();
    if (recovering) {
        node_->recover(*this);
    } else {
        node_->start(*this);
    }
    after_input();
    for (std::size_t i = 0; i < names_.size(); ++i) {
        if (NodeId(static_cast<std::uint32_t>(i)) != self_) dial(NodeId(static_cast<std::uint32_t>(i)));
    }
    accept_peers();
    accept_clients();
    io_.run();
    if (error_) return *error_;
    return ok_status();
}

}  // namespace

Status check_serve_options(const ServeOptions& options) {
    // The client protocol is lin-kv's, and raft-kv is the system whose
    // messages all have wire codecs and whose servers keep a disk.
    if (options.system != "raft-kv") {
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("serve runs raft-kv (its client protocol is lin-kv's), not '{}'", options.system));
    }
    if (!valid_node_name(options.id)) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("--id '{}' must be 1 to 32 letters, digits, '-' or '_'", options.id));
    }
    if (options.peers.contains(options.id)) {
        return make_error(ErrorCode::invalid_argument, fmt::format("--peers names this node ({}) itself", options.id));
    }
    if (options.data_dir.empty()) return make_error(ErrorCode::invalid_argument, "--data-dir is required");
    const auto same = [](const Endpoint& a, const Endpoint& b) { return a.host == b.host && a.port == b.port; };
    if (same(options.listen, options.client_listen)) {
        return make_error(ErrorCode::invalid_argument, "--listen and --client-listen must differ");
    }
    // A peer at this node's own address would be this node answering as
    // another, and two peers at one address one node counted twice: either
    // makes the quorum a lie.
    for (auto peer = options.peers.begin(); peer != options.peers.end(); ++peer) {
        if (same(peer->second, options.listen) || same(peer->second, options.client_listen)) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("--peers: {} is at {}:{}, this node's own --listen or --client-listen",
                                          peer->first, peer->second.host, peer->second.port));
        }
        for (auto other = std::next(peer); other != options.peers.end(); ++other) {
            if (same(peer->second, other->second)) {
                return make_error(ErrorCode::invalid_argument,
                                  fmt::format("--peers: {} and {} are both at {}:{}", peer->first, other->first,
                                              peer->second.host, peer->second.port));
            }
        }
    }
    // The folder must be one the node can keep its state in: made here, so
    // that a file in the way or a folder it cannot write is this flag's
    // error, before any socket is opened.
    std::error_code error;
    std::filesystem::create_directories(options.data_dir, error);
    if (error || !std::filesystem::is_directory(options.data_dir, error)) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("--data-dir {}: cannot make the folder: {}", options.data_dir,
                                      error ? error.message() : "a file is in the way"));
    }
    if (::access(options.data_dir.c_str(), W_OK | X_OK) != 0) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("--data-dir {}: cannot write in it: {}", options.data_dir, std::strerror(errno)));
    }
    auto system = make_system(options, static_cast<int>(options.peers.size()) + 1);
    if (!system) return system.error();
    return ok_status();
}

Status run_server(const ServeOptions& options) {
    Host host(options);
    return host.run();
}

}  // namespace faultline::realtime
