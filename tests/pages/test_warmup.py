"""The background import of the pages' modules at a server's first sign-in (ui/warmup.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ui import warmup

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import os, sys
os.environ["CIVDATA_WARM_IMPORTS"] = "{flag}"
from ui import warmup
names = warmup.page_module_names()
before = [n for n in names if n in sys.modules]
thread = warmup.start_import_warmup()
again = warmup.start_import_warmup()
if thread is not None:
    thread.join(300)
print("RESULT", len(names), thread is None, again is thread,
      ",".join(before), ",".join(n for n in names if n not in sys.modules))
"""


def _run_child(flag: str) -> list[str]:
    """Run CHILD in a new interpreter; return its RESULT fields."""
    out = subprocess.run([sys.executable, "-c", CHILD.format(flag=flag)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT")]
    assert line, out.stderr[-2000:]
    return line[0].split(" ", 5)[1:]  # print separates even empty fields by one space


def test_the_warm_up_imports_every_page_module_once_per_process() -> None:
    """In a new process the pages' modules are not loaded; one thread loads all of them, and a
    second call (the next session) returns the same thread instead of starting another."""
    count, none, same, before, missing = _run_child("1")
    assert int(count) >= 20 and none == "False" and same == "True"
    assert "ui.weekly" not in before.split(",") and "ui.map" not in before.split(",")
    assert missing == ""


def test_the_warm_up_can_be_turned_off() -> None:
    """CIVDATA_WARM_IMPORTS=0: no thread, and the page modules stay unloaded."""
    count, none, _same, _before, missing = _run_child("0")
    assert none == "True"
    assert "ui.weekly" in missing.split(",") and "ui.map" in missing.split(",")


def test_a_module_that_fails_to_import_is_reported_not_raised() -> None:
    """A broken module fails on its own page; the warm-up logs it and goes on."""
    assert warmup.import_all(["ui.no_such_module", "ui.i18n"]) == ["ui.no_such_module"]


def test_every_ui_module_is_listed() -> None:
    """The list comes from the ui package itself, so a new page module is warmed too."""
    names = warmup.page_module_names()
    on_disk = {f"ui.{p.stem}" for p in (ROOT / "ui").glob("*.py") if p.stem != "__init__"}
    assert set(names) == on_disk
