#!/usr/bin/env python3
"""A node that misbehaves in the way its first argument names:
  garbage     prints a line that is not JSON, then works as an echo node
  crash-init  exits with code 3 when it gets init
  mute        never answers anything, init included
  unknown     answers echo with an unknown key, and sends a message to a
              node that does not exist
  close-stdin stops reading (closes its stdin) at the first echo, and stays
              alive until it is killed
"""
import json
import os
import signal
import sys

mode = sys.argv[1]
for line in sys.stdin:
    message = json.loads(line)
    body = message["body"]
    if mode == "mute":
        continue
    if body["type"] == "init":
        if mode == "crash-init":
            print("crashing at init", file=sys.stderr, flush=True)
            sys.exit(3)
        me = body["node_id"]
        reply = {"type": "init_ok", "in_reply_to": body["msg_id"]}
    elif body["type"] == "echo":
        if mode == "close-stdin":
            os.close(0)
            signal.pause()
        if mode == "garbage":
            print("hello from a debugging print", flush=True)
            reply = {"type": "echo_ok", "echo": body["echo"], "in_reply_to": body["msg_id"]}
        else:
            reply = {"type": "echo_ok", "echo": body["echo"], "in_reply_to": body["msg_id"], "extra": 1}
            print(json.dumps({"src": me, "dest": "n99", "body": {"type": "hello"}}), flush=True)
    else:
        continue
    print(json.dumps({"src": me, "dest": message["src"], "body": reply}), flush=True)
