"""Time validating and importing 100,000 problem rows into a copy of the sample database.

Prints `import_100k_problems_validate: X s` and `import_100k_problems_write: X s`.
Usage: python scripts/bench_import.py [--rows N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CIVDATA_TODAY", "2026-11-25")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from civdata.core.auth import Actor  # noqa: E402
from civdata.core.db import make_engine, session_factory, session_scope  # noqa: E402
from civdata.core.schema import init_db  # noqa: E402
from civdata.io import importers  # noqa: E402
from civdata.io.sample import load_sample  # noqa: E402


def problem_csv(rows: int, seed: int = 7) -> bytes:
    """Return a CSV of rows problems scattered around the sample's sites (Chinese headers)."""
    rng = np.random.default_rng(seed)
    sites = pd.read_csv(ROOT / "sample_data" / "sites.csv")
    classes = pd.read_csv(ROOT / "sample_data" / "problem_classes.csv")["code"].to_numpy()
    pick = rng.integers(0, len(sites), rows)
    frame = pd.DataFrame({
        "街道": sites["subdistrict"].to_numpy()[pick],
        "问题类别": rng.choice(classes, rows),
        "纬度": np.round(sites["lat"].to_numpy()[pick] + rng.normal(0, 0.0008, rows), 6),
        "经度": np.round(sites["lon"].to_numpy()[pick] + rng.normal(0, 0.0008, rows), 6),
        "问题描述": [f"批量导入问题 {i}" for i in range(rows)],
        "来源": rng.choice(["daily_inspection", "spot_check", "third_party"], rows),
    })
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def main() -> None:
    """Build a sample database, then time validation and the write of the bulk import."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        engine = make_engine(url)
        init_db(engine)
        with session_scope(engine) as s:
            load_sample(s, as_of=date(2026, 11, 25))
        data = problem_csv(args.rows)
        actor = Actor(username="bench", role="office")
        with session_factory(engine)() as s:
            start, cpu = time.perf_counter(), time.process_time()
            table = importers.read_table(s, "problems", "bench.csv", data)
            checked = importers.validate(s, actor, "problems", table)
            validate_s, validate_cpu = time.perf_counter() - start, time.process_time() - cpu
            start, cpu = time.perf_counter(), time.process_time()
            result = importers.import_checked(s, actor, checked, file_name="bench.csv",
                                              only_valid=True)
            write_s, write_cpu = time.perf_counter() - start, time.process_time() - cpu
        engine.dispose()
    label = "100k" if args.rows == 100_000 else str(args.rows)
    print(f"rows: {result.rows}, written: {result.written}, issues: {len(result.issues)} "
          f"({sorted({i.error.code for i in result.issues})})")
    print(f"import_{label}_problems_validate: {validate_s:.2f} s (cpu {validate_cpu:.2f} s)")
    print(f"import_{label}_problems_write: {write_s:.2f} s (cpu {write_cpu:.2f} s)")


if __name__ == "__main__":
    main()
