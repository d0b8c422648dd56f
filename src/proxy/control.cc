#include "proxy/control.h"

#include <fmt/format.h>

#include <charconv>
#include <string_view>

#include "base/assert.h"
#include "proxy/loop.h"

namespace faultline::proxy {

namespace {

Result<DirectionFaults> direction_from_json(const std::string& where, const nlohmann::json& object) {
    if (!object.is_object()) return make_error(ErrorCode::invalid_argument, where + " must be an object");
    DirectionFaults faults;
    for (const auto& [key, value] : object.items()) {
        if (key == "blackhole") {
            if (!value.is_boolean())
                return make_error(ErrorCode::invalid_argument, where + ".blackhole must be true or false");
            faults.blackhole = value.get<bool>();
            continue;
        }
        std::uint64_t* field = key == "latency_us"  ? &faults.latency_us
                               : key == "jitter_us" ? &faults.jitter_us
                               : key == "bandwidth" ? &faults.bandwidth
                                                    : nullptr;
        if (field == nullptr) {
            return make_error(
                ErrorCode::invalid_argument,
                fmt::format("{}: unknown field '{}' (blackhole, latency_us, jitter_us, bandwidth)", where, key));
        }
        if (!value.is_number_unsigned()) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("{}.{} must be a non-negative integer", where, key));
        }
        *field = value.get<std::uint64_t>();
    }
    return faults;
}

Reply error_reply(int status, const std::string& message) {
    return Reply{.status = status, .body = nlohmann::json{{"error", message}}};
}

Reply error_reply(const Error& error) {
    return error_reply(error.code == ErrorCode::not_found ? 404 : 400, error.message);
}

std::string_view reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 413:
            return "Payload Too Large";
        default:
            return "Error";
    }
}

// One HTTP exchange: read the head, then the body, answer, close.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(Proxy& proxy, tcp::socket socket)
        : proxy_(proxy), socket_(std::move(socket)), head_(kMaxRequestHead), timer_(socket_.get_executor()) {}

    void start() {
        auto self = shared_from_this();
        timer_.expires_after(kRequestTimeout);
        timer_.async_wait([self](const asio::error_code& error) {
            if (!error) self->close();
        });
        asio::async_read_until(socket_, head_, "\r\n\r\n", [self](const asio::error_code& error, std::size_t end) {
            if (error) {
                if (error == asio::error::not_found) return self->send(error_reply(413, "request head too long"));
                return self->close();
            }
            self->parse_head(end);
        });
    }

  private:
    void parse_head(std::size_t end) {
        const std::string all(asio::buffers_begin(head_.data()), asio::buffers_end(head_.data()));
        const std::string head = all.substr(0, end);
        body_ = all.substr(end);
        const auto line_end = head.find("\r\n");
        const std::string line = head.substr(0, line_end);
        const auto space1 = line.find(' ');
        const auto space2 = line.find(' ', space1 == std::string::npos ? 0 : space1 + 1);
        if (space1 == std::string::npos || space2 == std::string::npos)
            return send(error_reply(400, "bad request line"));
        method_ = line.substr(0, space1);
        target_ = line.substr(space1 + 1, space2 - space1 - 1);
        std::size_t length = 0;
        std::size_t at = line_end;
        while (at != std::string::npos && at + 2 < head.size()) {
            const auto next = head.find("\r\n", at + 2);
            std::string header = head.substr(at + 2, next - at - 2);
            for (char& c : header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (header.starts_with("content-length:")) {
                std::string_view value(header);
                value.remove_prefix(15);
                while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
                const auto [last, error] = std::from_chars(value.data(), value.data() + value.size(), length);
                if (error != std::errc()) return send(error_reply(400, "bad Content-Length"));
            }
            at = next;
        }
        if (length > kMaxRequestBody) return send(error_reply(413, "request body too long"));
        if (body_.size() >= length) {
            body_.resize(length);
            return send(handle_request(proxy_, method_, target_, body_));
        }
        const std::size_t missing = length - body_.size();
        rest_.resize(missing);
        auto self = shared_from_this();
        asio::async_read(socket_, asio::buffer(rest_), [self](const asio::error_code& error, std::size_t) {
            if (error) return self->close();
            self->body_ += self->rest_;
            self->send(handle_request(self->proxy_, self->method_, self->target_, self->body_));
        });
    }

    void send(const Reply& reply) {
        const std::string body = reply.body.dump() + "\n";
        response_ = fmt::format(
            "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            reply.status, reason(reply.status), body.size(), body);
        auto self = shared_from_this();
        asio::async_write(socket_, asio::buffer(response_),
                          [self](const asio::error_code&, std::size_t) { self->close(); });
    }

    void close() {
        asio::error_code ignored;
        timer_.cancel();
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    Proxy& proxy_;
    tcp::socket socket_;
    asio::streambuf head_;
    asio::steady_timer timer_;
    std::string method_, target_, body_, rest_, response_;
};

}  // namespace

struct ControlServer : std::enable_shared_from_this<ControlServer> {
    ControlServer(Proxy& proxy, asio::io_context& io) : proxy(proxy), acceptor(io) {}
    void accept() {
        auto self = shared_from_this();
        acceptor.async_accept([self](const asio::error_code& error, tcp::socket socket) {
            if (!self->acceptor.is_open()) return;
            if (!error) std::make_shared<Session>(self->proxy, std::move(socket))->start();
            self->accept();
        });
    }
    ~ControlServer() {
        asio::error_code ignored;
        acceptor.close(ignored);
    }
    Proxy& proxy;
    tcp::acceptor acceptor;
};

void close_controls(Proxy::Loop& loop) {
    for (const auto& server : loop.controls) {
        asio::error_code ignored;
        server->acceptor.close(ignored);
    }
}

Result<LinkFaults> faults_from_json(const nlohmann::json& body) {
    if (!body.is_object()) return make_error(ErrorCode::invalid_argument, "the faults must be a JSON object");
    LinkFaults faults;
    bool both = false, one = false;
    for (const auto& [key, value] : body.items()) {
        if (key == "refuse") {
            if (!value.is_boolean()) return make_error(ErrorCode::invalid_argument, "refuse must be true or false");
            faults.refuse = value.get<bool>();
        } else if (key == "blocked_sources") {
            if (!value.is_array())
                return make_error(ErrorCode::invalid_argument, "blocked_sources must be a list of names");
            for (const auto& source : value) {
                if (!source.is_string() || source.get<std::string>().empty()) {
                    return make_error(ErrorCode::invalid_argument, "blocked_sources must be a list of names");
                }
                faults.blocked_sources.push_back(source.get<std::string>());
            }
        } else if (key == "upstream" || key == "downstream" || key == "both") {
            Result<DirectionFaults> direction = direction_from_json(key, value);
            if (!direction) return direction.error();
            if (key == "both") {
                both = true;
                faults.upstream = faults.downstream = *direction;
            } else {
                one = true;
                (key == "upstream" ? faults.upstream : faults.downstream) = *direction;
            }
        } else {
            return make_error(
                ErrorCode::invalid_argument,
                fmt::format("unknown field '{}' (refuse, blocked_sources, upstream, downstream, both)", key));
        }
    }
    if (both && one) {
        return make_error(ErrorCode::invalid_argument, "give either both, or upstream and downstream, not all three");
    }
    if (Status valid = validate(faults); !valid) return valid.error();
    return faults;
}

nlohmann::json to_json(const DirectionFaults& faults) {
    return {{"blackhole", faults.blackhole},
            {"latency_us", faults.latency_us},
            {"jitter_us", faults.jitter_us},
            {"bandwidth", faults.bandwidth}};
}

nlohmann::json to_json(const LinkFaults& faults) {
    return {
        {"refuse", faults.refuse}, {"upstream", to_json(faults.upstream)}, {"downstream", to_json(faults.downstream)}};
}

nlohmann::json to_json(const LinkInfo& info) {
    return {{"name", info.name},
            {"listen", info.listen.text()},
            {"upstream", info.upstream.text()},
            {"faults", to_json(info.faults)},
            {"open_connections", info.open_connections},
            {"accepted", info.accepted},
            {"refused", info.refused},
            {"bytes_upstream", info.bytes_upstream},
            {"bytes_downstream", info.bytes_downstream}};
}

Reply handle_request(Proxy& proxy, const std::string& method, const std::string& target, const std::string& body) {
    std::string path = target.substr(0, target.find('?'));
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path == "/links") {
        if (method != "GET") return error_reply(405, "use GET /links");
        nlohmann::json links = nlohmann::json::array();
        for (const LinkInfo& info : proxy.links()) links.push_back(to_json(info));
        return Reply{.body = links};
    }
    if (!path.starts_with("/links/")) return error_reply(404, fmt::format("no route {}", path));
    const std::string rest = path.substr(7);
    const auto slash = rest.find('/');
    const std::string name = rest.substr(0, slash);
    const std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (action.empty()) {
        if (method != "GET") return error_reply(405, "use GET /links/NAME");
        Result<LinkInfo> info = proxy.link(name);
        if (!info) return error_reply(info.error());
        return Reply{.body = to_json(*info)};
    }
    if (action == "faults") {
        Status changed = ok_status();
        if (method == "DELETE") {
            changed = proxy.clear_faults(name);
        } else if (method == "POST" || method == "PUT") {
            const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
            if (parsed.is_discarded()) return error_reply(400, "the body is not JSON");
            Result<LinkFaults> faults = faults_from_json(parsed);
            if (!faults) return error_reply(faults.error());
            changed = proxy.set_faults(name, *faults);
        } else {
            return error_reply(405, "use POST or DELETE /links/NAME/faults");
        }
        if (!changed) return error_reply(changed.error());
        Result<LinkInfo> info = proxy.link(name);
        if (!info) return error_reply(info.error());
        return Reply{.body = to_json(*info)};
    }
    if (action == "cut" || action == "reset") {
        if (method != "POST") return error_reply(405, fmt::format("use POST /links/NAME/{}", action));
        Result<std::size_t> closed = action == "cut" ? proxy.cut(name) : proxy.reset(name);
        if (!closed) return error_reply(closed.error());
        return Reply{.body = nlohmann::json{{action == "cut" ? "closed" : "reset", *closed}}};
    }
    return error_reply(404, fmt::format("no route {}", path));
}

Result<Address> Proxy::serve_control(const Address& listen) {
    return loop_->call([&]() -> Result<Address> {
        const Result<tcp::endpoint> endpoint = resolve(listen);
        if (!endpoint) return endpoint.error();
        if (!endpoint->address().is_loopback()) {
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("the control endpoint {} must be on loopback (127.0.0.1)", listen.text()));
        }
        auto server = std::make_shared<ControlServer>(*this, loop_->io);
        asio::error_code error;
        server->acceptor.open(endpoint->protocol(), error);
        if (!error) server->acceptor.set_option(tcp::acceptor::reuse_address(true), error);
        if (!error) server->acceptor.bind(*endpoint, error);
        if (!error) server->acceptor.listen(asio::socket_base::max_listen_connections, error);
        if (error) {
            return make_error(ErrorCode::io_error,
                              fmt::format("cannot listen on {} for control: {}", listen.text(), error.message()));
        }
        const Address bound{.host = listen.host, .port = server->acceptor.local_endpoint().port()};
        loop_->controls.push_back(server);
        server->accept();
        return bound;
    });
}

}  // namespace faultline::proxy
