"""The HTML report in a real browser: readable, quiet on the network, no console errors.

Opens reports in headless Chromium and watches the page through the Chrome
DevTools Protocol over ``--remote-debugging-pipe`` (Python's stdlib only):
``Network.requestWillBeSent`` proves that the page asked for nothing but
itself, ``Runtime.consoleAPICalled``, ``Runtime.exceptionThrown`` and
``Log.entryAdded`` that it logged no error (a Content-Security-Policy
violation would appear there), ``Page.javascriptDialogOpening`` that no
injected ``alert`` ran. A screenshot of the full diagnose report is kept in
``tests/output/diagnose_report.png`` for a person to look at.

Skipped when Chromium is not installed, unless ``MFU_ADVISOR_REQUIRE_BROWSER=1``
(set by ``.ci/run``), in which case it fails.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import first_skipped, headline_mfu, measured_gain, top_change, worst_dont

from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Report

# One Chromium for the module: xdist keeps its tests on one worker (--dist loadgroup).
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "reports"
OUTPUT = ROOT / "tests" / "output"

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
TIMEOUT_S = 60.0


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("MFU_ADVISOR_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium is required (MFU_ADVISOR_REQUIRE_BROWSER=1) but not installed")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


class DevTools:
    """A minimal Chrome DevTools Protocol client over the browser's debugging pipe.

    Chromium reads NUL-terminated JSON commands from fd 3 and writes replies and
    events to fd 4.
    """

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def _wire_fds() -> None:  # runs in the child, before exec
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_wire_fds,
            # close_fds runs after preexec_fn in the child: keep the dup2 targets open.
            pass_fds=(3, 4),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Send a command and wait for its reply; events seen meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            for reply in self._read():
                if reply.get("id") == self._next_id:
                    if "error" in reply:
                        raise AssertionError(f"{method} failed: {reply['error']}")
                    return dict(reply.get("result", {}))
                self.events.append(reply)
        raise AssertionError(f"no reply to {method} within {TIMEOUT_S} s")

    def wait_for(self, method: str, timeout_s: float = TIMEOUT_S) -> dict[str, Any]:
        """Wait until an event named ``method`` arrives (or has arrived) and return it."""
        deadline = time.monotonic() + timeout_s
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(f"no {method} event within {timeout_s} s")
            self.events.extend(self._read())

    def settle(self, seconds: float) -> None:
        """Keep collecting events for a while (late requests, late console messages)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.events.extend(self._read(timeout_s=0.1))

    def _read(self, timeout_s: float = 1.0) -> Iterator[dict[str, Any]]:
        import select

        ready, _, _ = select.select([self._from_browser], [], [], timeout_s)
        if ready:
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise AssertionError("the browser closed its debugging pipe")
            self._buffer += chunk
        while b"\0" in self._buffer:
            raw, self._buffer = self._buffer.split(b"\0", 1)
            yield json.loads(raw)

    def close(self) -> None:
        with contextlib.suppress(AssertionError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    binary = _browser()
    devtools = DevTools(binary, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield devtools
    finally:
        devtools.close()


def _open(browser: DevTools, page: Path, width: int = 1100) -> tuple[str, dict[str, Any]]:
    """Open ``page`` in a fresh tab with every watcher on; return (session, page facts)."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    browser.events.clear()
    for domain in ("Network", "Runtime", "Log", "Page"):
        browser.send(f"{domain}.enable", session=session)
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    url = page.resolve().as_uri()
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired")
    browser.settle(1.0)
    facts = browser.send(
        "Runtime.evaluate",
        {
            "expression": "JSON.stringify({text: document.body.innerText,"
            " charts: document.querySelectorAll('svg.chart').length,"
            " scripts: document.querySelectorAll('script:not([type=\"application/json\"])').length,"
            " height: document.documentElement.scrollHeight,"
            " data: JSON.parse(document.getElementById('mfu-advisor-report').textContent)})",
            "returnByValue": True,
        },
        session=session,
    )
    return session, {"url": url, **json.loads(facts["result"]["value"])}


def _problems(browser: DevTools, url: str) -> dict[str, list[Any]]:
    requests = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    console = [
        e["params"]
        for e in browser.events
        if e.get("method") == "Runtime.consoleAPICalled"
        and e["params"].get("type") in ("error", "assert", "warning")
    ]
    logged = [
        e["params"]["entry"]
        for e in browser.events
        if e.get("method") == "Log.entryAdded"
        and e["params"]["entry"].get("level") in ("error", "warning")
    ]
    exceptions = [
        e["params"] for e in browser.events if e.get("method") == "Runtime.exceptionThrown"
    ]
    dialogs = [
        e["params"] for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"
    ]
    return {
        "own_request_seen": [u for u in requests if u == url],
        "other_requests": [u for u in requests if u != url],
        "console_errors": console,
        "log_errors": logged,
        "exceptions": exceptions,
        "dialogs": dialogs,
    }


def _write_report(doc_path: Path, out: Path) -> Report:
    report = Report.from_json(json.loads(doc_path.read_text()))
    out.write_text(render(report, OutputFormat.HTML), encoding="utf-8")
    return report


def test_full_diagnose_report_shows_its_findings_loads_nothing_and_logs_no_error(
    browser: DevTools, tmp_path: Path
) -> None:
    page = tmp_path / "diagnose.html"
    report = _write_report(DATA / "diagnose_from_log_zen3.json", page)
    session, facts = _open(browser, page)
    problems = _problems(browser, facts["url"])

    # The watchers work: the page's own load was seen as a request.
    assert problems["own_request_seen"], "Network events were not received"
    assert problems["other_requests"] == []
    assert problems["console_errors"] == []
    assert problems["log_errors"] == []
    assert problems["exceptions"] == []
    assert facts["scripts"] == 0

    text = facts["text"]
    doc = report.to_json()
    top, worst = top_change(doc), worst_dont(doc)
    for visible in (
        "Verdict",
        top["title"],
        measured_gain(top),
        worst["title"],
        measured_gain(worst),
        headline_mfu(doc),
        headline_mfu(doc, "a100_reference"),
        "AMD EPYC",
        "What-if experiments",
        first_skipped(doc)["reason"],
    ):
        assert visible in text, visible
    assert facts["charts"] >= 5  # speedups, MFU x2, roofline, step time series x2
    assert facts["data"]["command"] == "diagnose"
    assert facts["data"]["findings"] == report.payload["findings"]

    # Full-page screenshot for a person to look at.
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1100, "height": int(facts["height"]), "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG") and len(png) > 50_000
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "diagnose_report.png").write_bytes(png)

    # The console watcher works too: a message logged now arrives as an event.
    browser.send("Runtime.evaluate", {"expression": "console.error('cdp-probe')"}, session=session)
    browser.settle(0.5)
    assert any(e.get("method") == "Runtime.consoleAPICalled" for e in browser.events), (
        "console events were not received"
    )


def test_script_in_a_log_line_is_shown_as_text_and_never_runs(
    browser: DevTools, tmp_path: Path
) -> None:
    doc = json.loads((DATA / "diagnose_from_log_zen3.json").read_text())
    hostile = "<script>alert(1)</script> and </script><img src=x onerror=alert(2)>"
    doc["verdict"] = f"log line: {hostile}"
    doc["findings"][0]["title"] = hostile
    doc["analysis"]["config"]["out_dir"] = hostile
    source = tmp_path / "hostile.json"
    source.write_text(json.dumps(doc))
    page = tmp_path / "hostile.html"
    _write_report(source, page)
    _session, facts = _open(browser, page)
    problems = _problems(browser, facts["url"])
    assert problems["dialogs"] == []
    assert problems["other_requests"] == []  # the <img src=x> was never an element
    assert problems["console_errors"] == [] and problems["log_errors"] == []
    assert facts["scripts"] == 0
    assert facts["text"].count("<script>alert(1)</script>") >= 3
    assert facts["data"]["verdict"] == f"log line: {hostile}"
