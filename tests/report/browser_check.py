#!/usr/bin/env python3
"""Opens a report page in headless Chromium and says what a person would see.

    browser_check.py PAGE.html --screenshot OUT.png [--select CSS ...] [--clip CSS] [--eval JS]
                     [--timeout SECONDS]

Prints one JSON object: the console errors and uncaught exceptions, every
request for something other than the page's own file, whether each selector
matched an element, the page's own figures (data-render-ms: milliseconds from
navigation to the diagrams drawn; data-draw-ms: of which the diagram script's
decoding and drawing; data-diagrams), the page's size, and where the
screenshot went.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe),
with the standard library only: no TCP port is opened, so two test runs never
meet, and the protocol reports console messages, exceptions and network
requests directly instead of through a log to be scraped. Nothing here waits on
the wall clock for a result: it waits for the browser's own events (the load
event, then the page's data-render-ms), and --timeout only bounds a browser
that hangs.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    """A headless Chromium on the other end of two pipes (fd 3: commands in, fd 4: replies out)."""

    def __init__(self, profile, timeout):
        self.deadline = time.monotonic() + timeout
        commands_read, self.commands = os.pipe()
        self.replies, replies_write = os.pipe()
        binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if binary is None:
            raise SystemExit("chromium is not installed (scripts/install-deps.sh installs it)")

        def wire_pipes():
            # Chromium reads commands from fd 3 and writes replies to fd 4.
            read_end, write_end = os.dup(commands_read), os.dup(replies_write)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [binary, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--user-data-dir=" + profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_pipes, close_fds=False)
        os.close(commands_read)
        os.close(replies_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        return self.next_id

    def receive(self):
        while b"\0" not in self.buffer:
            if time.monotonic() > self.deadline:
                raise TimeoutError("the browser did not answer in time")
            chunk = os.read(self.replies, 1 << 20)
            if not chunk:
                raise EOFError("the browser closed its pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None):
        sent = self.send(method, params, session)
        while True:
            message = self.receive()
            if message.get("id") == sent:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method):
        while not any(event.get("method") == method for event in self.events):
            self.events.append(self.receive())

    def close(self):
        try:
            self.send("Browser.close")
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()
            self.process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--select", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1800)
    parser.add_argument("--clip", help="photograph only the element this CSS selector picks")
    parser.add_argument("--eval", help="a JavaScript expression to evaluate once drawn (its value: \"eval\")")
    arguments = parser.parse_args()
    page = os.path.abspath(arguments.page)
    url = "file://" + page
    profile = tempfile.mkdtemp(prefix="faultline-chromium-")
    browser = Browser(profile, arguments.timeout)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            browser.call(domain, session=session)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": arguments.width, "height": arguments.height, "deviceScaleFactor": 1, "mobile": False},
                     session)
        browser.call("Page.navigate", {"url": url}, session)
        browser.wait_for("Page.loadEventFired")
        # The diagrams draw during the load; data-render-ms is set when they are done.
        figures = browser.call("Runtime.evaluate", {
            "expression": "JSON.stringify({renderMs: document.body.dataset.renderMs || null,"
                          " drawMs: document.body.dataset.drawMs || null,"
                          " diagrams: document.body.dataset.diagrams || null,"
                          " title: document.title, height: document.documentElement.scrollHeight})",
            "returnByValue": True}, session)["result"]["value"]
        matched = {}
        for selector in arguments.select:
            found = browser.call("Runtime.evaluate", {
                "expression": f"document.querySelector({json.dumps(selector)}) !== null", "returnByValue": True},
                session)["result"]["value"]
            matched[selector] = found
        evaluated = None
        if arguments.eval:
            evaluated = browser.call("Runtime.evaluate", {"expression": arguments.eval, "returnByValue": True},
                                     session)["result"].get("value")
        capture = {"format": "png"}
        if arguments.clip:
            box = browser.call("Runtime.evaluate", {
                "expression": "(() => { const r = document.querySelector(%s).getBoundingClientRect();"
                              " return JSON.stringify([r.left + scrollX, r.top + scrollY, r.width, r.height]); })()"
                              % json.dumps(arguments.clip), "returnByValue": True}, session)["result"]["value"]
            left, top, width, height = json.loads(box)
            capture.update(captureBeyondViewport=True,
                           clip={"x": left, "y": top, "width": width, "height": height, "scale": 1})
        shot = browser.call("Page.captureScreenshot", capture, session)
        with open(arguments.screenshot, "wb") as out:
            out.write(base64.b64decode(shot["data"]))
        errors, requests = [], []
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                errors.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append("console: " + " ".join(str(arg.get("value", arg.get("description", "")))
                                                     for arg in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                errors.append("log: " + params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                requested = params["request"]["url"]
                if requested != url and not requested.startswith("data:"):
                    requests.append(requested)
        result = dict(json.loads(figures), errors=errors, requests=requests, matched=matched, eval=evaluated,
                      bytes=os.path.getsize(page), screenshot=arguments.screenshot)
        print(json.dumps(result))
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
