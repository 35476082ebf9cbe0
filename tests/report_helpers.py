"""Helpers for the chart and report tests: one small real what-if run on a bundled model, and a
headless Chromium driven over the DevTools protocol (websocket-client)."""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXPENSE = ROOT / "processes" / "expense_claim.yaml"

# A name with HTML in it: the report must escape it.
SCENARIO_NAME = 'Automate <b>checks</b> & "staff"'
SCENARIO_YAML = f"""name: '{SCENARIO_NAME}'
description: Faster claim checks <script>alert(1)</script>
base: {EXPENSE}
annual_cases: 6000
changes:
  - automate: {{activity: Check claim, duration: 0.2x}}
  - staff: {{pool: finance, count: +1}}
  - branching: {{from: claim complete, to: Ask for correction, probability: 0.08}}
"""
CASES = 150
REPLICATIONS = 3


@functools.cache
def whatif_run() -> tuple[Any, Path]:
    """A real what-if (3 changes, attribution) on the hand-written expense claim model, and the
    OUTDIR it was written to (a temporary folder shared by the tests of one session)."""
    import atexit

    import bpr

    tmp = Path(tempfile.mkdtemp(prefix="bpr-report-test-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    sc = tmp / "scenario.yaml"
    sc.write_text(SCENARIO_YAML, encoding="utf-8")
    result = bpr.whatif(bpr.load_scenario(sc), cases=CASES, replications=REPLICATIONS, seed=7)
    out = tmp / "out"
    result.write(out)
    return result, out


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--no-default-browser-check", "--disable-extensions",
                  "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                  # no network: every host resolves to nothing, and no proxy is tried
                  "--host-resolver-rules=MAP * ~NOTFOUND", "--no-proxy-server"]


class Browser:
    """A headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, exe: str, profile: Path, timeout_s: float = 30.0):
        import websocket

        self.profile = profile
        self.log = (profile.parent / "chromium-stderr.txt").open("wb")
        self.proc = subprocess.Popen(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "--window-size=1200,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout_s
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not start (see chromium-stderr.txt)")
            time.sleep(0.05)
        port = int(port_file.read_text().splitlines()[0])
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if not pages:
            self.close()
            raise RuntimeError("chromium has no page target")
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"],
                                              timeout=timeout_s, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call a DevTools method and return its result (events met on the way are kept)."""
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, method: str, timeout_s: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        for ev in self.events:
            if ev["method"] == method:
                return ev
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == method:
                    return msg
        raise TimeoutError(method)

    def open(self, url: str) -> None:
        """Navigate and wait for the load event (events are reset first)."""
        self.events = []
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")
        self.evaluate("1")  # let pending console/log events arrive

    def evaluate(self, expression: str) -> Any:
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            raise RuntimeError(f"evaluate failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, error log entries and non-local requests."""
        out = []
        for ev in self.events:
            m, p = ev["method"], ev.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console." + p["type"] + ": " + " ".join(
                    str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", "") + " " +
                           p["entry"].get("url", ""))
            elif m == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                if not url.startswith(("file:", "data:", "about:")):
                    out.append("network request: " + url)
            elif m == "Network.loadingFailed":
                out.append("failed to load: " + p.get("errorText", ""))
        return out

    def screenshot(self) -> bytes:
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000),
                "scale": 1}
        res = self.send("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                   "captureBeyondViewport": True})
        return base64.b64decode(res["data"])

    def pdf(self) -> bytes:
        res = self.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True})
        return base64.b64decode(res["data"])

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            with contextlib.suppress(Exception):  # closing anyway
                ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def file_url(path: Path) -> str:
    return Path(os.path.abspath(path)).as_uri()
