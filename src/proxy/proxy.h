// The TCP fault proxy of real mode: each link listens on one address and
// forwards every connection it accepts to one upstream address, and faults
// can be set on a link at any moment, like Toxiproxy.
//
// Faults, per link (LinkFaults), each direction on its own ("upstream" is
// client -> server, "downstream" server -> client):
// - refuse: new connections are accepted and reset at once (RST): the client
//   never gets a byte through. Connections already open are not touched.
// - blackhole: bytes read are held, unsent, until the fault is lifted; the
//   proxy stops reading once a direction holds kMaxBufferedBytes, so TCP flow
//   control pushes back on the sender, as a silent network would.
// - latency and jitter: every chunk read waits latency + a uniform draw in
//   [-jitter, +jitter] (floored at 0) before it is sent. Order is kept: a chunk
//   never leaves before the one read before it. Jitter draws come from the
//   proxy's seed (the same seed gives the same sequence of draws; when they
//   happen depends on real time).
// - bandwidth: at most that many bytes per second leave in that direction
//   (token bucket, at most kMaxBurstBytes at once).
// - blocked sources: connections from a named source (see
//   set_source_resolver) are refused when new and blackholed both ways when
//   open. One link per destination can then cut a pair of nodes apart even
//   when the server picks the address every peer dials (etcd's peer URLs).
// - cut (close every current connection, FIN) and reset (RST, SO_LINGER 0):
//   one-shot actions on the connections open now.
//
// Bounds (declared, documented in docs/proxy.md): kMaxLinks links,
// kMaxConnectionsPerLink connections per link (one more is reset on accept),
// kMaxBufferedBytes held per direction of a connection.
//
// Threading: the proxy is single-threaded. start() runs its event loop on a
// thread of its own; every public method may be called from any thread (it
// runs on the loop and waits for it), including from the loop itself (the
// control endpoint does). stop() closes everything and joins the thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace faultline::proxy {

inline constexpr std::size_t kMaxLinks = 256;
inline constexpr std::size_t kMaxConnectionsPerLink = 1024;
inline constexpr std::size_t kMaxBufferedBytes = 1 << 20;
inline constexpr std::size_t kReadChunkBytes = 16 * 1024;
inline constexpr std::size_t kMaxBurstBytes = 16 * 1024;
// Declared ranges of the fault settings.
inline constexpr std::uint64_t kMaxLatencyUs = 60'000'000;      // 60 s
inline constexpr std::uint64_t kMaxBandwidth = 10'000'000'000;  // bytes per second; 0 means no cap

struct DirectionFaults {
    bool blackhole = false;
    std::uint64_t latency_us = 0;
    std::uint64_t jitter_us = 0;
    std::uint64_t bandwidth = 0;  // bytes per second, 0: no cap
    bool operator==(const DirectionFaults&) const = default;
};

struct LinkFaults {
    bool refuse = false;
    std::vector<std::string> blocked_sources;  // names the source resolver gives
    DirectionFaults upstream;                  // client -> server
    DirectionFaults downstream;                // server -> client
    bool operator==(const LinkFaults&) const = default;
};

// An error naming the setting out of its declared range, or ok.
Status validate(const LinkFaults& faults);

// "127.0.0.1:8080" or "localhost:8080"; port 0 in a listen address picks a free port.
struct Address {
    std::string host;
    std::uint16_t port = 0;
    std::string text() const;
};
Result<Address> parse_address(const std::string& text);
// Whether a parsed address is on loopback (127.x.y.z or localhost).
bool is_loopback(const Address& address);
// Whether `name` can name a link: 1 to 64 of A-Z a-z 0-9 _ - .
bool valid_link_name(const std::string& name);

struct LinkSpec {
    std::string name;  // [A-Za-z0-9_.-]+, unique
    Address listen;
    Address upstream;
};

struct LinkInfo {
    std::string name;
    Address listen;  // the bound port (when the spec said 0)
    Address upstream;
    LinkFaults faults;
    std::size_t open_connections = 0;
    std::uint64_t accepted = 0;  // connections accepted in all
    std::uint64_t refused = 0;   // of which reset at once (refuse, or over the limit)
    std::uint64_t bytes_upstream = 0;
    std::uint64_t bytes_downstream = 0;
};

class Proxy {
  public:
    explicit Proxy(std::uint64_t seed);
    ~Proxy();
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;

    // Runs the event loop on a thread of its own. Links may be added before or after.
    void start();
    // Closes every listener and connection and joins the loop's thread. Idempotent.
    void stop();

    // Binds the link's listen address. An error names the link and the
    // address (in use, bad name, duplicate name, too many links).
    Result<LinkInfo> add_link(const LinkSpec& spec);
    Status remove_link(const std::string& name);
    // Replaces the link's faults (validated first).
    Status set_faults(const std::string& name, const LinkFaults& faults);
    Status clear_faults(const std::string& name);
    // Closes (FIN) or resets (RST) every connection the link has open now;
    // the number closed.
    Result<std::size_t> cut(const std::string& name);
    Result<std::size_t> reset(const std::string& name);
    Result<LinkInfo> link(const std::string& name);
    std::vector<LinkInfo> links();

    // Names the source of each connection a link accepts, from the client's
    // port and the link's port on 127.0.0.1 ("" when unknown: never blocked).
    // Called on the loop when a connection is accepted.
    using SourceResolver = std::function<std::string(std::uint16_t client_port, std::uint16_t link_port)>;
    void set_source_resolver(SourceResolver resolver);

    // Serves the HTTP control interface (docs/proxy.md) on `listen`, which
    // must be a loopback address, on the proxy's own loop. The bound address.
    Result<Address> serve_control(const Address& listen);

    class Loop;

  private:
    std::unique_ptr<Loop> loop_;
};

}  // namespace faultline::proxy
