#include "proxy/proxy.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/assert.h"
#include "proxy/loop.h"

namespace faultline::proxy {

namespace {

Status check_direction(const char* direction, const DirectionFaults& faults) {
    if (faults.latency_us > kMaxLatencyUs) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{} latency_us {} is out of range 0..{}", direction,
                                                                   faults.latency_us, kMaxLatencyUs));
    }
    if (faults.jitter_us > kMaxLatencyUs) {
        return make_error(ErrorCode::invalid_argument, fmt::format("{} jitter_us {} is out of range 0..{}", direction,
                                                                   faults.jitter_us, kMaxLatencyUs));
    }
    if (faults.bandwidth > kMaxBandwidth) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{} bandwidth {} is out of range 0..{} bytes per second (0: no cap)", direction,
                                      faults.bandwidth, kMaxBandwidth));
    }
    return ok_status();
}

Error no_link(const std::string& name) {
    return make_error(ErrorCode::not_found, fmt::format("no link named '{}'", name));
}

}  // namespace

Status validate(const LinkFaults& faults) {
    if (Status status = check_direction("upstream", faults.upstream); !status) return status;
    return check_direction("downstream", faults.downstream);
}

std::string Address::text() const {
    return fmt::format("{}:{}", host, port);
}

Result<Address> parse_address(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        return make_error(ErrorCode::invalid_argument, fmt::format("'{}' is not HOST:PORT", text));
    }
    Address address{.host = text.substr(0, colon)};
    unsigned port = 0;
    const char* begin = text.data() + colon + 1;
    const char* end = text.data() + text.size();
    const auto [last, error] = std::from_chars(begin, end, port);
    if (error != std::errc() || last != end || port > 65535) {
        return make_error(ErrorCode::invalid_argument, fmt::format("'{}': the port must be 0..65535", text));
    }
    address.port = static_cast<std::uint16_t>(port);
    if (!resolve(address)) {
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("'{}': the host must be an IP address or localhost", text));
    }
    return address;
}

bool valid_link_name(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
}

bool is_loopback(const Address& address) {
    const Result<tcp::endpoint> endpoint = resolve(address);
    return endpoint && endpoint->address().is_loopback();
}

Result<tcp::endpoint> resolve(const Address& address) {
    // No DNS: a fault proxy on loopback has no business waiting on a resolver.
    const std::string host = address.host == "localhost" ? "127.0.0.1" : address.host;
    asio::error_code error;
    const asio::ip::address ip = asio::ip::make_address(host, error);
    if (error) return make_error(ErrorCode::invalid_argument, fmt::format("'{}' is not an IP address", address.host));
    return tcp::endpoint(ip, address.port);
}

// ---- Pipe ----

Pipe::Pipe(Connection& owner, tcp::socket& from, tcp::socket& to, bool upstream)
    : owner(owner), from(from), to(to), upstream(upstream), timer(from.get_executor()) {}

const DirectionFaults& Pipe::faults() const {
    return upstream ? owner.link->faults.upstream : owner.link->faults.downstream;
}

void Pipe::start_reading() {
    if (reading || read_done || owner.closed || queued_bytes >= kMaxBufferedBytes) return;
    reading = true;
    auto self = owner.shared_from_this();
    from.async_read_some(asio::buffer(buffer), [this, self](const asio::error_code& error, std::size_t bytes) {
        reading = false;
        if (owner.closed) return;
        const DirectionFaults& now_faults = faults();
        std::int64_t delay_us = static_cast<std::int64_t>(now_faults.latency_us);
        if (now_faults.jitter_us > 0) {
            const auto jitter = static_cast<std::int64_t>(now_faults.jitter_us);
            delay_us = std::max<std::int64_t>(0, delay_us + owner.link->prng.between(-jitter, jitter));
        }
        Chunk chunk;
        // A chunk never leaves before the one read before it: TCP keeps order.
        chunk.release = std::max(Clock::now() + std::chrono::microseconds(delay_us), last_release);
        last_release = chunk.release;
        if (error) {
            // The end of the stream (or a reset) travels like data, after it.
            chunk.end_of_stream = true;
            read_done = true;
        } else {
            FL_ASSERT(bytes > 0 && bytes <= buffer.size());
            chunk.data.assign(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(bytes));
            queued_bytes += bytes;
            (upstream ? owner.link->bytes_upstream : owner.link->bytes_downstream) += bytes;
        }
        queue.push_back(std::move(chunk));
        try_write();
        start_reading();
    });
}

void Pipe::try_write() {
    if (writing || waiting || done || owner.closed || queue.empty()) return;
    const DirectionFaults& now_faults = faults();
    if (now_faults.blackhole || owner.blocked()) return;  // held until the fault is lifted (Link::kick)
    Chunk& front = queue.front();
    const Clock::time_point now = Clock::now();
    Clock::time_point ready = front.release;
    if (now_faults.bandwidth > 0) ready = std::max(ready, next_free);
    if (ready > now) {
        waiting = true;
        timer.expires_at(ready);
        auto self = owner.shared_from_this();
        timer.async_wait([this, self](const asio::error_code&) {
            waiting = false;
            try_write();
        });
        return;
    }
    if (front.end_of_stream) {
        asio::error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        queue.pop_front();
        done = true;
        owner.maybe_finished();
        return;
    }
    std::size_t piece = front.data.size() - front.offset;
    if (now_faults.bandwidth > 0) {
        // Small pieces (at most 1/50 s of the cap) keep the rate even.
        piece = std::min({piece, kMaxBurstBytes, std::max<std::size_t>(1, now_faults.bandwidth / 50)});
        const auto cost = std::chrono::nanoseconds(piece * 1'000'000'000ULL / now_faults.bandwidth);
        next_free = std::max(next_free, now) + cost;
    }
    writing = true;
    auto self = owner.shared_from_this();
    asio::async_write(to, asio::buffer(front.data.data() + front.offset, piece),
                      [this, self](const asio::error_code& error, std::size_t written) {
                          writing = false;
                          if (owner.closed) return;
                          if (error) {
                              owner.close(false);
                              return;
                          }
                          Chunk& chunk = queue.front();
                          chunk.offset += written;
                          FL_ASSERT(chunk.offset <= chunk.data.size());
                          FL_ASSERT(queued_bytes >= written);
                          queued_bytes -= written;
                          if (chunk.offset == chunk.data.size()) queue.pop_front();
                          try_write();
                          start_reading();
                      });
}

// ---- Connection ----

Connection::Connection(std::shared_ptr<Link> link, tcp::socket client)
    : link(std::move(link)),
      client(std::move(client)),
      server(this->client.get_executor()),
      up(*this, this->client, server, true),
      down(*this, server, this->client, false) {}

void Connection::connect() {
    auto self = shared_from_this();
    server.async_connect(link->upstream, [this, self](const asio::error_code& error) {
        if (closed) return;
        if (error) {
            // The upstream refused: the client sees what it would have seen directly.
            close(true);
            return;
        }
        asio::error_code ignored;
        client.set_option(tcp::no_delay(true), ignored);
        server.set_option(tcp::no_delay(true), ignored);
        up.start_reading();
        down.start_reading();
    });
}

void Connection::close(bool reset) {
    if (closed) return;
    closed = true;
    asio::error_code ignored;
    for (tcp::socket* socket : {&client, &server}) {
        if (!socket->is_open()) continue;
        if (reset) socket->set_option(asio::socket_base::linger(true, 0), ignored);
        socket->close(ignored);
    }
    up.timer.cancel();
    down.timer.cancel();
    link->connections.erase(shared_from_this());
}

bool Connection::blocked() const {
    const std::vector<std::string>& blocked = link->faults.blocked_sources;
    return !source.empty() && std::find(blocked.begin(), blocked.end(), source) != blocked.end();
}

void Connection::maybe_finished() {
    if (up.done && down.done) close(false);
}

// ---- Link ----

void Link::accept() {
    auto self = shared_from_this();
    acceptor.async_accept([this, self](const asio::error_code& error, tcp::socket socket) {
        if (closed) return;
        if (!error) {
            ++accepted;
            std::string source;
            if (resolver) {
                asio::error_code ignored;
                const tcp::endpoint client = socket.remote_endpoint(ignored);
                source = resolver(client.port(), bound.port);
            }
            const bool blocked =
                !source.empty() && std::find(faults.blocked_sources.begin(), faults.blocked_sources.end(), source) !=
                                       faults.blocked_sources.end();
            if (faults.refuse || blocked || connections.size() >= kMaxConnectionsPerLink) {
                ++refused;
                asio::error_code ignored;
                socket.set_option(asio::socket_base::linger(true, 0), ignored);
                socket.close(ignored);
            } else {
                auto connection = std::make_shared<Connection>(self, std::move(socket));
                connection->source = std::move(source);
                connections.insert(connection);
                connection->connect();
            }
        }
        accept();
    });
}

void Link::kick() {
    // Copies: a write may close a connection, which leaves the set.
    const std::vector<std::shared_ptr<Connection>> open(connections.begin(), connections.end());
    for (const auto& connection : open) {
        connection->up.try_write();
        connection->down.try_write();
    }
}

std::size_t Link::close_connections(bool reset) {
    const std::vector<std::shared_ptr<Connection>> open(connections.begin(), connections.end());
    for (const auto& connection : open) connection->close(reset);
    FL_ASSERT(connections.empty());
    return open.size();
}

LinkInfo Link::info() const {
    return LinkInfo{.name = spec.name,
                    .listen = bound,
                    .upstream = spec.upstream,
                    .faults = faults,
                    .open_connections = connections.size(),
                    .accepted = accepted,
                    .refused = refused,
                    .bytes_upstream = bytes_upstream,
                    .bytes_downstream = bytes_downstream};
}

// ---- Proxy ----

Proxy::Loop::Loop(std::uint64_t seed) : guard(asio::make_work_guard(io)), prng(Prng::stream(seed, "proxy")) {}

Proxy::Proxy(std::uint64_t seed) : loop_(std::make_unique<Loop>(seed)) {}

Proxy::~Proxy() {
    stop();
}

void Proxy::start() {
    if (loop_->thread.joinable()) return;
    loop_->thread = std::thread([this] { loop_->io.run(); });
}

void Proxy::stop() {
    loop_->call([this] {
        for (auto& [name, link] : loop_->links) {
            link->closed = true;
            asio::error_code ignored;
            link->acceptor.close(ignored);
            link->close_connections(false);
        }
        loop_->links.clear();
        close_controls(*loop_);
        loop_->controls.clear();
        loop_->guard.reset();
        loop_->io.stop();
    });
    if (loop_->thread.joinable()) loop_->thread.join();
}

void Proxy::set_source_resolver(SourceResolver resolver) {
    loop_->call([&] { loop_->resolver = std::move(resolver); });
}

Result<LinkInfo> Proxy::add_link(const LinkSpec& spec) {
    return loop_->call([&]() -> Result<LinkInfo> {
        if (!valid_link_name(spec.name)) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("link name '{}': use 1 to 64 of A-Z a-z 0-9 _ - .", spec.name));
        }
        if (loop_->links.contains(spec.name)) {
            return make_error(ErrorCode::invalid_argument, fmt::format("two links named '{}'", spec.name));
        }
        if (loop_->links.size() >= kMaxLinks) {
            return make_error(ErrorCode::invalid_argument, fmt::format("at most {} links", kMaxLinks));
        }
        const Result<tcp::endpoint> listen = resolve(spec.listen);
        if (!listen) return listen.error();
        const Result<tcp::endpoint> upstream = resolve(spec.upstream);
        if (!upstream) return upstream.error();
        auto link = std::make_shared<Link>(loop_->io, loop_->prng, loop_->resolver);
        link->spec = spec;
        link->upstream = *upstream;
        asio::error_code error;
        link->acceptor.open(listen->protocol(), error);
        if (!error) link->acceptor.set_option(tcp::acceptor::reuse_address(true), error);
        if (!error) link->acceptor.bind(*listen, error);
        if (!error) link->acceptor.listen(asio::socket_base::max_listen_connections, error);
        if (error) {
            return make_error(ErrorCode::io_error, fmt::format("link '{}': cannot listen on {}: {}", spec.name,
                                                               spec.listen.text(), error.message()));
        }
        link->bound = Address{.host = spec.listen.host, .port = link->acceptor.local_endpoint().port()};
        loop_->links.emplace(spec.name, link);
        link->accept();
        return link->info();
    });
}

Status Proxy::remove_link(const std::string& name) {
    return loop_->call([&]() -> Status {
        auto it = loop_->links.find(name);
        if (it == loop_->links.end()) return no_link(name);
        it->second->closed = true;
        asio::error_code ignored;
        it->second->acceptor.close(ignored);
        it->second->close_connections(false);
        loop_->links.erase(it);
        return ok_status();
    });
}

Status Proxy::set_faults(const std::string& name, const LinkFaults& faults) {
    if (Status valid = validate(faults); !valid) return valid;
    return loop_->call([&]() -> Status {
        auto it = loop_->links.find(name);
        if (it == loop_->links.end()) return no_link(name);
        it->second->faults = faults;
        it->second->kick();
        return ok_status();
    });
}

Status Proxy::clear_faults(const std::string& name) {
    return set_faults(name, LinkFaults{});
}

Result<std::size_t> Proxy::cut(const std::string& name) {
    return loop_->call([&]() -> Result<std::size_t> {
        auto it = loop_->links.find(name);
        if (it == loop_->links.end()) return no_link(name);
        return it->second->close_connections(false);
    });
}

Result<std::size_t> Proxy::reset(const std::string& name) {
    return loop_->call([&]() -> Result<std::size_t> {
        auto it = loop_->links.find(name);
        if (it == loop_->links.end()) return no_link(name);
        return it->second->close_connections(true);
    });
}

Result<LinkInfo> Proxy::link(const std::string& name) {
    return loop_->call([&]() -> Result<LinkInfo> {
        auto it = loop_->links.find(name);
        if (it == loop_->links.end()) return no_link(name);
        return it->second->info();
    });
}

std::vector<LinkInfo> Proxy::links() {
    return loop_->call([&] {
        std::vector<LinkInfo> infos;
        for (const auto& [name, link] : loop_->links) infos.push_back(link->info());
        return infos;
    });
}

}  // namespace faultline::proxy
