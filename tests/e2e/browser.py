"""Helpers for browser tests: a served dashboard subprocess and Debian's Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from workloads.spark import free_port

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Fully rendered: the KPIs filled, at least %d chart figures (fleet power, faults, the
# trend's temperatures and vibration, one map per site) drawn as pictures and none still
# loading, the alerts table's rows in place, and the page's Bokeh document done drawing.
# One check in the page: Playwright's own locators, walking every shadow root on each poll,
# would slow the load they measure.
FULLY_RENDERED = """() => {
  const roots = [document];
  let figures = 0, pictures = 0, rows = 0, kpis = false;
  while (roots.length) {
    const root = roots.pop();
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) roots.push(el.shadowRoot);
      if (el.classList.contains('wm-chart')) pictures++;
      if (el.classList.contains('wm-chart') && el.complete && el.naturalWidth > 0) figures++;
      if (el.classList.contains('wm-row')) rows++;
      if (el.id === 'kpi-turbines' && el.textContent.trim()) kpis = true;
    }
  }
  const docs = window.Bokeh ? window.Bokeh.documents : [];
  return kpis && figures >= %d && figures === pictures && rows > 0 && docs.length > 0 &&
    docs.every((d) => d.is_idle);
}"""

PICTURE = (
    "async (img) => { try { return await (await fetch(img.src)).text() } catch { return null } }"
)
# Every table against the box it lives in (its scroller, inside the card) and the viewport.
TABLE_FITS = """() => {
  const out = [], roots = [document];
  while (roots.length) {
    const root = roots.pop();
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) roots.push(el.shadowRoot);
      if (el.tagName !== 'TABLE') continue;
      const box = el.parentElement, card = el.getRootNode().host || box;
      out.push({table: el.scrollWidth, box: box.clientWidth,
                right: Math.round(card.getBoundingClientRect().right),
                first_header: (el.querySelector('th') || {}).textContent || ''});
    }
  }
  return {tables: out, page: document.scrollingElement.scrollWidth, viewport: innerWidth};
}"""

LAPTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def get_json(url: str, timeout: float = 10) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


@contextmanager
def served_dashboard(*args: str, env: dict[str, str] | None = None, ready_timeout: float = 90):
    """Start `python -m dashboard` on a free port; yields its base URL; kills it after."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"dashboard-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "--port", str(port), *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"dashboard exited with {process.returncode}; see {log.name}")
            try:
                if get_json(f"{base}/api/health", timeout=2).get("ready"):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dashboard not ready after {ready_timeout} s; see {log.name}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# Headless Chromium 15x still builds the omnibox's WebUI popup for every new tab, which has
# no omnibox: two renderers and ~0.9 s of CPU per tab (psutil), competing with the page under
# test on a two-core machine. Those features are switched off. Chromium honours only the last
# --disable-features switch and Playwright passes its own list, so ours extends Playwright's.
OFF_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")


def browser_switches(name: str) -> list[str]:
    """The values of switch `name` (e.g. --disable-features) of this process's Chromium."""
    import psutil

    values = []
    for process in psutil.Process().children(recursive=True):
        try:
            args = process.cmdline()
        except psutil.Error:
            continue
        # The browser process: started with the DevTools pipe, not a --type=renderer etc.
        if "--remote-debugging-pipe" in args and not any(a.startswith("--type=") for a in args):
            values += [a.split("=", 1)[1] for a in args if a.startswith(f"{name}=")]
    return values


@contextmanager
def chromium(off_features: tuple[str, ...] = OFF_FEATURES):
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        probe = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        defaults = browser_switches("--disable-features")
        probe.close()
        features = ",".join([*defaults, *off_features])
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, f"--disable-features={features}"],
            ignore_default_args=[f"--disable-features={value}" for value in defaults],
        )
        try:
            yield browser
        finally:
            browser.close()
