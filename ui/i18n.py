"""The pages' text lookup: t() is civdata.texts.text() in the language chosen in the sidebar."""

from __future__ import annotations

import streamlit as st

from civdata.texts import LANGS, catalogue, text

__all__ = ["LANGS", "catalogue", "current_lang", "name_col", "t"]


def current_lang() -> str:
    """Return the language chosen in the sidebar (or the URL), Chinese by default."""
    lang = st.session_state.get("lang") or st.query_params.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


def t(key: str, **params: object) -> str:
    """Return the text of key in the current language, formatted with params."""
    return text(key, current_lang(), **params)


def name_col() -> str:
    """Return the name column of the current language ('name_zh' or 'name_en')."""
    return "name_zh" if current_lang() == "zh" else "name_en"
