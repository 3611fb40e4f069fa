"""The events that send messages, found by a scan that is idempotent: each message's key
(event, recipient, channel) is unique in the outbox, so scanning again adds nothing.

Events: a problem assigned; a deadline 24 h away; a problem overdue; a problem reaching an
escalation rung (the lowest rung goes to its subdistrict, higher rungs to the district); a
rectification returned; an evaluation material returned; a meeting follow-up due today or
tomorrow; the daily report at the configured time (to the district, and each subdistrict its
own). Events are looked for since the sender's watermark (the last scan), so none is missed
after an outage; the very first scan looks back a window (default 24 h) so a new installation
does not send the whole history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.query import problem_is_open
from civdata.texts.notify import TEXTS

LOOKBACK = timedelta(hours=24)
DUE_SOON = timedelta(hours=24)
DAILY_AT = time(8, 0)
MAX_DESCRIPTION = 200


@dataclass(frozen=True)
class Event:
    """One thing to tell: its unique key, kind, recipients and the values of its text."""

    key: str
    kind: str
    recipients: tuple[str, ...]
    params: dict = field(default_factory=dict)


def text(key: str, lang: str, **params: object) -> str:
    """Return a catalogue text in lang, formatted; a value with a _zh/_en variant uses it."""
    zh, en = TEXTS[key]
    chosen = {k: v for k, v in params.items() if not k.endswith(("_zh", "_en"))}
    chosen.update({k[:-3]: v for k, v in params.items() if k.endswith(f"_{lang}")})
    return (zh if lang == "zh" else en).format(**chosen)


def render(event: Event, lang: str) -> tuple[str, str]:
    """Return (subject, body) of a problem, material or follow-up event in lang."""
    return (text(f"notify.msg.{event.kind}.subject", lang, **event.params),
            text(f"notify.msg.{event.kind}.body", lang, **event.params))


def _fmt(at: datetime | date | None) -> str:
    """Return a time as 'YYYY-MM-DD HH:MM' (a date as 'YYYY-MM-DD'; '—' for None)."""
    if at is None:
        return "—"
    if isinstance(at, datetime):
        return at.strftime("%Y-%m-%d %H:%M")
    return at.isoformat()


def _short(value: str | None) -> str:
    """Return free text cut to MAX_DESCRIPTION characters ('—' when blank)."""
    value = (value or "").strip()
    if not value:
        return "—"
    return value if len(value) <= MAX_DESCRIPTION else value[:MAX_DESCRIPTION] + "…"


def _problem_rows(session: Session, *conditions) -> list:
    """Return problems matching conditions, with class, subdistrict and site names."""
    p = m.Problem
    return session.execute(
        select(p.id, p.code, p.subdistrict_id, p.responsible_unit, p.description, p.deadline,
               p.assigned_at, m.ProblemClass.name_zh.label("class_zh"),
               m.ProblemClass.name_en.label("class_en"), m.Subdistrict.name_zh.label("sub_zh"),
               m.Subdistrict.name_en.label("sub_en"), m.Site.name_zh.label("site_zh"),
               m.Site.name_en.label("site_en"))
        .join(m.ProblemClass, m.ProblemClass.id == p.class_id)
        .join(m.Subdistrict, m.Subdistrict.id == p.subdistrict_id)
        .outerjoin(m.Site, m.Site.id == p.site_id)
        .where(*conditions).order_by(p.id)).all()


def _problem_params(row) -> dict:
    """Return the text values of a problem row."""
    return {"code": row.code, "class_name_zh": row.class_zh, "class_name_en": row.class_en,
            "subdistrict_zh": row.sub_zh, "subdistrict_en": row.sub_en,
            "site_zh": row.site_zh or "—", "site_en": row.site_en or row.site_zh or "—",
            "unit": row.responsible_unit or "—", "description": _short(row.description),
            "deadline": _fmt(row.deadline)}


def _local(row) -> tuple[str, ...]:
    """Return a problem's subdistrict and responsible unit as recipients."""
    out = [f"subdistrict:{row.subdistrict_id}"]
    if row.responsible_unit:
        out.append(f"unit:{row.responsible_unit.strip()}")
    return tuple(out)


def problem_events(session: Session, now: datetime, since: datetime) -> list[Event]:
    """Return assigned, due-soon, overdue and escalation events of problems."""
    p = m.Problem
    events: list[Event] = []
    for row in _problem_rows(session, p.assigned_at > since, p.assigned_at <= now):
        events.append(Event(f"assigned:{row.id}", "assigned", _local(row), _problem_params(row)))
    for row in _problem_rows(session, problem_is_open(), p.deadline > now,
                             p.deadline <= now + DUE_SOON):
        events.append(Event(f"due_soon:{row.id}:{row.deadline:%Y%m%d%H%M}", "due_soon",
                            _local(row), _problem_params(row)))
    for row in _problem_rows(session, problem_is_open(), p.deadline > since, p.deadline <= now):
        events.append(Event(f"overdue:{row.id}", "overdue", _local(row), _problem_params(row)))
    rungs = session.execute(select(m.EscalationRung.days_overdue, m.EscalationRung.code,
                                   m.EscalationRung.name_zh, m.EscalationRung.name_en)
                            .order_by(m.EscalationRung.days_overdue)).all()
    for position, (days, code, name_zh, name_en) in enumerate(rungs):
        shift = timedelta(days=int(days))
        for row in _problem_rows(session, problem_is_open(), p.deadline > since - shift,
                                 p.deadline <= now - shift):
            to = (f"subdistrict:{row.subdistrict_id}",) if position == 0 else ("district",)
            events.append(Event(f"rung:{code}:{row.id}", "escalated", to,
                                {**_problem_params(row), "rung_zh": name_zh, "rung_en": name_en,
                                 "days": int(days)}))
    return events


def returned_events(session: Session, now: datetime, since: datetime) -> list[Event]:
    """Return the rectifications and evaluation materials returned within the window."""
    e = m.ProblemEvent
    events: list[Event] = []
    found = session.execute(select(e.id, e.problem_id, e.actor, e.note)
                            .where(e.from_status == "submitted", e.to_status == "rectifying",
                                   e.at > since, e.at <= now).order_by(e.id)).all()
    by_problem = {r.id: r for r in _problem_rows(
        session, m.Problem.id.in_({f.problem_id for f in found}))} if found else {}
    for ev in found:
        row = by_problem.get(ev.problem_id)
        if row is not None:
            events.append(Event(f"returned:{ev.id}", "returned", _local(row),
                                {**_problem_params(row), "who": ev.actor, "note": _short(ev.note)}))
    r, mat = m.EvalMaterialReview, m.EvalMaterial
    for row in session.execute(
            select(r.id, r.version, r.reason, r.reviewer, mat.title, mat.responsible_unit,
                   mat.subdistrict_id, mat.deadline)
            .join(mat, mat.id == r.material_id)
            .where(r.accepted.is_(False), r.at > since, r.at <= now).order_by(r.id)).all():
        to = ([f"subdistrict:{row.subdistrict_id}"] if row.subdistrict_id else []) + \
            ([f"unit:{row.responsible_unit.strip()}"] if row.responsible_unit else [])
        events.append(Event(f"material_returned:{row.id}", "material_returned", tuple(to),
                            {"title": row.title, "version": row.version, "who": row.reviewer,
                             "unit": row.responsible_unit or "—", "note": _short(row.reason),
                             "deadline": _fmt(row.deadline)}))
    return events


def followup_events(session: Session, now: datetime, since: datetime | None = None
                    ) -> list[Event]:
    """Return the meeting follow-ups not done that are due today or tomorrow (and, after a
    stopped sender, those that fell due since then)."""
    a = m.ActionItem
    today = now.date()
    first = today if since is None else min(today, since.date())
    rows = session.execute(
        select(a.id, a.what, a.owner, a.subdistrict_id, a.due_on, m.Meeting.week)
        .join(m.Meeting, m.Meeting.id == a.meeting_id)
        .where(a.status.in_(("open", "in_progress")),
               and_(a.due_on >= first, a.due_on <= today + timedelta(days=1)))
        .order_by(a.id)).all()
    events = []
    for row in rows:
        to = ([f"subdistrict:{row.subdistrict_id}"] if row.subdistrict_id else []) + \
            ([f"unit:{row.owner.strip()}"] if row.owner and row.owner.strip() else [])
        events.append(Event(f"followup_due:{row.id}:{row.due_on.isoformat()}", "followup_due",
                            tuple(to), {"what": _short(row.what), "owner": row.owner or "—",
                                        "due_on": row.due_on.isoformat(),
                                        "week": row.week or "—"}))
    return events


def daily_report_markdown(session: Session, day: date, lang: str,
                          subdistrict_id: int | None = None) -> str | None:
    """Return the daily report's short Markdown (civdata.domain.daily), or None while that
    module is not there (the daily message then waits)."""
    try:
        from civdata.domain import daily
    except ImportError:
        return None
    return daily.daily_markdown(session, day, lang, subdistrict_id=subdistrict_id)


def daily_days(now: datetime, since: datetime, daily_at: time = DAILY_AT) -> list[date]:
    """Return the days whose daily report fell due in (since, now]: a report for day d is due
    at daily_at on d + 1."""
    days = []
    day = since.date() - timedelta(days=1)
    while day < now.date():
        due = datetime.combine(day + timedelta(days=1), daily_at)
        if since < due <= now:
            days.append(day)
        day += timedelta(days=1)
    return days


def contacts_by_recipient(session: Session) -> dict[str, list[m.NotifyContact]]:
    """Return the active contacts per recipient key."""
    out: dict[str, list[m.NotifyContact]] = defaultdict(list)
    for row in session.scalars(select(m.NotifyContact).where(m.NotifyContact.active.is_(True))
                               .order_by(m.NotifyContact.id)):
        out[row.recipient].append(row)
    return out
