"""Live pages: a fragment polls when the data last changed and reruns the page when it has."""

from __future__ import annotations

import streamlit as st

from civdata.core.config import load_settings
from ui import readers
from ui.i18n import t

DRAWN_KEY = "_live_drawn_version"


def refresh_seconds() -> int:
    """Return the refresh interval from CIVDATA_REFRESH_SECONDS (at least 1 s, default 60)."""
    return max(1, load_settings().refresh_seconds)


def caption_text(version: tuple[str, int], seconds: int) -> str:
    """Return the 'data last changed at ...' caption of a data version."""
    at = version[0]
    if not at:
        return t("live.never", seconds=seconds)
    return t("live.changed", at=at[:19].replace("T", " "), seconds=seconds)


def live_status(version: tuple[str, int], key: str = "page", caption: bool = True) -> None:
    """Show when the data last changed; a fragment polls and reruns the page on a change."""
    st.session_state[f"{DRAWN_KEY}_{key}"] = version
    seconds = refresh_seconds()

    @st.fragment(run_every=seconds)
    def _poll() -> None:
        """Rerun the page if the data changed since it was drawn, else show the caption."""
        current = readers.data_version()
        if current != st.session_state.get(f"{DRAWN_KEY}_{key}"):
            st.session_state[f"{DRAWN_KEY}_{key}"] = current
            st.rerun(scope="app")
        if caption:
            st.caption(caption_text(current, seconds), help=None)

    _poll()
