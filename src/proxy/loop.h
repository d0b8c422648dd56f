// The proxy's event loop and its links (internal to src/proxy/): one asio
// io_context on one thread. Everything in here runs on that thread; Proxy's
// public methods get here through Loop::call.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <type_traits>
#include <vector>

#include "base/prng.h"
#include "proxy/proxy.h"

namespace faultline::proxy {

using Clock = std::chrono::steady_clock;
using asio::ip::tcp;

struct Link;
struct Connection;
struct ControlServer;

// One direction of a connection: reads `from`, holds what it read as chunks
// with a release time, writes them to `to` as the faults allow.
struct Pipe {
    struct Chunk {
        std::vector<char> data;  // empty with end_of_stream: the sender closed its side
        std::size_t offset = 0;
        Clock::time_point release;
        bool end_of_stream = false;
    };

    Pipe(Connection& owner, tcp::socket& from, tcp::socket& to, bool upstream);
    void start_reading();
    void try_write();
    const DirectionFaults& faults() const;

    Connection& owner;
    tcp::socket& from;
    tcp::socket& to;
    const bool upstream;
    std::deque<Chunk> queue;
    std::size_t queued_bytes = 0;
    bool reading = false;
    bool writing = false;
    bool waiting = false;  // on the timer (a release time or the bandwidth cap)
    bool read_done = false;
    bool done = false;  // the end of the stream was passed on
    Clock::time_point last_release{};
    Clock::time_point next_free{};  // the bandwidth cap: when the next byte may leave
    std::array<char, kReadChunkBytes> buffer{};
    asio::steady_timer timer;
};

struct Connection : std::enable_shared_from_this<Connection> {
    Connection(std::shared_ptr<Link> link, tcp::socket client);
    void connect();
    void close(bool reset);
    void maybe_finished();
    bool blocked() const;

    std::shared_ptr<Link> link;
    tcp::socket client;
    tcp::socket server;
    Pipe up;
    Pipe down;
    std::string source;  // from the source resolver
    bool closed = false;
};

struct Link : std::enable_shared_from_this<Link> {
    Link(asio::io_context& io, Prng& prng, const Proxy::SourceResolver& resolver)
        : acceptor(io), prng(prng), resolver(resolver) {}
    void accept();
    void kick();  // faults changed: let every pipe write what it now may
    std::size_t close_connections(bool reset);

    LinkSpec spec;
    Address bound;
    tcp::endpoint upstream;
    LinkFaults faults;
    tcp::acceptor acceptor;
    Prng& prng;
    const Proxy::SourceResolver& resolver;
    std::set<std::shared_ptr<Connection>> connections;
    std::uint64_t accepted = 0;
    std::uint64_t refused = 0;
    std::uint64_t bytes_upstream = 0;
    std::uint64_t bytes_downstream = 0;
    bool closed = false;

    LinkInfo info() const;
};

class Proxy::Loop {
  public:
    explicit Loop(std::uint64_t seed);

    // Runs `work` on the loop's thread and returns what it returned; directly
    // when called on that thread or when the loop is not running.
    template <class Work>
    auto call(Work work) -> std::invoke_result_t<Work> {
        using R = std::invoke_result_t<Work>;
        if (!thread.joinable() || std::this_thread::get_id() == thread.get_id()) return work();
        std::packaged_task<R()> task(std::move(work));
        std::future<R> result = task.get_future();
        asio::post(io, [&task] { task(); });
        return result.get();
    }

    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard;
    std::thread thread;
    Prng prng;
    Proxy::SourceResolver resolver;
    std::map<std::string, std::shared_ptr<Link>> links;
    std::vector<std::shared_ptr<ControlServer>> controls;
};

// Closes the control endpoints' listeners (control.cc), when the proxy stops.
void close_controls(Proxy::Loop& loop);

// Resolves a host and port to a TCP endpoint (numeric or "localhost").
Result<tcp::endpoint> resolve(const Address& address);

}  // namespace faultline::proxy
