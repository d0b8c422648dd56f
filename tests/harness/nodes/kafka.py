#!/usr/bin/env python3
"""kafka: one log per key, kept on the first node, which the others forward
to; offsets 0, 1, 2, ... per key. With --local every node keeps logs of its
own (a broken node: the same offset holds different messages on different
nodes)."""
import sys
from maelstrom_node import Node

node = Node()
local = "--local" in sys.argv
logs = {}
committed = {}


def serve(body):
    kind = body["type"]
    if kind == "send":
        log = logs.setdefault(body["key"], [])
        log.append(body["msg"])
        return {"type": "send_ok", "offset": len(log) - 1}
    if kind == "poll":
        msgs = {}
        for key, start in body["offsets"].items():
            log = logs.get(key, [])
            msgs[key] = [[offset, log[offset]] for offset in range(start, min(len(log), start + 10))]
        return {"type": "poll_ok", "msgs": msgs}
    if kind == "commit_offsets":
        for key, offset in body["offsets"].items():
            committed[key] = max(committed.get(key, 0), offset)
        return {"type": "commit_offsets_ok"}
    return {"type": "list_committed_offsets_ok",
            "offsets": {key: committed[key] for key in body["keys"] if key in committed}}


def handle(message):
    body = dict(message["body"])
    body.pop("msg_id", None)
    if local or node.node_id == node.node_ids[0]:
        node.reply(message, serve(body))
        return

    def answered(reply):
        answer = dict(reply["body"])
        answer.pop("in_reply_to", None)
        node.reply(message, answer)

    node.rpc(node.node_ids[0], body, answered)


for kind in ("send", "poll", "commit_offsets", "list_committed_offsets"):
    node.on(kind, handle)
node.run()
