#!/usr/bin/env python3
"""echo: answers each echo with what it was sent. With --wrong, it answers a
different value one time in five (a broken node the echo check must catch)."""
import sys
from maelstrom_node import Node

node = Node()
wrong = "--wrong" in sys.argv
count = [0]


def echo(message):
    count[0] += 1
    value = message["body"]["echo"]
    if wrong and count[0] % 5 == 0:
        value = "something else"
    node.reply(message, {"type": "echo_ok", "echo": value})


node.on("echo", echo)
node.run()
