"""A small Maelstrom node library for the harness's test nodes.

Reads one JSON message per line on stdin, calls the handler registered for the
body's type, and writes replies as JSON lines on stdout. Single-threaded:
handlers run one at a time, in arrival order. rpc() sends a request and calls
a callback with the reply; timers run from the same loop.
"""
import json
import select
import sys
import time


class Node:
    def __init__(self):
        self.node_id = None
        self.node_ids = []
        self.handlers = {}
        self.callbacks = {}
        self.next_msg_id = 0
        self.timers = []  # (due, interval, function)
        self.on("init", self._init)

    def on(self, type_, handler):
        self.handlers[type_] = handler

    def every(self, seconds, function):
        self.timers.append([time.monotonic() + seconds, seconds, function])

    def log(self, text):
        print(text, file=sys.stderr, flush=True)

    def send(self, dest, body):
        sys.stdout.write(json.dumps({"src": self.node_id, "dest": dest, "body": body}) + "\n")
        sys.stdout.flush()

    def reply(self, request, body):
        body = dict(body)
        body["in_reply_to"] = request["body"]["msg_id"]
        self.send(request["src"], body)

    def rpc(self, dest, body, callback):
        self.next_msg_id += 1
        body = dict(body)
        body["msg_id"] = self.next_msg_id
        self.callbacks[self.next_msg_id] = callback
        self.send(dest, body)

    def _init(self, message):
        self.node_id = message["body"]["node_id"]
        self.node_ids = message["body"]["node_ids"]
        self.reply(message, {"type": "init_ok"})

    def _handle(self, message):
        body = message["body"]
        if "in_reply_to" in body and body["in_reply_to"] in self.callbacks:
            self.callbacks.pop(body["in_reply_to"])(message)
            return
        handler = self.handlers.get(body["type"])
        if handler is not None:
            handler(message)

    def run(self):
        buffer = b""
        while True:
            timeout = None
            if self.timers:
                timeout = max(0.0, min(t[0] for t in self.timers) - time.monotonic())
            ready, _, _ = select.select([sys.stdin], [], [], timeout)
            if ready:
                chunk = sys.stdin.buffer.read1(65536)
                if not chunk:
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        self._handle(json.loads(line))
            now = time.monotonic()
            for timer in self.timers:
                if timer[0] <= now:
                    timer[0] = now + timer[1]
                    timer[2]()
