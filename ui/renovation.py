"""Renovation page helpers: cached readers keyed by the data version, bars, charts, the card and
the progress report form."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from civdata.core.auth import Actor, can
from civdata.domain import district, metrics
from civdata.domain import renovation as ren
from ui import forms, readers
from ui.downloads import download_table
from ui.i18n import current_lang, name_col, t
from ui.plain import escape_md
from ui.widgets import fmt_num, fmt_pct, programme_label

GROUP_ALL = "all"
FORM_KEYS = ("progress_date", "progress_percent", "progress_stage", "progress_note",
             "progress_photo", "progress_correction")


# --- cached readers -------------------------------------------------------------------------
@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def project_table(version: tuple[str, int], day: date, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the projects with latest percent, plan on day and slip flags (cached)."""
    with readers.session() as s:
        projects = ren.projects_with_progress(s, day, subdistrict_id)
    return metrics.project_slippage(projects, day, metrics.SLIP_POINTS)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def programme_table(version: tuple[str, int], day: date,
                    subdistrict_id: int | None) -> pd.DataFrame:
    """Return weighted progress, stage counts, households and investment per batch (cached)."""
    with readers.session() as s:
        return metrics.programme_summary(ren.projects_with_progress(s, day, subdistrict_id))


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def subdistrict_table(version: tuple[str, int], day: date, group: str) -> pd.DataFrame:
    """Return weighted actual and planned percent per subdistrict for a group (cached)."""
    with readers.session() as s:
        projects = ren.projects_with_progress(s, day, None)
        subs = district.subdistricts(s)
    out = metrics.progress_against_plan(in_group(projects, group), day)
    return out.merge(subs, left_on="subdistrict_id", right_on="id").sort_values("actual")


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def reports(version: tuple[str, int], project_id: int) -> pd.DataFrame:
    """Return one project's progress reports (cached)."""
    with readers.session() as s:
        return ren.progress_reports(s, project_id)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def quantities(version: tuple[str, int], programme: str) -> pd.DataFrame:
    """Return a programme's planned and done quantities with the share done (cached)."""
    with readers.session() as s:
        q = ren.programme_quantities(s, programme)
    q["share"] = q["done"] / q["planned"].where(q["planned"] > 0)
    return q


# --- selections ------------------------------------------------------------------------------
def group_key(programme: str, batch: int) -> str:
    """Return the selector value of a programme and batch ('old_compound:2')."""
    return f"{programme}:{batch}"


def in_group(projects: pd.DataFrame, group: str) -> pd.DataFrame:
    """Return the projects of a group ('all' keeps every project)."""
    if group == GROUP_ALL:
        return projects
    programme, batch = group.split(":")
    return projects[(projects["programme"] == programme) & (projects["batch"] == int(batch))]


def _labels(summary: pd.DataFrame) -> dict[str, str]:
    """Return {group key: label} in the summary's order."""
    batches = summary.groupby("programme")["batch"].nunique().to_dict()
    return {group_key(r.programme, int(r.batch)):
            programme_label(r.programme, int(r.batch), int(batches[r.programme]))
            for r in summary.itertuples(index=False)}


def group_picker(summary: pd.DataFrame, projects: pd.DataFrame) -> str:
    """Draw the programme-and-batch selector (starting at the group of ?project=<code> when
    given) and return the chosen group key."""
    labels = _labels(summary)
    options = list(labels)
    match = projects[projects["code"] == st.query_params.get("project")]
    index = (options.index(group_key(match.iloc[0]["programme"], int(match.iloc[0]["batch"])))
             if not match.empty else 0)
    return st.selectbox(t("renovation.group"), options, index=index, key="renovation_group",
                        format_func=labels.get)


def project_picker(projects: pd.DataFrame) -> pd.Series | None:
    """Draw the project selector (bound to ?project=<code>) and return the chosen row."""
    if projects.empty:
        return None
    codes = list(projects["code"])
    names = dict(zip(projects["code"], projects[name_col()], strict=True))
    wanted = st.query_params.get("project")
    index = codes.index(wanted) if wanted in codes else 0
    code = st.selectbox(t("renovation.project"), codes, index=index, key="renovation_project",
                        format_func=lambda c: f"{c} · {names[c]}")
    if st.query_params.get("project") != code:
        st.query_params["project"] = code
    return projects[projects["code"] == code].iloc[0]


# --- drawing ---------------------------------------------------------------------------------
def _wan(yuan: float) -> str:
    """Return yuan in ten-thousands with separators."""
    return fmt_num(yuan / 10_000)


def draw_programme_bars(summary: pd.DataFrame) -> None:
    """Draw one progress bar per programme and batch, with stage counts, households, money."""
    labels = _labels(summary)
    for r in summary.itertuples(index=False):
        left, right = st.columns([3, 2])
        label = labels[group_key(r.programme, int(r.batch))]
        with left:
            st.progress(min(max(float(r.percent), 0.0) / 100, 1.0),
                        text=t("renovation.bar_text", label=label, percent=f"{r.percent:.1f}",
                               completed=int(r.completed), projects=int(r.projects)))
            st.caption(t(f"renovation.weight.{r.weight_basis}"))
        with right:
            stages = t("renovation.stages", planned=int(r.n_planned), bidding=int(r.n_bidding),
                       under_construction=int(r.n_under_construction),
                       completed=int(r.n_completed))
            drawings = (" · " + t("renovation.drawings", done=int(r.drawings_done),
                                  projects=int(r.projects)) if r.drawings_done else "")
            st.caption(stages + drawings)
            share = r.investment_spent / r.investment_planned if r.investment_planned else None
            money = t("renovation.investment", spent=_wan(r.investment_spent),
                      planned=_wan(r.investment_planned), share=fmt_pct(share))
            people = (t("renovation.households", n=fmt_num(r.households)) + " · "
                      if r.households else "")
            st.caption(people + money)


def _stage(stage: str) -> str:
    """Return a stage's name."""
    return t(f"project.stage.{stage}")


def _day(value: object) -> str:
    """Return a date as YYYY-MM-DD, or '—'."""
    return value.isoformat() if isinstance(value, date) else "—"


def project_frame(projects: pd.DataFrame, slipping_only: bool = False) -> pd.DataFrame:
    """Return the projects as a display table (slipping ones only when asked)."""
    rows = projects[projects["slipping"]] if slipping_only else projects
    sub_col = "subdistrict_zh" if current_lang() == "zh" else "subdistrict_en"
    out = pd.DataFrame({
        t("renovation.col.code"): rows["code"],
        t("renovation.col.name"): rows[name_col()],
        t("renovation.col.subdistrict"): rows[sub_col],
        t("renovation.col.bid_section"): rows["bid_section"].fillna("—"),
        t("renovation.col.stage"): [_stage(s) for s in rows["stage"]],
        t("renovation.col.percent"): rows["percent"].astype(float).round(1),
        t("renovation.col.planned_percent"): rows["planned_percent"].astype(float).round(1),
        t("renovation.col.behind"): rows["behind"].astype(float).round(1),
        t("renovation.col.reason"): [t(f"renovation.reason.{r}") if isinstance(r, str) else ""
                                     for r in rows["slip_reason"]],
        t("renovation.col.planned_end"): rows["planned_end"].map(_day),
        t("renovation.col.last_report"): rows["last_report_on"].map(_day),
    })
    return out.reset_index(drop=True)


def draw_table(frame: pd.DataFrame, key: str) -> None:
    """Draw a project table with percent bars."""
    bar = st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.1f")
    st.dataframe(frame, hide_index=True, width="stretch", key=key, column_config={
        t("renovation.col.percent"): bar,
        t("renovation.col.planned_percent"): st.column_config.NumberColumn(format="%.1f")})
    download_table(frame, f"renovation_{key}", key=f"renovation_{key}")


def subdistrict_chart(by_sub: pd.DataFrame) -> go.Figure:
    """Return grouped horizontal bars of actual and planned percent per subdistrict."""
    names = by_sub[name_col()]
    fig = go.Figure([
        go.Bar(y=names, x=by_sub["actual"], name=t("renovation.actual"), orientation="h"),
        go.Bar(y=names, x=by_sub["planned"], name=t("renovation.planned"), orientation="h"),
    ])
    fig.update_layout(barmode="group", height=80 + 40 * len(by_sub),
                      xaxis={"title": t("renovation.percent_axis"), "range": [0, 100]},
                      margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend={"orientation": "h"})
    return fig


def report_chart(project: pd.Series, history: pd.DataFrame, day: date) -> go.Figure:
    """Return the project's reports as a line against its straight-line planned curve."""
    fig = go.Figure()
    start, end = project["planned_start"], project["planned_end"]
    if start is not None and end is not None:
        fig.add_trace(go.Scatter(x=[start, end], y=[0.0, 100.0], mode="lines",
                                 name=t("renovation.plan_curve"), line={"dash": "dash"}))
    fig.add_trace(go.Scatter(x=list(history["reported_on"]),
                             y=list(history["percent"].astype(float)), mode="lines+markers",
                             name=t("renovation.reported")))
    fixes = history[history["is_correction"].astype(bool)]
    if not fixes.empty:
        fig.add_trace(go.Scatter(x=list(fixes["reported_on"]), y=list(fixes["percent"]),
                                 mode="markers", name=t("renovation.correction"),
                                 marker={"symbol": "x", "size": 12}))
    _today_line(fig, day)
    fig.update_layout(height=320, yaxis={"title": t("renovation.percent_axis"),
                                         "range": [0, 105]},
                      xaxis={"title": t("renovation.report_date")},
                      margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h"})
    return fig


def _today_line(fig: go.Figure, day: date) -> None:
    """Add a vertical line at day with a label (shape + annotation: safe on date axes)."""
    x = datetime.combine(day, datetime.min.time())
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper",
                  line={"color": "red", "width": 2, "dash": "dot"})
    fig.add_annotation(x=x, y=1, yref="paper", text=t("renovation.today"), showarrow=False,
                       yanchor="bottom", font={"color": "red"})


def draw_project_card(project: pd.Series, history: pd.DataFrame, day: date) -> None:
    """Draw a project's facts, slip state, report chart and report list."""
    st.markdown(f"**{escape_md(project['code'])} · {escape_md(project[name_col()])}**")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("renovation.card.percent"), f"{float(project['percent']):.1f}%")
    c2.metric(t("renovation.card.plan"), f"{float(project['planned_percent']):.1f}%")
    c3.metric(t("renovation.card.stage"), _stage(project["stage"]))
    c4.metric(t("renovation.card.bid_section"), project["bid_section"] or "—")
    if project["programme"] == "old_compound":
        size = t("renovation.card.size_compound", area=fmt_num(project["floor_area_m2"]),
                 buildings=int(project["buildings"]), households=fmt_num(project["households"]))
    else:
        size = t("renovation.card.size_street", length=fmt_num(project["length_m"]))
    actual = f"{project['actual_start'] or '—'} – {project['actual_end'] or '—'}"
    st.caption(" · ".join([
        f"{t('renovation.card.contractor')}: {escape_md(project['contractor'] or '—')}",
        f"{t('renovation.card.planned')}: {project['planned_start']} – {project['planned_end']}",
        f"{t('renovation.card.actual')}: {actual}",
        f"{t('renovation.card.drawings')}: {_day(project['drawings_done_on'])}",
        f"{t('renovation.card.size')}: {size}"]))
    if project["slipping"]:
        reason = t(f"renovation.reason.{project['slip_reason']}")
        st.warning(t("renovation.card.slipping", reason=reason,
                     points=f"{float(project['behind']):.1f}"))
    else:
        st.success(t("renovation.card.on_track"))
    if history.empty:
        st.info(t("renovation.no_reports"))
    st.plotly_chart(report_chart(project, history, day), width="stretch",
                    key="renovation_report_chart")


def timeline_rows(projects: pd.DataFrame, by_section: bool) -> pd.DataFrame:
    """Return the rows of the timeline: label, planned and actual dates, percent (per bid
    section when asked and the projects have sections, else per project)."""
    if by_section and projects["bid_section"].notna().any():
        rows = metrics.bid_section_timeline(projects)
        batches = projects.groupby("programme")["batch"].nunique().to_dict()
        rows["label"] = [f"{programme_label(p, int(b), int(batches.get(p, 1)))} · {s}"
                         for p, b, s in zip(rows["programme"], rows["batch"],
                                            rows["bid_section"], strict=True)]
        return rows
    rows = projects[["planned_start", "planned_end", "actual_start", "actual_end",
                     "percent"]].copy()
    rows["label"] = [f"{c} {n}" for c, n in zip(projects["code"], projects[name_col()],
                                                strict=True)]
    return rows


def gantt_chart(rows: pd.DataFrame, day: date) -> go.Figure:
    """Return a Gantt chart: a planned and an actual bar per row, and today's line."""
    fig = go.Figure()
    ms = 86_400_000

    def span(starts: pd.Series, ends: pd.Series) -> tuple[list, list]:
        base, length = [], []
        for s, e in zip(starts, ends, strict=True):
            if s is None or pd.isna(s):
                base.append(None)
                length.append(None)
                continue
            e = day if e is None or pd.isna(e) else e
            base.append(s.isoformat())
            length.append(max((e - s).days, 1) * ms)
        return base, length

    for name, starts, ends in (
            (t("renovation.timeline_planned"), rows["planned_start"], rows["planned_end"]),
            (t("renovation.timeline_actual"), rows["actual_start"], rows["actual_end"])):
        base, length = span(starts, ends)
        fig.add_trace(go.Bar(y=list(rows["label"]), x=length, base=base, orientation="h",
                             name=name))
    _today_line(fig, day)
    fig.update_layout(barmode="group", height=120 + 26 * len(rows),
                      xaxis={"type": "date"}, yaxis={"autorange": "reversed"},
                      margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"})
    return fig


def quantity_chart(q: pd.DataFrame) -> go.Figure:
    """Return horizontal bars of the share done of each quantity, labelled done / planned."""
    labels = [t(f"renovation.qty.{i}") for i in q["item"]]
    text = [f"{fmt_num(d, 1 if d % 1 else 0)} / {fmt_num(p, 1 if p % 1 else 0)} {u}"
            for d, p, u in zip(q["done"], q["planned"], q["unit"], strict=True)]
    fig = go.Figure(go.Bar(y=labels, x=list(100 * q["share"].astype(float)), text=text,
                           orientation="h", textposition="auto",
                           name=t("renovation.qty_share")))
    fig.update_layout(height=80 + 36 * len(q), yaxis={"autorange": "reversed"},
                      xaxis={"range": [0, 105], "title": t("renovation.qty_share")},
                      margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


# --- the progress report form ---------------------------------------------------------------
def may_report(actor: Actor | None, project: pd.Series) -> bool:
    """Return True when actor may report progress on project (own subdistrict for staff)."""
    return can(actor, "project.progress", project)


def progress_form(actor: Actor | None, project: pd.Series, day: date) -> None:
    """Draw the progress report form for project and save a submitted report."""
    forms.show_flash()
    if actor is None or not can(actor, "project.progress"):
        return
    if not may_report(actor, project):
        st.caption(t("renovation.form.not_yours"))
        return
    stages = list(metrics.STAGE_ORDER)
    if st.session_state.get("progress_for") != project["code"]:  # new project: fresh defaults
        for key in FORM_KEYS:
            st.session_state.pop(key, None)
        st.session_state["progress_for"] = project["code"]
    with st.form("renovation_progress_form", clear_on_submit=True):
        st.markdown(f"**{t('renovation.form')}**")
        c1, c2, c3 = st.columns(3)
        reported_on = c1.date_input(t("renovation.form.date"), value=day, max_value=day,
                                    key="progress_date")
        percent = c2.number_input(t("renovation.form.percent"), min_value=0.0, max_value=100.0,
                                  value=float(project["percent"]), step=1.0,
                                  key="progress_percent")
        stage = c3.selectbox(t("renovation.form.stage"), stages,
                             index=stages.index(project["stage"]), format_func=_stage,
                             key="progress_stage")
        note = st.text_area(t("renovation.form.note"), key="progress_note", max_chars=2000)
        photo = st.file_uploader(t("renovation.form.photo"), type=["jpg", "jpeg", "png", "webp"],
                                 key="progress_photo")
        correction = (st.checkbox(t("renovation.form.correction"), key="progress_correction")
                      if can(actor, "project.correct") else False)
        submitted = st.form_submit_button(t("renovation.form.submit"), type="primary",
                                          key="progress_submit")
    if submitted:
        _save(actor, project, reported_on, percent, stage, note, correction,
              photo.getvalue() if photo is not None else None)


def _save(actor: Actor, project: pd.Series, reported_on: date, percent: float, stage: str,
          note: str | None, correction: bool, photo: bytes | None) -> None:
    """Write the report; on success remember a message and rerun, else show the refusal."""
    forms.submit(lambda s: ren.add_progress_report(
        s, actor, int(project["id"]), reported_on, percent, stage, note=note,
        is_correction=bool(correction), photo=photo, expected_version=int(project["version"])),
        t("renovation.form.saved", name=escape_md(project[name_col()]), percent=f"{percent:g}"))


def drawings_form(actor: Actor | None, project: pd.Series, day: date) -> None:
    """Draw the drawings-date form for a project not yet under construction (or a correction)."""
    if not may_report(actor, project):
        return
    recorded = isinstance(project["drawings_done_on"], date)
    if recorded and not can(actor, "project.correct"):
        return
    if project["stage"] in ("under_construction", "completed") and recorded:
        return
    with st.form("renovation_drawings_form"):
        st.markdown(f"**{t('renovation.drawings_form')}**")
        done_on = st.date_input(t("renovation.drawings_form.date"), max_value=day,
                                value=project["drawings_done_on"] if recorded else day,
                                key="drawings_date")
        submitted = st.form_submit_button(t("renovation.drawings_form.submit"),
                                          key="drawings_submit")
    if submitted:
        forms.submit(lambda s: ren.record_drawings_done(
            s, actor, int(project["id"]), done_on, expected_version=int(project["version"])),
            t("renovation.drawings_form.saved", name=escape_md(project[name_col()]),
              day=done_on.isoformat()))


def draw_report_photos(history: pd.DataFrame, limit: int = 4) -> None:
    """Show the thumbnails of the latest reports that carry a photo."""
    from civdata.io.photos import thumbnail_path

    shown = history[history["photo"].notna()].iloc[::-1].head(limit)
    paths = [(r.reported_on, thumbnail_path(r.photo)) for r in shown.itertuples(index=False)]
    paths = [(day, p) for day, p in paths if p.exists()]
    for col, (day, path) in zip(st.columns(limit), paths, strict=False):
        col.image(str(path), caption=day.isoformat())


def report_list(history: pd.DataFrame) -> pd.DataFrame:
    """Return the reports, newest first, as a display table."""
    rows = history.iloc[::-1]
    return pd.DataFrame({
        t("renovation.col.reported_on"): rows["reported_on"],
        t("renovation.col.percent"): rows["percent"],
        t("renovation.col.stage"): [_stage(s) for s in rows["stage"]],
        t("renovation.col.is_correction"): rows["is_correction"].astype(bool),
        t("renovation.col.reported_by"): rows["reported_by"],
        t("renovation.col.note"): rows["note"].fillna(""),
    })

