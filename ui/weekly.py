"""The weekly meeting: cached reads, drawing of each section, meeting controls, presentation mode."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from civdata.core.auth import Actor, can
from civdata.core.clock import iso_week_label, this_minute, today_local
from civdata.core.errors import CivDataError
from civdata.domain import meetings, weekly
from civdata.domain.district import metric_targets
from civdata.io import reports
from ui import forms, readers
from ui.downloads import download_table
from ui.i18n import current_lang, name_col, t
from ui.widgets import fmt_num, fmt_pct, kpi, styled

SECTIONS = ("summary", "index", "lists", "problems", "renovation", "services", "overdue",
            "points_at_risk", "follow_ups")
PCT_FIGURES = {"on_time_rate", "volunteer_coverage"}
PCT_COLUMNS = ("on_time_rate", "clean_site_share", "renovation_vs_plan", "volunteer_coverage")
INVERSE = {"new", "open", "overdue", "escalations"}
PRESENT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header,
[data-testid="stHeader"] {display: none !important;}
[data-testid="stMainBlockContainer"] {max-width: 100% !important; padding: 1.2rem 2.5rem !important;}
[data-testid="stMain"] p, [data-testid="stMain"] li {font-size: 1.45rem !important;}
[data-testid="stMain"] [data-testid="stMetricValue"] p {font-size: 3.2rem !important;
 line-height: 1.2 !important; font-weight: 600 !important;}
[data-testid="stMain"] [data-testid="stMetricDelta"] p {font-size: 1.4rem !important;}
[data-testid="stMain"] [data-testid="stMetricLabel"] p {font-size: 1.4rem !important;}
[data-testid="stTable"] td, [data-testid="stTable"] th {font-size: 1.3rem !important;}
[data-testid="stMain"] h1 {font-size: 3rem !important;}
[data-testid="stMain"] h2 {font-size: 2.3rem !important;}
</style>"""


# ---------------------------------------------------------------- cached reads


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def snapshot(version: tuple[str, int], week: str, minute: str) -> dict[str, Any]:
    """Return the meeting's figures: the frozen record when closed, else live (cached per data
    version and per minute taken_at gives, so an unfinished week's 'as of' moves on without a
    write; the parts that move only by the day come from day_parts, so a new minute recounts
    only the rest)."""
    with readers.session() as s:
        frozen = meetings.meeting_record(s, week)
    if frozen is not None:
        return frozen
    now = datetime.fromisoformat(minute)
    parts = day_parts(version, week, now.date())
    with readers.session() as s:
        return meetings.meeting_snapshot(s, week, now, parts,
                                         functools.partial(readers.open_weights, version))


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def day_parts(version: tuple[str, int], week: str, day: date) -> dict[str, dict[str, Any]]:
    """Return the week's figures that move only with the data and the day (cached per data
    version and day: the index ranking, renovation, market and volunteer figures)."""
    with readers.session() as s:
        return weekly.week_day_parts(s, week, day)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def meeting(version: tuple[str, int], week: str) -> dict[str, Any] | None:
    """Return the weekly meeting row of week, or None (cached)."""
    with readers.session() as s:
        return meetings.weekly_meeting(s, week)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def targets(version: tuple[str, int]) -> pd.DataFrame:
    """Return the index metrics' targets and weights (cached)."""
    with readers.session() as s:
        return metric_targets(s)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def export(version: tuple[str, int], week: str, lang: str, kind: str, minute: str) -> bytes:
    """Return the .pptx or .xlsx export of the meeting as shown in that minute (cached)."""
    snap = snapshot(version, week, minute)
    return reports.weekly_pptx(snap, lang) if kind == "pptx" else reports.weekly_xlsx(snap, lang)


TABLES_KEY = "_weekly_section_tables"  # (the snapshot drawn, language, its tables)


def taken_at(week: str) -> str:
    """Return the moment a week's live figures are taken, their freshness key: this minute
    while the week runs, its Sunday 23:59:59 once it is over (a past week's figures then stay
    cached until the data change, not recounted every minute)."""
    return weekly.week_end(week, this_minute()).isoformat()


def tables(snap: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Return the snapshot's section tables in the current language, built once per snapshot
    drawn (six sections read them: 0.02 s each at 1M problems)."""
    lang = current_lang()
    kept = st.session_state.get(TABLES_KEY)
    if kept is not None and kept[0] is snap and kept[1] == lang:
        return kept[2]
    built = reports.section_tables(snap, lang)
    st.session_state[TABLES_KEY] = (snap, lang, built)
    return built


# ---------------------------------------------------------------- filters and state


def week_choice(today: date) -> str:
    """Draw the week picker (?week=2026-W48) and return the chosen ISO week label."""
    options = weekly.recent_weeks(today, 12)
    wanted = st.query_params.get("week")
    try:
        wanted = weekly.parse_week(wanted) if wanted else options[0]
    except CivDataError:
        wanted = options[0]
    if weekly.week_bounds(wanted)[0] > weekly.week_bounds(options[0])[0]:
        wanted = options[0]  # a week not begun yet (a link from the future): this week
    if wanted not in options:
        options.append(wanted)

    def fmt(label: str) -> str:
        monday, sunday = weekly.week_bounds(label)
        return t("weekly.week_option", week=label, monday=monday.strftime("%m-%d"),
                 sunday=sunday.strftime("%m-%d"))

    # one widget per language: a kept widget would keep the labels of the other language
    week = st.selectbox(t("weekly.week"), options, index=options.index(wanted), format_func=fmt,
                        key=f"weekly_week_{current_lang()}")
    if st.query_params.get("week") != week:
        st.query_params["week"] = week
    return week


def presenting() -> bool:
    """Return True in presentation mode (?present=1)."""
    return st.query_params.get("present") == "1"


def status_caption(snap: dict[str, Any]) -> str:
    """Return 'record of <date>' for a closed meeting, else 'live as of <time>'."""
    record = snap.get("record")
    if record:
        return t("weekly.record_of", at=record["closed_at"][:16].replace("T", " "),
                 who=record["closed_by"])
    live = t("weekly.live_as_of", at=snap["as_of"][:16].replace("T", " "))
    return live if snap.get("complete") else f"{live} · {t('weekly.partial')}"


# ---------------------------------------------------------------- sections


def draw_section(name: str, snap: dict[str, Any], actor: Actor | None) -> None:
    """Draw one section of the meeting."""
    st.subheader(t(f"weekly.section.{name}"))
    if name == "follow_ups":
        draw_follow_ups(snap, actor)
        return
    drawers = {"summary": draw_summary, "index": draw_index, "lists": draw_lists,
               "problems": draw_problems, "renovation": draw_renovation,
               "services": draw_services, "overdue": draw_overdue,
               "points_at_risk": draw_points_at_risk}
    drawers[name](snap)


def draw_summary(snap: dict[str, Any]) -> None:
    """Draw every headline figure of the week against the week before."""
    heads = snap["headline"]
    for start in range(0, len(heads), 5):
        cols = st.columns(5)
        for col, h in zip(cols, heads[start:start + 5], strict=False):
            fmt = "pct" if h["key"] in PCT_FIGURES else "score" if h["key"] in (
                "index_mean", "market_score", "volunteer_hours") else "num"
            with col:
                kpi(t(f"weekly.fig.{h['key']}"), h["now"], h["before"], fmt=fmt,
                    inverse=h["key"] in INVERSE)


def _bars(categories: list[str], now: list, before: list, horizontal: bool = False,
          height: int = 420) -> go.Figure:
    """Return a grouped bar chart of this week against last week."""
    x, y = ("y", "x") if horizontal else ("x", "y")
    fig = go.Figure([
        go.Bar(**{x: categories, y: now}, name=t("weekly.this_week"),
               orientation="h" if horizontal else "v"),
        go.Bar(**{x: categories, y: before}, name=t("weekly.last_week"),
               orientation="h" if horizontal else "v"),
    ])
    size = 20 if presenting() else 13
    fig.update_layout(barmode="group", height=height + (180 if presenting() else 0),
                      legend={"orientation": "h", "font": {"size": size}},
                      margin={"l": 10, "r": 10, "t": 10, "b": 10}, font={"size": size})
    fig.update_xaxes(tickfont={"size": size})
    fig.update_yaxes(tickfont={"size": size})
    if presenting():
        fig.update_traces(texttemplate="%{" + y + ":.1f}", textposition="outside",
                          textfont={"size": size - 4})
    return fig


def _renamed(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a section table with translated headers."""
    return frame.rename(columns={c: t(f"weekly.col.{c}") for c in frame.columns})


def show_table(frame: pd.DataFrame, key: str, column_config: dict | None = None) -> None:
    """Show a table: interactive on the desk, a large static table on the projector."""
    if presenting():
        st.table(frame.round(1).astype(object).where(frame.notna(), "—"), hide_index=True)
        return
    st.dataframe(frame, hide_index=True, width="stretch", key=key, column_config=column_config)
    download_table(frame, f"weekly_{key}", key=f"weekly_{key}")


def draw_index(snap: dict[str, Any]) -> None:
    """Draw the subdistrict index this week against last week, and the ranking table."""
    index = tables(snap)["index"]
    if index.empty:
        st.info(t("common.no_data"))
        return
    st.caption(t("weekly.index_help"))
    st.plotly_chart(_bars(list(index["name"]), list(index["index"]),
                          list(index["index_before"])), width="stretch", key="weekly_index_chart")
    if presenting():
        return
    st.dataframe(styled(_renamed(index), pct=tuple(t(f"weekly.col.{c}") for c in PCT_COLUMNS),
                        digits={t(f"weekly.col.{c}"): 1 for c in (
                            "index", "index_before", "index_change", "market_score")}),
                 hide_index=True, width="stretch", key="weekly_index_table",
                 height=35 * (len(index) + 1) + 3)


def _reason_text(reason: dict[str, Any]) -> str:
    """Return 'On-time rate 73.2% / target 90.0% (81%)'."""
    pct = reason["metric"] in PCT_COLUMNS
    show = fmt_pct if pct else (lambda v: fmt_num(v, 1))
    return t("weekly.reason", metric=t(f"weekly.col.{reason['metric']}"),
             actual=show(reason["actual"]), target=show(reason["target"]),
             ratio=fmt_pct(reason["ratio"]))


def draw_lists(snap: dict[str, Any]) -> None:
    """Draw the red list and the black list, each subdistrict with the metrics behind it."""
    left, right = st.columns(2)
    for col, kind in ((left, "red"), (right, "black")):
        with col:
            st.markdown(f"**{t(f'weekly.list.{kind}')}**")
            entries = snap[f"{kind}_list"]
            if not entries:
                st.info(t("common.no_data"))
            for e in entries:
                name = e[name_col()]
                with st.container(border=True):
                    st.markdown(t("weekly.list_entry", rank=e["rank"], name=name,
                                  index=fmt_num(e["index"], 1)))
                    for reason in e["reasons"]:
                        st.markdown(f"- {_reason_text(reason)}")


def draw_problems(snap: dict[str, Any]) -> None:
    """Draw problems new, closed, on time, overdue and escalated, both weeks; the ladder."""
    keys = ["new", "closed", "closed_on_time", "overdue", "escalations"]
    head = {h["key"]: h for h in snap["headline"]}
    st.plotly_chart(_bars([t(f"weekly.fig.{k}") for k in keys], [head[k]["now"] for k in keys],
                          [head[k]["before"] for k in keys], height=320),
                    width="stretch", key="weekly_problems_chart")
    st.caption(t("weekly.escalation_help"))
    show_table(_renamed(tables(snap)["escalations"]), "weekly_escalations_table")


def draw_renovation(snap: dict[str, Any]) -> None:
    """Draw the progress gained this week per programme and batch."""
    ren = tables(snap)["renovation"]
    if ren.empty:
        st.info(t("common.no_data"))
        return
    names = [t("programme.batch", programme=t(f"programme.{p}"), batch=b)
             for p, b in zip(ren["programme"], ren["batch"], strict=True)]
    st.plotly_chart(_bars(names, list(ren["percent"]), list(ren["before"]), horizontal=True,
                          height=380), width="stretch", key="weekly_renovation_chart")
    if presenting():
        return
    shown = ren.assign(programme=names).drop(columns=["batch"])
    st.dataframe(_renamed(shown), hide_index=True, width="stretch", key="weekly_renovation_table",
                 column_config={t(f"weekly.col.{c}"): st.column_config.NumberColumn(format="%.1f")
                                for c in ("percent", "before", "gained")})


def draw_services(snap: dict[str, Any]) -> None:
    """Draw each subdistrict's market score and volunteer coverage, both weeks."""
    services = tables(snap)["services"]
    if services.empty:
        st.info(t("common.no_data"))
        return
    st.plotly_chart(_bars(list(services["name"]), list(services["market_score"]),
                          list(services["market_score_before"]), height=360),
                    width="stretch", key="weekly_services_chart")
    if presenting():
        return
    st.caption(t("weekly.services_help"))
    st.dataframe(styled(_renamed(services), pct=tuple(
        t(f"weekly.col.{c}") for c in ("volunteer_coverage", "volunteer_coverage_before")),
        digits={t(f"weekly.col.{c}"): 1 for c in ("market_score", "market_score_before")}),
        hide_index=True, width="stretch", key="weekly_services_table")


def draw_overdue(snap: dict[str, Any]) -> None:
    """Draw the longest-overdue problems and the accountability list."""
    tab = tables(snap)
    if tab["overdue"].empty:
        st.info(t("weekly.no_overdue"))
    else:
        overdue = tab["overdue"].drop(columns=["cls"] if presenting() else [])
        show_table(_renamed(overdue), "weekly_overdue_table")
    st.markdown(f"**{t('weekly.accountability')}**")
    st.caption(t("weekly.accountability_help"))
    if tab["accountability"].empty:
        st.info(t("weekly.no_accountability"))
    else:
        show_table(_renamed(tab["accountability"]), "weekly_accountability_table")


def draw_points_at_risk(snap: dict[str, Any]) -> None:
    """Draw the evaluation contents losing most points: lead unit, deadline, work under way."""
    risk = tables(snap)["points_at_risk"]
    if risk.empty:
        st.info(t("weekly.no_points_at_risk"))
        return
    st.caption(t("weekly.points_at_risk_help"))
    shown = risk.assign(method=[t(f"readiness.method.{v}") for v in risk["method"]])
    show_table(shown.rename(columns={c: t(f"readiness.col.{c}") for c in shown.columns}),
               "weekly_points_at_risk_table")


def _items_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return action items with translated statuses and headers."""
    shown = frame[["week", "what", "owner", "due_on", "status"]].copy()
    shown["status"] = [t(f"weekly.status.{s}") for s in shown["status"]]
    return _renamed(shown)


def draw_follow_ups(snap: dict[str, Any], actor: Actor | None) -> None:
    """Draw last meetings' items with their status, and this meeting's items."""
    live = snap.get("record") is None
    for key, title in (("carried_items", "weekly.carried"), ("action_items", "weekly.items")):
        st.markdown(f"**{t(title)}**")
        items = pd.DataFrame(snap.get(key, []), columns=meetings.ITEM_COLUMNS)
        if items.empty:
            st.info(t("weekly.no_items"))
            continue
        show_table(_items_table(items), f"weekly_{key}_table")
        if live and can(actor, "meeting.follow_up") and not presenting():
            status_form(actor, items, key)


# ---------------------------------------------------------------- writes


def status_form(actor: Actor, items: pd.DataFrame, key: str) -> None:
    """Draw the form that updates one follow-up's status."""
    with st.form(f"weekly_status_{key}", clear_on_submit=True):
        c1, c2, c3 = st.columns([3, 2, 1])
        labels = {int(r.id): f"{r.week} · {r.what}" for r in items.itertuples()}
        item = c1.selectbox(t("weekly.col.what"), list(labels), format_func=labels.get,
                            key=f"weekly_status_item_{key}")
        status = c2.selectbox(t("weekly.col.status"), list(meetings.ITEM_STATUSES),
                              format_func=lambda s: t(f"weekly.status.{s}"),
                              key=f"weekly_status_value_{key}")
        if c3.form_submit_button(t("weekly.update")):
            forms.submit(lambda s: meetings.set_action_item_status(s, actor, item, status))


def item_form(actor: Actor, week: str, today: date) -> None:
    """Draw the form that records a new follow-up at the open meeting."""
    with st.form("weekly_item_form", clear_on_submit=True):
        st.markdown(f"**{t('weekly.add_item')}**")
        c1, c2, c3 = st.columns([3, 2, 1])
        what = c1.text_input(t("weekly.col.what"), key="weekly_item_what")
        owner = c2.text_input(t("weekly.col.owner"), key="weekly_item_owner")
        due = c3.date_input(t("weekly.col.due_on"), value=today + timedelta(days=7),
                            key="weekly_item_due")
        if st.form_submit_button(t("weekly.add_item"), type="primary"):
            forms.submit(lambda s: meetings.add_action_item(s, actor, week, what, owner, due))


def present_link(week: str, present: bool) -> str:
    """Return the link into (or out of) presentation mode that keeps the page's other
    parameters (subdistrict, language)."""
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in ("week", "present")}
    query |= {"lang": current_lang(), "week": week} | ({"present": "1"} if present else {})
    return "?" + urlencode(query)


def export_buttons(version: tuple[str, int], week: str, left: DeltaGenerator,
                   right: DeltaGenerator) -> None:
    """Draw the PowerPoint and Excel exports of the meeting."""
    lang = current_lang()
    left.download_button(t("weekly.export_pptx"),
                         lambda: export(version, week, lang, "pptx", taken_at(week)),
                         file_name=f"weekly-{week}.pptx", key="weekly_pptx",
                         mime="application/vnd.openxmlformats-officedocument."
                              "presentationml.presentation")
    right.download_button(t("weekly.export_xlsx"),
                          lambda: export(version, week, lang, "xlsx", taken_at(week)),
                          file_name=f"weekly-{week}.xlsx", key="weekly_xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def meeting_controls(actor: Actor | None, week: str, info: dict[str, Any] | None,
                     snap: dict[str, Any]) -> None:
    """Draw open/close buttons, the follow-up form and the exports."""
    version = readers.data_version()
    c1, c2, c3, c4 = st.columns(4)
    if can(actor, "meeting.manage"):
        if info is None and c1.button(t("weekly.open"), key="weekly_open", type="primary"):
            forms.submit(lambda s: meetings.open_meeting(s, actor, week))
        if info is not None and info["status"] == "open" and c1.button(
                t("weekly.close"), key="weekly_close", help=t("weekly.close_help")):
            forms.submit(lambda s: meetings.close_meeting(s, actor, week, snap))
    export_buttons(version, week, c2, c3)
    c4.link_button(t("weekly.present"), present_link(week, True))
    if info is not None and info["status"] == "open" and can(actor, "meeting.follow_up"):
        item_form(actor, week, today_local())


def targets_form(actor: Actor | None, frame: pd.DataFrame) -> None:
    """Draw the office's form that edits the index targets and weights."""
    if not can(actor, "settings.edit") or frame.empty:
        return
    with st.expander(t("weekly.targets")):
        shown = frame.assign(metric=[t(f"weekly.col.{k}") for k in frame["metric"]])
        st.dataframe(_renamed(shown), hide_index=True, width="stretch")
        metric = st.selectbox(t("weekly.col.metric"), list(frame["metric"]),
                              format_func=lambda k: t(f"weekly.col.{k}"), key="weekly_target_metric")
        row = frame[frame["metric"] == metric].iloc[0]
        with st.form("weekly_targets_form"):
            c1, c2 = st.columns(2)
            target = c1.number_input(t("weekly.col.target"), value=float(row["target"]),
                                     min_value=0.0, format="%.3f",
                                     key=f"weekly_target_value_{metric}")
            weight = c2.number_input(t("weekly.col.weight"), value=float(row["weight"]),
                                     min_value=0.0, format="%.3f",
                                     key=f"weekly_target_weight_{metric}")
            if st.form_submit_button(t("weekly.save_target")):
                forms.submit(lambda s: weekly.set_metric_target(s, actor, metric, target, weight))


def subdistrict_note(snap: dict[str, Any], code: str | None) -> None:
    """Show the sidebar's chosen subdistrict: its rank and index against last week."""
    row = next((r for r in snap["index"] if r["code"] == code), None)
    if row is None:
        return
    st.info(t("weekly.sub_note", name=row[name_col()], rank=row["rank"],
              index=fmt_num(row["index"], 1), before=fmt_num(row["index_before"], 1),
              rank_before=row["rank_before"] if row["rank_before"] is not None else "—"),
            icon=":material/location_on:")


def presentation(snap: dict[str, Any], actor: Actor | None) -> None:
    """Draw presentation mode: large type, no sidebar, one section per screen."""
    st.html(PRESENT_CSS)
    pos = int(st.session_state.get("weekly_slide", 0)) % len(SECTIONS)
    c1, c2, c3 = st.columns([1, 6, 1])
    if c1.button(t("weekly.previous"), key="weekly_prev", width="stretch"):
        pos = (pos - 1) % len(SECTIONS)
    if c3.button(t("weekly.next"), key="weekly_next", width="stretch", type="primary"):
        pos = (pos + 1) % len(SECTIONS)
    st.session_state["weekly_slide"] = pos
    c2.caption(t("weekly.slide_of", n=pos + 1, total=len(SECTIONS)) + " · " + status_caption(snap))
    draw_section(SECTIONS[pos], snap, actor)
    c4, c5, c6 = st.columns([2, 2, 4])
    export_buttons(readers.data_version(), snap["week"], c4, c5)
    c6.link_button(t("weekly.leave_present"), present_link(snap["week"], False))


def current_week() -> str:
    """Return this week's ISO label in the district."""
    return iso_week_label(today_local())


def normalised_week(label: str | None) -> str:
    """Return label as an ISO week ('2026-W48'), or this week when it is not one or has not
    begun."""
    try:
        week = weekly.parse_week(label or "")
    except CivDataError:
        return current_week()
    return min(week, current_week(), key=lambda w: weekly.week_bounds(w)[0])
