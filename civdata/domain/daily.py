"""The daily report (日报): one day against the day before, district-wide and per subdistrict.

The report is a plain, JSON-serialisable dict (like the weekly snapshot); the page, the Word
export and the short Markdown text for a phone group all read it. Rules reused, not restated:
open/overdue at a moment (district.open_problem_ids_at: open at t, deadline before t),
escalations (weekly.escalations_between), slipping projects (metrics.project_slippage),
failed checklist items (markets.item_point_losses: a score below the item's threshold).
An unfinished day (today) is compared with the same span of the day before.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.clock import day_start, now_local
from civdata.core.query import in_subdistrict, in_window_counts, overdue_at_end, unordered_key
from civdata.domain.district import open_problem_ids_at, renovation_progress_at, subdistricts
from civdata.domain.markets import item_point_losses
from civdata.domain.metrics import change, project_slippage
from civdata.domain.weekly import (
    escalation_rungs,
    escalations_between,
    problems_due_near,
    records,
)
from civdata.texts import text

REPORT_VERSION = 1
SERIOUS_COUNT = 3
SLIPPING_ROWS = 10
COUNT_FIGURES = ("new", "closed", "overdue", "escalations", "inspections", "failed_items",
                 "progress_reports", "slipping", "activities", "participants", "volunteer_hours")
FIGURES = ("new", "closed", "overdue", "escalations", "inspections", "market_score",
           "failed_items", "progress_reports", "slipping", "activities", "participants",
           "volunteer_hours")


def day_moment(day: date, now: datetime) -> datetime:
    """Return the moment day's figures are taken: the end of day, or now if earlier."""
    return min(day_start(day + timedelta(days=1)), now)


def _problem_counts(session: Session, start: datetime, end: datetime) -> pd.DataFrame:
    """Return per subdistrict and class the problems new and closed in [start, end) and overdue
    (open and past the deadline) at end."""
    found = m.Problem.discovered_at < end
    sub = unordered_key(m.Problem.subdistrict_id)
    rows = session.execute(
        select(sub, m.Problem.class_id,
               func.sum(case((and_(m.Problem.discovered_at >= start, found), 1), else_=0)),
               func.sum(case((and_(m.Problem.closed_at >= start, m.Problem.closed_at < end,
                                   found), 1), else_=0)),
               func.sum(case((overdue_at_end(end), 1), else_=0)))
        .where(in_window_counts(start))
        .group_by(sub, m.Problem.class_id)).all()
    frame = pd.DataFrame(rows, columns=["subdistrict_id", "class_id", "new", "closed", "overdue"])
    for col in ("new", "closed", "overdue"):
        frame[col] = frame[col].fillna(0).astype(int)
    return frame


def _problem_classes(session: Session) -> pd.DataFrame:
    """Return the problem classes: id, code, names, in their order."""
    rows = session.execute(select(m.ProblemClass.id, m.ProblemClass.code, m.ProblemClass.name_zh,
                                  m.ProblemClass.name_en).order_by(m.ProblemClass.id)).all()
    return pd.DataFrame(rows, columns=["class_id", "code", "class_zh", "class_en"])


def _escalations(session: Session, start: datetime, end: datetime,
                 rungs: pd.DataFrame) -> pd.DataFrame:
    """Return per subdistrict code and rung how many problems reached the rung in [start, end)."""
    max_days = int(rungs["days_overdue"].max()) if not rungs.empty else 0
    due = problems_due_near(session, start, end, max_days)
    out = []
    for code, part in due.groupby("subdistrict"):
        for rung, n in escalations_between(part, rungs, start, end).items():
            out.append({"subdistrict": code, "rung": rung, "count": int(n)})
    return pd.DataFrame(out, columns=["subdistrict", "rung", "count"])


def _market_counts(session: Session, day: date) -> pd.DataFrame:
    """Return per subdistrict the inspections on day, their total score and failed items."""
    failed = (select(func.count())
              .select_from(m.MarketInspectionScore)
              .join(m.ChecklistItem, m.ChecklistItem.id == m.MarketInspectionScore.item_id)
              .where(m.MarketInspectionScore.inspection_id == m.MarketInspection.id,
                     m.MarketInspectionScore.score < m.ChecklistItem.threshold)
              .correlate(m.MarketInspection).scalar_subquery())
    rows = session.execute(
        select(m.Market.subdistrict_id, func.count(m.MarketInspection.id),
               func.sum(m.MarketInspection.total_score), func.sum(failed))
        .join(m.Market, m.Market.id == m.MarketInspection.market_id)
        .where(m.MarketInspection.inspected_on == day)
        .group_by(m.Market.subdistrict_id)).all()
    return pd.DataFrame(rows, columns=["id", "inspections", "score_sum", "failed_items"])


def _progress_counts(session: Session, day: date) -> pd.DataFrame:
    """Return per subdistrict the progress reports dated day."""
    rows = session.execute(
        select(m.Project.subdistrict_id, func.count(m.ProjectProgress.id))
        .join(m.Project, m.Project.id == m.ProjectProgress.project_id)
        .where(m.ProjectProgress.reported_on == day)
        .group_by(m.Project.subdistrict_id)).all()
    return pd.DataFrame(rows, columns=["id", "progress_reports"])


def slipping_projects(session: Session, day: date, subdistrict_id: int | None) -> pd.DataFrame:
    """Return the projects slipping on day (metrics.project_slippage), most points behind first."""
    projects = renovation_progress_at(session, day, subdistrict_id)
    slip = project_slippage(projects, day)
    if slip.empty:
        return slip.assign(code=[], name_zh=[], name_en=[])
    slip = slip[slip["slipping"].astype(bool)]
    names = pd.DataFrame(session.execute(
        select(m.Project.id, m.Project.code, m.Project.name_zh, m.Project.name_en)
        .where(m.Project.id.in_([int(i) for i in slip["id"]]))).all(),
        columns=["id", "code", "name_zh", "name_en"])
    return slip.merge(names, on="id", how="left").sort_values(["behind", "code"],
                                                              ascending=[False, True])


def _activity_counts(session: Session, day: date) -> pd.DataFrame:
    """Return per subdistrict the volunteer activities held on day, participants and hours."""
    rows = session.execute(
        select(m.VolunteerActivity.subdistrict_id, func.count(m.VolunteerActivity.id),
               func.coalesce(func.sum(m.VolunteerActivity.participants), 0),
               func.coalesce(func.sum(m.VolunteerActivity.volunteer_hours), 0.0))
        .where(m.VolunteerActivity.held_on == day)
        .group_by(m.VolunteerActivity.subdistrict_id)).all()
    return pd.DataFrame(rows, columns=["id", "activities", "participants", "volunteer_hours"])


def subdistrict_day_figures(session: Session, day: date, end: datetime,
                            esc: pd.DataFrame | None = None,
                            counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return per subdistrict the day's figures (counts in [start of day, end), overdue at end);
    esc and counts: the day's escalations and problem counts when already read."""
    start = day_start(day)
    if esc is None:
        esc = _escalations(session, start, end, escalation_rungs(session))
    subs = subdistricts(session)[["id", "code", "name_zh", "name_en"]]
    counts = _problem_counts(session, start, end) if counts is None else counts
    probs = counts.groupby("subdistrict_id", as_index=False)[
        ["new", "closed", "overdue"]].sum().rename(columns={"subdistrict_id": "id"})
    esc = esc.groupby("subdistrict", as_index=False)["count"].sum().rename(
        columns={"subdistrict": "code", "count": "escalations"})
    slip = slipping_projects(session, day, None)
    slip = (slip.groupby("subdistrict_id", as_index=False).size()
            .rename(columns={"subdistrict_id": "id", "size": "slipping"})
            if not slip.empty else pd.DataFrame(columns=["id", "slipping"]))
    out = subs.merge(probs, on="id", how="left").merge(esc, on="code", how="left")
    for part in (_market_counts(session, day), _progress_counts(session, day), slip,
                 _activity_counts(session, day)):
        out = out.merge(part.astype({"id": int}), on="id", how="left")
    for col in COUNT_FIGURES:
        out[col] = out[col].fillna(0).astype(float if col == "volunteer_hours" else int)
    out["score_sum"] = out["score_sum"].astype(float)
    out["market_score"] = (out["score_sum"] / out["inspections"]).where(out["inspections"] > 0)
    return out


def _total(frame: pd.DataFrame) -> dict[str, float | None]:
    """Return the district's figures: sums of the subdistricts', the mean score re-weighted."""
    out: dict[str, float | None] = {k: float(frame[k].sum()) for k in COUNT_FIGURES}
    inspections = out["inspections"] or 0
    out["market_score"] = (float(frame["score_sum"].fillna(0).sum()) / inspections
                           if inspections else None)
    return out


def _row_figures(frame: pd.DataFrame, subdistrict_id: int | None) -> dict[str, float | None]:
    """Return the figures of one subdistrict, or of the district when subdistrict_id is None."""
    if subdistrict_id is None:
        return _total(frame)
    return _total(frame[frame["id"] == subdistrict_id])


def class_day_counts(session: Session, day: date, end: datetime, subdistrict_id: int | None,
                     counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return per problem class the problems new and closed on day and overdue at end; counts:
    the day's problem counts when already read."""
    if counts is None:
        counts = _problem_counts(session, day_start(day), end)
    if subdistrict_id is not None:
        counts = counts[counts["subdistrict_id"] == subdistrict_id]
    summed = counts.groupby("class_id", as_index=False)[["new", "closed", "overdue"]].sum()
    out = _problem_classes(session).merge(summed, on="class_id", how="left")
    for col in ("new", "closed", "overdue"):
        out[col] = out[col].fillna(0).astype(int)
    return out


SERIOUS_COLUMNS = ["id", "code", "subdistrict", "subdistrict_zh", "subdistrict_en", "class_zh",
                   "class_en", "risk_weight", "description", "status", "responsible_unit",
                   "deadline", "discovered_at", "site_code", "site_zh", "site_en", "photo"]


def serious_open_problems(session: Session, at: datetime, subdistrict_id: int | None,
                          count: int = SERIOUS_COUNT) -> pd.DataFrame:
    """Return the most serious problems open at a moment: longest overdue first (earliest
    deadline), then the heavier class (risk weight), then the oldest; with hours overdue."""
    rows = session.execute(
        select(m.Problem.id, m.Problem.code, m.Subdistrict.code, m.Subdistrict.name_zh,
               m.Subdistrict.name_en, m.ProblemClass.name_zh, m.ProblemClass.name_en,
               m.ProblemClass.risk_weight, m.Problem.description, m.Problem.status,
               m.Problem.responsible_unit, m.Problem.deadline, m.Problem.discovered_at,
               m.Site.code, m.Site.name_zh, m.Site.name_en, m.Problem.photo_before)
        .join(m.Subdistrict, m.Subdistrict.id == m.Problem.subdistrict_id)
        .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
        .outerjoin(m.Site, m.Site.id == m.Problem.site_id)
        .where(m.Problem.id.in_(open_problem_ids_at(at)), m.Problem.discovered_at < at,
               in_subdistrict(m.Problem.subdistrict_id, subdistrict_id))
        .order_by(m.Problem.deadline.is_(None), m.Problem.deadline,
                  m.ProblemClass.risk_weight.desc(), m.Problem.discovered_at, m.Problem.id)
        .limit(count)).all()
    out = pd.DataFrame(rows, columns=SERIOUS_COLUMNS)
    out["hours_overdue"] = [hours_overdue(d, at) for d in out["deadline"]]
    return out


def hours_overdue(deadline: datetime | None, at: datetime) -> int:
    """Return the whole hours at is past deadline (0 when not past it or no deadline)."""
    if deadline is None or pd.isna(deadline):
        return 0
    return max(0, int((at - pd.Timestamp(deadline).to_pydatetime()).total_seconds() // 3600))


def _subdistrict_info(session: Session, subdistrict_id: int | None) -> dict[str, Any] | None:
    """Return id, code and names of a subdistrict (None for the district)."""
    if subdistrict_id is None:
        return None
    row = session.get(m.Subdistrict, subdistrict_id)
    if row is None:
        return None
    return {"id": row.id, "code": row.code, "name_zh": row.name_zh, "name_en": row.name_en}


def daily_report(session: Session, day: date, subdistrict_id: int | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
    """Return day's report against the day before, as a JSON-serialisable dict."""
    now = now or now_local()
    before_day = day - timedelta(days=1)
    end = day_moment(day, now)
    end_before = end - timedelta(days=1)
    rungs = escalation_rungs(session)
    esc_now = _escalations(session, day_start(day), end, rungs)
    esc_before = _escalations(session, day_start(before_day), end_before, rungs)
    counts_now = _problem_counts(session, day_start(day), end)
    counts_before = _problem_counts(session, day_start(before_day), end_before)
    cur = subdistrict_day_figures(session, day, end, esc_now, counts_now)
    prev = subdistrict_day_figures(session, before_day, end_before, esc_before, counts_before)
    now_fig, before_fig = _row_figures(cur, subdistrict_id), _row_figures(prev, subdistrict_id)
    classes = class_day_counts(session, day, end, subdistrict_id, counts_now).merge(
        class_day_counts(session, before_day, end_before, subdistrict_id, counts_before)[
            ["class_id", "new", "closed", "overdue"]],
        on="class_id", how="left", suffixes=("", "_before"))
    info = _subdistrict_info(session, subdistrict_id)
    sub_code = info["code"] if info else None
    if sub_code is not None:
        esc_now = esc_now[esc_now["subdistrict"] == sub_code]
        esc_before = esc_before[esc_before["subdistrict"] == sub_code]
    table = cur.merge(prev[["id", *FIGURES]], on="id", how="left", suffixes=("", "_before"))
    if subdistrict_id is not None:
        table = table[table["id"] == subdistrict_id]
    failed = item_point_losses(session, day, day, subdistrict_id)
    failed = failed[failed["below_threshold"].fillna(0) > 0]
    slip = slipping_projects(session, day, subdistrict_id)
    serious = serious_open_problems(session, end, subdistrict_id)
    return {
        "version": REPORT_VERSION,
        "day": day.isoformat(),
        "previous_day": before_day.isoformat(),
        "as_of": end.isoformat(),
        "previous_as_of": end_before.isoformat(),
        "complete": end >= day_start(day + timedelta(days=1)),
        "subdistrict": info,
        "headline": [{"key": k, "now": now_fig[k], "before": before_fig[k],
                      "change": change(now_fig[k], before_fig[k])} for k in FIGURES],
        "by_class": records(classes[["code", "class_zh", "class_en", "new", "closed", "overdue",
                                     "new_before", "closed_before", "overdue_before"]]),
        "escalations": [{"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en,
                         "days_overdue": int(r.days_overdue),
                         "now": int(esc_now.loc[esc_now["rung"] == r.code, "count"].sum()),
                         "before": int(esc_before.loc[esc_before["rung"] == r.code,
                                                      "count"].sum())}
                        for r in rungs.itertuples(index=False)],
        "subdistricts": records(table[["code", "name_zh", "name_en", *FIGURES,
                                       *[f"{k}_before" for k in FIGURES]]]),
        "failed_items": records(failed[["code", "name_zh", "name_en", "below_threshold"]]
                                .rename(columns={"below_threshold": "failed"})),
        "slipping_projects": records(slip.head(SLIPPING_ROWS)[
            ["code", "name_zh", "name_en", "subdistrict_id", "percent", "planned_percent",
             "behind", "slip_reason"]]) if not slip.empty else [],
        "serious": records(serious.drop(columns=["id"])),
    }


def _number(value: float | None, decimals: int = 0) -> str:
    """Return a figure as text ('—' when missing)."""
    if value is None:
        return "—"
    return f"{value:.{decimals}f}" if decimals else f"{int(round(value))}"


def _signed(value: float | None, decimals: int = 0) -> str:
    """Return a change with its sign ('±0' when none, '—' when missing)."""
    if value is None:
        return "—"
    if round(value, decimals) == 0:
        return "±0"
    return f"{value:+.{decimals}f}" if decimals else f"{int(round(value)):+d}"


def figure_text(report: dict[str, Any], key: str) -> str:
    """Return one headline figure as text, with its change against the day before."""
    row = next(r for r in report["headline"] if r["key"] == key)
    decimals = 1 if key in ("market_score", "volunteer_hours") else 0
    return f"{_number(row['now'], decimals)}({_signed(row['change'], decimals)})"


def report_markdown(report: dict[str, Any], lang: str) -> str:
    """Return the report as a short Markdown text that fits a phone group message."""
    info = report["subdistrict"]
    day = report["day"]
    title = (text("daily.heading_sub", lang, day=day, name=info[f"name_{lang}"]) if info
             else text("daily.heading", lang, day=day))
    figs = {k: figure_text(report, k) for k in FIGURES}
    lines = [f"**{title}**", text("daily.span", lang, day=day, previous=report["previous_day"])]
    if not report["complete"]:
        lines.append(text("daily.partial", lang, at=report["as_of"].replace("T", " ")[:16]))
    lines += ["", f"- {text('daily.md.problems', lang, **figs)}",
              f"- {text('daily.md.markets', lang, **figs)}",
              f"- {text('daily.md.renovation', lang, **figs)}",
              f"- {text('daily.md.volunteers', lang, **figs)}"]
    lines += ["", f"**{text('daily.md.serious', lang)}**"]
    if not report["serious"]:
        lines.append(text("daily.empty_serious", lang))
    for i, row in enumerate(report["serious"], start=1):
        hours = row["hours_overdue"]
        overdue = (text("daily.md.hours_overdue", lang, hours=hours) if hours
                   else text("daily.md.not_overdue", lang))
        line = text("daily.md.serious_row", lang, code=row["code"],
                    subdistrict=row[f"subdistrict_{lang}"], cls=row[f"class_{lang}"],
                    site=row[f"site_{lang}"] or text("daily.no_site", lang),
                    owner=row["responsible_unit"] or text("daily.no_owner", lang),
                    overdue=overdue)
        if row.get("photo"):
            line += f" ({text('daily.md.photo', lang)})"
        lines.append(f"{i}. {_plain_line(line)}")
    return "\n".join(lines) + "\n"


def _plain_line(value: str) -> str:
    """Return value on one line with Markdown's emphasis and link characters escaped."""
    flat = " ".join(str(value).split())
    for ch in ("\\", "*", "_", "`", "[", "]", "<", ">"):
        flat = flat.replace(ch, f"\\{ch}")
    return flat


def daily_markdown(session: Session, day: date, lang: str,
                   subdistrict_id: int | None = None) -> str:
    """Return day's report as the short Markdown text for a phone group (WeCom, DingTalk)."""
    return report_markdown(daily_report(session, day, subdistrict_id), lang)
