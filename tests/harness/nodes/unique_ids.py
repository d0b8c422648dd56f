#!/usr/bin/env python3
"""unique-ids: node id plus a local counter. With --collide, every node counts
from 0 without its id (a broken node whose ids collide across nodes)."""
import sys
from maelstrom_node import Node

node = Node()
collide = "--collide" in sys.argv
counter = [0]


def generate(message):
    counter[0] += 1
    value = counter[0] if collide else f"{node.node_id}-{counter[0]}"
    node.reply(message, {"type": "generate_ok", "id": value})


node.on("generate", generate)
node.run()
