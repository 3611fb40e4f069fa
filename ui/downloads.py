"""Offer any table on a page as CSV and XLSX downloads (formula injection neutralised)."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from civdata.io import exports
from ui.i18n import t


def _safe_name(name: str) -> str:
    """Return name usable as a file name (letters, digits, CJK, dash and underscore)."""
    return re.sub(r"[^\w\-]+", "_", name, flags=re.UNICODE).strip("_") or "table"


def download_table(df: pd.DataFrame, name: str, key: str | None = None) -> None:
    """Draw 'Download CSV' and 'Download Excel' buttons for df; the files are built on click."""
    base = _safe_name(name)
    key = key or base
    frame = df.copy()
    with st.container(horizontal=True, gap="small"):  # each button as wide as its label
        st.download_button(t("downloads.csv"), data=lambda: exports.csv_bytes(frame),
                           file_name=f"{base}.csv", mime="text/csv", key=f"dl_csv_{key}",
                           on_click="ignore", icon=":material/download:", width="content")
        st.download_button(
            t("downloads.xlsx"), data=lambda: exports.xlsx_bytes(frame, base),
            file_name=f"{base}.xlsx", key=f"dl_xlsx_{key}", on_click="ignore",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:", width="content")


def table_with_downloads(df: pd.DataFrame, name: str, key: str, **options: object) -> None:
    """Draw df as a table (hide_index, full width, plus options) with its CSV/XLSX downloads."""
    st.dataframe(df, **{"hide_index": True, "width": "stretch", **options})
    download_table(df, name, key=key)
