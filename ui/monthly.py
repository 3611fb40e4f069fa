"""The monthly assessment page's parts: month picker, cached reads, rankings, settings, close."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from civdata.core.auth import Actor, can
from civdata.core.errors import CivDataError
from civdata.domain import assessment
from civdata.io import monthly_export
from ui import forms, readers
from ui.i18n import current_lang, t
from ui.widgets import fmt_num, styled

DOMAINS = ("problems", "markets", "renovation", "volunteers", "evaluation", "settings",
           "meetings")


@readers.cached_by_domains(*DOMAINS, show_spinner=False)
def _snapshot(key: tuple, month: str, minute: str) -> dict[str, Any]:
    """Return the month's assessment: its frozen record when closed, else live (cached)."""
    with readers.session() as s:
        return assessment.assessment_snapshot(s, month)


def snapshot(version: tuple, month: str) -> dict[str, Any]:
    """Return the month's assessment; the current month is keyed by the minute too."""
    from civdata.core.clock import this_minute

    now = this_minute()
    minute = now.isoformat() if month == assessment.month_of(now.date()) else ""
    return _snapshot(version, month, minute)


@readers.cached_by_domains("settings", show_spinner=False)
def indicators(key: tuple) -> pd.DataFrame:
    """Return the assessment indicators with their targets and weights (cached)."""
    with readers.session() as s:
        return assessment.assessment_indicators(s)


def month_choice(today: date) -> str:
    """Draw the month picker (?month=YYYY-MM, default this month) and return the label."""
    options = assessment.recent_months(today, 12)
    wanted = st.query_params.get("month")
    try:
        wanted = assessment.parse_month(wanted) if wanted else options[0]
    except CivDataError:
        wanted = options[0]
    if wanted not in options:
        options.append(wanted)
    month = st.selectbox(t("monthly.month"), options, index=options.index(wanted),
                         key=f"monthly_month_{current_lang()}")
    if st.query_params.get("month") != month:
        st.query_params["month"] = month
    return month


def status_caption(snap: dict[str, Any]) -> str:
    """Return 'closed on <date> by <who>' for a closed month, else 'live as of <time>'."""
    record = snap.get("record")
    if record:
        return t("monthly.record_of", at=record["closed_at"][:16].replace("T", " "),
                 who=record["closed_by"])
    at = snap["as_of"][:16].replace("T", " ")
    return t("monthly.live_as_of", at=at) if snap.get("complete") else t("monthly.partial", at=at)


def _rank_text(value: Any) -> str:
    """Return a rank as text ('—' when missing)."""
    return "—" if value is None or pd.isna(value) else str(int(value))


def draw_headline(snap: dict[str, Any], subdistrict_id: int | None) -> None:
    """Draw the headline: the first place (or the chosen subdistrict's rank) and the mean."""
    rows = snap["subdistricts"]
    lang = current_lang()
    c1, c2, c3 = st.columns(3)
    subs = readers.subdistricts(readers.data_version())
    code = None
    if subdistrict_id is not None:
        match = subs[subs["id"] == subdistrict_id]
        code = None if match.empty else str(match["code"].iloc[0])
    mine = next((r for r in rows if r["code"] == code), None)
    if mine is not None:
        delta = None if mine["rank_change"] is None else f"{mine['rank_change']:+.0f}"
        c1.metric(t("monthly.metric.mine"), _rank_text(mine["rank"]), delta=delta, border=True)
        score_delta = (None if mine["score_change"] is None
                       else f"{mine['score_change']:+.1f}")
        c2.metric(t("monthly.metric.score"), fmt_num(mine["score"], 1), delta=score_delta,
                  border=True)
    else:
        top = rows[0]
        c1.metric(t("monthly.metric.top"), top[f"name_{lang}"], border=True)
        c2.metric(t("monthly.metric.score"), fmt_num(top["score"], 1),
                  delta=None if top["score_change"] is None else f"{top['score_change']:+.1f}",
                  border=True)
    scores = [r["score"] for r in rows if r["score"] is not None]
    c3.metric(t("monthly.metric.mean"), fmt_num(sum(scores) / len(scores), 1) if scores else "—",
              border=True)


def subdistrict_ranking(snap: dict[str, Any], subdistrict_id: int | None,
                        own_only: bool = False) -> None:
    """Draw the subdistrict ranking table (only the own row for an account bound to one)."""
    heads, rows = monthly_export.subdistrict_table(snap, current_lang())
    frame = pd.DataFrame(rows, columns=heads, dtype=object)  # ranks stay whole beside a gap
    if own_only and subdistrict_id is not None:
        subs = readers.subdistricts(readers.data_version())
        codes = list(subs.loc[subs["id"] == subdistrict_id, "code"])
        keep = [r["code"] in codes for r in snap["subdistricts"]]
        frame = frame[keep]
    st.dataframe(styled(frame), hide_index=True, width="stretch")


def unit_ranking(snap: dict[str, Any]) -> None:
    """Draw the responsible units' ranking table."""
    heads, rows = monthly_export.unit_table(snap, current_lang())
    if not rows:
        st.info(t("monthly.empty_units"))
        return
    st.dataframe(styled(pd.DataFrame(rows, columns=heads, dtype=object)), hide_index=True,
                 width="stretch")


def indicators_table(snap: dict[str, Any]) -> None:
    """Draw the indicators the month was scored with (the record's, once closed)."""
    heads, rows = monthly_export.indicator_table(snap, current_lang())
    st.dataframe(styled(pd.DataFrame(rows, columns=heads, dtype=object)), hide_index=True,
                 width="stretch")


def settings_form(actor: Actor | None, frame: pd.DataFrame) -> None:
    """Draw the office's form that edits an indicator's target and weight."""
    if not can(actor, "settings.edit"):
        return
    with st.expander(t("monthly.section.indicators") + " · " + t("monthly.save")):
        st.caption(t("monthly.settings_help"))
        code = st.selectbox(t("monthly.col.indicator"), list(frame["metric"]),
                            format_func=lambda k: t(f"monthly.ind.{k}"), key="monthly_ind")
        row = frame[frame["metric"] == code].iloc[0]
        with st.form("monthly_indicator_form"):
            c1, c2 = st.columns(2)
            target = c1.number_input(t("monthly.col.target"), value=float(row["target"]),
                                     min_value=0.0, format="%.3f", key=f"monthly_target_{code}")
            weight = c2.number_input(t("monthly.col.weight"), value=float(row["weight"]),
                                     min_value=0.0, format="%.1f", key=f"monthly_weight_{code}")
            if st.form_submit_button(t("monthly.save")):
                forms.submit(lambda s: assessment.set_assessment_indicator(
                    s, actor, code, target, weight), t("monthly.saved",
                                                       name=t(f"monthly.ind.{code}")))


def close_control(actor: Actor | None, snap: dict[str, Any]) -> None:
    """Draw the close-the-month control (leader, office) while the month is open."""
    if snap.get("record") or not can(actor, "meeting.manage"):
        return
    month = snap["month"]
    with st.form("monthly_close_form"):
        sure = st.checkbox(t("monthly.close_confirm"), key="monthly_close_sure")
        if st.form_submit_button(t("monthly.close"), type="primary") and sure:
            forms.submit(lambda s: assessment.close_month(s, actor, month),
                         t("monthly.closed", month=month))


def downloads(snap: dict[str, Any]) -> None:
    """Draw the Excel and Word downloads of the month (built on click)."""
    lang = current_lang()
    base = f"monthly_{snap['month']}"
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            t("monthly.download_xlsx"), data=lambda: monthly_export.monthly_xlsx(snap, lang),
            file_name=f"{base}.xlsx", key="monthly_xlsx", on_click="ignore",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/table:", width="content")
        st.download_button(
            t("monthly.download_docx"), data=lambda: monthly_export.monthly_docx(snap, lang),
            file_name=f"{base}.docx", key="monthly_docx", on_click="ignore",
            mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            icon=":material/description:", width="content")
