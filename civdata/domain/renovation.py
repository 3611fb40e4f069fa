"""Renovation reads (projects with their latest progress, reports, quantities) and the
progress report command.

A progress report is dated, says percent complete and stage, and may carry a note and a photo.
Subdistrict staff report on their own subdistrict's projects, the office on all. Progress may
not go backwards (percent or stage) unless the office marks the report as a correction; percent
always lies within 0-100; 'completed' goes with 100 %. The caller commits.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, audit, require
from civdata.core.clock import today_local
from civdata.core.errors import CivDataError, StaleEdit
from civdata.core.live import mark_changed
from civdata.domain.metrics import STAGE_ORDER
from civdata.texts import Term

MAX_NOTE = 2000
PROJECT_COLUMNS = ["id", "code", "programme", "batch", "bid_section", "area", "subdistrict_id",
                   "subdistrict_code", "subdistrict_zh", "subdistrict_en", "name_zh", "name_en",
                   "floor_area_m2", "buildings", "households", "length_m",
                   "investment_planned_yuan", "investment_spent_yuan", "stage", "contractor",
                   "planned_start", "planned_end", "actual_start", "actual_end", "version",
                   "percent", "last_report_on", "drawings_done_on"]


def _latest_reports(day: date | None):
    """Return a subquery of each project's latest report id (up to day when given)."""
    q = select(m.ProjectProgress.project_id, func.max(m.ProjectProgress.id).label("report_id"))
    if day is not None:
        q = q.where(m.ProjectProgress.reported_on <= day)
    return q.group_by(m.ProjectProgress.project_id).subquery()


def projects_with_progress(session: Session, day: date,
                           subdistrict_id: int | None = None) -> pd.DataFrame:
    """Return every project (of one subdistrict or all) with its latest percent on day (0 when
    it has no report yet), the date of that report, and its drawings date if reached by day."""
    latest = _latest_reports(day)
    q = (select(m.Project.id, m.Project.code, m.Project.programme, m.Project.batch,
                m.Project.bid_section, m.Project.area, m.Project.subdistrict_id,
                m.Subdistrict.code, m.Subdistrict.name_zh, m.Subdistrict.name_en,
                m.Project.name_zh, m.Project.name_en, m.Project.floor_area_m2,
                m.Project.buildings, m.Project.households, m.Project.length_m,
                m.Project.investment_planned_yuan, m.Project.investment_spent_yuan,
                m.Project.stage, m.Project.contractor, m.Project.planned_start,
                m.Project.planned_end, m.Project.actual_start, m.Project.actual_end,
                m.Project.version, func.coalesce(m.ProjectProgress.percent, 0.0),
                m.ProjectProgress.reported_on,
                case((m.Project.drawings_done_on <= day, m.Project.drawings_done_on),
                     else_=None))
         .join(m.Subdistrict, m.Subdistrict.id == m.Project.subdistrict_id)
         .outerjoin(latest, latest.c.project_id == m.Project.id)
         .outerjoin(m.ProjectProgress, m.ProjectProgress.id == latest.c.report_id)
         .order_by(m.Project.programme, m.Project.batch, m.Project.code))
    if subdistrict_id is not None:
        q = q.where(m.Project.subdistrict_id == subdistrict_id)
    return pd.DataFrame(session.execute(q).all(), columns=PROJECT_COLUMNS)


def progress_reports(session: Session, project_id: int) -> pd.DataFrame:
    """Return a project's progress reports, oldest first."""
    rows = session.execute(
        select(m.ProjectProgress.id, m.ProjectProgress.reported_on, m.ProjectProgress.percent,
               m.ProjectProgress.stage, m.ProjectProgress.note, m.ProjectProgress.is_correction,
               m.ProjectProgress.reported_by, m.ProjectProgress.photo)
        .where(m.ProjectProgress.project_id == project_id)
        .order_by(m.ProjectProgress.reported_on, m.ProjectProgress.id)).all()
    return pd.DataFrame(rows, columns=["id", "reported_on", "percent", "stage", "note",
                                       "is_correction", "reported_by", "photo"])


def programme_quantities(session: Session, programme: str) -> pd.DataFrame:
    """Return a programme's quantities (item, unit, planned, done) in stored order."""
    rows = session.execute(
        select(m.ProgrammeQuantity.item, m.ProgrammeQuantity.unit, m.ProgrammeQuantity.planned,
               m.ProgrammeQuantity.done)
        .where(m.ProgrammeQuantity.programme == programme)
        .order_by(m.ProgrammeQuantity.id)).all()
    return pd.DataFrame(rows, columns=["item", "unit", "planned", "done"])


def _last_writer(session: Session, project_id: int) -> tuple[str, str]:
    """Return (user, time) of the latest audited change of a project, for a stale-edit message."""
    row = session.execute(select(m.AuditLog.username, m.AuditLog.at)
                          .where(m.AuditLog.table_name == "project",
                                 m.AuditLog.record_id == str(project_id))
                          .order_by(m.AuditLog.id.desc()).limit(1)).first()
    return (row[0], row[1].strftime("%Y-%m-%d %H:%M")) if row else ("?", "?")


def _update_project(session: Session, project: m.Project, values: dict) -> None:
    """Write values to project if nobody changed it since it was read; else raise StaleEdit."""
    result = session.execute(update(m.Project)
                             .where(m.Project.id == project.id,
                                    m.Project.version == project.version)
                             .values(**values))
    if result.rowcount != 1:
        who, at = _last_writer(session, project.id)
        raise StaleEdit("stale_edit", who=who, at=at)


def _latest_report(session: Session, project_id: int) -> m.ProjectProgress | None:
    """Return a project's latest report (by date, then entry order), or None."""
    return session.scalar(select(m.ProjectProgress)
                          .where(m.ProjectProgress.project_id == project_id)
                          .order_by(m.ProjectProgress.reported_on.desc(),
                                    m.ProjectProgress.id.desc()).limit(1))


def _stage_error(code: str, current: str, stage: str) -> CivDataError:
    """Return a stage error naming both stages ("project.stage.<stage>")."""
    return CivDataError(code, current=Term(f"project.stage.{current}", current),
                        stage=Term(f"project.stage.{stage}", stage))


def _clean_percent(percent: float) -> float:
    """Return percent as a float within 0-100, else raise progress_out_of_range."""
    try:
        value = float(percent)
    except (TypeError, ValueError) as exc:
        raise CivDataError("progress_out_of_range", percent=str(percent)) from exc
    if not 0.0 <= value <= 100.0:  # NaN fails too
        raise CivDataError("progress_out_of_range", percent=f"{value:g}")
    return round(value, 1)


def progress_report_on(session: Session, project_id: int, reported_on: date, percent: float,
                       stage: str) -> m.ProjectProgress | None:
    """Return the report with this natural key (project, day, percent, stage), if any."""
    return session.scalar(select(m.ProjectProgress).where(
        m.ProjectProgress.project_id == project_id, m.ProjectProgress.reported_on == reported_on,
        m.ProjectProgress.percent == round(float(percent), 1), m.ProjectProgress.stage == stage))


def _check_progress(session: Session, project: m.Project, reported_on: date, value: float,
                    stage: str, is_correction: bool) -> m.ProjectProgress | None:
    """Raise CivDataError unless a report of value and stage on reported_on may follow the
    project's reports; return the latest report (None when there is none)."""
    if (stage == "completed") != (value == 100.0):
        raise CivDataError("progress_stage_mismatch")
    if reported_on > today_local():
        raise CivDataError("progress_date_future", day=reported_on.isoformat())
    if progress_report_on(session, project.id, reported_on, value, stage) is not None:
        raise CivDataError("progress_exists", project=project.code, day=reported_on.isoformat(),
                           percent=f"{value:g}", stage=Term(f"project.stage.{stage}", stage))
    last = _latest_report(session, project.id)
    if last is not None and reported_on < last.reported_on:
        raise CivDataError("progress_date_order", day=reported_on.isoformat(),
                           last=last.reported_on.isoformat())
    if not is_correction:
        if last is not None and value < last.percent:
            raise CivDataError("progress_backwards", on=last.reported_on.isoformat(),
                               last=f"{last.percent:g}", percent=f"{value:g}")
        if STAGE_ORDER.index(stage) < STAGE_ORDER.index(project.stage):
            raise _stage_error("stage_backwards", project.stage, stage)
    return last


def _stage_dates(project: m.Project, stage: str, reported_on: date) -> dict:
    """Return the project's new stage, version and actual start/end dates after a report."""
    values: dict = {"stage": stage, "version": project.version + 1}
    if stage in ("under_construction", "completed") and project.actual_start is None:
        values["actual_start"] = reported_on
    if stage == "completed" and project.actual_end is None:
        values["actual_end"] = reported_on
    if stage != "completed" and project.actual_end is not None:
        values["actual_end"] = None  # a correction reopened a completed project
    if stage in ("planned", "bidding") and project.actual_start is not None:
        values["actual_start"] = None
    return values


def add_progress_report(session: Session, actor: Actor, project_id: int, reported_on: date,
                        percent: float, stage: str, note: str | None = None,
                        is_correction: bool = False, photo: bytes | None = None,
                        expected_version: int | None = None) -> m.ProjectProgress:
    """Record a dated progress report, move the project's stage and dates; return the report."""
    from civdata.io.photos import photo_for_write

    project = session.get(m.Project, project_id, populate_existing=True)
    if project is None:
        raise CivDataError("not_found", what=f"project {project_id}")
    require(actor, "project.progress", project)
    if is_correction:
        require(actor, "project.correct", project)
    if expected_version is not None and project.version != expected_version:
        last = _latest_report(session, project.id)
        raise StaleEdit("stale_edit", who=last.reported_by if last else "?",
                        at=last.reported_on.isoformat() if last else "?")
    if stage not in STAGE_ORDER:
        raise CivDataError("invalid_value", field="stage", detail=str(stage))
    value = _clean_percent(percent)
    last = _check_progress(session, project, reported_on, value, stage, is_correction)
    cleaned = (note or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_NOTE:
        raise CivDataError("invalid_value", field="note", detail=f"> {MAX_NOTE}")
    with photo_for_write(session, photo) as photo_name:  # a refusal below removes a new file
        old = {k: getattr(project, k) for k in ("stage", "actual_start", "actual_end", "version")}
        values = _stage_dates(project, stage, reported_on)
        _update_project(session, project, values)
        report = m.ProjectProgress(project_id=project.id, reported_on=reported_on, percent=value,
                                   stage=stage, note=cleaned, is_correction=bool(is_correction),
                                   reported_by=actor.username, photo=photo_name)
        session.add(report)
        session.flush()
        audit(session, actor, "project.correct" if is_correction else "project.progress",
              "project", project.id, {**old, "percent": last.percent if last else None},
              {**values, "percent": value, "reported_on": reported_on, "report_id": report.id,
               "note": cleaned, "photo": photo_name})
        mark_changed(session, "renovation")
        session.flush()
        session.refresh(project)
    return report


def record_drawings_done(session: Session, actor: Actor, project_id: int, done_on: date,
                         expected_version: int | None = None) -> m.Project:
    """Record the day a project's construction drawings were finished; return the project.

    The day cannot lie in the future or after construction started; changing a recorded day
    is a correction (office only).
    """
    project = session.get(m.Project, project_id, populate_existing=True)
    if project is None:
        raise CivDataError("not_found", what=f"project {project_id}")
    require(actor, "project.progress", project)
    if project.drawings_done_on is not None and project.drawings_done_on != done_on:
        require(actor, "project.correct", project)
    if expected_version is not None and project.version != expected_version:
        who, at = _last_writer(session, project.id)
        raise StaleEdit("stale_edit", who=who, at=at)
    if done_on > today_local():
        raise CivDataError("progress_date_future", day=done_on.isoformat())
    if project.actual_start is not None and done_on > project.actual_start:
        raise CivDataError("drawings_after_start", day=done_on.isoformat(),
                           start=project.actual_start.isoformat())
    old = {"drawings_done_on": project.drawings_done_on, "version": project.version}
    values = {"drawings_done_on": done_on, "version": project.version + 1}
    _update_project(session, project, values)
    audit(session, actor, "project.drawings", "project", project.id, old, values)
    mark_changed(session, "renovation")
    session.flush()
    session.refresh(project)
    return project
