// PeerProxy: every node-to-node link of a real-mode cluster through
// faultline's TCP fault proxy (proxy/proxy.h), and the network faults the
// nemesis of `faultline test --real` plays on them.
//
// A node sends on the connections it dials and only receives on those it
// accepts (realtime/server.h), so each directed pair (from, to) is one proxy
// link, "n1-n2": it listens on a free loopback port, which is the address
// `from` is told to dial for `to`, and forwards to where `to` listens. A fault
// on that link touches exactly the traffic from `from` to `to`.
//
// Faults:
// - isolate(side): every link between a member of `side` and a node outside
//   it refuses new connections and holds what it reads (blackhole), and its
//   open connections are reset, so nothing crosses the cut in either
//   direction; links inside each side are untouched.
// - delay(latency, jitter): every link delays each chunk by latency +/- jitter
//   (order kept).
// - heal(): every link as it was, faults cleared. The nodes redial on their
//   own (with backoff), as after any network fault.
//
// The proxy runs its loop on a thread of its own; every method may be called
// from any one thread. The destructor stops it and closes every connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "base/time.h"
#include "proxy/proxy.h"
#include "realtime/endpoint.h"

namespace faultline::realtime {

class PeerProxy {
  public:
    // Starts the proxy and one link per ordered pair of `names`, forwarding to
    // `listening[to]`. Errors: a port that cannot be bound.
    static Result<std::unique_ptr<PeerProxy>> start(const std::vector<std::string>& names,
                                                    const std::vector<Endpoint>& listening, std::uint64_t seed);
    ~PeerProxy();
    PeerProxy(const PeerProxy&) = delete;
    PeerProxy& operator=(const PeerProxy&) = delete;

    // Where node `from` dials node `to` (from != to).
    Endpoint route(int from, int to) const;

    Status isolate(const std::vector<int>& side);
    Status delay(Nanos latency, Nanos jitter);
    Status heal();

    // Connections the links refused since the start, all links together:
    // a partition that happened shows here once a node redialed across it.
    std::uint64_t refused() const;

  private:
    PeerProxy(std::size_t nodes, std::uint64_t seed) : nodes_(nodes), proxy_(seed) {}
    std::string link_name(int from, int to) const;

    std::size_t nodes_;
    std::vector<std::string> names_;
    std::vector<Endpoint> routes_;  // from * nodes + to
    mutable proxy::Proxy proxy_;
};

}  // namespace faultline::realtime
