"""Write one PNG per page into docs/screenshots/ (make screenshots).

Loads the sample into a temporary database, starts the app on a free port, signs in as the
office demo account in headless Chromium and saves a full-page screenshot of every page.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT))
from ui.deckchart import MAPS_DRAWN_JS  # noqa: E402
from ui.nav import pages_for  # noqa: E402  (the office's menu: every page but users)

PAGES = ["" if i == 0 else p.url_path for i, p in enumerate(pages_for("office"))]
EN_PAGES = {"overview", "problems", "markets", "weekly"}  # also shot in English: *_en.png
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    """Return a free port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(page, selector: str) -> None:
    """Wait for selector, then for the script run to finish and every map to draw."""
    page.wait_for_selector(selector, timeout=90_000)
    for _ in range(2):
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                               timeout=90_000)
        page.wait_for_function(MAPS_DRAWN_JS, timeout=90_000)
        page.wait_for_timeout(1500)


def main(only: list[str] | None = None) -> int:
    """Take the screenshots (of the pages named in only, else of every page); return the exit
    code."""
    from playwright.sync_api import sync_playwright

    chromium = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CIVDATA_DATABASE_URL=f"sqlite:///{tmp}/shots.db",
                   CIVDATA_SECRET="screenshots", CIVDATA_PHOTO_DIR=f"{tmp}/photos")
        subprocess.run([sys.executable, "-m", "civdata", "load-sample"], env=env, cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
             "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.3)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=ARGS)
                page = browser.new_page(viewport={"width": 1600, "height": 2400})
                page.goto(base + "/")
                _wait(page, 'input[type="password"]')
                page.get_by_label("用户名").fill("office")
                page.get_by_label("密码").fill("demo-office-2022")
                page.get_by_role("button", name="登录").click()
                _wait(page, '[data-testid="stMain"] h1')
                wanted = [p for p in PAGES if not only or (p or "overview") in only]
                shots = [(p, "zh") for p in wanted] + [(p, "en") for p in wanted
                                                        if (p or "overview") in EN_PAGES]
                for name, lang in shots:
                    page.goto(f"{base}/{name}" + ("?lang=en" if lang == "en" else ""))
                    _wait(page, '[data-testid="stMain"] h1')
                    suffix = "_en" if lang == "en" else ""
                    target = OUT / f"{name or 'overview'}{suffix}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(f"wrote {target.relative_to(ROOT)}")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
