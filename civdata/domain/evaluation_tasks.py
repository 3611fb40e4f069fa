"""The six lists (六个清单, issue 19): each evaluation content breaks down into tasks with their
standard, measures, responsibility (unit and person), time limit, linked problems and materials.

Rules kept here:
- A task is overdue when it is open and its deadline has passed; an overdue task climbs the
  problems' escalation ladder by whole days overdue (workflow.days_overdue / rungs_for).
- Subdistrict staff change only their own subdistrict's tasks; district-level tasks and new
  tasks are the office's.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, audit, require
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError, StaleEdit
from civdata.core.live import mark_changed
from civdata.core.query import problem_is_open, to_district_time
from civdata.domain.workflow import escalation_rungs, rungs_for

SIX_LIST_COLUMNS = ["task_id", "content_code", "task", "standard", "measures",
                    "responsible_unit", "responsible_person", "subdistrict_id", "deadline",
                    "status", "overdue", "rung", "problems_linked", "problems_open",
                    "materials_linked", "materials_accepted", "days_overdue", "content_zh",
                    "content_en", "version"]
MAX_TEXT = 2000


def six_lists(session: Session, t: datetime, subdistrict_id: int | None = None, *,
              content_code: str | None = None, status: str | None = None,
              overdue_only: bool = False) -> pd.DataFrame:
    """Return the ledger of tasks of the current edition with their problems and materials
    (subdistrict: its own and the district-level tasks), by deadline."""
    probs = (select(m.EvalTaskProblem.task_id, func.count().label("linked"),
                    func.sum(case((problem_is_open(), 1), else_=0)).label("open"))
             .join(m.Problem, m.Problem.id == m.EvalTaskProblem.problem_id)
             .group_by(m.EvalTaskProblem.task_id).subquery())
    mats = (select(m.EvalMaterial.task_id, func.count().label("linked"),
                   func.sum(case((m.EvalMaterial.status == "accepted", 1), else_=0))
                   .label("accepted"))
            .where(m.EvalMaterial.task_id.is_not(None))
            .group_by(m.EvalMaterial.task_id).subquery())
    q = (select(m.EvalTask.id, m.EvalContent.code, m.EvalTask.task, m.EvalTask.standard,
                m.EvalTask.measures, m.EvalTask.responsible_unit, m.EvalTask.responsible_person,
                m.EvalTask.subdistrict_id, m.EvalTask.deadline, m.EvalTask.status,
                func.coalesce(probs.c.linked, 0), func.coalesce(probs.c.open, 0),
                func.coalesce(mats.c.linked, 0), func.coalesce(mats.c.accepted, 0),
                m.EvalContent.name_zh, m.EvalContent.name_en, m.EvalTask.version)
         .join(m.EvalContent, m.EvalContent.id == m.EvalTask.content_id)
         .join(m.EvalEdition, m.EvalEdition.id == m.EvalContent.edition_id)
         .outerjoin(probs, probs.c.task_id == m.EvalTask.id)
         .outerjoin(mats, mats.c.task_id == m.EvalTask.id)
         .where(m.EvalEdition.is_current.is_(True)))
    if subdistrict_id is not None:
        q = q.where((m.EvalTask.subdistrict_id == subdistrict_id)
                    | m.EvalTask.subdistrict_id.is_(None))
    if content_code:
        q = q.where(m.EvalContent.code == content_code)
    if status:
        q = q.where(m.EvalTask.status == status)
    rows = session.execute(q.order_by(m.EvalTask.deadline, m.EvalTask.id)).all()
    frame = pd.DataFrame(rows, columns=["task_id", "content_code", "task", "standard",
                                        "measures", "responsible_unit", "responsible_person",
                                        "subdistrict_id", "deadline", "status",
                                        "problems_linked", "problems_open", "materials_linked",
                                        "materials_accepted", "content_zh", "content_en",
                                        "version"])
    now = to_district_time(t)
    deadline = pd.to_datetime(frame["deadline"])
    frame["overdue"] = (frame["status"] == "open") & (deadline < now)
    seconds = (now - deadline).dt.total_seconds().where(frame["overdue"], 0).fillna(0)
    frame["days_overdue"] = (seconds // 86400).astype(int)
    rungs = escalation_rungs(session)
    frame["rung"] = [r if o else None for r, o in zip(
        rungs_for(frame["days_overdue"], rungs), frame["overdue"], strict=True)]
    for col in ("problems_linked", "problems_open", "materials_linked", "materials_accepted"):
        frame[col] = frame[col].astype(int)
    frame["subdistrict_id"] = frame["subdistrict_id"].astype("Int64")
    if overdue_only:
        frame = frame[frame["overdue"]]
    return frame[SIX_LIST_COLUMNS].reset_index(drop=True)


def _text(value: str | None, field: str, required: bool = True) -> str:
    """Return value stripped; raise when blank (if required) or too long."""
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise CivDataError("required_field", field=field, field_zh=field)
    if len(cleaned) > MAX_TEXT:
        raise CivDataError("invalid_value", field=field, detail=f"> {MAX_TEXT}")
    return cleaned


def add_task(session: Session, actor: Actor, *, content_code: str, task: str, standard: str,
             measures: str, responsible_unit: str, responsible_person: str,
             deadline: datetime, subdistrict_id: int | None = None) -> int:
    """Add a task to a content of the current edition (office); return its id."""
    require(actor, "evaluation.manage")
    content_id = session.scalar(
        select(m.EvalContent.id).join(m.EvalEdition, m.EvalEdition.id == m.EvalContent.edition_id)
        .where(m.EvalEdition.is_current.is_(True), m.EvalContent.code == content_code))
    if content_id is None:
        raise CivDataError("not_found", what=f"content {content_code}")
    row = m.EvalTask(content_id=content_id, task=_text(task, "task"),
                     standard=_text(standard, "standard"), measures=_text(measures, "measures"),
                     responsible_unit=_text(responsible_unit, "responsible unit")[:96],
                     responsible_person=_text(responsible_person, "responsible person")[:64],
                     subdistrict_id=subdistrict_id, deadline=to_district_time(deadline),
                     status="open", version=1)
    session.add(row)
    session.flush()
    audit(session, actor, "evaluation.task", "eval_task", row.id, None,
          {"content": content_code, "task": row.task, "deadline": row.deadline,
           "subdistrict_id": subdistrict_id})
    mark_changed(session, "evaluation")
    session.flush()
    return row.id


def set_task_status(session: Session, actor: Actor, task_id: int, status: str, *,
                    expected_version: int) -> None:
    """Mark a task done or open again (office; subdistrict staff for their own tasks)."""
    if status not in m.TASK_STATUSES:
        raise CivDataError("bad_item_status", status=status)
    row = session.get(m.EvalTask, task_id, populate_existing=True)
    if row is None:
        raise CivDataError("not_found", what=f"task {task_id}")
    require(actor, "evaluation.task", row)
    if row.version != expected_version:
        raise StaleEdit("stale_edit", who="?", at="?")
    old = {"status": row.status, "version": row.version}
    row.status = status
    row.done_at = now_local() if status == "done" else None
    row.version += 1
    audit(session, actor, "evaluation.task", "eval_task", row.id, old,
          {"status": status, "version": row.version})
    mark_changed(session, "evaluation")
    session.flush()


def link_problem(session: Session, actor: Actor, task_id: int, problem_id: int) -> None:
    """Add a problem to a task's problem list (office; subdistrict staff for their own)."""
    row = session.get(m.EvalTask, task_id)
    if row is None or session.get(m.Problem, problem_id) is None:
        raise CivDataError("not_found", what=f"task {task_id} / problem {problem_id}")
    require(actor, "evaluation.task", row)
    if session.get(m.EvalTaskProblem, (task_id, problem_id)) is not None:
        return
    session.add(m.EvalTaskProblem(task_id=task_id, problem_id=problem_id))
    audit(session, actor, "evaluation.task", "eval_task_problem", task_id, None,
          {"problem_id": problem_id})
    session.flush()


def open_task_counts(session: Session, t: datetime, subdistrict_id: int | None = None
                     ) -> pd.DataFrame:
    """Return per content code: open tasks, overdue ones, the earliest open deadline and the
    people responsible."""
    tasks = six_lists(session, t, subdistrict_id)
    open_ = tasks[tasks["status"] == "open"]
    if open_.empty:
        return pd.DataFrame(columns=["content_code", "tasks_open", "tasks_overdue", "deadline",
                                     "owner"])
    return (open_.groupby("content_code")
            .agg(tasks_open=("task_id", "size"), tasks_overdue=("overdue", "sum"),
                 deadline=("deadline", "min"),
                 owner=("responsible_person", lambda s: "、".join(dict.fromkeys(s))))
            .reset_index())
