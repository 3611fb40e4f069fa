"""Load test: N concurrent headless Chromium sessions against one server; asserts nothing.

    python scripts/loadtest.py --url http://127.0.0.1:8501 --sessions 10 \
        [--user leader --password ...] [--page /] [--timeout 120]

Every session is its own browser context (own cookies, own Streamlit session) in one headless
Chromium. With --user, all sessions first sign in at the same moment (timed as login_*); then
all open --page at the same moment, and each is timed from navigation until the page is ready:
an element of the page is there and the app's script run has finished
(`[data-testid="stApp"][data-test-script-state="notRunning"]`, as the browser tests wait).
Prints one `name: value unit` line per figure: sessions, p50, p95, max, min, mean and errors
(plus login_p50, login_p95 with --user). Chromium runs on the same machine as the client, so
on a small machine it competes with the server for the CPU: say so when quoting the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import time
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SIGNED_IN = '[data-testid="stSidebar"] button:has-text("退出登录")'


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of values, linear between closest ranks."""
    data = sorted(values)
    if not data:
        return math.nan
    pos = (len(data) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return data[low] + (data[high] - data[low]) * (pos - low)


def chromium_path(given: str | None) -> str | None:
    """Return the Chromium to drive: --chromium, Debian's, else None (Playwright's own)."""
    if given:
        return given
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


async def wait_ready(page, selector: str, timeout_ms: int) -> None:
    """Wait for an element of the page, then for the script run to finish (twice, 300 ms apart)."""
    await page.wait_for_selector(selector, timeout=timeout_ms)
    await page.wait_for_selector(READY, timeout=timeout_ms)
    await page.wait_for_timeout(300)
    await page.wait_for_selector(READY, timeout=timeout_ms)


async def sign_in(page, base: str, user: str, password: str, timeout_ms: int) -> None:
    """Open the login page, sign in and wait until the first page has rendered."""
    await page.goto(base + "/", timeout=timeout_ms)
    await wait_ready(page, 'input[type="password"]', timeout_ms)
    await page.get_by_label("用户名").fill(user)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_selector(SIGNED_IN, timeout=timeout_ms)
    await wait_ready(page, '[data-testid="stMain"]', timeout_ms)


async def one_session(browser, args: argparse.Namespace, start_login: asyncio.Event,
                      start_page: asyncio.Event, logged_in: list[float],
                      ready: list[float], errors: list[str], arrived: list[int]) -> None:
    """Run one session: (sign in), open the page, record its ready time or its error."""
    timeout_ms = int(args.timeout * 1000)
    context = await browser.new_context(viewport={"width": 1600, "height": 1000},
                                        locale="zh-CN", ignore_https_errors=args.insecure)
    try:
        page = await context.new_page()
        await start_login.wait()
        if args.user:
            t0 = time.perf_counter()
            await sign_in(page, args.url, args.user, args.password, timeout_ms)
            logged_in.append(time.perf_counter() - t0)
        arrived.append(1)
        await start_page.wait()
        selector = '[data-testid="stMain"]' if args.user else 'input[type="password"]'
        t0 = time.perf_counter()
        await page.goto(args.url + args.page, timeout=timeout_ms)
        await wait_ready(page, selector, timeout_ms)
        elapsed = time.perf_counter() - t0
        if args.user and await page.locator('input[type="password"]').count():
            raise RuntimeError("the page asked to sign in again (cookie not accepted)")
        ready.append(elapsed)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        arrived.append(1)
    finally:
        await context.close()


async def run(args: argparse.Namespace) -> dict[str, float]:
    """Drive the sessions and return the figures."""
    from playwright.async_api import async_playwright

    logged_in: list[float] = []
    ready: list[float] = []
    errors: list[str] = []
    arrived: list[int] = []
    start_login, start_page = asyncio.Event(), asyncio.Event()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(args.chromium),
                                          args=CHROMIUM_ARGS)
        tasks = [asyncio.create_task(one_session(browser, args, start_login, start_page,
                                                 logged_in, ready, errors, arrived))
                 for _ in range(args.sessions)]
        await asyncio.sleep(0.5)  # every context exists before the first request
        wall = time.perf_counter()
        start_login.set()
        while len(arrived) < args.sessions and not all(t.done() for t in tasks):
            await asyncio.sleep(0.05)
        start_page.set()  # all sessions signed in (or failed): open the page together
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - wall
        await browser.close()
    for message in errors:
        print(f"# error: {message}", file=sys.stderr)
    figures = {"sessions": args.sessions, "p50": percentile(ready, 50),
               "p95": percentile(ready, 95), "max": max(ready, default=math.nan),
               "min": min(ready, default=math.nan),
               "mean": statistics.fmean(ready) if ready else math.nan,
               "errors": len(errors), "wall": wall}
    if args.user:
        figures["login_p50"] = percentile(logged_in, 50)
        figures["login_p95"] = percentile(logged_in, 95)
    return figures


UNITS = {"sessions": "count", "errors": "count"}


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the load test, print `name: value unit` lines."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="base URL of the server, e.g. http://host:8501")
    ap.add_argument("--sessions", type=int, default=10, help="concurrent browser sessions")
    ap.add_argument("--user", default=None, help="sign in as this account first")
    ap.add_argument("--password", default=os.environ.get("CIVDATA_LOADTEST_PASSWORD"),
                    help="its password (default: env CIVDATA_LOADTEST_PASSWORD)")
    ap.add_argument("--page", default="/", help="path of the page to time, e.g. /problems")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per step")
    ap.add_argument("--chromium", default=None, help="Chromium executable (default: Debian's)")
    ap.add_argument("--insecure", action="store_true",
                    help="accept a self-signed HTTPS certificate")
    args = ap.parse_args(argv)
    if args.sessions < 1:
        ap.error("--sessions must be at least 1")
    if args.user and not args.password:
        ap.error("--user needs --password (or CIVDATA_LOADTEST_PASSWORD)")
    args.url = args.url.rstrip("/")
    if not args.page.startswith("/"):
        args.page = "/" + args.page
    figures = asyncio.run(run(args))
    for name, value in figures.items():
        unit = UNITS.get(name, "s")
        text = f"{int(value)}" if unit == "count" else f"{value:.2f}"
        print(f"{name}: {text} {unit}", flush=True)
    return 0 if figures["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
