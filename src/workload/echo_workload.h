// The echo workload: clients send "Please echo N" and expect it back verbatim.
#pragma once

#include "base/prng.h"
#include "workload/client.h"

namespace faultline::workload {

class EchoCodec final : public ClientCodec {
public:
    MessagePtr encode(const OpRequest& op, const RequestIds& ids) const override;
    std::optional<DecodedReply> decode(const Message& message) const override;
};

// The next echo request: a random payload, as Maelstrom's generator does.
OpRequest next_echo_request(Prng& random);

}  // namespace faultline::workload
