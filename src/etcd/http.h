// A minimal blocking HTTP/1.1 client for loopback: one request per
// connection (Connection: close), every step under one deadline. Enough to
// talk to etcd's JSON gateway without a library.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/result.h"

namespace faultline::etcd {

struct HttpReply {
    int status = 0;
    std::string body;
};

// How far a failed request got: whether the server may have acted on it.
enum class HttpFailure {
    not_sent,  // the connection was refused or failed before the request was written
    no_reply,  // the request was written; no complete reply came before the deadline
};

struct HttpError {
    HttpFailure failure = HttpFailure::not_sent;
    std::string message;
};

// POSTs `body` (JSON) to http://127.0.0.1:`port``path`. Fails (HttpError) if
// no complete reply arrives within `timeout`. A reply is at most 1 MiB.
struct HttpResult {
    bool ok = false;
    HttpReply reply;
    HttpError error;
};
HttpResult http_post(std::uint16_t port, const std::string& path, const std::string& body,
                     std::chrono::milliseconds timeout);

}  // namespace faultline::etcd
