"""Benchmarks (make bench): prints one `name: value unit` line per figure; asserts nothing.

Builds a database from the sample plus N synthetic problems (default 10k and 100k; --full adds
1M), then times the overview's queries. Runs the other scripts/bench_*.py after it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from civdata import models as m  # noqa: E402
from civdata import overview  # noqa: E402
from civdata.db import make_engine, session_factory, session_scope  # noqa: E402
from civdata.sample import load_sample  # noqa: E402
from civdata.schema import init_db  # noqa: E402
from civdata.sites import write_spatial  # noqa: E402

AS_OF = date(2026, 11, 25)


def add_synthetic_problems(url: str, n: int, seed: int = 7) -> float:
    """Insert n synthetic problems over five years near the sample's sites; return seconds."""
    rng = np.random.default_rng(seed)
    eng = make_engine(url)
    started = time.perf_counter()
    with session_scope(eng) as s:
        sites = s.execute(select(m.Site.id, m.Site.lat, m.Site.lon, m.Site.subdistrict_id)).all()
        classes = [r[0] for r in s.execute(select(m.ProblemClass.id)).all()]
        first_id = (s.scalar(select(m.Problem.id).order_by(m.Problem.id.desc()).limit(1)) or 0) + 1
        pick = rng.integers(0, len(sites), n)
        lat = np.array([sites[i][1] for i in pick]) + rng.normal(0, 0.002, n)
        lon = np.array([sites[i][2] for i in pick]) + rng.normal(0, 0.003, n)
        start = datetime.combine(AS_OF, datetime.min.time()) - timedelta(days=5 * 365)
        found = [start + timedelta(seconds=int(x)) for x in rng.uniform(0, 5 * 365 * 86400, n)]
        close_after = rng.exponential(3 * 86400, n)
        rows = []
        now = datetime.combine(AS_OF, datetime.min.time())
        for k in range(n):
            closed = found[k] + timedelta(seconds=int(close_after[k]))
            is_closed = closed < now
            deadline = found[k] + timedelta(days=3)
            rows.append({"id": first_id + k, "code": f"B{first_id + k:08d}",
                         "subdistrict_id": sites[pick[k]][3], "class_id": classes[k % len(classes)],
                         "lat": float(lat[k]), "lon": float(lon[k]), "description": "synthetic",
                         "source": "daily_inspection", "status": "closed" if is_closed else "rectifying",
                         "discovered_at": found[k], "deadline": deadline,
                         "closed_at": closed if is_closed else None,
                         "seconds_to_close": int(close_after[k]) if is_closed else None,
                         "closed_on_time": (closed <= deadline) if is_closed else None})
            if len(rows) == 50_000:
                s.execute(insert(m.Problem), rows)
                rows = []
        if rows:
            s.execute(insert(m.Problem), rows)
        import pandas as pd

        ids = np.arange(first_id, first_id + n)
        write_spatial(s, pd.DataFrame({"id": ids, "lat": lat, "lon": lon}))
    eng.dispose()
    return time.perf_counter() - started


def timed(label: str, fn) -> None:  # noqa: ANN001
    """Run fn once and print its wall time."""
    t0 = time.perf_counter()
    fn()
    print(f"{label}: {time.perf_counter() - t0:.3f} s", flush=True)


def main() -> int:
    """Run the benchmarks."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="also run 1,000,000 problems")
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")] + ([1_000_000] if args.full else [])
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.db"
        eng = make_engine(f"sqlite:///{base}")
        init_db(eng)
        t0 = time.perf_counter()
        with session_scope(eng) as s:
            load_sample(s, as_of=AS_OF)
        print(f"load_sample: {time.perf_counter() - t0:.2f} s")
        eng.dispose()
        for n in sizes:
            db = Path(tmp) / f"p{n}.db"
            db.write_bytes(base.read_bytes())
            url = f"sqlite:///{db}"
            print(f"insert_{n}_problems_with_spatial: {add_synthetic_problems(url, n):.2f} s")
            eng = make_engine(url)
            with session_factory(eng)() as s:
                now = datetime.combine(AS_OF, datetime.min.time()) + timedelta(hours=12)
                timed(f"overview_figures_{n}", lambda s=s, now=now: overview.figures_at(s, now, None))
                timed(f"overview_ranking_{n}", lambda s=s: overview.subdistrict_ranking(s, AS_OF))
                timed(f"overview_trend_{n}",
                      lambda s=s, now=now: overview.weekly_problem_flow(s, now, 12, None))
            eng.dispose()
    for script in sorted((ROOT / "scripts").glob("bench_*.py")):
        subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
