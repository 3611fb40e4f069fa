"""The daily report page's parts: scope, cached reads, the figures, tables and downloads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from civdata.core.auth import Actor
from civdata.core.clock import this_minute
from civdata.domain import daily
from civdata.io import daily_export
from civdata.io.photos import is_stored_photo, thumbnail_path
from ui import readers
from ui.downloads import download_table
from ui.i18n import current_lang, t
from ui.widgets import kpi, styled

DOMAINS = ("problems", "markets", "renovation", "volunteers", "settings")
KPI_ROWS = (("new", "closed", "overdue", "escalations"),
            ("inspections", "market_score", "failed_items", "progress_reports"),
            ("slipping", "activities", "participants", "volunteer_hours"))
INVERSE = {"new", "overdue", "escalations", "failed_items", "slipping"}
DECIMAL_FIGURES = ("market_score", "volunteer_hours")


def show_table(frame: pd.DataFrame, name: str | None = None, key: str | None = None) -> None:
    """Draw a report table with every missing value as '—' (and its downloads when named)."""
    st.dataframe(styled(frame), hide_index=True, width="stretch")
    if name is not None:
        download_table(frame, name, key=key)


def scope(actor: Actor | None, chosen: int | None) -> int | None:
    """Return the subdistrict shown: an account bound to one sees only it, others the sidebar's."""
    if actor is not None and actor.subdistrict_id is not None:
        return actor.subdistrict_id
    return chosen


def scope_name(subdistrict_id: int | None) -> str:
    """Return the name of a subdistrict, or 'whole district'."""
    if subdistrict_id is None:
        return t("common.whole_district")
    subs = readers.subdistricts(readers.data_version())
    match = subs[subs["id"] == subdistrict_id]
    if match.empty:
        return t("common.whole_district")
    return str(match["name_zh" if current_lang() == "zh" else "name_en"].iloc[0])


@readers.cached_by_domains(*DOMAINS, show_spinner=False)
def _report(key: tuple, day: date, subdistrict_id: int | None, minute: str) -> dict[str, Any]:
    """Return the day's report (cached by the marks of the domains it reads)."""
    with readers.session() as s:
        return daily.daily_report(s, day, subdistrict_id)


def report(version: tuple, day: date, subdistrict_id: int | None) -> dict[str, Any]:
    """Return the day's report; a day not over yet is keyed by the minute too."""
    now = this_minute()
    minute = now.isoformat() if day >= now.date() else ""
    return _report(version, day, subdistrict_id, minute)


def day_choice(today: date) -> date:
    """Draw the day picker (?day=YYYY-MM-DD, default yesterday) and return the chosen day."""
    default = today - timedelta(days=1)
    try:
        wanted = date.fromisoformat(st.query_params.get("day", "")) if st.query_params.get(
            "day") else default
    except ValueError:
        wanted = default
    wanted = min(wanted, today)
    day = st.date_input(t("daily.day"), value=wanted, max_value=today, key="daily_day")
    if st.query_params.get("day") != day.isoformat():
        st.query_params["day"] = day.isoformat()
    return day


def status_caption(rep: dict[str, Any]) -> str:
    """Return 'day against the day before' (and 'as of' while the day is not over)."""
    span = t("daily.span", day=rep["day"], previous=rep["previous_day"])
    if rep["complete"]:
        return span
    return f"{span} · {t('daily.partial', at=rep['as_of'].replace('T', ' ')[:16])}"


def draw_figures(rep: dict[str, Any]) -> None:
    """Draw the headline figures as KPI cards with their change against the day before."""
    figures = {r["key"]: r for r in rep["headline"]}
    for keys in KPI_ROWS:
        for col, key in zip(st.columns(len(keys)), keys, strict=True):
            with col:
                row = figures[key]
                kpi(t(f"daily.fig.{key}"), row["now"], row["before"],
                    fmt="score" if key in ("market_score", "volunteer_hours") else "num",
                    inverse=key in INVERSE)


def class_table(rep: dict[str, Any]) -> pd.DataFrame:
    """Return problems new/closed/overdue by class, both days, in the current language."""
    lang = current_lang()
    return pd.DataFrame([{t("daily.col.class"): r[f"class_{lang}"],
                          t("daily.fig.new"): r["new"], t("daily.fig.closed"): r["closed"],
                          t("daily.fig.overdue"): r["overdue"],
                          f"{t('daily.fig.new')} ({t('daily.yesterday')})": r["new_before"],
                          f"{t('daily.fig.closed')} ({t('daily.yesterday')})": r["closed_before"],
                          f"{t('daily.fig.overdue')} ({t('daily.yesterday')})":
                              r["overdue_before"]} for r in rep["by_class"]])


def escalation_table(rep: dict[str, Any]) -> pd.DataFrame:
    """Return the escalations per rung, both days."""
    lang = current_lang()
    return pd.DataFrame([{t("daily.col.rung"): r[f"name_{lang}"], t("daily.today"): r["now"],
                          t("daily.yesterday"): r["before"]} for r in rep["escalations"]])


def subdistrict_table(rep: dict[str, Any]) -> pd.DataFrame:
    """Return each subdistrict's figures for the day."""
    lang = current_lang()
    return pd.DataFrame([{t("daily.col.subdistrict"): r[f"name_{lang}"],
                          **{t(f"daily.fig.{k}"): _rounded(r[k], k in DECIMAL_FIGURES)
                             for k in daily.FIGURES}}
                         for r in rep["subdistricts"]])


def _rounded(value: float | None, decimal: bool = True) -> float | int | None:
    """Return a figure rounded to one decimal, a count as a whole number (None stays None)."""
    if value is None or pd.isna(value):
        return None
    return round(float(value), 1) if decimal else int(round(float(value)))


def failed_table(rep: dict[str, Any]) -> pd.DataFrame:
    """Return the failed checklist items of the day's market inspections."""
    lang = current_lang()
    return pd.DataFrame([{t("daily.col.item"): r[f"name_{lang}"], t("daily.col.failed"):
                          r["failed"]} for r in rep["failed_items"]])


def slipping_table(rep: dict[str, Any]) -> pd.DataFrame:
    """Return the slipping projects: code, name, percent, planned percent, reason."""
    lang = current_lang()
    return pd.DataFrame([{t("daily.col.code"): r["code"], t("daily.col.project"): r[f"name_{lang}"],
                          t("daily.col.percent"): round(r["percent"], 1),
                          t("daily.col.planned"): round(r["planned_percent"], 1),
                          t("daily.col.reason"): t(f"daily.reason.{r['slip_reason']}")}
                         for r in rep["slipping_projects"]])


def draw_serious(rep: dict[str, Any]) -> None:
    """Draw the most serious open problems: one bordered card each, with its photo."""
    lang = current_lang()
    if not rep["serious"]:
        st.info(t("daily.empty_serious"))
        return
    for col, row in zip(st.columns(len(rep["serious"])), rep["serious"], strict=False):
        with col.container(border=True):
            st.markdown(f"**{row['code']}** · {row[f'subdistrict_{lang}']} · "
                        f"{row[f'class_{lang}']}".replace("*", ""), unsafe_allow_html=False)
            st.metric(t("daily.col.hours_overdue"), row["hours_overdue"])
            st.text(f"{t('daily.col.site')}: {row[f'site_{lang}'] or t('daily.no_site')}\n"
                    f"{t('daily.col.owner')}: {row['responsible_unit'] or t('daily.no_owner')}\n"
                    f"{row['description']}")
            name = row.get("photo")
            if name and is_stored_photo(name):
                st.image(str(thumbnail_path(name)), caption=t("daily.col.photo"))


def downloads(rep: dict[str, Any]) -> None:
    """Draw the Word and Markdown downloads (built on click) and the group message preview."""
    lang = current_lang()
    base = f"daily_{rep['day']}" + (f"_{rep['subdistrict']['code']}" if rep["subdistrict"] else "")
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            t("daily.download_docx"), data=lambda: daily_export.daily_docx(rep, lang),
            file_name=f"{base}.docx", key="daily_docx", on_click="ignore",
            mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            icon=":material/description:", width="content")
        st.download_button(
            t("daily.download_md"), data=lambda: daily.report_markdown(rep, lang).encode("utf-8"),
            file_name=f"{base}.md", mime="text/markdown", key="daily_md", on_click="ignore",
            icon=":material/chat:", width="content")
    with st.expander(t("daily.markdown_preview")):
        st.code(daily.report_markdown(rep, lang), language="markdown")
