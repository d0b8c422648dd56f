#!/usr/bin/env python3
"""g-counter and pn-counter: a state-based CRDT. Each node keeps, per node, the
sum of the adds it took, and gossips its map every 100 ms; a read is the sum
of the maxima. With --local it never gossips (a broken node: reads miss the
other nodes' adds)."""
import sys
from maelstrom_node import Node

node = Node()
local = "--local" in sys.argv
positive = {}
negative = {}


def add(message):
    delta = message["body"]["delta"]
    table = positive if delta >= 0 else negative
    table[node.node_id] = table.get(node.node_id, 0) + abs(delta)
    node.reply(message, {"type": "add_ok"})


def read(message):
    node.reply(message, {"type": "read_ok", "value": sum(positive.values()) - sum(negative.values())})


def merge(message):
    for mine, theirs in ((positive, message["body"]["positive"]), (negative, message["body"]["negative"])):
        for key, value in theirs.items():
            mine[key] = max(mine.get(key, 0), value)


def gossip():
    if local:
        return
    for peer in node.node_ids:
        if peer != node.node_id:
            node.send(peer, {"type": "merge", "positive": positive, "negative": negative})


node.on("add", add)
node.on("read", read)
node.on("merge", merge)
node.every(0.1, gossip)
node.run()
