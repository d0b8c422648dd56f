#!/usr/bin/env python3
"""g-set: a grow-only set CRDT. Each node adds elements to its own set and
gossips the whole set to every other node every 100 ms; a read answers the
set (its reply key is "value", as Maelstrom's g-set schema says). With
--no-gossip it tells nobody (a broken node: reads miss the other nodes' adds)."""
import sys
from maelstrom_node import Node

node = Node()
no_gossip = "--no-gossip" in sys.argv
elements = set()


def add(message):
    elements.add(message["body"]["element"])
    node.reply(message, {"type": "add_ok"})


def read(message):
    node.reply(message, {"type": "read_ok", "value": sorted(elements)})


def merge(message):
    elements.update(message["body"]["value"])


def gossip():
    if no_gossip or not elements:
        return
    for peer in node.node_ids:
        if peer != node.node_id:
            node.send(peer, {"type": "merge", "value": sorted(elements)})


node.on("add", add)
node.on("read", read)
node.on("merge", merge)
node.every(0.1, gossip)
node.run()
