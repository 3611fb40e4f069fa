"""The one write path of the pages (issue 17.1, ui.forms): a saved write leaves its flash, shown
once after the rerun; a refusal is shown in the user's language and keeps nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from civdata.core.errors import CivDataError


def _app() -> None:
    """A page with one form: its write marks 'settings' and is refused when asked to."""
    import streamlit as st

    from civdata.core.errors import CivDataError
    from civdata.core.live import mark_changed
    from ui import forms

    forms.show_flash()
    st.text_input("note", key="note")

    def write(s):
        mark_changed(s, "settings")
        if st.session_state.get("refuse"):
            raise CivDataError("stale_edit", who="王", at="09:00")
        return 7

    if st.button("save", key="save"):
        flash = st.session_state.get("flash_kind", "text")
        message = ((lambda n: f"saved {n}") if flash == "text" else
                   (lambda n: [("success", f"saved {n}"), ("warning", "P-1 sent back")]))
        forms.submit(write, message, clear=("note",))


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the app at a fresh SQLite database (the schema is made on first use)."""
    url = f"sqlite:///{tmp_path / 'forms.db'}"
    monkeypatch.setenv("CIVDATA_DATABASE_URL", url)
    return url


def _marks(url: str) -> int:
    """Return how often 'settings' was marked changed in the database."""
    eng = make_engine(url)
    with session_factory(eng)() as s:
        counter = s.scalar(select(m.DataChange.counter).where(m.DataChange.domain == "settings"))
    eng.dispose()
    return int(counter or 0)


def test_a_saved_write_shows_its_flash_once_after_the_rerun(db_url: str) -> None:
    at = AppTest.from_function(_app, default_timeout=30).run()
    at.text_input(key="note").input("typed")
    at.button(key="save").click().run()
    assert not at.exception
    assert [e.value for e in at.success] == ["saved 7"]  # drawn by the rerun, from the new data
    assert at.text_input(key="note").value == ""  # cleared after the write
    assert _marks(db_url) == 1
    at.run()
    assert not at.success  # shown once


def test_a_structured_flash_keeps_its_levels(db_url: str) -> None:
    at = AppTest.from_function(_app, default_timeout=30)
    at.session_state["flash_kind"] = "pairs"
    at.run()
    at.button(key="save").click().run()
    assert [e.value for e in at.success] == ["saved 7"]
    assert [e.value for e in at.warning] == ["P-1 sent back"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refusal_is_shown_in_the_users_language_and_keeps_nothing(db_url: str,
                                                                    lang: str) -> None:
    at = AppTest.from_function(_app, default_timeout=30)
    at.session_state["refuse"] = True
    at.session_state["lang"] = lang
    at.run()
    at.text_input(key="note").input("typed")
    at.button(key="save").click().run()
    assert not at.exception
    expected = CivDataError("stale_edit", who="王", at="09:00").message(lang)
    assert [e.value for e in at.error] == [expected]
    assert not at.success
    assert at.text_input(key="note").value == "typed"  # the form keeps what was typed
    assert _marks(db_url) == 0  # rolled back
