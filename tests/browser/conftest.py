"""Browser fixtures: a Streamlit server on a free port over a copy of the sample, and Chromium.

Without Chromium the browser tests skip with one line of reason, unless
REQUIRE_BROWSER_TESTS=1 (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORDS, ROOT, SAMPLE_AS_OF

SHOTS = ROOT / "test-results"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def chromium_executable() -> str | None:
    """Return Debian's chromium, else Playwright's own download, else None."""
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
        return path if path and Path(path).exists() else None
    except Exception:
        return None


def _no_browser(reason: str) -> None:
    """Skip, or fail when REQUIRE_BROWSER_TESTS=1."""
    if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
        pytest.fail(f"browser tests required but {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running Streamlit server: its base URL and database URL."""

    url: str
    database_url: str
    process: subprocess.Popen = field(repr=False)


def stop_process(proc: subprocess.Popen) -> None:
    """Stop a process we started: terminate, then kill if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def streamlit_process(env_vars: dict[str, str], log_path: Path,
                      port: int | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run `streamlit run dashboard.py` on 127.0.0.1 with env_vars over os.environ; yield
    (base URL, process) once /_stcore/health answers, and stop it afterwards."""
    port = port or _free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.port", str(port),
             "--server.address", "127.0.0.1"],
            cwd=ROOT, env={**os.environ, **env_vars}, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while time.time() < deadline and proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail(f"streamlit did not start; log: {log_path.read_text()[-2000:]}")
            yield base, proc
        finally:
            stop_process(proc)


@contextmanager
def running_app(sample_template: Path, folder: Path, **env_extra: str) -> Iterator[Server]:
    """Start `streamlit run dashboard.py` on a free port over a copy of the sample in folder."""
    if chromium_executable() is None:
        _no_browser("no Chromium found (install the Debian package chromium)")
    db = folder / "app.db"
    shutil.copy(sample_template, db)
    env = {"CIVDATA_DATABASE_URL": f"sqlite:///{db}", "CIVDATA_TODAY": SAMPLE_AS_OF.isoformat(),
           "CIVDATA_SECRET": "browser-test-secret", "CIVDATA_PHOTO_DIR": str(folder / "photos"),
           **env_extra}
    with streamlit_process(env, folder / "server.log") as (base, proc):
        yield Server(url=base, database_url=env["CIVDATA_DATABASE_URL"], process=proc)


@pytest.fixture(scope="session")
def app_server(sample_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app over a copy of the sample, shared by the browser tests of a run."""
    with running_app(sample_template, tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Return a headless Chromium driven by Playwright."""
    exe = chromium_executable()
    if exe is None:
        _no_browser("no Chromium found (install the Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class BrowserPage:
    """A Playwright page plus the requests it made that left the machine."""

    page: object
    outside_requests: list[str]
    base_url: str


@pytest.fixture
def web(browser, app_server: Server) -> Iterator[BrowserPage]:
    """Return a fresh browser context (no cookies) with a tall viewport on the app."""
    context = browser.new_context(viewport={"width": 1600, "height": 2200}, locale="zh-CN")
    yield watched_page(context, app_server.url)
    context.close()


def watched_page(context, base_url: str) -> BrowserPage:
    """Return a new page of context on base_url that records every request leaving the machine."""
    outside: list[str] = []

    def record(request) -> None:
        host = request.url.split("/")[2] if "://" in request.url else ""
        if request.url.startswith(("http://", "https://", "ws://", "wss://")) and not (
                host.startswith("127.0.0.1") or host.startswith("localhost")):
            outside.append(request.url)

    context.on("request", record)
    page = context.new_page()
    page.set_default_timeout(60_000)
    return BrowserPage(page=page, outside_requests=outside, base_url=base_url)


# every canvas that gets a WebGL context: a map mounted anew (and drawn again) adds one
WEBGL_CANVASES = """(() => {
  const seen = new WeakSet(); window.__webglCanvases = 0;
  const get = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    const context = get.call(this, kind, ...rest);
    if (context && String(kind).startsWith("webgl") && !seen.has(this)) {
      seen.add(this); window.__webglCanvases++; }
    return context;
  };
})()"""

def map_ink(locator) -> float:
    """Return the share of a map element's pixels that something was drawn on: not white, and
    not the light grey a map shows until it first draws."""
    from io import BytesIO

    from PIL import Image

    pixels = list(Image.open(BytesIO(locator.screenshot())).convert("RGB").getdata())
    return sum(1 for r, g, b in pixels if min(r, g, b) < 236) / len(pixels)


def wait_ready(page, selector: str = '[data-testid="stMain"]') -> None:
    """Wait for an element of the page, then for the script run to finish."""
    page.wait_for_selector(selector, timeout=60_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=60_000)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=60_000)


def login(web: BrowserPage, user: str = "office", path: str = "/") -> None:
    """Open path, sign in as a demo user and wait until the first page has rendered."""
    page = web.page
    page.goto(web.base_url + path)
    wait_ready(page, 'input[type="password"]')
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(DEMO_PASSWORDS[user])
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stSidebar"] button:has-text("退出登录")', timeout=60_000)
    wait_ready(page)


def screenshot(web: BrowserPage, name: str) -> Path:
    """Save a full-page screenshot under test-results/ and return its path."""
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    web.page.screenshot(path=str(path), full_page=True)
    return path
