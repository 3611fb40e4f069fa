"""The benchmark script runs at its smallest size and prints every figure (no timing asserted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.browser.conftest import chromium_executable
from tests.conftest import ROOT
from ui import nav

SIZE = 2000
PAGES = tuple(spec.url_path for spec in nav.PAGES)
# the browser visits sign in as the office
ADMIN_ONLY = tuple(spec.url_path for spec in nav.PAGES if "office" not in spec.roles)
QUERIES = ("figures", "ranking", "trend")
LINE = re.compile(r"^([a-z0-9_]+): (-?\d+(?:\.\d+)?) (s|x|MB|rows/s)$")


def expected_names(browser: bool) -> set[str]:
    """Return every figure name the bench prints at SIZE."""
    names = {"import_rows_per_s", f"scale_data_{SIZE}", f"site_join_{SIZE}",
             f"map_payload_{SIZE}", f"overview_query_total_{SIZE}",
             f"overview_vs_duckdb_total_{SIZE}"}
    for q in QUERIES:
        names |= {f"overview_query_{q}_{SIZE}", f"duckdb_overview_{q}_{SIZE}",
                  f"overview_vs_duckdb_{q}_{SIZE}"}
    for page in PAGES:
        names |= {f"page_{page}_cold_{SIZE}", f"page_{page}_warm_{SIZE}"}
    names |= {f"readiness_{k}_{SIZE}" for k in ("estimate", "trend_cold", "trend_warm",
                                                 "overview")}  # issue 19
    if browser:
        names |= {f"server_peak_rss_{SIZE}", f"startup_{SIZE}"}
        names |= {f"browser_floor_{page}" for page in ("floor", "points", "map_layers",
                                                            "map_layers_pydeck")}
        names |= {f"browser_{page}_{visit}_{SIZE}" for page in PAGES if page not in ADMIN_ONLY
                  for visit in ("first", "second", "reload")}
    return names


def test_bench_prints_every_figure(tmp_path) -> None:
    """Run scripts/bench.py --sizes 2000 and check each `name: value unit` line."""
    browser = chromium_executable() is not None
    if not browser and os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
        pytest.fail("bench smoke test requires Chromium (REQUIRE_BROWSER_TESTS=1)")
    cmd = [sys.executable, str(ROOT / "scripts" / "bench.py"), "--sizes", str(SIZE),
           "--import-rows", "500", "--site-inspections", "500", "--shapes", "default", "--keep", str(tmp_path / "bench")]
    if not browser:
        cmd.append("--no-browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVDATA_")}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
    lines = [ln for ln in done.stdout.splitlines() if ln.strip()]
    bad = [ln for ln in lines if not LINE.match(ln)]
    assert not bad, bad
    names = {LINE.match(ln).group(1) for ln in lines}
    missing = expected_names(browser) - names
    assert not missing, sorted(missing)
    values = {m.group(1): float(m.group(2)) for m in map(LINE.match, lines)}
    assert values[f"map_payload_{SIZE}"] > 0.05  # the map's bytes were found and counted (MB)
    if not browser:
        pytest.skip("figures checked; server memory skipped: no Chromium (install chromium)")
