"""The one text lookup: every user-visible string goes through t()."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

import streamlit as st

import civdata.texts

LANGS = ("zh", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, tuple[str, str]]:
    """Return every text key with its (zh, en) pair, merged from civdata/texts/*.py."""
    merged: dict[str, tuple[str, str]] = {}
    for info in pkgutil.iter_modules(civdata.texts.__path__):
        module = importlib.import_module(f"civdata.texts.{info.name}")
        for key, pair in module.TEXTS.items():
            if key in merged:
                raise KeyError(f"text key {key!r} defined twice")
            merged[key] = pair
    return merged


def current_lang() -> str:
    """Return the language chosen in the sidebar (or the URL), Chinese by default."""
    lang = st.session_state.get("lang") or st.query_params.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


def t(key: str, **params: object) -> str:
    """Return the text of key in the current language, formatted with params."""
    pair = catalogue().get(key)
    if pair is None:
        return key
    text = pair[0] if current_lang() == "zh" else pair[1]
    return text.format(**params) if params else text


def name_col() -> str:
    """Return the name column of the current language ('name_zh' or 'name_en')."""
    return "name_zh" if current_lang() == "zh" else "name_en"
