"""The outbox and its sender: a scan puts one row per event, recipient and channel into the
outbox (a second scan adds nothing); the sender that holds the database lease claims each due
row with one atomic UPDATE, sends it, and records the outcome. A failed send is tried again
with exponential backoff, up to MAX_ATTEMPTS; then the row is 'failed' and shown on the
contacts page. A row left 'sending' by a sender that died is never sent again (it may have gone
out): it is marked failed, so no event reaches anyone twice."""

from __future__ import annotations

import logging
import os
import socket
import time as time_mod
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.clock import TZ, now_local
from civdata.core.db import session_scope
from civdata.core.errors import CivDataError
from civdata.io.notify import channels, events, vault
from civdata.io.notify.channels import Outgoing, SendError

log = logging.getLogger(__name__)

LEASE_NAME = "sender"
LEASE_TTL = timedelta(seconds=120)
MAX_ATTEMPTS = 6
BACKOFF = timedelta(minutes=1)  # 1, 2, 4, 8, 16 minutes between the six tries
STUCK_ERROR = "interrupted while sending; not sent again so that it cannot arrive twice"
GONE_ERROR = "the contact was removed or disabled"
WATERMARK_OVERLAP = timedelta(minutes=10)  # rows written a little late are still found


def new_holder() -> str:
    """Return a name for this sender: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def wall_clock() -> datetime:
    """Return the real district time (naive); the lease ignores CIVDATA_TODAY."""
    return datetime.now(TZ).replace(tzinfo=None)


def _upsert(session: Session):
    """Return the dialect's INSERT that knows ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert


def take_lease(engine: Engine, holder: str, now: datetime | None = None,
               ttl: timedelta = LEASE_TTL) -> bool:
    """Take or renew the sender's lease for ttl in one atomic UPDATE; return True when held."""
    now = now or wall_clock()
    with session_scope(engine) as s:
        s.execute(_upsert(s)(m.NotifyLease).values(name=LEASE_NAME, holder=None, expires_at=None)
                  .on_conflict_do_nothing(index_elements=["name"]))
    with session_scope(engine) as s:
        lease = m.NotifyLease.__table__
        taken = s.execute(update(lease).where(
            lease.c.name == LEASE_NAME,
            (lease.c.holder == holder) | lease.c.holder.is_(None) | (lease.c.expires_at < now))
            .values(holder=holder, expires_at=now + ttl))
        return taken.rowcount == 1


def release_lease(engine: Engine, holder: str) -> None:
    """Give the lease up (only when this holder has it)."""
    with session_scope(engine) as s:
        lease = m.NotifyLease.__table__
        s.execute(update(lease).where(lease.c.name == LEASE_NAME, lease.c.holder == holder)
                  .values(holder=None, expires_at=None))


def _message(event: events.Event, contact: m.NotifyContact, session: Session,
             day_scope: dict) -> tuple[str, str] | None:
    """Return (subject, body) of event for contact in its language (None: nothing to send)."""
    if event.kind != "daily":
        return events.render(event, contact.lang)
    body = events.daily_report_markdown(session, event.params["day"], contact.lang,
                                        subdistrict_id=contact.subdistrict_id)
    if body is None:
        return None
    names = day_scope.get(contact.subdistrict_id)
    scope = (names[0] if contact.lang == "zh" else names[1]) if names else \
        events.text("notify.district", contact.lang)
    subject = events.text("notify.msg.daily.subject", contact.lang,
                          day=event.params["day"].isoformat(), scope=scope)
    return subject, body


def _daily_events(now: datetime, since: datetime, daily_at: time,
                  contacts: dict[str, list[m.NotifyContact]]) -> list[events.Event]:
    """Return the daily report events due since the scan's start (to the district and every
    subdistrict): the one due now, and those a stopped sender missed."""
    to = tuple(r for r in contacts if r == "district" or r.startswith("subdistrict:"))
    return [events.Event(f"daily:{day.isoformat()}", "daily", to, {"day": day})
            for day in events.daily_days(now, since, daily_at)]


def scanned_until(session: Session) -> datetime | None:
    """Return the scan's watermark: the time up to which events were queued (None before the
    first scan)."""
    return session.scalar(select(m.NotifyLease.scanned_until)
                          .where(m.NotifyLease.name == LEASE_NAME))


def _advance_watermark(session: Session, now: datetime) -> None:
    """Move the watermark forward to now (never back), in the scan's transaction."""
    session.execute(_upsert(session)(m.NotifyLease).values(name=LEASE_NAME, holder=None,
                                                           expires_at=None)
                    .on_conflict_do_nothing(index_elements=["name"]))
    lease = m.NotifyLease.__table__
    session.execute(update(lease).where(
        lease.c.name == LEASE_NAME,
        lease.c.scanned_until.is_(None) | (lease.c.scanned_until < now))
        .values(scanned_until=now))


def scan_since(session: Session, now: datetime, lookback: timedelta = events.LOOKBACK
               ) -> datetime:
    """Return where this scan starts: the watermark less a small overlap (the outbox's unique
    key drops what was queued already), or now - lookback on the very first scan (a new
    installation does not send its whole history)."""
    mark = scanned_until(session)
    if mark is None:
        return now - lookback
    return min(mark, now) - WATERMARK_OVERLAP


def scan(session: Session, now: datetime | None = None, lookback: timedelta = events.LOOKBACK,
         daily_at: time = events.DAILY_AT) -> int:
    """Put every event's messages that are not in the outbox yet into it; return how many.

    Events are looked for since the stored watermark, so a sender stopped for days catches up
    on all of them when it starts again; the watermark then moves to now in the same
    transaction. Only recipients with an active contact get a row: nothing is queued where no
    channel is configured. The caller commits."""
    now = now or now_local()
    first = scanned_until(session) is None
    since = scan_since(session, now, lookback)
    # the very first scan sends only today's daily report (when it is due), no older ones
    daily_since = datetime.combine(now.date(), time.min) - timedelta(microseconds=1) \
        if first else since
    _advance_watermark(session, now)
    contacts = events.contacts_by_recipient(session)
    if not contacts:
        return 0
    found = [*events.problem_events(session, now, since),
             *events.returned_events(session, now, since),
             *events.followup_events(session, now, since)]
    found += _daily_events(now, daily_since, daily_at, contacts)
    wanted = [(ev, c) for ev in found for r in ev.recipients for c in contacts.get(r, [])]
    if not wanted:
        return 0
    o = m.OutboxMessage
    present: set[tuple[str, str, str]] = set()
    keys = sorted({ev.key for ev, _ in wanted})
    for i in range(0, len(keys), 500):
        present.update(session.execute(select(o.event_key, o.recipient, o.channel)
                                       .where(o.event_key.in_(keys[i:i + 500]))).tuples())
    names = {i: (zh, en) for i, zh, en in session.execute(
        select(m.Subdistrict.id, m.Subdistrict.name_zh, m.Subdistrict.name_en)).tuples()}
    added = 0
    for ev, contact in wanted:
        if (ev.key, contact.recipient, contact.channel) in present:
            continue
        text = _message(ev, contact, session, names)
        if text is None:
            continue
        stmt = _upsert(session)(o).values(
            event_key=ev.key, kind=ev.kind, recipient=contact.recipient, channel=contact.channel,
            contact_id=contact.id, subject=text[0][:200], body=text[1], status="pending",
            attempts=0, created_at=now, next_try_at=now).on_conflict_do_nothing(
            index_elements=["event_key", "recipient", "channel"]).returning(o.id)
        added += session.execute(stmt).scalar() is not None
        present.add((ev.key, contact.recipient, contact.channel))
    session.flush()
    return added


@dataclass
class Delivery:
    """What one delivery round did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost_lease: bool = False
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Return the wait after the attempts-th failed try: 1, 2, 4, 8 … minutes."""
    return BACKOFF * (2 ** max(0, attempts - 1))


def _fail_stuck(session: Session, now: datetime) -> None:
    """Mark rows left 'sending' longer than the lease as failed (never sent again)."""
    o = m.OutboxMessage.__table__
    session.execute(update(o).where(o.c.status == "sending", o.c.next_try_at < now - LEASE_TTL)
                    .values(status="failed", last_error=STUCK_ERROR))


def _claim(engine: Engine, message_id: int, now: datetime) -> Outgoing | None:
    """Claim one pending row (atomic UPDATE from 'pending' to 'sending'); return what to send,
    or None when another sender had it or its contact is gone."""
    o = m.OutboxMessage.__table__
    with session_scope(engine) as s:
        claimed = s.execute(update(o).where(o.c.id == message_id, o.c.status == "pending")
                            .values(status="sending", attempts=o.c.attempts + 1, next_try_at=now))
        if claimed.rowcount != 1:
            return None
        row = s.get(m.OutboxMessage, message_id)
        contact = s.get(m.NotifyContact, row.contact_id) if row.contact_id else None
        if contact is None or not contact.active:
            row.status, row.last_error = "failed", GONE_ERROR
            return None
        try:
            address, secret = vault.unseal(contact.address), vault.unseal(contact.secret)
        except CivDataError as err:  # sealed with another installation's secret: never sent
            row.status, row.last_error = "failed", err.message("en")
            return None
        return Outgoing(channel=contact.channel, address=address or "", secret=secret,
                        subject=row.subject, body=row.body, event_key=row.event_key,
                        kind=row.kind, lang=contact.lang)


def _record(engine: Engine, message_id: int, now: datetime, error: SendError | None) -> str:
    """Store the outcome of one send; return 'sent', 'retried' or 'failed'."""
    with session_scope(engine) as s:
        row = s.get(m.OutboxMessage, message_id)
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", now, None
            return "sent"
        row.last_error = str(error)[:1000]
        if error.retry and row.attempts < MAX_ATTEMPTS:
            row.status, row.next_try_at = "pending", now + backoff(row.attempts)
            return "retried"
        row.status = "failed"
        return "failed"


def deliver(engine: Engine, holder: str, now: datetime | None = None, limit: int = 200,
            send: Callable[[Outgoing], None] | None = None,
            clock: Callable[[], datetime] | None = None) -> Delivery:
    """Send the due outbox rows, one claim and one send at a time, while holding the lease."""
    send = send or channels.send
    now = now or now_local()
    clock = clock or wall_clock
    out = Delivery()
    with session_scope(engine) as s:
        _fail_stuck(s, now)
        o = m.OutboxMessage
        due = list(s.scalars(select(o.id).where(o.status == "pending", o.next_try_at <= now)
                             .order_by(o.next_try_at, o.id).limit(limit)))
    for message_id in due:
        if not take_lease(engine, holder, clock()):
            out.lost_lease = True
            break
        outgoing = _claim(engine, message_id, now)
        if outgoing is None:
            continue
        try:
            send(outgoing)
            error = None
        except SendError as err:
            error = err
        except Exception as exc:  # a channel's bug must not stop the others
            error = SendError(f"{type(exc).__name__}: {exc}"[:300])
        result = _record(engine, message_id, now, error)
        if error is not None:
            out.errors.append(f"{message_id}: {error}")
        setattr(out, result, getattr(out, result) + 1)
    return out


@dataclass
class RunResult:
    """What one run of scan and delivery did (held: whether this sender had the lease)."""

    held: bool
    queued: int = 0
    delivery: Delivery | None = None


def run_once(engine: Engine, holder: str | None = None, now: datetime | None = None,
             send: Callable[[Outgoing], None] | None = None,
             daily_at: time = events.DAILY_AT, lookback: timedelta = events.LOOKBACK,
             clock: Callable[[], datetime] | None = None) -> RunResult:
    """Take the lease, scan, send what is due, give the lease back; without the lease do nothing."""
    holder = holder or new_holder()
    clock = clock or wall_clock
    if not take_lease(engine, holder, clock()):
        return RunResult(held=False)
    try:
        with session_scope(engine) as s:
            queued = scan(s, now, lookback, daily_at)
        return RunResult(True, queued, deliver(engine, holder, now, send=send, clock=clock))
    finally:
        release_lease(engine, holder)


def run_forever(engine: Engine, interval_s: float = 60.0, daily_at: time = events.DAILY_AT,
                lookback: timedelta = events.LOOKBACK) -> None:
    """Run scan and delivery every interval_s seconds until interrupted."""
    holder = new_holder()
    while True:
        try:
            result = run_once(engine, holder, daily_at=daily_at, lookback=lookback)
            if result.delivery is not None and (result.queued or result.delivery.sent
                                                or result.delivery.failed):
                log.info("queued %s, sent %s, retried %s, failed %s", result.queued,
                         result.delivery.sent, result.delivery.retried, result.delivery.failed)
        except Exception:  # the loop outlives one bad round
            log.exception("notify round failed")
        time_mod.sleep(interval_s)
