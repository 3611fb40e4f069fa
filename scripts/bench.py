"""Benchmarks (make bench): prints one `name: value unit` line per figure; asserts nothing.

For each size (default 10,000 and 100,000 problems; --full adds 1,000,000) builds the sample
plus scaled data (scripts/scale_data.py: problems over five years with inspections, item scores,
activities and events in proportion), then prints:
  scale_data_N                      seconds to generate and write the scaled data
  overview_query_{figures,ranking,trend}_N   the overview's reads (best of 3)
  duckdb_overview_{...}_N           the same figures in DuckDB on the same rows (best of 3)
  overview_vs_duckdb_{...}_N        the ratio of the two
  site_join_N                       nearest site, distance, H3 cell and 300 m links, all problems
  page_<page>_{cold,warm}_N         each page's script run through AppTest, signed in: cold =
                                    first run with Streamlit's caches cleared, warm = the rerun
  map_payload_N                     the deck JSON the map page sends
  server_peak_rss_N                 peak RSS of `streamlit run` (children included) while
                                    headless Chromium opens every page (skipped without Chromium
                                    unless REQUIRE_BROWSER_TESTS=1; --no-browser skips it)
  import_rows_per_s                 validated CSV import of problems into the sample (once)
  readiness_{estimate,trend_cold,trend_warm,overview}_N  the evaluation readiness with
                                    50,000 site inspections (added to the sample's, item results
                                    included): one estimate (best of 3); the 12-week trend with
                                    no stored weekly snapshot (cold: 11 finished weeks computed
                                    and stored, plus the current one) and with them (warm: the
                                    current week only); the overview's headline (estimate now +
                                    last week's snapshot, the snapshots stored)
What a user waits for (issue 18), with headless Chromium (skipped like server_peak_rss):
  startup_N                         `streamlit run` started until /_stcore/health answers
  browser_<page>_first_N            a new server (its only earlier run: the sign-in landing),
                                    from the click on the page's sidebar link until Streamlit
                                    is idle and every map on the page has drawn all its layers
                                    (overview: from the sign-in click, the landing page)
  browser_<page>_second_N           a minute later (the app's clock moved on by one minute via
                                    scripts/bench_server.py): to another page and back by the
                                    sidebar, the return timed
  browser_<page>_reload_N           then a full reload of the page (Streamlit's frontend loaded
                                    again, the server's caches warm): the browser's floor
  growth_<page>_{cold,first}_B_over_A   how a page's time grows from size A to size B
  browser_floor_{floor,points,map_layers,map_layers_pydeck}   once: the median second visit
                                    (of 5) of the pages of scripts/bench_floor.py, an app with
                                    no data: a heading; a map of 381 points; a map with the
                                    sites map's layer types (outlines, points, names); the same
                                    map through st.pydeck_chart (a new WebGL context a visit).
                                    What any page and any map cost in this browser on this
                                    machine before their data
Each size also runs on a second shape of data that is not this generator's default
(scale_data.py --shape clustered: 10 % open, half the problems within 300 m of 20 sites), its
figures prefixed clustered_; and on PostgreSQL (figures prefixed pg_) when
CIVDATA_BENCH_POSTGRES_URL is set (its public schema is dropped and recreated), with a side by
side table on stderr. The clock is frozen at 12:00 on 2026-11-25 (CIVDATA_TODAY) in the
AppTest runs. Cold AppTest runs clear st.cache_resource too: the engine (and init_db) is
created inside the timing, as in a new process. Timings are wall-clock and noisy.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ["CIVDATA_TODAY"] = "2026-11-25"
os.environ.setdefault("CIVDATA_SECRET", "bench-secret-not-for-production")
logging.getLogger("streamlit").setLevel(logging.ERROR)

from civdata.core import clock  # noqa: E402

NOON = datetime.combine(date(2026, 11, 25), datetime.min.time()) + timedelta(hours=12)
# Freeze the app's clock at noon on the sample's day before anything binds now_local: a warm
# run then stays within the minute that keys the cached page reads.
clock.now_local = lambda: clock._REPLAY_AT.get() or NOON  # the sample replays at its moments

import pandas as pd  # noqa: E402
from scale_data import AS_OF, add_scaled_data  # noqa: E402
from sqlalchemy import delete, func, insert, select, text  # noqa: E402

from civdata.core import models as m  # noqa: E402
from civdata.core.db import make_engine, session_factory, session_scope  # noqa: E402
from civdata.core.schema import init_db  # noqa: E402
from civdata.domain import district  # noqa: E402
from civdata.io.sample import load_sample  # noqa: E402

DEMO = {"office": "demo-office-2022", "admin": "demo-admin-2022"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


RESULTS: dict[str, float] = {}
PREFIX = {"value": ""}  # "", "clustered_" or "pg_": the data variant being measured


def emit(name: str, value: float, unit: str, digits: int = 3) -> None:
    """Print one figure as `name: value unit` (prefixed by the variant being measured)."""
    name = PREFIX["value"] + name
    RESULTS[name] = value
    print(f"{name}: {value:.{digits}f} {unit}", flush=True)


def best_of(fn: Callable[[], object], runs: int = 3) -> float:
    """Return the best wall time of runs calls of fn."""
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


# --- the overview's queries, in the app and in DuckDB ----------------------------------------

def overview_queries(session) -> dict[str, Callable[[], object]]:
    """Return the overview's reads as the page makes them, by figure name."""
    return {"figures": lambda: district.figures_at(session, NOON, None),
            "ranking": lambda: district.subdistrict_ranking(session, AS_OF),
            "trend": lambda: district.weekly_problem_flow(session, NOON, 12, None)}


DUCK_TABLES = {
    "problem": "SELECT id, subdistrict_id, status, discovered_at, deadline, closed_at, "
               "closed_on_time FROM problem",
    "problem_site": "SELECT problem_id, site_id FROM problem_site",
    "site": "SELECT id, subdistrict_id FROM site",
    "community": "SELECT id, subdistrict_id FROM community",
    "volunteer_activity": "SELECT community_id, held_on FROM volunteer_activity",
    "market": "SELECT id, subdistrict_id FROM market",
    "market_inspection": "SELECT market_id, inspected_on, total_score FROM market_inspection",
    "project": "SELECT id, programme, batch, subdistrict_id, floor_area_m2, length_m "
               "FROM project",
    "project_progress": "SELECT id, project_id, reported_on, percent FROM project_progress",
}
_DATE_COLS = {"discovered_at", "deadline", "closed_at", "held_on", "inspected_on", "reported_on"}


def duckdb_connection(url: str):
    """Return an in-memory DuckDB holding the tables the overview reads (read once via pandas)."""
    import duckdb

    eng = make_engine(url)
    con = duckdb.connect()
    with eng.connect() as conn:
        for name, sql in DUCK_TABLES.items():
            frame = pd.read_sql_query(text(sql), conn)
            for col in _DATE_COLS & set(frame.columns):
                frame[col] = pd.to_datetime(frame[col], format="ISO8601")
            con.from_df(frame).create(name)
    eng.dispose()
    return con


DUCK_SQL = {  # $t the moment, $w a week before it, $d its day, $e the end of that day
    "figures": [
        """SELECT sum(CASE WHEN discovered_at <= $t AND (closed_at IS NULL OR closed_at > $t)
                      THEN 1 ELSE 0 END),
                  sum(CASE WHEN discovered_at <= $t AND (closed_at IS NULL OR closed_at > $t)
                      AND deadline < $t THEN 1 ELSE 0 END),
                  sum(CASE WHEN closed_at > $w AND closed_at <= $t THEN 1 ELSE 0 END),
                  sum(CASE WHEN closed_at > $w AND closed_at <= $t AND closed_on_time
                      THEN 1 ELSE 0 END),
                  sum(CASE WHEN discovered_at > $w AND discovered_at <= $t THEN 1 ELSE 0 END)
           FROM problem WHERE closed_at IS NULL OR closed_at > $w""",
        """SELECT count(DISTINCT ps.site_id) FROM problem_site ps
           JOIN problem p ON p.id = ps.problem_id
           WHERE discovered_at <= $t AND (closed_at IS NULL OR closed_at > $t)""",
        "SELECT count(*) FROM site",
        """SELECT count(DISTINCT community_id) FROM volunteer_activity
           WHERE held_on >= $d - INTERVAL 29 DAY AND held_on <= $d""",
        "SELECT count(*) FROM community",
        """SELECT avg(total_score) FROM market_inspection
           WHERE inspected_on >= $d - INTERVAL 6 DAY AND inspected_on <= $d""",
        """SELECT p.programme, p.batch, sum(coalesce(pp.percent, 0) * greatest(
                  CASE WHEN p.programme = 'old_compound' THEN p.floor_area_m2 ELSE p.length_m END,
                  1)) FROM project p
           LEFT JOIN (SELECT project_id, max(id) AS rid FROM project_progress
                      WHERE reported_on <= $d GROUP BY project_id) l ON l.project_id = p.id
           LEFT JOIN project_progress pp ON pp.id = l.rid GROUP BY 1, 2""",
    ],
    "ranking": [
        """SELECT subdistrict_id, count(*), sum(CASE WHEN closed_on_time THEN 1 ELSE 0 END)
           FROM problem WHERE closed_at > $e - INTERVAL 30 DAY AND closed_at <= $e GROUP BY 1""",
        """SELECT subdistrict_id, count(*), sum(CASE WHEN deadline < $e THEN 1 ELSE 0 END)
           FROM problem WHERE discovered_at <= $e AND (closed_at IS NULL OR closed_at > $e)
           GROUP BY 1""",
        "SELECT subdistrict_id, count(*) FROM site GROUP BY 1",
        """SELECT s.subdistrict_id, count(DISTINCT ps.site_id) FROM site s
           JOIN problem_site ps ON ps.site_id = s.id JOIN problem p ON p.id = ps.problem_id
           WHERE discovered_at <= $e AND (closed_at IS NULL OR closed_at > $e) GROUP BY 1""",
        """SELECT mk.subdistrict_id, avg(mi.total_score) FROM market mk
           JOIN market_inspection mi ON mi.market_id = mk.id
           WHERE mi.inspected_on > $d - INTERVAL 7 DAY AND mi.inspected_on <= $d GROUP BY 1""",
        """SELECT c.subdistrict_id, count(DISTINCT va.community_id) FROM community c
           JOIN volunteer_activity va ON va.community_id = c.id
           WHERE va.held_on >= $d - INTERVAL 29 DAY AND va.held_on <= $d GROUP BY 1""",
        "SELECT subdistrict_id, count(*) FROM community GROUP BY 1",
    ],
    "trend": [  # week k holds (t - 7(k+1) days, t - 7k days]
        """SELECT floor(date_diff('second', discovered_at, $t) / 604800) AS k, count(*)
           FROM problem WHERE discovered_at > $t - INTERVAL 84 DAY AND discovered_at <= $t
           GROUP BY k""",
        """SELECT floor(date_diff('second', closed_at, $t) / 604800) AS k, count(*)
           FROM problem WHERE closed_at > $t - INTERVAL 84 DAY AND closed_at <= $t
           GROUP BY k""",
    ],
}


def duckdb_figures(con) -> dict[str, Callable[[], object]]:
    """Return the DuckDB equivalents of the overview's reads, by figure name."""
    params = {"t": NOON, "w": NOON - timedelta(days=7), "d": AS_OF,
              "e": datetime.combine(AS_OF + timedelta(days=1), datetime.min.time())}

    def run(sqls: list[str]) -> None:
        for sql in sqls:
            used = {k: v for k, v in params.items() if f"${k}" in sql}
            con.execute(sql, used).fetchall()

    return {name: (lambda sqls=sqls: run(sqls)) for name, sqls in DUCK_SQL.items()}


# --- pages through AppTest -------------------------------------------------------------------

def _sign_in(user: str):
    """Return an AppTest of the dashboard signed in as a demo user."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    at.run()
    at.text_input(key="login_username").input(user)
    at.text_input(key="login_password").input(DEMO[user])
    at.button[0].click()
    at.run()
    if at.exception:
        raise RuntimeError(f"sign-in failed: {at.exception}")
    return at


INSPECTIONS = 50_000


def add_site_inspections(eng, total: int = INSPECTIONS, seed: int = 19) -> int:
    """Add site inspections (with item results) over the 12 weeks before AS_OF until the
    database holds total; return how many were added. Written directly, like scale_data's rows:
    no problems are raised for their findings."""
    import numpy as np

    rng = np.random.default_rng(seed)
    with session_scope(eng) as s:
        have = s.scalar(select(func.count(m.SiteInspection.id))) or 0
        todo = max(0, total - int(have))
        if not todo:
            return 0
        sites = s.execute(select(m.Site.id, m.Site.category_id)).all()
        items: dict[int, list[tuple[int, float]]] = {}
        for iid, cat, pts in s.execute(select(m.SiteChecklistItem.id,
                                              m.SiteChecklistItem.category_id,
                                              m.SiteChecklistItem.points)):
            items.setdefault(cat, []).append((iid, float(pts)))
        start = datetime.combine(AS_OF, datetime.min.time()) - timedelta(weeks=12)
        span = int((NOON - start).total_seconds())
        picks = rng.integers(0, len(sites), todo)
        offsets = np.sort(rng.integers(0, span, todo))
        sources = np.array(["self_check", "third_party", "spot_check"])[rng.integers(0, 3, todo)]
        for lo in range(0, todo, 5_000):
            rows, results = [], []
            for k in range(lo, min(todo, lo + 5_000)):
                site_id, cat = sites[int(picks[k])]
                got = [(iid, pts if rng.random() < 0.85 else float(rng.integers(0, int(pts))))
                       for iid, pts in items.get(cat, [])]
                rows.append({"site_id": site_id, "round_id": None, "source": str(sources[k]),
                             "inspector": "bench", "photo": None, "note": None,
                             "inspected_at": start + timedelta(seconds=int(offsets[k])),
                             "points": sum(p for _, p in got),
                             "max_points": sum(p for _, p in items.get(cat, [])),
                             "findings": sum(1 for (_, p), (_, f) in
                                             zip(got, items.get(cat, []), strict=True) if p < f),
                             "created_by": "bench"})
                results.append(got)
            ids = s.scalars(insert(m.SiteInspection).returning(
                m.SiteInspection.id, sort_by_parameter_order=True), rows).all()
            full = {iid: pts for cat_items in items.values() for iid, pts in cat_items}
            s.execute(insert(m.SiteInspectionResult), [
                {"inspection_id": i, "item_id": iid, "points": p, "passed": p >= full[iid]}
                for i, got in zip(ids, results, strict=True) for iid, p in got])
        return todo


def readiness_figures(url: str, n: int, inspections: int = INSPECTIONS) -> None:
    """Print the readiness computation at n problems with that many site inspections."""
    from civdata.domain import evaluation

    eng = make_engine(url)
    t0 = time.perf_counter()
    added = add_site_inspections(eng, inspections)
    if added:
        emit(f"readiness_add_inspections_{n}", time.perf_counter() - t0, "s", 1)
    end = NOON.replace(hour=23, minute=59, second=59)
    with session_factory(eng)() as s:
        emit(f"readiness_estimate_{n}", best_of(lambda: evaluation.readiness_estimate(s, NOON)),
             "s")
        s.execute(delete(m.ReadinessSnapshot))
        s.commit()
        t0 = time.perf_counter()
        evaluation.readiness_trend(s, end, 12)
        emit(f"readiness_trend_cold_{n}", time.perf_counter() - t0, "s")
        emit(f"readiness_trend_warm_{n}",
             best_of(lambda: evaluation.readiness_trend(s, end, 12)), "s")

        def headline() -> None:
            evaluation.readiness_estimate(s, NOON)
            evaluation.last_week_estimate(s, end)

        emit(f"readiness_overview_{n}", best_of(headline), "s")
    eng.dispose()


def page_figures(n: int) -> None:
    """Print each page's cold and warm run time and the map's deck payload (AppTest)."""
    import streamlit as st
    from streamlit.logger import set_log_level

    set_log_level("error")  # bare-mode warnings of cache clears outside a script run

    from ui.deckchart import MAP_COMPONENT
    from ui.nav import PAGES

    sessions: dict[str, object] = {}
    for spec in PAGES:
        user = "office" if "office" in spec.roles else "admin"
        if user not in sessions:
            sessions[user] = _sign_in(user)
        at = sessions[user]
        name = Path(spec.file).stem
        st.cache_data.clear()
        st.cache_resource.clear()
        t0 = time.perf_counter()
        at.switch_page(str(ROOT / spec.file)).run()
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        at.run()
        warm = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"page {name} failed: {at.exception}")
        emit(f"page_{name}_cold_{n}", cold, "s")
        emit(f"page_{name}_warm_{n}", warm, "s")
        if name == "map":  # the bytes ui.deckchart sends (with a map style: st.pydeck_chart's)
            size = sum(len(el.proto.bytes) for el in at.get("bidi_component")
                       if el.proto.component_name == MAP_COMPONENT) or \
                sum(len(el.proto.json.encode("utf-8")) for el in at.get("deck_gl_json_chart"))
            emit(f"map_payload_{n}", size / 1e6, "MB")


# --- the server's memory under a browser ---------------------------------------------------

def chromium() -> str | None:
    """Return Debian's chromium, else Playwright's download, else None."""
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
        return path if path and Path(path).exists() else None
    except Exception:
        return None


def _free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(page, selector: str = '[data-testid="stMain"]') -> None:
    """Wait for an element of the page, then for the script run to finish."""
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    page.wait_for_selector(selector, timeout=600_000)
    page.wait_for_selector(idle, timeout=600_000)
    page.wait_for_timeout(300)
    page.wait_for_selector(idle, timeout=600_000)


def _browse_every_page(base: str, exe: str) -> None:
    """Sign in with headless Chromium and open every page offered (office, then admin)."""
    from playwright.sync_api import sync_playwright

    from ui.nav import PAGES

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        for user in ("office", "admin"):
            context = browser.new_context(viewport={"width": 1600, "height": 2200},
                                          locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(600_000)
            page.goto(base + "/")
            _wait_ready(page, 'input[type="password"]')
            page.get_by_label("用户名").fill(user)
            page.get_by_label("密码").fill(DEMO[user])
            page.get_by_role("button", name="登录").click()
            page.wait_for_selector('[data-testid="stSidebar"] button:has-text("退出登录")')
            _wait_ready(page)
            for spec in PAGES:
                if user in spec.roles and (user == "office" or "office" not in spec.roles):
                    page.goto(f"{base}/{spec.url_path}")
                    _wait_ready(page)
            context.close()
        browser.close()


def _serve(command: list[str], env: dict[str, str] | None, log_path: Path
           ) -> tuple[subprocess.Popen, str]:
    """Start a Streamlit command (headless, no file watcher, a free port on 127.0.0.1), its
    output into log_path; return (process, base URL) without waiting for it."""
    port = _free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [*command, "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.port", str(port),
             "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def server_peak_rss(url: str, folder: Path, n: int, exe: str) -> None:
    """Print the peak RSS of `streamlit run` (children included) while a browser opens every page."""
    import psutil

    env = dict(os.environ, CIVDATA_DATABASE_URL=url, CIVDATA_TODAY=AS_OF.isoformat(),
               CIVDATA_PHOTO_DIR=str(folder / "photos"))
    proc, base = _serve([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py")],
                        env, folder / f"server_{n}.log")
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                peak = max(peak, sum(pr.memory_info().rss for pr in procs))
            except psutil.Error:
                pass
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        _wait_healthy(proc, base, folder / f"server_{n}.log")
        _browse_every_page(base, exe)
    finally:
        stop.set()
        sampler.join()
        _stop(proc)
    emit(f"server_peak_rss_{n}", peak / 1e6, "MB", 0)


# --- what a user waits for: start-up, first and second visit in the browser -----------------

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
LANDING = "overview"  # the page shown after sign-in, served at /
SIGNED_IN = '[data-testid="stSidebar"] button:has-text("退出登录")'


def _start_server(url: str, folder: Path, clock_file: Path, log_name: str
                  ) -> tuple[subprocess.Popen, str, float]:
    """Start scripts/bench_server.py; return (process, base URL, seconds until healthy)."""
    env = dict(os.environ, CIVDATA_DATABASE_URL=url, CIVDATA_TODAY=AS_OF.isoformat(),
               CIVDATA_PHOTO_DIR=str(folder / "photos"), CIVDATA_BENCH_CLOCK_FILE=str(clock_file))
    t0 = time.perf_counter()
    proc, base = _serve([sys.executable, str(ROOT / "scripts" / "bench_server.py")], env,
                        folder / log_name)
    _wait_healthy(proc, base, folder / log_name)
    return proc, base, time.perf_counter() - t0


def _wait_healthy(proc: subprocess.Popen, base: str, log: Path) -> None:
    """Wait until the server at base answers /_stcore/health (stop it and raise after 180 s or
    when it exits)."""
    deadline = time.time() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                _stop(proc)
                raise RuntimeError("streamlit did not start: " + log.read_text()[-2000:]) \
                    from None
            time.sleep(0.05)


def _stop(proc: subprocess.Popen) -> None:
    """Stop a server started by _serve."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


_PAINTED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"

# Watches WebGL in the page (added to every page before its scripts): deck.gl links its shader
# programs asynchronously (KHR_parallel_shader_compile) and skips a layer's draw until its
# program is linked, so a map can be "drawn" two frames after Streamlit is idle with layers still
# missing. Notes the programs still linking, the draw calls and when the last link completed.
_GL_WATCH = """(() => {
  const pending = new Set(); const gl = {pending, links: 0, draws: 0, lastDraw: 0, lastLink: 0};
  window.__gl = gl;
  for (const C of [window.WebGL2RenderingContext, window.WebGLRenderingContext]) {
    if (!C) continue;
    const P = C.prototype, link = P.linkProgram, param = P.getProgramParameter,
      drop = P.deleteProgram;
    P.linkProgram = function (p) { gl.links++; pending.add(p); return link.call(this, p); };
    P.getProgramParameter = function (p, name) {
      const v = param.call(this, p, name);  // LINK_STATUS or COMPLETION_STATUS_KHR answered
      if ((name === 0x8B82 || name === 0x91B1) && v && pending.delete(p))
        gl.lastLink = performance.now();
      return v;
    };
    P.deleteProgram = function (p) { pending.delete(p); return drop.call(this, p); };
    for (const f of ["drawArrays", "drawElements", "drawArraysInstanced",
                     "drawElementsInstanced"]) {
      const draw = P[f];
      if (draw) P[f] = function (...a) {
        gl.draws++; gl.lastDraw = performance.now(); return draw.apply(this, a); };
    }
  }
})();"""
_GL_RESET = """() => { if (window.__gl) {
  window.__gl.pending.clear(); window.__gl.draws = 0; window.__gl.links = 0; } }"""
# no element of the page is still loading its code (Streamlit shows a skeleton until a lazily
# loaded element such as a chart or a map is in place), every map of the app (ui.deckchart)
# drew its latest layers, every st.pydeck_chart map linked its programs (a new WebGL context),
# no program is still linking and a draw followed the last link (or there is no map)
_MAPS_DRAWN = """() => {
  if (document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')) return false;
  const ours = [...document.querySelectorAll('[data-testid="civDeckChart"]')];
  const streamlits = document.querySelector('[data-testid="stDeckGlJsonChart"]');
  if (!ours.length && !streamlits) return true;
  const gl = window.__gl;
  return !!gl && ours.every((host) => host.dataset.drawn === "1")
    && (!streamlits || gl.links > 0) && gl.draws > 0 && gl.pending.size === 0
    && gl.lastDraw >= gl.lastLink;
}"""


_LINKS = "() => window.__gl ? window.__gl.links : 0"
# a map is on the page (on a page without one, WebGL work is the maps' warm-up of
# ui.deckchart.warm_maps, which draws nothing the user sees)
_HAS_MAP = """() => !!document.querySelector(
  '[data-testid="stMain"] [data-testid="civDeckChart"], [data-testid="stDeckGlJsonChart"]')"""


def _maps_drawn(page) -> float:
    """Wait until every chart and map on the page is in place, every map has drawn all its
    layers (_MAPS_DRAWN, _GL_WATCH), two animation frames more are drawn, and nothing more is
    linked or loaded in the 0.6 s after (a layer set up later, e.g. once its font is ready);
    return the clock then. A map that never draws (nothing to show) is waited for 20 s, then
    noted."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(20):
        try:
            page.wait_for_function(_MAPS_DRAWN, timeout=20_000)
        except PlaywrightTimeout:  # a figure with a note beats no figure
            print(f"note: a map on {page.url} did not finish drawing in 20 s", file=sys.stderr)
            return time.perf_counter()
        page.evaluate(_PAINTED)
        done, links = time.perf_counter(), page.evaluate(_LINKS)
        page.wait_for_timeout(600)
        # on a page without a map, what links is the maps' warm-up, out of sight; a map whose
        # code was still loading shows by now, and _MAPS_DRAWN waits for it
        same = page.evaluate(_LINKS) == links or not page.evaluate(_HAS_MAP)
        if same and page.evaluate(_MAPS_DRAWN):
            return done
    return done


def _until_idle(page, t0: float, signed_in: str | None = SIGNED_IN) -> float:
    """Return seconds from t0 until the app (signed in: its signed_in element shown) finished
    its script run and the browser drew the result: two animation frames later, and every
    map's layers drawn (_GL_WATCH)."""
    if signed_in:
        page.wait_for_selector(signed_in, timeout=600_000)
    page.wait_for_selector(IDLE, timeout=600_000)
    page.evaluate(_PAINTED)
    done = _maps_drawn(page)
    page.wait_for_timeout(300)
    if page.locator(IDLE).count() == 0:  # a rerun followed (st.rerun, a fragment): wait for it
        page.wait_for_selector(IDLE, timeout=600_000)
        page.evaluate(_PAINTED)
        done = _maps_drawn(page)
    return done - t0


def _settle(page) -> None:
    """Let the page rest as a reader would before the next click (the browser finishes
    drawing what it was given, so the next timing starts from a quiet page)."""
    page.wait_for_timeout(1500)
    page.evaluate(_PAINTED)


def _nav_link(page, base: str, url_path: str, landing: str = LANDING):
    """Return the sidebar link to a page (the landing page is served at /)."""
    href = f"{base}/" if url_path == landing else f"{base}/{url_path}"
    return page.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]')


# counts the script runs the server reports finished (added to every page before its scripts):
# Streamlit sends each ForwardMsg as one binary WebSocket frame; a run's last one carries
# script_finished (field 6, a varint): 0 finished, 1 a compile error (2, stopped for a rerun,
# and 3, a fragment's run, are not a page's run finished). A click's wait then ends on the run
# it started, not on the idle state before the run reached the page: a change in the page and
# the "running" state can reach the DOM in either order (waiting on either once ended a 0.5 s
# visit at 0.2 s).
_RUNS_WATCH = """(() => {
  const runs = {finished: 0, atClick: 0}; window.__runs = runs;
  const varint = (b, i) => { let v = 0, s = 1, x;
    do { x = b[i++]; v += (x & 0x7f) * s; s *= 128; } while (x & 0x80 && i < b.length);
    return [v, i]; };
  const runFinished = (buf) => {
    const b = new Uint8Array(buf); let i = 0;
    while (i < b.length) {
      let tag, n; [tag, i] = varint(b, i);
      const field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) { [n, i] = varint(b, i); if (field === 6) return n === 0 || n === 1; }
      else if (wire === 2) { [n, i] = varint(b, i); i += n; }
      else if (wire === 1) i += 8; else if (wire === 5) i += 4; else return false;
    }
    return false; };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native { constructor(...args) { super(...args);
    this.addEventListener("message", (e) => {
      if (e.data instanceof ArrayBuffer && runFinished(e.data)) runs.finished++; }); } };
})();"""
# notes the runs finished so far, before a click
_WATCH_RUN = "() => { window.__runs.atClick = window.__runs.finished; }"
# a run finished after the click, and the app is idle
_RAN_AND_IDLE = """() => window.__runs.finished > window.__runs.atClick && document
  .querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state') === 'notRunning'"""


def _click_to(page, base: str, url_path: str, landing: str = LANDING,
              signed_in: str | None = SIGNED_IN) -> float:
    """Click a page's sidebar link; return the seconds until Streamlit has run it and is idle."""
    _settle(page)
    page.evaluate(_WATCH_RUN)
    page.evaluate(_GL_RESET)
    t0 = time.perf_counter()
    _nav_link(page, base, url_path, landing).click()
    path = "" if url_path == landing else url_path
    # a page may add its state to the address (?day=...): match the path, and the address only
    # changes within the document, so no load event is awaited
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/{path}(\?.*)?$"), wait_until="commit")
    page.wait_for_function(_RAN_AND_IDLE, timeout=600_000)
    return _until_idle(page, t0, signed_in)


def _visits(base: str, spec, clock_file: Path, exe: str) -> tuple[float, float, float]:
    """Sign in on this (new) server and return the seconds of three visits to spec's page: the
    first (a click in the sidebar after the landing page; the overview: the sign-in itself), a
    second a minute later (to another page and back, the clock moved on by a minute), and a
    full reload of the page (the browser loads Streamlit's frontend again)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 2200}, locale="zh-CN")
        context.add_init_script(script=_GL_WATCH)
        context.add_init_script(script=_RUNS_WATCH)
        page = context.new_page()
        page.set_default_timeout(600_000)
        page.goto(base + "/")
        page.wait_for_selector('input[type="password"]')
        page.wait_for_selector(IDLE)
        page.get_by_label("用户名").fill("office")
        page.get_by_label("密码").fill(DEMO["office"])
        t0 = time.perf_counter()
        page.get_by_role("button", name="登录").click()
        landing = _until_idle(page, t0)
        first = landing if spec.url_path == LANDING else _click_to(page, base, spec.url_path)
        clock_file.write_text((NOON + timedelta(minutes=1)).isoformat())
        _click_to(page, base, "data" if spec.url_path == LANDING else LANDING)
        second = _click_to(page, base, spec.url_path)
        _settle(page)
        t0 = time.perf_counter()
        page.reload()
        reload = _until_idle(page, t0)
        context.close()
        browser.close()
    return first, second, reload


# scripts/bench_floor.py; the first at /
FLOOR_PAGES = ("floor", "points", "map_layers", "map_layers_pydeck")


def browser_floor(folder: Path, exe: str, repeats: int = 5) -> None:
    """Print the median second visit of each page of scripts/bench_floor.py (no data behind
    it): what Streamlit and deck.gl cost in this browser on this machine before any data."""
    from playwright.sync_api import sync_playwright

    proc, base = _serve([sys.executable, "-m", "streamlit", "run",
                         str(ROOT / "scripts" / "bench_floor.py")], None,
                        folder / "server_floor.log")
    try:
        _wait_healthy(proc, base, folder / "server_floor.log")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1600, "height": 2200})
            context.add_init_script(script=_GL_WATCH)
            context.add_init_script(script=_RUNS_WATCH)
            page = context.new_page()
            page.set_default_timeout(600_000)
            page.goto(base + "/")
            page.wait_for_selector(IDLE)
            seconds: dict[str, list[float]] = {name: [] for name in FLOOR_PAGES}
            for round_ in range(repeats + 1):  # the first round loads the map's code: not kept
                for name in (*FLOOR_PAGES[1:], FLOOR_PAGES[0]):  # each from another page
                    took = _click_to(page, base, name, FLOOR_PAGES[0], None)
                    if round_:
                        seconds[name].append(took)
            browser.close()
    finally:
        _stop(proc)
    for name, values in seconds.items():
        emit(f"browser_floor_{name}", statistics.median(values), "s")


def browser_visits(url: str, folder: Path, n: int, exe: str) -> None:
    """Print start-up and each page's first and second visit and full reload in the browser, a
    new server per page (so that the first visit meets empty caches)."""
    from ui.nav import PAGES

    startups = []
    for spec in [s for s in PAGES if "office" in s.roles]:
        clock_file = folder / "bench_clock.txt"
        clock_file.write_text(NOON.isoformat())
        proc, base, startup = _start_server(url, folder, clock_file, f"server_visit_{n}.log")
        startups.append(startup)
        try:
            first, second, reload = _visits(base, spec, clock_file, exe)
        finally:
            _stop(proc)
        name = Path(spec.file).stem
        emit(f"browser_{name}_first_{n}", first, "s")
        emit(f"browser_{name}_second_{n}", second, "s")
        emit(f"browser_{name}_reload_{n}", reload, "s")
    emit(f"startup_{n}", sorted(startups)[len(startups) // 2], "s")


# --- the rest --------------------------------------------------------------------------------

def site_join(url: str, n: int) -> None:
    """Print the time of the spatial join (nearest site, H3 cell, 300 m links) of all problems."""
    from civdata.domain.sites import site_points, spatial_links

    eng = make_engine(url)
    with session_factory(eng)() as s:
        sites = site_points(s)
        problems = pd.DataFrame(s.execute(select(m.Problem.id, m.Problem.lat, m.Problem.lon))
                                .all(), columns=["id", "lat", "lon"])
    eng.dispose()
    emit(f"site_join_{n}", best_of(lambda: spatial_links(sites, problems), 1), "s")


def import_throughput(template: Path, folder: Path, rows: int) -> None:
    """Print validated problem rows imported per second into a copy of the sample."""
    from bench_import import problem_csv

    from civdata.core.auth import Actor
    from civdata.io import importers

    db = folder / "import.db"
    shutil.copy(template, db)
    eng = make_engine(f"sqlite:///{db}")
    data = problem_csv(rows)
    with session_factory(eng)() as s:
        t0 = time.perf_counter()
        actor = Actor(username="bench", role="office")
        table = importers.read_table(s, "problems", "bench.csv", data)
        checked = importers.validate(s, actor, "problems", table)
        result = importers.import_checked(s, actor, checked, file_name="bench.csv",
                                          only_valid=True)
        secs = time.perf_counter() - t0
    eng.dispose()
    emit("import_rows_per_s", result.written / secs, "rows/s", 0)


def sample_template(folder: Path) -> Path:
    """Return a SQLite file with the sample loaded as of AS_OF."""
    path = folder / "sample.db"
    if path.exists():  # --keep: an earlier run's
        return path
    eng = make_engine(f"sqlite:///{path}")
    init_db(eng)
    with session_scope(eng) as s:
        load_sample(s, as_of=AS_OF)
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


def _pg_size_url(pg_url: str, n: int, shape: str) -> str:
    """Return the URL of the PostgreSQL database of one size and shape (<db>_<n>[_<shape>]),
    created when missing, so that --keep can reuse each size's data."""
    from sqlalchemy.engine import make_url

    base = make_url(pg_url)
    name = f"{base.database}_{n}" + ("" if shape == "default" else f"_{shape}")
    admin = make_engine(pg_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _kept_pg(url: str, n: int) -> bool:
    """Return True when the PostgreSQL database at url already holds the sample plus n problems."""
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return (conn.scalar(text("SELECT to_regclass('public.problem') IS NOT NULL")) and
                    conn.scalar(text("SELECT count(*) FROM problem")) >= n)
    finally:
        eng.dispose()


def scaled_database(template: Path, folder: Path, n: int, pg_url: str | None,
                    shape: str = "default", keep: bool = False) -> str:
    """Return the URL of the sample plus n scaled problems (a SQLite copy, or a PostgreSQL
    database of that size next to pg_url's); with keep, reuse one made by an earlier run."""
    if pg_url:
        url = _pg_size_url(pg_url, n, shape)
        if keep and _kept_pg(url, n):
            return url
        eng = make_engine(url)
        with eng.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        init_db(eng)
        with session_scope(eng) as s:
            load_sample(s, as_of=AS_OF)
    else:
        suffix = "" if shape == "default" else f"_{shape}"
        db = folder / f"scaled_{n}{suffix}.db"
        url = f"sqlite:///{db}"
        if db.exists():  # --keep: reuse the scaled database of an earlier run
            return url
        shutil.copy(template, db)
        eng = make_engine(url)
    t0 = time.perf_counter()
    add_scaled_data(eng, n, shape=shape)
    emit(f"scale_data_{n}", time.perf_counter() - t0, "s", 1)
    eng.dispose()
    return url


def bench_size(template: Path, folder: Path, n: int, args: argparse.Namespace,
               pg_url: str | None = None, shape: str = "default") -> None:
    """Print every figure of one size on one backend and shape of data."""
    url = scaled_database(template, folder, n, pg_url, shape, keep=args.keep is not None)
    eng = make_engine(url)
    init_db(eng)  # a kept database made by an older revision
    ours: dict[str, float] = {}
    with session_factory(eng)() as s:
        for name, fn in overview_queries(s).items():
            ours[name] = best_of(fn)
            emit(f"overview_query_{name}_{n}", ours[name], "s")
    eng.dispose()
    emit(f"overview_query_total_{n}", sum(ours.values()), "s")
    if shape == "default" and pg_url is None:
        con = duckdb_connection(url)
        duck = {name: best_of(fn) for name, fn in duckdb_figures(con).items()}
        con.close()
        for name, secs in duck.items():
            emit(f"duckdb_overview_{name}_{n}", secs, "s")
            emit(f"overview_vs_duckdb_{name}_{n}", ours[name] / secs, "x", 1)
        emit(f"overview_vs_duckdb_total_{n}", sum(ours.values()) / sum(duck.values()), "x", 1)
        site_join(url, n)
    if shape == "default":
        readiness_figures(url, n, args.site_inspections)
    os.environ["CIVDATA_DATABASE_URL"] = url
    os.environ["CIVDATA_PHOTO_DIR"] = str(folder / "photos")
    page_figures(n)
    if not args.no_browser:
        exe = chromium()
        if exe is None:
            if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
                raise RuntimeError("the browser figures need Chromium (REQUIRE_BROWSER_TESTS=1)")
            print(f"# browser figures of {n} skipped: no Chromium", file=sys.stderr)
        else:
            browser_visits(url, folder, n, exe)
            if shape == "default" and pg_url is None:
                server_peak_rss(url, folder, n, exe)
    if url.startswith("sqlite") and args.keep is None:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


def print_growth(sizes: list[int]) -> None:
    """Print how each page's cold run and first visit grow between consecutive sizes."""
    pattern = re.compile(r"^(.*(?:page|browser)_[a-z_]+?_(?:cold|first))_(\d+)$")
    for name in list(RESULTS):
        match = pattern.match(name)
        if not match or int(match.group(2)) != sizes[0]:
            continue
        for small, big in zip(sizes, sizes[1:], strict=False):
            a, b = RESULTS.get(f"{match.group(1)}_{small}"), RESULTS.get(f"{match.group(1)}_{big}")
            if a and b:
                stem = match.group(1).replace("page_", "growth_", 1).replace(
                    "browser_", "growth_browser_", 1)
                print(f"{stem}_{big}_over_{small}: {b / a:.1f} x", flush=True)


def print_side_by_side(sizes: list[int]) -> None:
    """Print SQLite and PostgreSQL figures side by side on stderr (a table for the docs)."""
    rows = sorted(k for k in RESULTS if not k.startswith(("pg_", "clustered_"))
                  and f"pg_{k}" in RESULTS)
    if not rows:
        return
    print("\n| figure | SQLite | PostgreSQL |\n| --- | ---: | ---: |", file=sys.stderr)
    for k in rows:
        print(f"| {k} | {RESULTS[k]:.3f} | {RESULTS['pg_' + k]:.3f} |", file=sys.stderr)


def main() -> int:
    """Run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated problem counts")
    parser.add_argument("--full", action="store_true", help="also run 1,000,000 problems")
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--site-inspections", type=int, default=INSPECTIONS,
                        help="site inspections the readiness figures run on (default 50,000)")
    parser.add_argument("--database-url", default=None,
                        help="run on PostgreSQL instead of SQLite copies: one database per "
                             "size next to this one (<db>_<n>), created when missing; its "
                             "public schema is dropped and recreated unless --keep finds it full")
    parser.add_argument("--no-browser", action="store_true",
                        help="skip the browser figures (start-up, visits, server memory)")
    parser.add_argument("--shapes", default="default,clustered",
                        help="shapes of data to run (scale_data.py --shape): default,clustered")
    parser.add_argument("--keep", type=Path, default=None,
                        help="work in this folder and keep it; reuse scaled databases found there")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x] + ([1_000_000] if args.full else [])
    pg_url = os.environ.get("CIVDATA_BENCH_POSTGRES_URL") or None
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        template = sample_template(folder)
        import_throughput(template, folder, args.import_rows)
        exe = None if args.no_browser else chromium()
        if exe is not None:
            browser_floor(folder, exe)
        shapes = [x for x in args.shapes.split(",") if x]
        for n in sizes:
            for shape in shapes:
                PREFIX["value"] = "" if shape == "default" else f"{shape}_"
                bench_size(template, folder, n, args, args.database_url, shape=shape)
            if pg_url and not args.database_url:
                PREFIX["value"] = "pg_"
                bench_size(template, folder, n, args, pg_url)
        PREFIX["value"] = ""
        print_growth(sizes)
        print_side_by_side(sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
