"""Small drawing helpers shared by pages: KPI cards, progress bars, number formats."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from civdata.domain.metrics import change
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


DASH = "—"


def _pct_cell(value: float) -> str:
    """Return a share (0-1) as a percent with one decimal."""
    return f"{100 * value:.1f}%"


def _signed_pct_cell(value: float) -> str:
    """Return a change of a share as a signed percent with one decimal."""
    return f"{100 * value:+.1f}%"


def styled(frame: pd.DataFrame, pct: tuple[str, ...] = (), signed_pct: tuple[str, ...] = (),
           digits: dict[str, int] | None = None, dates: tuple[str, ...] = ()) -> Styler:
    """Return frame ready for st.dataframe: shares as one-decimal percents, numbers with their
    digits, moments to the minute and every missing cell as '—' (never a grey 'None')."""
    formats: dict[str, object] = {c: _pct_cell for c in pct}
    formats |= {c: _signed_pct_cell for c in signed_pct}
    formats |= {c: f"{{:,.{d}f}}" for c, d in (digits or {}).items()}
    formats |= {c: (lambda v: f"{v:%Y-%m-%d %H:%M}") for c in dates}
    def text(value: object, fmt: object) -> str:
        if value is None or pd.isna(value):
            return DASH
        if callable(fmt):
            return fmt(value)
        if isinstance(fmt, str):
            return fmt.format(value)
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    # The browser draws a missing cell as a grey "None" whatever the Styler says: a column with
    # gaps goes as text ("—" where missing); the others keep their numbers (and their sorting).
    out = frame.copy()
    for col in out.columns:
        if out[col].isna().any():
            out[col] = [text(v, formats.get(col)) for v in out[col]]
            formats.pop(col, None)
    return out.style.format({c: formats.get(c) for c in out.columns}, na_rep=DASH,
                            precision=1)


def why_missing(help_text: str) -> st.column_config.Column:
    """Return a column config whose header tooltip says why some cells show '—'."""
    return st.column_config.Column(help=help_text)
