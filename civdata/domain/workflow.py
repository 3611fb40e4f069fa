"""The problem state machine: allowed transitions, who may make them, deadlines and escalation.

States: discovered -> assigned -> rectifying -> submitted -> closed (accept) or back to
rectifying (reject). A closed problem found again is reopened as a new, linked record.
Every write takes the actor, checks the permission, stores a ProblemEvent, writes the audit
log and marks the 'problems' domain changed. The caller commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, Scope, audit, require
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError, StaleEdit
from civdata.core.live import mark_changed
from civdata.core.query import to_district_time
from civdata.domain import geo
from civdata.texts import Term


@dataclass(frozen=True)
class Transition:
    """One allowed move: the action, the state it leaves, the state it reaches, the permission."""

    action: str
    from_status: str
    to_status: str
    permission: str


TRANSITIONS: dict[str, Transition] = {
    "assign": Transition("assign", "discovered", "assigned", "problem.assign"),
    "start": Transition("start", "assigned", "rectifying", "problem.rectify"),
    "submit": Transition("submit", "rectifying", "submitted", "problem.rectify"),
    "accept": Transition("accept", "submitted", "closed", "problem.review"),
    "reject": Transition("reject", "submitted", "rectifying", "problem.review"),
}
ACTIONS = tuple(TRANSITIONS)
MAX_TEXT = 2000
# names shown to people: "problem.status.<s>", "workflow.action.<a>", "problem.field.<f>"
# (civdata/texts/vocabulary.py)


def _bad_transition(state: str, action: str) -> CivDataError:
    """Return the error for an action not possible in state."""
    return CivDataError("bad_transition", state=Term(f"problem.status.{state}", state),
                        action=Term(f"workflow.action.{action}", action))


def actions_from(status: str) -> list[str]:
    """Return the actions allowed from status (whatever the role)."""
    return [a for a, tr in TRANSITIONS.items() if tr.from_status == status]


def deadline_for(assigned_at: datetime, time_limit_days: int) -> datetime:
    """Return the deadline of a problem assigned at assigned_at (district time)."""
    return to_district_time(assigned_at) + timedelta(days=int(time_limit_days))


def days_overdue(deadline: datetime | None, now: datetime) -> int:
    """Return the whole days (24 h) now is past deadline; 0 when not past it."""
    if deadline is None:
        return 0
    seconds = (to_district_time(now) - to_district_time(deadline)).total_seconds()
    return max(0, math.floor(seconds / 86400))


def rung_for(days: int, rungs: pd.DataFrame) -> str | None:
    """Return the code of the highest rung reached after days overdue (None below the first)."""
    if rungs.empty:
        return None
    reached = rungs[rungs["days_overdue"] <= days]
    if reached.empty:
        return None
    return str(reached.sort_values("days_overdue")["code"].iloc[-1])


def rungs_for(days: pd.Series, rungs: pd.DataFrame) -> list[str | None]:
    """Return rung_for of every value of days at once (one sorted search, not a filter per row)."""
    if rungs.empty:
        return [None] * len(days)
    ladder = rungs.sort_values("days_overdue")
    codes = [str(c) for c in ladder["code"]]
    idx = np.searchsorted(ladder["days_overdue"].to_numpy(), days.to_numpy(dtype=int),
                          side="right") - 1
    return [codes[i] if i >= 0 else None for i in idx]


def escalation_rungs(session: Session) -> pd.DataFrame:
    """Return the escalation ladder: days overdue, code and names, lowest rung first."""
    rows = session.execute(select(m.EscalationRung.days_overdue, m.EscalationRung.code,
                                  m.EscalationRung.name_zh, m.EscalationRung.name_en)
                           .order_by(m.EscalationRung.days_overdue)).all()
    return pd.DataFrame(rows, columns=["days_overdue", "code", "name_zh", "name_en"])


def _text(value: str | None, field: str, required: bool = False) -> str | None:
    """Return value stripped (None when blank); raise when required and blank or too long."""
    cleaned = (value or "").strip() or None
    if cleaned is None and required:
        raise CivDataError("required_field", field=Term(f"problem.field.{field}", field))
    if cleaned is not None and len(cleaned) > MAX_TEXT:
        raise CivDataError("invalid_value", field=field, detail=f"> {MAX_TEXT}")
    return cleaned


def _last_change(session: Session, problem_id: int) -> tuple[str, str]:
    """Return (who, when) of the latest event of a problem."""
    row = session.execute(select(m.ProblemEvent.actor, m.ProblemEvent.at)
                          .where(m.ProblemEvent.problem_id == problem_id)
                          .order_by(m.ProblemEvent.at.desc(), m.ProblemEvent.id.desc())
                          .limit(1)).first()
    if row is None:
        return "?", "?"
    return row[0], row[1].strftime("%Y-%m-%d %H:%M")


def _problem(session: Session, problem_id: int) -> m.Problem:
    """Return a problem read fresh from the database, or raise not_found."""
    problem = session.get(m.Problem, problem_id, populate_existing=True)
    if problem is None:
        raise CivDataError("not_found", what=f"problem {problem_id}")
    return problem


def _snapshot(problem: m.Problem) -> dict:
    """Return the fields of a problem that transitions change (for the audit log)."""
    return {k: getattr(problem, k) for k in ("status", "responsible_unit", "deadline",
                                             "assigned_at", "closed_at", "photo_after",
                                             "version")}


@lru_cache(maxsize=1)
def _district_outline():
    """Return the district outline (read once per process)."""
    return geo.district_outline()


@lru_cache(maxsize=32)
def _boundary(geojson: str):
    """Return the geometry of a subdistrict boundary (parsed once per distinct text)."""
    return geo.geometry_from_geojson(geojson)


def _check_place(session: Session, actor: Actor, subdistrict: m.Subdistrict,
                 site_id: int | None, lat: float, lon: float) -> None:
    """Raise unless the site (if any) lies in the problem's subdistrict and, for a subdistrict
    account, the point lies inside its own subdistrict's boundary."""
    if site_id is not None:
        site = session.get(m.Site, site_id)
        if site is None:
            raise CivDataError("not_found", what=f"site {site_id}")
        if site.subdistrict_id != subdistrict.id:
            raise CivDataError("site_wrong_subdistrict", site=site.code)
    if actor.role == "subdistrict" and not geo.points_inside(
            _boundary(subdistrict.boundary_geojson), [float(lon)], [float(lat)])[0]:
        raise CivDataError("point_outside_subdistrict", lat=round(float(lat), 6),
                           lon=round(float(lon), 6))


def _class_by_code(session: Session, class_code: str) -> m.ProblemClass:
    """Return the problem class with this code, or raise invalid_value."""
    cls = session.scalar(select(m.ProblemClass).where(m.ProblemClass.code == class_code))
    if cls is None:
        raise CivDataError("invalid_value", field="class", detail=class_code)
    return cls


def _insert_with_free_code(session: Session, problem: m.Problem, now: datetime) -> None:
    """Insert problem under the next free daily code; if another writer took that code
    between the look-up and the insert, take the next one (in a savepoint) instead."""
    for _ in range(20):
        problem.code = _next_code(session, now)
        try:
            with session.begin_nested():
                session.add(problem)
                session.flush()
            return
        except IntegrityError:  # the savepoint rolled back; the problem is transient again
            continue
    raise CivDataError("invalid_value", field="code", detail="no free problem code")


def _next_code(session: Session, now: datetime) -> str:
    """Return an unused problem code for a problem found at now, e.g. P261125-003."""
    prefix = f"P{now:%y%m%d}-"
    if session.get_bind().dialect.name == "sqlite":  # binary order: a range the code index serves
        today = (m.Problem.code >= prefix) & (m.Problem.code < f"P{now:%y%m%d}.")
    else:  # PostgreSQL's collation may ignore punctuation in ranges; LIKE is exact
        today = m.Problem.code.like(f"{prefix}%")
    taken = session.scalar(select(func.count(m.Problem.id)).where(today)) or 0
    n = int(taken) + 1
    while session.scalar(select(m.Problem.id).where(m.Problem.code == f"{prefix}{n:03d}")):
        n += 1
    return f"{prefix}{n:03d}"


def report_problem(session: Session, actor: Actor, *, subdistrict_id: int, class_code: str,
                   lat: float, lon: float, description: str, source: str,
                   site_id: int | None = None, market_id: int | None = None,
                   inspection_id: int | None = None, reopened_from_id: int | None = None,
                   photo_before: bytes | str | None = None,
                   responsible_unit: str | None = None) -> m.Problem:
    """Record a newly found problem (status 'discovered') and return it; photo_before is the
    photo's bytes (checked and stored here; a refusal leaves no file) or a stored photo's name."""
    require(actor, "problem.report", Scope(subdistrict_id, source))
    if source not in m.PROBLEM_SOURCES:
        raise CivDataError("invalid_value", field="source", detail=source)
    text = _text(description, "description", required=True)
    cls = _class_by_code(session, class_code)
    subdistrict = session.get(m.Subdistrict, subdistrict_id)
    if subdistrict is None:
        raise CivDataError("not_found", what=f"subdistrict {subdistrict_id}")
    if not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180):
        raise CivDataError("invalid_value", field="lat/lon", detail=f"{lat}, {lon}")
    if geo.points_outside(_district_outline(), [float(lon)], [float(lat)])[0]:
        raise CivDataError("outside_district", lat=round(float(lat), 6), lon=round(float(lon), 6))
    _check_place(session, actor, subdistrict, site_id, lat, lon)
    from civdata.io.photos import photo_for_write

    with photo_for_write(session, photo_before) as photo_before:  # bytes stored here
        now = now_local()
        problem = m.Problem(code="", site_id=site_id, subdistrict_id=subdistrict_id,
                            class_id=cls.id, lat=float(lat), lon=float(lon), description=text,
                            source=source, status="discovered", discovered_at=now,
                            responsible_unit=_text(responsible_unit, "responsible_unit"),
                            market_id=market_id, inspection_id=inspection_id,
                            reopened_from_id=reopened_from_id, photo_before=photo_before,
                            created_by=actor.username, version=1)
        _insert_with_free_code(session, problem, now)
        session.add(m.ProblemEvent(problem_id=problem.id, at=now, actor=actor.username,
                                   from_status=None, to_status="discovered", note=None))
        if session.scalar(select(m.Site.id).limit(1)) is not None:  # no sites: nothing to link
            from civdata.domain.sites import write_spatial

            write_spatial(session, pd.DataFrame({"id": [problem.id], "lat": [problem.lat],
                                                 "lon": [problem.lon]}))
        audit(session, actor, "problem.report", "problem", problem.id, None,
              {"code": problem.code, "class": class_code, "subdistrict_id": subdistrict_id,
               "source": source, "status": "discovered"})
        mark_changed(session, "problems")
        session.flush()
        session.refresh(problem)
        return problem


def _passing_reinspection(session: Session, problem: m.Problem,
                          inspection_id: int | None) -> m.MarketInspection | None:
    """Return the inspection if it is a passing re-inspection of the problem's market."""
    if inspection_id is None or problem.market_id is None:
        return None
    inspection = session.get(m.MarketInspection, inspection_id)
    if (inspection is None or inspection.market_id != problem.market_id
            or not inspection.is_reinspection or inspection.findings):
        return None
    return inspection


def transition(session: Session, actor: Actor, problem_id: int, action: str, *,
               expected_version: int, note: str | None = None,
               responsible_unit: str | None = None,
               photo_after: bytes | str | None = None,
               evidence_inspection_id: int | None = None) -> m.Problem:
    """Move a problem by action if the state and the actor allow it; return the problem.

    A submit needs a note and an after-photo (bytes, stored here: a refusal leaves no file; or a
    stored photo's name); for a market problem a passing re-inspection of its market
    (evidence_inspection_id) stands in for the photo.
    """
    tr = TRANSITIONS.get(action)
    if tr is None:
        raise CivDataError("invalid_value", field="action", detail=action)
    problem = _problem(session, problem_id)
    require(actor, tr.permission, problem)
    if problem.version != expected_version:
        who, at = _last_change(session, problem.id)
        raise StaleEdit("stale_edit", who=who, at=at)
    if problem.status != tr.from_status:
        raise _bad_transition(problem.status, action)
    note = _text(note, "note")
    from civdata.io.photos import photo_for_write

    with photo_for_write(session, photo_after) as photo_after:  # bytes stored here
        now = now_local()
        values: dict = {"status": tr.to_status, "version": problem.version + 1}
        if action == "assign":
            unit = _text(responsible_unit, "responsible_unit", required=True)
            limit = session.scalar(select(m.ProblemClass.time_limit_days)
                                   .where(m.ProblemClass.id == problem.class_id))
            values.update(responsible_unit=unit, assigned_at=now, deadline=deadline_for(now, limit))
        elif action == "submit":
            passed = _passing_reinspection(session, problem, evidence_inspection_id)
            photo_after = photo_after or (passed.photo if passed else None)
            if note is None or not (photo_after or passed):
                raise CivDataError("submit_needs_evidence")
            if photo_after:
                values["photo_after"] = photo_after
        elif action == "reject":
            if note is None:
                raise CivDataError("reject_needs_reason")
        elif action == "accept":
            seconds = int((now - problem.discovered_at).total_seconds())
            values.update(closed_at=now, seconds_to_close=max(0, seconds),
                          closed_on_time=problem.deadline is None or now <= problem.deadline)
        old = _snapshot(problem)
        result = session.execute(update(m.Problem)
                                 .where(m.Problem.id == problem.id,
                                        m.Problem.version == expected_version)
                                 .values(**values))
        if result.rowcount != 1:
            who, at = _last_change(session, problem.id)
            raise StaleEdit("stale_edit", who=who, at=at)
        if tr.to_status == "closed":
            from civdata.domain.sites import close_in_site_counts

            close_in_site_counts(session, problem.id, problem.class_id)
        session.add(m.ProblemEvent(problem_id=problem.id, at=now, actor=actor.username,
                                   from_status=tr.from_status, to_status=tr.to_status, note=note))
        audit(session, actor, f"problem.{action}", "problem", problem.id, old,
              {**values, "note": note})
        mark_changed(session, "problems")
        session.flush()
        return _problem(session, problem.id)


def reopen_problem(session: Session, actor: Actor, closed_problem_id: int, *,
                   description: str | None = None, source: str | None = None,
                   photo_before: bytes | str | None = None) -> m.Problem:
    """Record a closed problem found again as a new problem linked to the old one."""
    old = _problem(session, closed_problem_id)
    if source is None:
        source = "market_inspection" if actor.role == "market" else "spot_check"
    require(actor, "problem.report", Scope(old.subdistrict_id, source))
    # reopening reports again on the old problem's scope (the market bureau: its own only)
    require(actor, "problem.report", old)
    if old.status != "closed":
        raise _bad_transition(old.status, "reopen")
    code = session.scalar(select(m.ProblemClass.code).where(m.ProblemClass.id == old.class_id))
    return report_problem(
        session, actor, subdistrict_id=old.subdistrict_id, class_code=code, lat=old.lat,
        lon=old.lon, description=_text(description, "description") or old.description,
        source=source, site_id=old.site_id, market_id=old.market_id,
        inspection_id=old.inspection_id, reopened_from_id=old.id,
        photo_before=photo_before, responsible_unit=old.responsible_unit)


def set_time_limit(session: Session, actor: Actor, class_code: str, days: int) -> None:
    """Change a problem class's rectification time limit (office); applies to new assignments."""
    require(actor, "settings.edit")
    if int(days) < 1 or int(days) > 365:
        raise CivDataError("invalid_value", field="time_limit_days", detail=str(days))
    cls = _class_by_code(session, class_code)
    old = cls.time_limit_days
    cls.time_limit_days = int(days)
    audit(session, actor, "settings.edit", "problem_class", cls.id,
          {"time_limit_days": old}, {"time_limit_days": int(days)})
    mark_changed(session, "settings")
    session.flush()


def set_escalation_rungs(session: Session, actor: Actor, rungs: list[dict]) -> None:
    """Replace the escalation ladder with rungs (days_overdue, code, name_zh, name_en)."""
    require(actor, "settings.edit")
    days = [int(r["days_overdue"]) for r in rungs]
    codes = [str(r["code"]).strip() for r in rungs]
    if not rungs or min(days) < 0 or len(set(days)) != len(days) or len(set(codes)) != len(codes) \
            or not all(codes):
        raise CivDataError("invalid_value", field="escalation", detail=str(days))
    old = escalation_rungs(session)
    session.execute(delete(m.EscalationRung))
    session.execute(insert(m.EscalationRung), [
        {"days_overdue": d, "code": c, "name_zh": str(r.get("name_zh") or c),
         "name_en": str(r.get("name_en") or c)} for d, c, r in zip(days, codes, rungs,
                                                                   strict=True)])
    audit(session, actor, "settings.edit", "escalation_rung", None,
          {"rungs": old[["days_overdue", "code"]].values.tolist()},
          {"rungs": sorted(zip(days, codes, strict=True))})
    mark_changed(session, "settings")
    session.flush()


def problem_count(session: Session) -> int:
    """Return the number of problems (all states)."""
    return int(session.scalar(select(func.count(m.Problem.id))) or 0)
