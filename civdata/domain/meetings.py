"""Weekly meetings: open and close them, the frozen record, and follow-up action items."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from civdata.core import auth, live
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError
from civdata.domain.evaluation import OpenWeights
from civdata.domain.weekly import parse_week, previous_week, records, weekly_snapshot

KIND = "weekly"
ITEM_STATUSES = ("open", "in_progress", "done", "dropped")
FINISHED = ("done", "dropped")
ITEM_COLUMNS = ["id", "week", "what", "owner", "subdistrict_id", "due_on", "status", "closed_at"]


def weekly_meeting(session: Session, week: str) -> dict[str, Any] | None:
    """Return the weekly meeting of week (id, status, held_on, closed_at, closed_by), or None."""
    row = session.execute(
        select(m.Meeting.id, m.Meeting.week, m.Meeting.title, m.Meeting.status,
               m.Meeting.held_on, m.Meeting.closed_at, m.Meeting.closed_by)
        .where(m.Meeting.kind == KIND, m.Meeting.week == parse_week(week))).first()
    if row is None:
        return None
    return {"id": row[0], "week": row[1], "title": row[2], "status": row[3],
            "held_on": row[4].isoformat(), "closed_at": row[5].isoformat() if row[5] else None,
            "closed_by": row[6]}


def _meeting_row(session: Session, week: str) -> m.Meeting:
    """Return the weekly meeting ORM row of week, or raise meeting_not_open."""
    row = session.scalar(select(m.Meeting).where(m.Meeting.kind == KIND,
                                                 m.Meeting.week == parse_week(week)))
    if row is None:
        raise CivDataError("meeting_not_open", week=parse_week(week))
    return row


def open_meeting(session: Session, actor: Actor, week: str) -> int:
    """Open (or return the already opened) weekly meeting of week; return its id."""
    auth.require(actor, "meeting.manage")
    label = parse_week(week)
    existing = weekly_meeting(session, label)
    if existing is not None:
        return int(existing["id"])
    row = m.Meeting(kind=KIND, held_on=now_local().date(), week=label,
                    title=f"周调度会 {label}", status="open")
    session.add(row)
    session.flush()
    auth.audit(session, actor, "open_meeting", "meeting", row.id, None, {"week": label})
    live.mark_changed(session, "meetings")
    return row.id


def close_meeting(session: Session, actor: Actor, week: str,
                  snapshot: dict[str, Any] | None = None) -> dict[str, Any]:
    """Close week's meeting, freezing the figures shown (or computed now); return the record."""
    auth.require(actor, "meeting.manage")
    row = _meeting_row(session, week)
    if row.status == "closed":
        raise CivDataError("meeting_closed", week=row.week)
    now = now_local()
    record = dict(snapshot) if snapshot is not None else weekly_snapshot(session, row.week, now)
    record["action_items"] = records(action_items(session, row.week))
    record["carried_items"] = records(carried_items(session, row.week))
    record["record"] = {"closed_at": now.isoformat(), "closed_by": actor.username}
    row.snapshot_json = json.dumps(record, ensure_ascii=False, allow_nan=False)
    row.status = "closed"
    row.closed_at = now
    row.closed_by = actor.username
    auth.audit(session, actor, "close_meeting", "meeting", row.id, {"status": "open"},
               {"status": "closed", "week": row.week})
    live.mark_changed(session, "meetings")
    return record


def meeting_record(session: Session, week: str) -> dict[str, Any] | None:
    """Return the frozen record of week's closed meeting, or None when not closed."""
    text = session.scalar(select(m.Meeting.snapshot_json).where(
        m.Meeting.kind == KIND, m.Meeting.week == parse_week(week), m.Meeting.status == "closed"))
    return None if text is None else json.loads(text)


def meeting_snapshot(session: Session, week: str, now: datetime | None = None,
                     day_parts: dict[str, dict[str, Any]] | None = None,
                     open_weights: OpenWeights | None = None) -> dict[str, Any]:
    """Return what the meeting page shows: the frozen record if closed, else live figures
    (day_parts: weekly.week_day_parts of the week and now's day, open_weights: the evaluation
    fallback's open weights, when the caller holds them)."""
    label = parse_week(week)
    frozen = meeting_record(session, label)
    if frozen is not None:
        return frozen
    snap = weekly_snapshot(session, label, now, day_parts, open_weights)
    snap["action_items"] = records(action_items(session, label))
    snap["carried_items"] = records(carried_items(session, label))
    snap["record"] = None
    return snap


def action_items(session: Session, week: str) -> pd.DataFrame:
    """Return the action items recorded at week's meeting."""
    rows = session.execute(
        select(m.ActionItem.id, m.Meeting.week, m.ActionItem.what, m.ActionItem.owner,
               m.ActionItem.subdistrict_id, m.ActionItem.due_on, m.ActionItem.status,
               m.ActionItem.closed_at)
        .join(m.Meeting, m.Meeting.id == m.ActionItem.meeting_id)
        .where(m.Meeting.kind == KIND, m.Meeting.week == parse_week(week))
        .order_by(m.ActionItem.id)).all()
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def carried_items(session: Session, week: str) -> pd.DataFrame:
    """Return earlier meetings' items still open, and every item of the week before."""
    label = parse_week(week)
    rows = session.execute(
        select(m.ActionItem.id, m.Meeting.week, m.ActionItem.what, m.ActionItem.owner,
               m.ActionItem.subdistrict_id, m.ActionItem.due_on, m.ActionItem.status,
               m.ActionItem.closed_at)
        .join(m.Meeting, m.Meeting.id == m.ActionItem.meeting_id)
        .where(m.Meeting.kind == KIND, m.Meeting.week < label,
               or_(m.Meeting.week == previous_week(label), m.ActionItem.status.not_in(FINISHED)))
        .order_by(m.Meeting.week, m.ActionItem.id)).all()
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def _check_item(what: str, owner: str, due_on: date) -> None:
    """Raise required_field when an item lacks what, owner or due date."""
    for field, value in (("what", what), ("owner", owner), ("due_on", due_on)):
        if value is None or (isinstance(value, str) and not value.strip()):
            raise CivDataError("required_field", field=field)


def add_action_item(session: Session, actor: Actor, week: str, what: str, owner: str,
                    due_on: date, subdistrict_id: int | None = None) -> int:
    """Record a follow-up at week's open meeting; return its id."""
    auth.require(actor, "meeting.follow_up")
    _check_item(what, owner, due_on)
    meeting = _meeting_row(session, week)
    if meeting.status == "closed":
        raise CivDataError("meeting_closed", week=meeting.week)
    row = m.ActionItem(meeting_id=meeting.id, what=what.strip(), owner=owner.strip(),
                       subdistrict_id=subdistrict_id, due_on=due_on, status="open")
    session.add(row)
    session.flush()
    auth.audit(session, actor, "add_action_item", "action_item", row.id, None,
               {"week": meeting.week, "what": row.what, "owner": row.owner, "due_on": due_on})
    live.mark_changed(session, "meetings")
    return row.id


def _item(session: Session, item_id: int) -> m.ActionItem:
    """Return an action item or raise not_found."""
    row = session.get(m.ActionItem, item_id)
    if row is None:
        raise CivDataError("not_found", what=f"action_item {item_id}")
    return row


def set_action_item_status(session: Session, actor: Actor, item_id: int, status: str) -> None:
    """Change a follow-up's status (also after its meeting closed: that is the follow-up)."""
    auth.require(actor, "meeting.follow_up")
    if status not in ITEM_STATUSES:
        raise CivDataError("bad_item_status", status=status)
    row = _item(session, item_id)
    old = row.status
    row.status = status
    row.closed_at = now_local() if status in FINISHED else None
    auth.audit(session, actor, "set_action_item_status", "action_item", row.id,
               {"status": old}, {"status": status})
    live.mark_changed(session, "meetings")


def update_action_item(session: Session, actor: Actor, item_id: int, what: str, owner: str,
                       due_on: date) -> None:
    """Edit a follow-up's text, owner and due date while its meeting is open."""
    auth.require(actor, "meeting.follow_up")
    _check_item(what, owner, due_on)
    row = _item(session, item_id)
    meeting = session.get(m.Meeting, row.meeting_id)
    if meeting.status == "closed":
        raise CivDataError("meeting_closed", week=meeting.week)
    old = {"what": row.what, "owner": row.owner, "due_on": row.due_on}
    row.what, row.owner, row.due_on = what.strip(), owner.strip(), due_on
    auth.audit(session, actor, "update_action_item", "action_item", row.id, old,
               {"what": row.what, "owner": row.owner, "due_on": due_on})
    live.mark_changed(session, "meetings")


def delete_action_item(session: Session, actor: Actor, item_id: int) -> None:
    """Remove a follow-up while its meeting is open."""
    auth.require(actor, "meeting.follow_up")
    row = _item(session, item_id)
    meeting = session.get(m.Meeting, row.meeting_id)
    if meeting.status == "closed":
        raise CivDataError("meeting_closed", week=meeting.week)
    auth.audit(session, actor, "delete_action_item", "action_item", row.id,
               {"what": row.what, "owner": row.owner, "due_on": row.due_on}, None)
    session.delete(row)
    session.flush()
    live.mark_changed(session, "meetings")
