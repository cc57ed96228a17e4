"""Driving headless Chromium from the tests, with the standard library only.

Chromium speaks the DevTools protocol over two pipes when started with --remote-debugging-pipe: it reads
commands from its fd 3 and writes replies and events to its fd 4, each a JSON message ended by a NUL byte.
That is enough to load a page, run script in it, click, scroll, and take a screenshot (decoded by `png_pixels`).
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import zlib
from typing import Any, Dict, List, Optional, Tuple

import pytest

WIDTH, HEIGHT = 1200, 800
_WAIT = 120  # seconds before a browser that stopped answering fails the test (a guard, not a measurement)


def chromium_path() -> str:
    """The browser; skips the test when none is installed (under CI=true, where .ci/run installs it, fails)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    why = "no headless browser: apt-get install chromium (CI does, in .ci/run)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {why}")
    pytest.skip(why)


class Browser:
    """One headless Chromium with one page, driven over the DevTools pipe."""

    def __init__(self) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="fastmlmd-chromium-")
        # Each pipe end at fd 5 or above, so that putting one at 3 or 4 in the child never overwrites the other.
        to_browser_read, self._to_browser, self._from_browser, from_browser_write = (
            _above_four(fd) for fd in (*os.pipe(), *os.pipe()))

        def wire_pipes() -> None:  # in the child: the protocol's fds are 3 (commands) and 4 (replies)
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        self._process = subprocess.Popen(
            [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--hide-scrollbars", "--remote-debugging-pipe", f"--window-size={WIDTH},{HEIGHT}",
             f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_pipes, pass_fds=(3, 4), close_fds=True)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: List[Dict[str, Any]] = []
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                  mobile=False)

    def _send(self, message: Dict[str, Any]) -> None:
        os.write(self._to_browser, json.dumps(message).encode("utf-8") + b"\0")

    def _receive(self) -> Dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], _WAIT)
            if not ready:
                raise TimeoutError(f"chromium sent nothing for {_WAIT} s")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise ConnectionError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def _call(self, method: str, session: Optional[str] = None, **params: Any) -> Dict[str, Any]:
        self._next_id += 1
        message: Dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._send(message)
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def call(self, method: str, **params: Any) -> Dict[str, Any]:
        """A command to the page."""
        return self._call(method, self._session, **params)

    def wait_for(self, event: str) -> Dict[str, Any]:
        for index, seen in enumerate(self.events):
            if seen.get("method") == event:
                return self.events.pop(index)
        while True:
            message = self._receive()
            if message.get("method") == event:
                return message
            self.events.append(message)

    def open(self, url: str) -> None:
        """Loads `url` and returns once its load event fired (its scripts have run by then)."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        reply = self.call("Page.navigate", url=url)
        if reply.get("errorText"):
            raise RuntimeError(f"navigating to {url}: {reply['errorText']}")
        self.wait_for("Page.loadEventFired")

    def load_after(self, expression: str) -> None:
        """Runs `expression` (a click on a link, a form's submit) and returns once the page it opens loaded."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        self.js(expression)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        """The value of a script expression in the page."""
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def mouse(self, kind: str, x: float, y: float, **extra: Any) -> None:
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)

    def click(self, x: float, y: float) -> None:
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y, button="left", clickCount=1)
        self.mouse("mouseReleased", x, y, button="left", clickCount=1)

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def problems(self) -> List[str]:
        """Script exceptions and errors the page logged (a refused script would show here)."""
        found = [json.dumps(e["params"]["exceptionDetails"]) for e in self.events
                 if e.get("method") == "Runtime.exceptionThrown"]
        found += [e["params"]["entry"]["text"] for e in self.events
                  if e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
        return found

    def close(self) -> None:
        try:
            self._call("Browser.close")
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()


def _above_four(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5)
    os.close(fd)
    return moved


def png_pixels(data: bytes) -> Tuple[int, int, List[bytes], int]:
    """(width, height, rows, bytes per pixel) of an 8-bit, non-interlaced RGB or RGBA PNG, as Chromium writes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    rows: List[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind_of_filter, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up = previous[i]
            upper_left = previous[i - step] if i >= step else 0
            if kind_of_filter == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_of_filter == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_of_filter == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind_of_filter == 4:
                guess = left + up - upper_left
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - upper_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else upper_left)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows, step


def pixel(picture: Tuple[int, int, List[bytes], int], x: int, y: int) -> str:
    """The colour at (x, y) as #rrggbb."""
    _, _, rows, step = picture
    red, green, blue = rows[y][x * step:x * step + 3]
    return f"#{red:02x}{green:02x}{blue:02x}"
