#!/usr/bin/env python3
"""broadcast: keeps every message it learns and gossips its whole set to its
neighbours every 100 ms, so values spread even across a healed partition.
With --no-gossip it tells nobody (a broken node: other nodes never see them)."""
import sys
from maelstrom_node import Node

node = Node()
no_gossip = "--no-gossip" in sys.argv
messages = set()
neighbours = []


def topology(message):
    neighbours[:] = message["body"]["topology"].get(node.node_id, [])
    node.reply(message, {"type": "topology_ok"})


def broadcast(message):
    messages.add(message["body"]["message"])
    node.reply(message, {"type": "broadcast_ok"})


def read(message):
    node.reply(message, {"type": "read_ok", "messages": sorted(messages)})


def gossip_in(message):
    messages.update(message["body"]["messages"])


def gossip_out():
    if no_gossip or not messages:
        return
    for peer in neighbours or [n for n in node.node_ids if n != node.node_id]:
        node.send(peer, {"type": "gossip", "messages": sorted(messages)})


node.on("topology", topology)
node.on("broadcast", broadcast)
node.on("read", read)
node.on("gossip", gossip_in)
node.every(0.1, gossip_out)
node.run()
