"""The problems page's cached readers, chart builders, tables, card and forms."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from civdata.core import models as m
from civdata.core.auth import Actor, Scope, can
from civdata.core.errors import CivDataError
from civdata.domain import geo, workflow
from civdata.domain import problems as P
from civdata.domain.markets import problem_codes
from civdata.io import photos
from ui import forms, readers
from ui.downloads import download_table
from ui.i18n import current_lang, name_col, t
from ui.plain import escape_md
from ui.widgets import styled, why_missing

MIN_PROBLEMS = 10  # problems a subdistrict needs in the period before it is ranked
LIST_SIZE = 3
TARGET = "problems_form_target"
FINDER = "problem"  # the query parameter ?problem=<code>
FINDER_KEY = "problem_search"  # the search box
LAYOUT = {"height": 340, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}}


WRITES = ("problem.report", "problem.assign", "problem.rectify", "problem.review",
          "settings.edit")  # the permissions behind the work tab's forms


def may_change(actor: Actor | None) -> bool:
    """Return True when actor may make any of the work tab's writes (else 'no rights')."""
    return any(can(actor, action) for action in WRITES)


def _actor(role: str, username: str, subdistrict_id: int | None) -> Actor:
    """Rebuild an actor from hashable parts (cache keys)."""
    return Actor(username=username, role=role, subdistrict_id=subdistrict_id)


# --- cached readers --------------------------------------------------------------------------

@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def rungs(version: tuple[str, int]) -> pd.DataFrame:
    """Return the escalation ladder (cached)."""
    with readers.session() as s:
        return workflow.escalation_rungs(s)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def sites(version: tuple[str, int], subdistrict_id: int | None) -> pd.DataFrame:
    """Return the sites a problem can be reported at (cached)."""
    with readers.session() as s:
        return P.site_choices(s, subdistrict_id)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def status_counts(version: tuple[str, int], since: datetime,
                  subdistrict_id: int | None) -> pd.DataFrame:
    """Return problems found since a moment per state (cached)."""
    with readers.session() as s:
        return P.status_counts(s, since, subdistrict_id)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def overdue(version: tuple[str, int], now: datetime, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the overdue list with escalation rungs (cached)."""
    with readers.session() as s:
        return P.with_rungs(P.overdue_problems(s, now, subdistrict_id),
                            workflow.escalation_rungs(s))


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def ages(version: tuple[str, int], now: datetime, subdistrict_id: int | None) -> pd.DataFrame:
    """Return open problems per age bucket and state (cached)."""
    with readers.session() as s:
        return P.open_problem_ages(s, now, subdistrict_id)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def matrix(version: tuple[str, int], since: datetime) -> pd.DataFrame:
    """Return problems per subdistrict and class found since a moment (cached)."""
    with readers.session() as s:
        return P.class_subdistrict_counts(s, since)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def close_stats(version: tuple[str, int], since: datetime, until: datetime,
                subdistrict_id: int | None, by: str) -> pd.DataFrame:
    """Return on-time rate and median hours per subdistrict or class (cached)."""
    with readers.session() as s:
        if by == "class":
            return P.close_stats_by_class(s, since, until, subdistrict_id)
        if by == "all":
            return P.close_stats_overall(s, since, until, subdistrict_id)
        return P.close_stats_by_subdistrict(s, since, until, subdistrict_id)


def close_rates(version: tuple[str, int], now: datetime, days: int) -> pd.DataFrame:
    """Return closed, on-time, open and overdue counts per subdistrict at now (cached)."""
    return close_rates_now_and_week_before(version, now, days)[0]


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def close_rates_now_and_week_before(version: tuple[str, int], now: datetime,
                                    days: int) -> list[pd.DataFrame]:
    """Return the per-subdistrict counts at now and a week before, read in one pass (cached)."""
    with readers.session() as s:
        return P.subdistrict_close_rates_at(s, [now, now - timedelta(days=7)], days)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def queue(version: tuple[str, int], subdistrict_id: int, now: datetime) -> pd.DataFrame:
    """Return a subdistrict's open problems, most urgent first (cached)."""
    with readers.session() as s:
        return P.work_queue(s, subdistrict_id, now)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def actionable(version: tuple[str, int], role: str, username: str, own_id: int | None,
               action: str, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the problems the actor may take action on now (cached)."""
    with readers.session() as s:
        return P.actionable_problems(s, _actor(role, username, own_id), action, subdistrict_id)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def card(version: tuple[str, int], problem_id: int) -> tuple[dict | None, pd.DataFrame]:
    """Return one problem's card and its history (cached)."""
    with readers.session() as s:
        return P.problem_card(s, problem_id), P.problem_events(s, problem_id)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def search(version: tuple[str, int], text: str) -> pd.DataFrame:
    """Return the problems whose code or description holds text (cached)."""
    with readers.session() as s:
        return P.find_problems(s, text)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def codes(version: tuple[str, int], problem_ids: tuple[int, ...]) -> dict[int, str]:
    """Return {problem id: code} for the ids (cached)."""
    with readers.session() as s:
        return problem_codes(s, list(problem_ids))


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def closed(version: tuple[str, int], role: str, username: str, own_id: int | None,
           subdistrict_id: int | None) -> pd.DataFrame:
    """Return recently closed problems the actor may reopen (cached)."""
    with readers.session() as s:
        return P.closed_problems(s, subdistrict_id, _actor(role, username, own_id))


# --- figures and tables ----------------------------------------------------------------------

def kpis(rates: pd.DataFrame, stats: pd.DataFrame, subdistrict_id: int | None) -> dict:
    """Return open, overdue, on-time rate, closures and median hours for the KPI cards."""
    scope = rates if subdistrict_id is None else rates[rates["id"] == subdistrict_id]
    closed_n = int(stats["closed"].sum())
    return {"open": int(scope["open"].sum()), "overdue": int(scope["overdue"].sum()),
            "on_time_rate": stats["on_time"].sum() / closed_n if closed_n else None,
            "closed": closed_n,
            "median_hours": float(stats["median_hours"].iloc[0]) if closed_n else None}


def funnel_chart(counts: pd.DataFrame) -> go.Figure:
    """Return the funnel: problems reaching each stage."""
    stages = P.funnel_stages(counts)
    fig = go.Figure(go.Funnel(y=[t(f"problem.status.{s}") for s in stages["stage"]],
                              x=stages["reached"].tolist(), textinfo="value+percent initial"))
    fig.update_layout(**LAYOUT)
    return fig


def ageing_chart(frame: pd.DataFrame) -> go.Figure:
    """Return open problems per age bucket, stacked by state."""
    labels = [P.age_label(i) for i in range(len(P.AGE_BUCKETS))]
    fig = go.Figure()
    for status in m.OPEN_STATUSES:
        part = frame[frame["status"] == status].set_index("label")["count"]
        fig.add_bar(x=labels, y=[int(part.get(lb, 0)) for lb in labels],
                    name=t(f"problem.status.{status}"))
    fig.update_layout(barmode="stack", xaxis_title=t("problems.age_axis"),
                      yaxis_title=t("problems.count"),
                      legend={"orientation": "h", "y": 1.12, "x": 0}, **LAYOUT)
    return fig


def matrix_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return found problems as a subdistrict × class table."""
    lang = current_lang()
    if frame.empty:
        return pd.DataFrame()
    return frame.pivot_table(index=f"subdistrict_{lang}", columns=f"class_{lang}",
                             values="found", aggfunc="sum", fill_value=0)


def matrix_chart(table: pd.DataFrame) -> go.Figure:
    """Return the class × subdistrict heatmap of found problems."""
    fig = go.Figure(go.Heatmap(z=table.to_numpy().tolist(), x=list(table.columns),
                               y=list(table.index), colorscale="Reds",
                               text=table.to_numpy().tolist(), texttemplate="%{text}"))
    fig.update_layout(height=420, margin=LAYOUT["margin"])
    return fig


def named(stats: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """Return close statistics joined to names (id, name_zh, name_en)."""
    out = names[["id", "name_zh", "name_en"]].merge(stats, on="id", how="inner")
    return out.sort_values("on_time_rate", ascending=False)


def rate_chart(stats: pd.DataFrame) -> go.Figure:
    """Return on-time rate bars with median hours as a line, per named group."""
    fig = go.Figure([
        go.Bar(x=stats[name_col()].tolist(), y=(100 * stats["on_time_rate"]).round(1).tolist(),
               name=t("problems.col.on_time_rate")),
        go.Scatter(x=stats[name_col()].tolist(), y=stats["median_hours"].round(1).tolist(),
                   name=t("problems.col.median_hours"), yaxis="y2", mode="lines+markers"),
    ])
    fig.update_layout(yaxis={"ticksuffix": "%", "range": [0, 100]},
                      yaxis2={"overlaying": "y", "side": "right"}, legend={"orientation": "h"},
                      **LAYOUT)
    return fig


def stats_table(stats: pd.DataFrame, label_key: str = "problems.col.subdistrict") -> None:
    """Draw close statistics as a table (first column: the group's name)."""
    cols = [name_col(), "closed", "on_time", "on_time_rate", "median_hours"]
    st.dataframe(styled(stats[cols].rename(columns={name_col(): t(label_key), **{
        c: t(f"problems.col.{c}") for c in cols[1:]}}), pct=(t("problems.col.on_time_rate"),),
        digits={t("problems.col.median_hours"): 1}), hide_index=True, width="stretch")


def overdue_table(frame: pd.DataFrame) -> None:
    """Draw the overdue list, most days overdue first."""
    lang = current_lang()
    table = pd.DataFrame({
        t("problems.col.code"): frame["code"],
        t("problems.col.subdistrict"): frame[f"subdistrict_{lang}"],
        t("problems.col.class"): frame[f"class_{lang}"],
        t("problems.col.status"): [t(f"problem.status.{s}") for s in frame["status"]],
        t("problems.col.unit"): frame["responsible_unit"],
        t("problems.col.deadline"): frame["deadline"],
        t("problems.col.days_overdue"): frame["days_overdue"],
        t("problems.col.rung"): frame[f"rung_{lang}"],
        t("problems.col.description"): frame["description"],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    download_table(table, "overdue_problems", key="overdue")


def ladder_caption(ladder: pd.DataFrame) -> str:
    """Return the escalation ladder as one line."""
    name = f"name_{current_lang()}"
    return t("problems.ladder_help", rungs="；".join(
        t("problems.ladder_rung", days=int(r.days_overdue), name=escape_md(getattr(r, name)))
        for r in ladder.itertuples()))


def rung_table(frame: pd.DataFrame, ladder: pd.DataFrame) -> pd.DataFrame:
    """Return overdue problems per subdistrict (rows) and rung (columns)."""
    lang = current_lang()
    counts = P.rung_counts(frame, ladder)
    if counts.empty:
        return pd.DataFrame()
    names = dict(zip(ladder["code"], ladder[f"name_{lang}"], strict=True))
    table = counts.pivot_table(index=f"subdistrict_{lang}", columns="rung", values="count",
                               aggfunc="sum", fill_value=0)
    table = table[[c for c in ladder["code"] if c in table.columns]]
    return table.rename(columns=names)


def lists(version: tuple[str, int], now: datetime, days: int) -> pd.DataFrame:
    """Return the ranking with red and black lists and the change against a week before."""
    rates, before = close_rates_now_and_week_before(version, now, days)
    return P.on_time_ranking(rates, before, MIN_PROBLEMS, LIST_SIZE)


def list_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ranking rows ready to show."""
    cols = ["rank", name_col(), "on_time_rate", "rate_change", "rank_change", "closed", "open",
            "overdue"]
    out = frame[cols].rename(columns={name_col(): t("problems.col.subdistrict"), **{
        c: t(f"problems.col.{c}") for c in cols if c != name_col()}})
    return out


def show_list(frame: pd.DataFrame, which: str | None = None) -> None:
    """Draw ranking rows (only the 'red' or 'black' list when which is given)."""
    if which is not None:
        frame = frame[frame["list"] == which]
    st.dataframe(styled(list_table(frame), pct=(t("problems.col.on_time_rate"),),
                        signed_pct=(t("problems.col.rate_change"),),
                        digits={t("problems.col.rank"): 0, t("problems.col.rank_change"): 0}),
                 hide_index=True, width="stretch", column_config={
                     t("problems.col.rank"): why_missing(t("problems.missing.rank", n=MIN_PROBLEMS)),
                     t("problems.col.rate_change"): why_missing(t("problems.missing.change"))})
    download_table(list_table(frame), f"problem_ranking_{which or 'all'}",
                   key=f"problem_ranking_{which or 'all'}")


def queue_table(frame: pd.DataFrame) -> None:
    """Draw a work queue."""
    lang = current_lang()
    table = pd.DataFrame({
        t("problems.col.code"): frame["code"],
        t("problems.col.class"): frame[f"class_{lang}"],
        t("problems.col.status"): [t(f"problem.status.{s}") for s in frame["status"]],
        t("problems.col.deadline"): frame["deadline"],
        t("problems.col.hours_left"): frame["hours_left"],
        t("problems.col.description"): frame["description"],
    })
    unassigned = why_missing(t("problems.missing.unassigned"))
    st.dataframe(styled(table, dates=(t("problems.col.deadline"),),
                        digits={t("problems.col.hours_left"): 1}),
                 hide_index=True, width="stretch",
                 column_config={t("problems.col.deadline"): unassigned,
                                t("problems.col.hours_left"): unassigned})


# --- writes ----------------------------------------------------------------------------------

def _photo(upload) -> bytes | None:
    """Return the bytes of an uploaded photo (the data layer checks and stores them), or None."""
    return None if upload is None else upload.getvalue()


def _label(row: pd.Series) -> str:
    """Return a problem's label in a picker."""
    return f"{row['code']} · {row[f'subdistrict_{current_lang()}']} · {row['description'][:30]}"


def report_form(actor: Actor, subdistrict_id: int | None = None) -> None:
    """Draw the form to report a problem (a site of the subdistrict in view, searchable by
    name, or typed coordinates; class, photo)."""
    version = readers.data_version()
    subs = readers.subdistricts(version)
    subs = subs[[can(actor, "problem.report", Scope(i)) for i in subs["id"]]]  # where it may
    own = int(subs["id"].iloc[0]) if len(subs) == 1 else subdistrict_id
    if own is not None:
        subs = subs[subs["id"] == own]
    site_rows, cls = sites(version, own), readers.problem_classes(version)
    typed = [s for s in m.PROBLEM_SOURCES if s != "market_inspection"]  # inspections raise those
    sources = [s for s in typed if can(actor, "problem.report", Scope(own, s))] \
        or ["market_inspection"]  # the market bureau reports only what its inspections find
    mode = st.radio(t("problems.location"), ["site", "coords"], horizontal=True,
                    format_func=lambda v: t(f"problems.loc.{v}"), key="report_mode")
    site_labels = dict(zip(site_rows["id"].tolist(),
                           (site_rows[name_col()] + " · " + site_rows["code"]).tolist(),
                           strict=True))  # one lookup per option: 381 frame filters cost ~0.5 s
    with st.form("report_form"):  # kept after a refusal, cleared after success
        if mode == "site":
            site_id = st.selectbox(t("problems.site"), list(site_labels), key="report_site",
                                   format_func=site_labels.get, help=t("problems.site_help"),
                                   placeholder=t("problems.site_search"))
        else:
            sub_id = st.selectbox(t("problems.col.subdistrict"), subs["id"].tolist(),
                                  key="report_sub", format_func=lambda i: subs.loc[
                                      subs["id"] == i, name_col()].iloc[0])
            c1, c2, c3 = st.columns(3)
            lat = c1.number_input(t("problems.lat"), value=41.7850, format="%.6f", key="report_lat")
            lon = c2.number_input(t("problems.lon"), value=123.4000, format="%.6f",
                                  key="report_lon")
            datum = c3.selectbox(t("problems.datum"), list(geo.DATUMS), key="report_datum")
        class_code = st.selectbox(t("problems.class"), cls["code"].tolist(), key="report_class",
                                  format_func=lambda c: cls.loc[cls["code"] == c,
                                                                name_col()].iloc[0])
        source = st.selectbox(t("problems.source"), sources, key="report_source",
                              format_func=lambda s: t(f"problem.source.{s}"))
        text = st.text_area(t("problems.description"), key="report_text", max_chars=500)
        upload = st.file_uploader(t("problems.photo_before"), type=["jpg", "jpeg", "png", "webp"],
                                  key="report_photo", help=t("problems.upload_help"))
        submitted = st.form_submit_button(t("problems.submit_report"), type="primary")
    if not submitted:
        return

    def place() -> dict:
        """Return where the problem is (typed coordinates checked: a refusal raises)."""
        if mode == "site":
            row = site_rows[site_rows["id"] == site_id].iloc[0]
            return {"subdistrict_id": int(row["subdistrict_id"]), "site_id": int(site_id),
                    "lat": float(row["lat"]), "lon": float(row["lon"])}
        wlat, wlon = geo.checked_wgs84(float(lat), float(lon), datum, geo.district_outline())
        return {"subdistrict_id": int(sub_id), "lat": wlat, "lon": wlon}

    forms.submit(lambda s: workflow.report_problem(
        s, actor, class_code=class_code, description=text, source=source,
        photo_before=_photo(upload), **place()),
        lambda problem: t("problems.reported", code=problem.code),
        clear=("report_text", "report_photo"))


def _thumbnail(name: str | None) -> str | None:
    """Return the thumbnail file of a stored photo if it exists, else None."""
    if not name:
        return None
    try:
        path = photos.thumbnail_path(name)
    except CivDataError:  # a name from elsewhere that leaves the photo folder
        return None
    return str(path) if path.exists() else None


def history_table(events: pd.DataFrame) -> pd.DataFrame:
    """Return a problem's transitions with translated headers and states ('—' before the first)."""
    def state(value: object) -> str:
        return "—" if value is None or pd.isna(value) else t(f"problem.status.{value}")

    return pd.DataFrame({
        t("problems.col.at"): [f"{v:%Y-%m-%d %H:%M}" for v in events["at"]],
        t("problems.col.actor"): events["actor"],
        t("problems.col.from_status"): [state(v) for v in events["from_status"]],
        t("problems.col.to_status"): [state(v) for v in events["to_status"]],
        t("problems.col.note"): ["" if v is None or pd.isna(v) else str(v)
                                 for v in events["note"]],
    })


def _moment(value: object) -> str:
    """Return a moment to the minute, or '—'."""
    return "—" if value is None or pd.isna(value) else f"{value:%Y-%m-%d %H:%M}"


def card_facts(info: dict) -> pd.DataFrame:
    """Return a problem's fields as (field, value) rows in the current language."""
    lang = current_lang()
    rows = [
        ("problems.col.code", info["code"]),
        ("problems.col.status", t(f"problem.status.{info['status']}")),
        ("problems.col.class", info[f"class_{lang}"]),
        ("problems.col.subdistrict", info[f"subdistrict_{lang}"]),
        ("problems.col.site", info.get(f"site_{lang}") or "—"),
        ("problems.source", t(f"problem.source.{info['source']}")),
        ("problems.col.discovered_at", _moment(info["discovered_at"])),
        ("problems.col.assigned_at", _moment(info["assigned_at"])),
        ("problems.col.deadline", _moment(info["deadline"])),
        ("problems.col.closed_at", _moment(info["closed_at"])),
        ("problems.col.unit", info["responsible_unit"] or "—"),
        ("problems.col.position", f"{info['lat']:.6f}, {info['lon']:.6f}"),
    ]
    return pd.DataFrame({t("problems.col.field"): [t(k) for k, _ in rows],
                         t("problems.col.value"): [str(v) for _, v in rows]})


def problem_card(info: dict, events: pd.DataFrame, expanded: bool = False) -> None:
    """Draw a problem's card: facts, before/after thumbnails, history."""
    lang = current_lang()
    st.markdown(f"**{escape_md(info['code'])}** · {t('problem.status.' + info['status'])} · "
                f"{escape_md(info['class_' + lang])} · {escape_md(info['subdistrict_' + lang])}")
    st.text(info["description"])
    if expanded:
        st.dataframe(card_facts(info), hide_index=True, width="stretch", key="card_facts")
    elif info["deadline"] is not None:
        st.caption(f"{t('problems.col.deadline')}: {info['deadline']:%Y-%m-%d %H:%M} · "
                   f"{t('problems.col.unit')}: {escape_md(info['responsible_unit'] or '—')}")
    cols = st.columns(2)
    for col, key, label in ((cols[0], "photo_before", "problems.before"),
                            (cols[1], "photo_after", "problems.after")):
        thumb = _thumbnail(info[key])
        if thumb is not None:
            col.image(thumb, caption=t(label), width=200)
        else:
            col.caption(f"{t(label)}: {t('problems.no_photo')}")
    if info.get("confirmations"):  # issue 20: street reports that joined this problem
        st.caption(t("report.card_confirmations", n=int(info["confirmations"])))
    with st.expander(t("problems.history"), expanded=expanded):
        st.dataframe(history_table(events), hide_index=True, width="stretch")


def _pick_found() -> None:
    """Put the code chosen among the search results into the finder (and so the URL)."""
    st.session_state[FINDER_KEY] = st.session_state.pop("problem_found", "")


def problem_finder() -> None:
    """Draw the search box bound to ?problem=<code>; show the card of the problem found."""
    if FINDER_KEY not in st.session_state:
        st.session_state[FINDER_KEY] = st.query_params.get(FINDER, "")
    text = st.text_input(t("problems.find"), key=FINDER_KEY, placeholder=t("problems.find_hint"),
                         max_chars=100).strip()
    if text:
        st.query_params[FINDER] = text
    elif FINDER in st.query_params:
        del st.query_params[FINDER]
    if not text:
        return
    version = readers.data_version()
    found = search(version, text)
    if found.empty:
        st.info(t("problems.not_found", text=text))
        return
    exact = found[found["code"].str.upper() == text.upper()]
    if exact.empty:
        labels = {r.code: f"{r.code} · {t('problem.status.' + r.status)} · {r.description[:40]}"
                  for r in found.itertuples()}
        st.selectbox(t("problems.found", n=len(found)), list(labels), index=None,
                     format_func=labels.get, key="problem_found", on_change=_pick_found,
                     placeholder=t("problems.pick_found"))
        return
    info, events = card(version, int(exact["id"].iloc[0]))
    if info is not None:
        with st.container(border=True):
            st.subheader(t("problems.card"))
            problem_card(info, events, expanded=True)


def card_link(code: str) -> str:
    """Return the link that opens a problem's card on the problems page."""
    lang = current_lang()
    return f"/problems?{FINDER}={code}" + ("&lang=en" if lang == "en" else "")


def problem_links(rows: pd.DataFrame) -> pd.DataFrame:
    """Return audit rows with a link to the card of each problem they are about ('' if none)."""
    about = rows["table"] == "problem"
    ids = tuple(sorted({int(i) for i in rows.loc[about, "record_id"] if str(i).isdigit()}))
    found = codes(readers.data_version(), ids) if ids else {}
    links = [card_link(found[int(r)]) if a and str(r).isdigit() and int(r) in found else ""
             for a, r in zip(about, rows["record_id"], strict=True)]
    return rows.assign(problem=links)


def action_form(actor: Actor, subdistrict_id: int | None) -> None:
    """Draw the form to assign, start, submit or review a problem (optimistic versions)."""
    allowed = [a for a, tr in workflow.TRANSITIONS.items() if can(actor, tr.permission)]
    if not allowed:
        return
    version = readers.data_version()
    action = st.selectbox(t("problems.action"), allowed, key="action_pick",
                          format_func=lambda a: t(f"problems.action.{a}"))
    rows = actionable(version, actor.role, actor.username, actor.subdistrict_id, action,
                      subdistrict_id)
    if rows.empty:
        st.info(t("problems.none_actionable"))
        return
    labels = {int(r["id"]): _label(r) for _, r in rows.iterrows()}
    pid = st.selectbox(t("problems.problem"), list(labels), key="action_problem",
                       format_func=labels.get)
    info, events = card(version, pid)
    if info is None:
        return
    problem_card(info, events)
    with st.form("action_form"):  # kept after a refusal (stale edit), cleared after success
        unit = st.text_input(t("problems.unit"), key="action_unit") if action == "assign" else None
        note = st.text_area(t("problems.note"), key="action_note", max_chars=500)
        upload = st.file_uploader(t("problems.photo_after"), type=["jpg", "jpeg", "png", "webp"],
                                  key="action_photo", help=t("problems.upload_help")
                                  ) if action == "submit" else None
        submitted = st.form_submit_button(t("problems.do"), type="primary")
    # The form acts on the problem and version the user was looking at when it was drawn,
    # even if the list has changed since (another user moved the problem on).
    shown = (action, pid, int(info["version"]))
    target = st.session_state.get(TARGET, shown) if submitted else shown
    st.session_state[TARGET] = shown
    if not submitted or target[0] != action:
        return
    forms.submit(lambda s: workflow.transition(
        s, actor, target[1], action, expected_version=target[2], note=note,
        responsible_unit=unit, photo_after=_photo(upload)),
        lambda done: t("problems.done", code=done.code, action=t(f"problems.action.{action}"),
                       status=t(f"problem.status.{done.status}")),
        clear=(TARGET, "action_note", "action_unit", "action_photo"))


def reopen_form(actor: Actor, subdistrict_id: int | None) -> None:
    """Draw the form to reopen a closed problem found again."""
    if not can(actor, "problem.report"):  # the data layer's question: reopening reports again
        return
    rows = closed(readers.data_version(), actor.role, actor.username, actor.subdistrict_id,
                  subdistrict_id)
    if rows.empty:
        return
    labels = {int(r.id): f"{r.code} · {r.description[:30]}" for r in rows.itertuples()}
    with st.form("reopen_form", clear_on_submit=True):
        pid = st.selectbox(t("problems.problem"), list(labels), key="reopen_problem",
                           format_func=labels.get)
        text = st.text_area(t("problems.description"), key="reopen_text", max_chars=500)
        submitted = st.form_submit_button(t("problems.do"))
    if submitted:
        forms.submit(lambda s: workflow.reopen_problem(s, actor, pid, description=text),
                     lambda new: t("problems.reopened", code=new.code, old=labels[pid][:7]))


def settings_form(actor: Actor) -> None:
    """Draw the office's editor of class time limits and the escalation ladder."""
    if not can(actor, "settings.edit"):
        return
    version = readers.data_version()
    cls, ladder = readers.problem_classes(version), rungs(version)
    with st.form("problem_settings"):
        limits = st.data_editor(cls[["code", name_col(), "time_limit_days"]], hide_index=True,
                                disabled=["code", name_col()], key="settings_limits",
                                column_config={"time_limit_days": st.column_config.NumberColumn(
                                    t("problems.col.time_limit"), min_value=1, max_value=365,
                                    step=1)})
        new_ladder = st.data_editor(ladder, hide_index=True, num_rows="dynamic",
                                    key="settings_ladder", column_config={
                                        "days_overdue": st.column_config.NumberColumn(
                                            t("problems.col.days"), min_value=0, step=1),
                                        "code": t("problems.col.rung_code"),
                                        "name_zh": t("problems.col.name_zh"),
                                        "name_en": t("problems.col.name_en")})
        submitted = st.form_submit_button(t("problems.save"))
    if not submitted:
        return

    def save(s):
        for row, old in zip(limits.itertuples(), cls.itertuples(), strict=True):
            if int(row.time_limit_days) != int(old.time_limit_days):
                workflow.set_time_limit(s, actor, row.code, int(row.time_limit_days))
        rows = new_ladder.dropna(subset=["days_overdue", "code"]).to_dict("records")
        if rows != ladder.to_dict("records"):
            workflow.set_escalation_rungs(s, actor, rows)
    forms.submit(save, t("problems.saved"))


def period_start(now: datetime, days: int) -> datetime:
    """Return the start of the period of days ending at now."""
    return now - timedelta(days=days)
