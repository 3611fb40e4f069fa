"""Small drawing helpers shared by pages: KPI cards, progress bars, number formats."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from civdata.metrics import change
from ui.i18n import t


def fmt_pct(value: float | None, digits: int = 1) -> str:
    """Return a share (0-1) as a percent string, or '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * value:.{digits}f}%"


def fmt_num(value: float | None, digits: int = 0) -> str:
    """Return a number with thousands separators, or '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def kpi(label: str, now: float | None, before: float | None, fmt: str = "num",
        inverse: bool = False, help_text: str | None = None) -> None:
    """Draw one KPI card with its change against last week."""
    diff = change(now, before)
    if fmt == "pct":
        value = fmt_pct(now)
        delta = None if diff is None else f"{100 * diff:+.1f} pt"
    elif fmt == "score":
        value = fmt_num(now, 1)
        delta = None if diff is None else f"{diff:+.1f}"
    else:
        value = fmt_num(now)
        delta = None if diff is None else f"{diff:+,.0f}"
    st.metric(label, value, delta=delta, delta_color="inverse" if inverse else "normal",
              help=help_text, border=True)


def programme_label(programme: str, batch: int, batches: int) -> str:
    """Return 'Old-compound renovation, batch 2' (no batch when the programme has one)."""
    name = t(f"programme.{programme}")
    return t("programme.batch", programme=name, batch=batch) if batches > 1 else name


def progress_rows(progress: pd.DataFrame) -> list[tuple[str, float]]:
    """Return (label, percent) per programme and batch, in the standard order."""
    batches = progress.groupby("programme")["batch"].nunique().to_dict()
    return [(programme_label(r.programme, int(r.batch), int(batches[r.programme])),
             float(r.percent)) for r in progress.itertuples(index=False)]
