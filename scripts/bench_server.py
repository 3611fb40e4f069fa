"""`streamlit run dashboard.py` for the benchmark, with the district clock read from a file.

The benchmark's second visit comes "a minute later": it writes a new time into the file named
by CIVDATA_BENCH_CLOCK_FILE (ISO datetime) and the app's civdata.core.clock.now_local returns it, so
every minute-keyed cache sees a new minute without the benchmark waiting a real minute.
Usage: python scripts/bench_server.py [streamlit run options]
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from civdata.core import clock  # noqa: E402


def _bench_now() -> datetime:
    """Return the time written in the clock file."""
    return datetime.fromisoformat(Path(os.environ["CIVDATA_BENCH_CLOCK_FILE"]).read_text().strip())


def main() -> int:
    """Patch the clock, then hand over to Streamlit's command line."""
    clock.now_local = _bench_now
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ROOT / "dashboard.py"), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
