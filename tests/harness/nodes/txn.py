#!/usr/bin/env python3
"""txn-list-append and txn-rw-register: every transaction runs, whole and
alone, on the first node, which the others forward to: serializable, and
strict. With --local each node runs transactions on a store of its own, never
shared (a broken node: other nodes' reads miss committed writes)."""
import sys
from maelstrom_node import Node

node = Node()
local = "--local" in sys.argv
store = {}


def execute(txn):
    done = []
    for f, key, value in txn:
        key = str(key)
        if f == "r":
            current = store.get(key)
            done.append([f, int(key), list(current) if isinstance(current, list) else current])
        elif f == "append":
            store.setdefault(key, []).append(value)
            done.append([f, int(key), value])
        else:
            store[key] = value
            done.append([f, int(key), value])
    return done


def txn(message):
    if local or node.node_id == node.node_ids[0]:
        node.reply(message, {"type": "txn_ok", "txn": execute(message["body"]["txn"])})
        return

    def answered(reply):
        node.reply(message, {"type": "txn_ok", "txn": reply["body"]["txn"]})

    node.rpc(node.node_ids[0], {"type": "txn", "txn": message["body"]["txn"]}, answered)


node.on("txn", txn)
node.run()
