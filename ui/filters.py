"""The shared sidebar: language and the subdistrict drill-down, both bound to the URL."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ui import readers
from ui.i18n import LANGS, t

ALL = "all"
LANG_LABELS = {"zh": "中文", "en": "English"}


def _url_bound_selectbox(label: str, options: list[str], key: str, default: str,
                         format_func: Callable[[str], str]) -> str:
    """Draw a sidebar selectbox whose value lives in the URL as ?key=<option>.

    The value's source of truth is st.session_state[key], a plain key: it is seeded from the
    URL when a session starts, updated by the widget's callback, and survives the change of
    page set at login, when Streamlit resets widget state and the URL.
    """
    widget_key = f"{key}_select"

    def remember() -> None:
        st.session_state[key] = st.session_state[widget_key]

    if st.session_state.get(key) not in options:
        from_url = st.query_params.get(key)
        st.session_state[key] = from_url if from_url in options else default
    st.session_state[widget_key] = st.session_state[key]
    value = st.sidebar.selectbox(label, options, key=widget_key, format_func=format_func,
                                 on_change=remember)
    if value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value
    return value


def language_switch() -> str:
    """Draw the language switch (?lang=zh|en) and return the chosen language."""
    return _url_bound_selectbox("语言 / Language", list(LANGS), "lang", "zh", LANG_LABELS.get)


def subdistrict_filter(subs: pd.DataFrame) -> str:
    """Draw the subdistrict filter (?subdistrict=<code>) and return the chosen code or 'all'."""
    names = {row.code: (row.name_zh if st.session_state.get("lang", "zh") == "zh"
                        else row.name_en) for row in subs.itertuples()}
    return _url_bound_selectbox(
        t("common.subdistrict"), [ALL, *names], "subdistrict", ALL,
        lambda c: t("common.whole_district") if c == ALL else names.get(c, c))


def selected_subdistrict() -> tuple[int | None, str | None]:
    """Return (id, code) of the subdistrict chosen in the sidebar, or (None, None)."""
    code = st.session_state.get("subdistrict", ALL)
    if not code or code == ALL:
        return None, None
    subs = readers.subdistricts(readers.data_version())
    match = subs[subs["code"] == code]
    if match.empty:
        return None, None
    return int(match["id"].iloc[0]), code


def subdistrict_label() -> str:
    """Return the name of the chosen subdistrict, or 'whole district'."""
    sub_id, code = selected_subdistrict()
    if sub_id is None:
        return t("common.whole_district")
    subs = readers.subdistricts(readers.data_version())
    row = subs[subs["code"] == code].iloc[0]
    return row["name_zh"] if st.session_state.get("lang", "zh") == "zh" else row["name_en"]
