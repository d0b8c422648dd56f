#!/usr/bin/env python3
"""lin-kv: forwards every read, write and cas to a key-value service and
passes its answer back. Over lin-kv (the default) the result is linearizable;
with --service lww-kv it is not (a broken node: the service is only eventually
consistent)."""
import sys
from maelstrom_node import Node

node = Node()
service = sys.argv[sys.argv.index("--service") + 1] if "--service" in sys.argv else "lin-kv"


def forward(message):
    request = dict(message["body"])
    request.pop("msg_id", None)

    def answered(reply):
        body = dict(reply["body"])
        body.pop("in_reply_to", None)
        body.pop("msg_id", None)
        node.reply(message, body)

    node.rpc(service, request, answered)


for kind in ("read", "write", "cas"):
    node.on(kind, forward)
node.run()
