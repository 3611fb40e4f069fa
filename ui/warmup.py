"""The pages' modules imported once per server process, in the background, while the first
person signs in: after a restart, the first visit to a page no longer waits for plotly, scipy,
pyproj, python-pptx, openpyxl and python-docx to load (about 1-2 s on a 2-core server).

Only imports happen here (no database work, no Streamlit call). CIVDATA_WARM_IMPORTS=0 turns it
off; the test suite does, so that in-process tests see the modules they import themselves.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import threading

import streamlit as st

import ui

log = logging.getLogger(__name__)


def page_module_names() -> list[str]:
    """Return the names of the ui package's modules (every page draws through them)."""
    return sorted(f"ui.{info.name}" for info in pkgutil.iter_modules(ui.__path__))


def import_all(names: list[str]) -> list[str]:
    """Import each named module; return the names that failed (logged, never raised)."""
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a broken module must fail on its own page, not here
            log.exception("warm-up import of %s failed", name)
            failed.append(name)
    return failed


def warm_imports_enabled() -> bool:
    """Return whether CIVDATA_WARM_IMPORTS allows the warm-up (on unless set to 0)."""
    return os.environ.get("CIVDATA_WARM_IMPORTS", "1").strip() not in ("0", "false", "no")


@st.cache_resource(show_spinner=False)
def start_import_warmup() -> threading.Thread | None:
    """Start the background import of the pages' modules, once per process; return the thread
    (None when turned off)."""
    if not warm_imports_enabled():
        return None
    thread = threading.Thread(target=import_all, args=(page_module_names(),),
                              name="civdata-warm-imports", daemon=True)
    thread.start()
    return thread
