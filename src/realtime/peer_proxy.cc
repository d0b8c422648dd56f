#include "realtime/peer_proxy.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/assert.h"

namespace faultline::realtime {

Result<std::unique_ptr<PeerProxy>> PeerProxy::start(const std::vector<std::string>& names,
                                                    const std::vector<Endpoint>& listening, std::uint64_t seed) {
    FL_ASSERT(names.size() == listening.size());
    std::unique_ptr<PeerProxy> peers(new PeerProxy(names.size(), seed));
    peers->names_ = names;
    peers->routes_.assign(names.size() * names.size(), Endpoint{});
    peers->proxy_.start();
    for (std::size_t from = 0; from < names.size(); ++from) {
        for (std::size_t to = 0; to < names.size(); ++to) {
            if (from == to) continue;
            const Endpoint& target = listening[to];
            Result<proxy::LinkInfo> link = peers->proxy_.add_link(
                proxy::LinkSpec{.name = peers->link_name(static_cast<int>(from), static_cast<int>(to)),
                                .listen = {.host = "127.0.0.1", .port = 0},
                                .upstream = {.host = target.host, .port = target.port}});
            if (!link) return link.error();
            FL_ASSERT(link->listen.port != 0);
            peers->routes_[from * names.size() + to] = Endpoint{.host = "127.0.0.1", .port = link->listen.port};
        }
    }
    return peers;
}

PeerProxy::~PeerProxy() {
    proxy_.stop();
}

std::string PeerProxy::link_name(int from, int to) const {
    return names_[static_cast<std::size_t>(from)] + "-" + names_[static_cast<std::size_t>(to)];
}

Endpoint PeerProxy::route(int from, int to) const {
    FL_ASSERT(from != to && from >= 0 && to >= 0);
    FL_ASSERT(static_cast<std::size_t>(from) < nodes_ && static_cast<std::size_t>(to) < nodes_);
    return routes_[static_cast<std::size_t>(from) * nodes_ + static_cast<std::size_t>(to)];
}

Status PeerProxy::isolate(const std::vector<int>& side) {
    const auto inside = [&side](int node) { return std::find(side.begin(), side.end(), node) != side.end(); };
    for (int from = 0; from < static_cast<int>(nodes_); ++from) {
        for (int to = 0; to < static_cast<int>(nodes_); ++to) {
            if (from == to || inside(from) == inside(to)) continue;
            proxy::LinkFaults faults;
            faults.refuse = true;
            faults.upstream.blackhole = true;
            faults.downstream.blackhole = true;
            if (Status set = proxy_.set_faults(link_name(from, to), faults); !set) return set;
            // Refusal touches new connections only: the open ones are reset,
            // so what they held is lost, as in a partition, not delivered late.
            if (auto reset = proxy_.reset(link_name(from, to)); !reset) return reset.error();
        }
    }
    return ok_status();
}

Status PeerProxy::delay(Nanos latency, Nanos jitter) {
    FL_ASSERT(latency >= 0 && jitter >= 0);
    proxy::LinkFaults faults;
    faults.upstream.latency_us = static_cast<std::uint64_t>(latency / 1000);
    faults.upstream.jitter_us = static_cast<std::uint64_t>(jitter / 1000);
    for (int from = 0; from < static_cast<int>(nodes_); ++from) {
        for (int to = 0; to < static_cast<int>(nodes_); ++to) {
            if (from == to) continue;
            if (Status set = proxy_.set_faults(link_name(from, to), faults); !set) return set;
        }
    }
    return ok_status();
}

Status PeerProxy::heal() {
    for (int from = 0; from < static_cast<int>(nodes_); ++from) {
        for (int to = 0; to < static_cast<int>(nodes_); ++to) {
            if (from == to) continue;
            if (Status cleared = proxy_.clear_faults(link_name(from, to)); !cleared) return cleared;
        }
    }
    return ok_status();
}

std::uint64_t PeerProxy::refused() const {
    std::uint64_t refused = 0;
    for (const proxy::LinkInfo& link : proxy_.links()) refused += link.refused;
    return refused;
}

}  // namespace faultline::realtime
