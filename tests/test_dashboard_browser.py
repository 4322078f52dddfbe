"""The dashboard in a real browser: ``recoverysim dashboard`` on loopback, driven by headless Chromium.

Skipped, with the reason shown, where Playwright or Debian's chromium is missing (``.ci/run`` installs it).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements.lock)")
pytest.importorskip("solara", reason="the dashboard packages are not installed (requirements.lock)")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run does this)", allow_module_level=True)

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ERROR_TEXT = re.compile(r"Traceback|Error:|error in|Failed to resolve component|Not applied", re.IGNORECASE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    save_dir = tmp_path_factory.mktemp("saved")
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "recoverysim", "dashboard", "japan_baseline",
                                 "--port", str(port), "--save-dir", str(save_dir)], stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"dashboard did not start:\n{log.read_text()}")
            time.sleep(0.3)
    yield url, save_dir
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _open(browser, url, external: list[str], problems: list[str]):
    """A new browser context (a separate session) on the dashboard; requests off this server are refused."""
    page = browser.new_context(viewport={"width": 1500, "height": 2300}).new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url)
               else (external.append(r.request.url), r.abort()))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # the server's assets proxy answers 500 for a front-end file it would have to fetch from the internet
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: problems.append(m.text) if ERROR_TEXT.search(m.text) else None)
    page.goto(url)
    page.wait_for_selector(".chart-stages", timeout=30_000)
    return page


def _charts(page) -> dict[str, str]:
    return {name: page.get_attribute(f".chart-{name}", "src") for name in
            ("stages", "services", "peers", "barriers", "network", "loops")}


def _switch(page, css: str) -> None:
    page.locator(f".{css} .v-input--selection-controls__input").click()


def _wait_text(page, css: str, pattern: str, timeout: float = 20_000) -> str:
    page.wait_for_function("([css, pattern]) => new RegExp(pattern).test(document.querySelector(css)?.innerText)",
                           arg=[f".{css}", pattern], timeout=timeout)
    return page.inner_text(f".{css}")


def test_dashboard_in_a_browser(dashboard, tmp_path):
    url, save_dir = dashboard
    external, problems = [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _open(browser, url, external, problems)
        assert "Year 0, week 0" in page.inner_text(".clock")
        page.locator(".applied-banner").wait_for()
        page.hover(".ctl-levers-coercion .ctl-label")
        tooltip = page.locator(".v-tooltip__content", has_text="Source:")
        tooltip.wait_for()
        assert "Unit: probability" in tooltip.inner_text()

        # A slider, a loop and a reform: each shows as pending until Reset.
        page.locator(".ctl-levers-coercion .v-slider").click(position={"x": 1, "y": 8})  # its left end
        assert _wait_text(page, "ctl-levers-coercion .ctl-value", "^0 ") == "0 probability"
        _switch(page, "ctl-loops-coercion-trauma")
        _switch(page, "ctl-reforms-crisis-advocacy-on")
        page.locator(".ctl-reforms-crisis-advocacy-start-year").wait_for()
        banner = _wait_text(page, "pending-banner", "3 change")
        assert "Coercion: 0.5 -> 0" in banner and "R3 coercion trauma" in banner
        assert page.locator(".ctl.pending").count() == 3

        page.click(".reset")
        page.locator(".applied-banner").wait_for()
        before = _charts(page)
        page.click(".step-year")
        _wait_text(page, "clock", "Year 1, week 0")
        every_chart_redrawn = "old => Object.keys(old).every(n => document.querySelector('.chart-' + n).src !== old[n])"
        page.wait_for_function(every_chart_redrawn, arg=before, timeout=20_000)
        assert "crises -> coercion (switched off)" in page.inner_text(".loop-notes")
        tally = page.inner_text(".tally")
        assert " 0 coercive episodes" in tally  # the coercion lever at 0 took effect

        # One person's story, and the settings saved as a scenario file the loader accepts.
        page.fill(".person-input input", "3")
        page.press(".person-input input", "Enter")
        page.click(".tell-story")
        assert "Person 3 in japan_baseline" in _wait_text(page, "story pre", "Person 3")
        page.fill(".ctl-run-seed input", "7")  # pending only: saved, not yet running
        page.press(".ctl-run-seed input", "Enter")
        page.click(".save-scenario")
        _wait_text(page, "scenario-message", "Saved")
        from recoverysim.scenario import load_scenario

        saved = load_scenario(Path(save_dir) / "my_scenario.toml")
        assert saved["levers.coercion"] == 0.0 and saved["loops.coercion_trauma"] is False
        assert saved["run.seed"] == 7 and [r.name for r in saved.reforms] == ["crisis_advocacy"]

        # A second session starts at week 0 with the scenario's values and runs its own model.
        other = _open(browser, url, external, problems)
        assert "Year 0, week 0" in other.inner_text(".clock")
        assert other.inner_text(".ctl-levers-coercion .ctl-value") == "0.5 probability"
        other.locator(".applied-banner").wait_for()
        other.click(".step-year")
        assert not re.search(r" 0 coercive episodes", _wait_text(other, "clock", "Year 1, week 0") and
                             other.inner_text(".tally"))
        page.click(".step-week")
        assert "Year 1, week 1" in _wait_text(page, "clock", "week 1 ")
        assert "Year 1, week 0" in other.inner_text(".clock")
        other.click(".play")
        _wait_text(other, "clock", r"Year 1, week [1-9]", timeout=40_000)
        other.click(".play")  # pause
        assert "Year 1, week 1 " in page.inner_text(".clock")

        for tab in (page, other):
            assert not ERROR_TEXT.search(tab.inner_text("body"))
            assert tab.locator(".v-alert.error").count() == 0
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        other.screenshot(path=str(tmp_path / "second_session.png"), full_page=True)
        browser.close()
    assert external == [], "the page asked for something off this machine"
    assert problems == []
