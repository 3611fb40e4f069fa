"""The one write path of the pages: run a data-layer write, commit, leave a flash message, rerun.

Every form writes through ``submit``; every page that has a form calls ``show_flash`` once, at the
place where the message of the last write should appear::

    from ui import forms

    forms.show_flash()
    ...
    if st.form_submit_button(t("<area>.save")):
        forms.submit(lambda s: domain.save_thing(s, actor, value),
                     lambda thing: t("<area>.saved", code=thing.code), clear=("x_note",))

The data layer checks the permission, audits and marks the changed domain; ``submit`` only owns
the transaction and the messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from civdata.core.errors import CivDataError
from ui import readers
from ui.i18n import current_lang

FLASH_KEY = "civ_flash"
LEVELS = ("success", "info", "warning", "error")

T = TypeVar("T")
# A flash: a text (shown as success), or (level, text) pairs drawn in order (level in LEVELS).
Flash = str | list[tuple[str, str]]


def submit(write: Callable[[Session], T], message: Flash | Callable[[T], Flash] | None = None,
           *, clear: Iterable[str] = ()) -> None:
    """Run write(session) in its own session and transaction and commit it; then remember the
    flash (message, or message(result) when callable; None: no flash), forget the widget keys in
    clear and rerun the script, so the page redraws from the new data and show_flash() shows the
    message. A refusal (CivDataError) is rolled back and shown with st.error in the user's
    language, and submit returns None: nothing is kept and the form keeps what was typed."""
    with readers.session() as s:
        try:
            result = write(s)
            s.commit()
        except CivDataError as err:
            s.rollback()
            st.error(err.message(current_lang()))
            return
    flash = message(result) if callable(message) else message
    if flash:
        st.session_state[FLASH_KEY] = flash
    for key in clear:
        st.session_state.pop(key, None)
    st.rerun()


def flash_items(flash: Any) -> list[tuple[str, str]]:
    """Return a flash as (level, text) pairs ([] when there is none)."""
    if not flash:
        return []
    if isinstance(flash, str):
        return [("success", flash)]
    return [(level if level in LEVELS else "info", str(text)) for level, text in flash]


def show_flash() -> bool:
    """Show (once) the message the last successful write left before its rerun; return True
    when there was one. An empty container is always drawn, so the elements below keep their
    places (tabs, forms)."""
    box = st.container()
    items = flash_items(st.session_state.pop(FLASH_KEY, None))
    for level, text in items:
        getattr(box, level)(text)
    return bool(items)
