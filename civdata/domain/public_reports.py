"""Reports from outside the office: citizens on /public and the 12345 city hotline.

A citizen's report (photo, point, class, description, optional phone) gets a code the citizen
looks up later; the status shown by code carries nothing personal (no phone, no description,
no staff names). Abuse limits: at most RATE_LIMIT reports per hour per browser session and per
client address; both are stored only as keyed hashes. A hotline work order is imported into the
same queue (channel 'hotline', its work-order number unique, so a second import finds it).

The office moderates the queue: accept (the report becomes a problem through
workflow.report_problem, source 'public_report' or 'hotline'), reject with a reason the citizen
sees, or merge into an existing problem. Every write checks the permission, is audited and
marks the 'problems' domain changed. The caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

import pandas as pd
from sqlalchemy import false, func, select, text, update
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, audit, require, secret_key
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError, StaleEdit
from civdata.core.live import mark_changed
from civdata.domain import geo

PUBLIC = Actor(username="public", role="public", display_name="public")  # no account behind it
RATE_LIMIT = 5  # reports per hour per browser session and per client address
RATE_WINDOW = timedelta(hours=1)
MAX_DESCRIPTION = 1000
MAX_REASON = 500
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone
SOURCES = {"public": "public_report", "hotline": "hotline"}
_PHONE = re.compile(r"\+?[0-9][0-9 \-]{4,19}")


def keyed_hash(value: str | None) -> str | None:
    """Return a keyed hash of a client address or session id (None for None): the limits
    count by it without the database holding the address."""
    if not value:
        return None
    return hmac.new(secret_key().encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def new_code() -> str:
    """Return a fresh report code such as 'K7M2-Q9XA' (about 10^12 possibilities)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normal_code(text: str | None) -> str:
    """Return a typed code in its stored form (upper case, one hyphen, no spaces)."""
    raw = re.sub(r"[^0-9A-Za-z]", "", text or "").upper()
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


@lru_cache(maxsize=1)
def _outline():
    """Return the district outline (read once per process)."""
    return geo.district_outline()


def subdistrict_at(session: Session, lat: float, lon: float) -> int:
    """Return the id of the subdistrict whose boundary holds the point; raise outside_district
    for a point outside the district (a point in a gap between boundaries: the nearest centre)."""
    if not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180) \
            or geo.points_outside(_outline(), [float(lon)], [float(lat)])[0]:
        raise CivDataError("outside_district", lat=round(float(lat), 6), lon=round(float(lon), 6))
    rows = session.execute(select(m.Subdistrict.id, m.Subdistrict.boundary_geojson,
                                  m.Subdistrict.center_lat, m.Subdistrict.center_lon)
                           .order_by(m.Subdistrict.id)).all()
    for sid, boundary, _, _ in rows:
        if geo.points_inside(geo.geometry_from_geojson(boundary), [float(lon)], [float(lat)])[0]:
            return int(sid)
    if not rows:
        raise CivDataError("outside_district", lat=round(float(lat), 6), lon=round(float(lon), 6))
    return int(min(rows, key=lambda r: geo.distance_m(lon, lat, r[3], r[2]))[0])


def reports_in_window(session: Session, *, client_key: str | None = None,
                      session_key: str | None = None, now: datetime | None = None) -> int:
    """Return how many public reports the client (or the session) filed in the last hour."""
    since = (now or now_local()) - RATE_WINDOW
    cond = (m.PublicReport.client_key == client_key) if client_key is not None \
        else (m.PublicReport.session_key == session_key)
    return int(session.scalar(select(func.count(m.PublicReport.id)).where(
        cond, m.PublicReport.channel == "public", m.PublicReport.submitted_at > since)) or 0)


def _lock_rate_keys(session: Session, keys: list[str]) -> None:
    """Take, for the rest of the transaction, the lock that makes counting the limit and filing
    the report one step: concurrent submits from one address or session queue here.

    PostgreSQL: a transaction-level advisory lock per key (taken in sorted order, so two submits
    sharing a key never deadlock). SQLite: the database's write lock (a write statement that
    changes nothing opens the transaction with BEGIN IMMEDIATE, see core/db.py), so the count
    below already sees every report committed before it."""
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(set(keys)):
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                            {"k": int(key[:15], 16)})  # 60 bits of the keyed hash: a bigint
    else:
        session.execute(update(m.PublicReport).where(false()).values(version=1)
                        .execution_options(synchronize_session=False))


def _check_rate(session: Session, client_key: str | None, session_key: str | None,
                now: datetime) -> None:
    """Raise public_rate_limited when the session or the address has reached the limit; the
    check holds its lock until the transaction ends, so it and the new report are atomic."""
    _lock_rate_keys(session, [k for k in (client_key, session_key) if k is not None])
    for kind, key in (("client", client_key), ("session", session_key)):
        if key is None:
            continue
        found = reports_in_window(session, now=now, **{f"{kind}_key": key})
        if found >= RATE_LIMIT:
            raise CivDataError("public_rate_limited", n=RATE_LIMIT, minutes=60)


def _description(text: str | None, limit: int = MAX_DESCRIPTION, field: str = "description"
                 ) -> str:
    """Return text exactly as typed; raise when blank or too long."""
    if text is None or not text.strip():
        zh, en = {"description": ("问题描述", "description"),
                  "reason": ("退回理由", "reason")}[field]
        raise CivDataError("required_field", field=en, field_zh=zh)
    if len(text) > limit:
        raise CivDataError("invalid_value", field=field, detail=f"> {limit}")
    return text


def _phone(text: str | None) -> str | None:
    """Return a phone number as typed (None when blank); raise when it is not one."""
    if text is None or not text.strip():
        return None
    if _PHONE.fullmatch(text.strip()) is None:
        raise CivDataError("public_bad_phone")
    return text.strip()


def _class_id(session: Session, class_code: str | None) -> int | None:
    """Return the id of a problem class code (None for None); raise when unknown."""
    if class_code is None:
        return None
    found = session.scalar(select(m.ProblemClass.id).where(m.ProblemClass.code == class_code))
    if found is None:
        raise CivDataError("invalid_value", field="class", detail=class_code)
    return int(found)


def _free_code(session: Session) -> str:
    """Return a report code not taken yet."""
    while True:
        code = new_code()
        if session.scalar(select(m.PublicReport.id).where(m.PublicReport.code == code)) is None:
            return code


def submit_public_report(session: Session, *, class_code: str, lat: float, lon: float,
                         description: str, photo: bytes | str | None, phone: str | None = None,
                         client_address: str | None = None, browser_session: str | None = None,
                         actor: Actor = PUBLIC) -> m.PublicReport:
    """Record a citizen's report (pending moderation) and return it with its code.

    The point is WGS-84 (a phone's GPS or a tap on the map); photo (required) is the photo's
    bytes, checked and stored here (a refusal leaves no file), or a stored photo's name.
    Refused past RATE_LIMIT reports per hour per browser session and per client address.
    """
    from civdata.io.photos import photo_for_write

    require(actor, "report.submit")
    now = now_local()
    client_key, session_key = keyed_hash(client_address), keyed_hash(browser_session)
    _check_rate(session, client_key, session_key, now)
    text = _description(description)
    cls = _class_id(session, class_code)
    sub = subdistrict_at(session, lat, lon)
    phone = _phone(phone)
    if not photo:
        raise CivDataError("public_photo_required")
    if isinstance(photo, bytes):  # as on /report: checked, upright, downscaled, EXIF stripped
        from civdata.domain.street import intake_photo

        photo = intake_photo(photo).data
    with photo_for_write(session, photo) as name:
        report = m.PublicReport(code=_free_code(session), channel="public", class_id=cls,
                                subdistrict_id=sub, lat=float(lat), lon=float(lon),
                                description=text, phone=phone, photo=name, submitted_at=now,
                                client_key=client_key, session_key=session_key,
                                status="pending", version=1)
        session.add(report)
        session.flush()
        audit(session, actor, "report.submit", "public_report", report.id, None,
              {"code": report.code, "channel": "public", "class": class_code,
               "subdistrict_id": sub})
        mark_changed(session, "problems")
    return report


def report_status(session: Session, code: str) -> dict | None:
    """Return what a citizen may see of a report by its code (None when there is none): the
    status, class, day filed, a rejection's reason and the problem's progress. Nothing
    personal: no phone, no description, no photo, no staff names."""
    row = session.execute(
        select(m.PublicReport.code, m.PublicReport.status, m.PublicReport.submitted_at,
               m.PublicReport.reason, m.ProblemClass.name_zh, m.ProblemClass.name_en,
               m.Problem.code, m.Problem.status)
        .outerjoin(m.ProblemClass, m.ProblemClass.id == m.PublicReport.class_id)
        .outerjoin(m.Problem, m.Problem.id == m.PublicReport.problem_id)
        .where(m.PublicReport.code == normal_code(code), m.PublicReport.channel == "public")
    ).first()
    if row is None:
        return None
    keys = ("code", "status", "submitted_on", "reason", "class_zh", "class_en", "problem_code",
            "problem_status")
    info = dict(zip(keys, row, strict=True))
    info["submitted_on"] = info["submitted_on"].date()
    return info


def pending_reports(session: Session) -> pd.DataFrame:
    """Return the moderation queue, oldest first: every pending report with its class and
    subdistrict names (phone included: the office may call back)."""
    rows = session.execute(
        select(m.PublicReport.id, m.PublicReport.code, m.PublicReport.channel,
               m.PublicReport.order_no, m.PublicReport.submitted_at, m.ProblemClass.code,
               m.ProblemClass.name_zh, m.ProblemClass.name_en, m.Subdistrict.name_zh,
               m.Subdistrict.name_en, m.PublicReport.lat, m.PublicReport.lon,
               m.PublicReport.address, m.PublicReport.description, m.PublicReport.phone,
               m.PublicReport.photo, m.PublicReport.version)
        .outerjoin(m.ProblemClass, m.ProblemClass.id == m.PublicReport.class_id)
        .outerjoin(m.Subdistrict, m.Subdistrict.id == m.PublicReport.subdistrict_id)
        .where(m.PublicReport.status == "pending")
        .order_by(m.PublicReport.submitted_at, m.PublicReport.id)).all()
    return pd.DataFrame(rows, columns=[
        "id", "code", "channel", "order_no", "submitted_at", "class_code", "class_zh",
        "class_en", "subdistrict_zh", "subdistrict_en", "lat", "lon", "address", "description",
        "phone", "photo", "version"])


def _pending(session: Session, report_id: int, expected_version: int) -> m.PublicReport:
    """Return a pending report at the expected version; raise otherwise."""
    report = session.get(m.PublicReport, report_id, populate_existing=True)
    if report is None:
        raise CivDataError("not_found", what=f"report {report_id}")
    if report.version != expected_version:
        at = (report.decided_at or report.submitted_at).strftime("%Y-%m-%d %H:%M")
        raise StaleEdit("stale_edit", who=report.decided_by or "?", at=at)
    if report.status != "pending":
        raise CivDataError("report_decided", code=report.code)
    return report


def _decide(session: Session, actor: Actor, report: m.PublicReport, expected_version: int,
            **values: object) -> None:
    """Store a decision on a pending report (only if no one decided it meanwhile) and audit it."""
    now = now_local()
    values.update(decided_at=now, decided_by=actor.username, version=expected_version + 1)
    done = session.execute(update(m.PublicReport)
                           .where(m.PublicReport.id == report.id,
                                  m.PublicReport.version == expected_version)
                           .values(**values))
    if done.rowcount != 1:
        raise StaleEdit("stale_edit", who="?", at=now.strftime("%Y-%m-%d %H:%M"))
    audit(session, actor, f"report.{values['status']}", "public_report", report.id,
          {"status": "pending"}, {k: v for k, v in values.items() if k != "decided_by"})
    mark_changed(session, "problems")
    session.flush()


def accept_report(session: Session, actor: Actor, report_id: int, *, expected_version: int,
                  class_code: str | None = None, lat: float | None = None,
                  lon: float | None = None, description: str | None = None) -> m.Problem:
    """Accept a pending report: it becomes a problem (source public_report or hotline) through
    workflow.report_problem; return the problem. A hotline order without a class or a point
    needs them given here."""
    from civdata.domain.workflow import report_problem

    require(actor, "report.moderate")
    report = _pending(session, report_id, expected_version)
    code = class_code or session.scalar(select(m.ProblemClass.code).where(
        m.ProblemClass.id == report.class_id))
    if code is None:
        raise CivDataError("required_field", field="class", field_zh="问题类别")
    lat = report.lat if lat is None else float(lat)
    lon = report.lon if lon is None else float(lon)
    if lat is None or lon is None:
        raise CivDataError("report_needs_point", code=report.code)
    sub = subdistrict_at(session, lat, lon)
    text = description or report.description
    if report.channel == "hotline" and report.order_no and report.order_no not in text:
        text = f"[12345 {report.order_no}] {text}"
    problem = report_problem(session, actor, subdistrict_id=sub, class_code=code, lat=lat,
                             lon=lon, description=text, source=SOURCES[report.channel],
                             photo_before=report.photo)
    _decide(session, actor, report, expected_version, status="accepted", problem_id=problem.id)
    return problem


def reject_report(session: Session, actor: Actor, report_id: int, *, expected_version: int,
                  reason: str) -> m.PublicReport:
    """Reject a pending report with a reason the citizen sees; return the report."""
    require(actor, "report.moderate")
    report = _pending(session, report_id, expected_version)
    _decide(session, actor, report, expected_version, status="rejected",
            reason=_description(reason, MAX_REASON, "reason"))
    return session.get(m.PublicReport, report.id, populate_existing=True)


def merge_report(session: Session, actor: Actor, report_id: int, *, expected_version: int,
                 problem_code: str) -> m.Problem:
    """Merge a pending report into an existing open problem (found by its code); return it.

    The report's photo joins the problem as a confirmation through street.confirm_problem,
    exactly as "same problem" on /report does (counted on the problem's card, audited); a
    hotline order, which has no photo, is linked only."""
    from civdata.domain.street import confirm_problem

    require(actor, "report.moderate")
    report = _pending(session, report_id, expected_version)
    problem = session.scalar(select(m.Problem).where(m.Problem.code == problem_code.strip()))
    if problem is None:
        raise CivDataError("not_found", what=f"problem {problem_code.strip()}")
    if problem.status == "closed":
        raise CivDataError("street_problem_closed", code=problem.code)
    _decide(session, actor, report, expected_version, status="merged", problem_id=problem.id)
    if report.photo:
        lat, lon = (report.lat, report.lon) if report.lat is not None and report.lon is not None \
            else (problem.lat, problem.lon)
        confirm_problem(session, actor, problem.id, photo=report.photo,
                        reported=(float(lat), float(lon), report.channel),
                        note={"report": report.code})
    return problem


def open_problems_near(session: Session, lat: float, lon: float, radius_m: float = 100.0
                       ) -> pd.DataFrame:
    """Return the open problems within radius_m of a point, nearest first (merge candidates)."""
    box = radius_m / 111_000 * 1.6  # a bounding box in degrees that holds the circle here
    rows = session.execute(
        select(m.Problem.id, m.Problem.code, m.Problem.description, m.Problem.status,
               m.Problem.lat, m.Problem.lon, m.ProblemClass.name_zh, m.ProblemClass.name_en)
        .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
        .where(m.Problem.status.in_(m.OPEN_STATUSES),
               m.Problem.lat.between(lat - box, lat + box),
               m.Problem.lon.between(lon - box, lon + box))).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "description", "status", "lat", "lon",
                                        "class_zh", "class_en"])
    if frame.empty:
        return frame.assign(distance_m=pd.Series(dtype=float))
    frame["distance_m"] = [geo.distance_m(lon, lat, x, y)
                           for x, y in zip(frame["lon"], frame["lat"], strict=True)]
    return frame[frame["distance_m"] <= radius_m].sort_values("distance_m").reset_index(
        drop=True)


# --- the 12345 hotline import (kind 'hotline' of civdata.io.importers) -------------------

HOTLINE_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S",
                        "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日 %H:%M",
                        "%Y年%m月%d日%H:%M", "%Y年%m月%d日", "%Y-%m-%dT%H:%M:%S",
                        "%Y-%m-%dT%H:%M")


def parse_order_time(text: str) -> datetime:
    """Return a work order's time from the usual ways of writing it; raise when none fits."""
    cleaned = " ".join(str(text).split())
    for fmt in HOTLINE_TIME_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
    raise CivDataError("hotline_bad_time", value=text)


def hotline_order(session: Session, order_no: str) -> m.PublicReport | None:
    """Return the report imported from a work-order number, if any."""
    return session.scalar(select(m.PublicReport).where(m.PublicReport.order_no == order_no))


def import_hotline_order(session: Session, actor: Actor, *, order_no: str, request: str,
                         received_at: datetime, address: str | None = None,
                         lat: float | None = None, lon: float | None = None,
                         class_code: str | None = None) -> m.PublicReport:
    """Queue one hotline work order for moderation (point already WGS-84); return it."""
    require(actor, "report.moderate")
    if hotline_order(session, order_no) is not None:
        raise CivDataError("hotline_exists", order_no=order_no)
    sub = subdistrict_at(session, lat, lon) if lat is not None and lon is not None else None
    report = m.PublicReport(code=_free_code(session), channel="hotline", order_no=order_no,
                            class_id=_class_id(session, class_code), subdistrict_id=sub,
                            lat=lat, lon=lon, address=address or None,
                            description=_description(request), submitted_at=received_at,
                            status="pending", version=1)
    session.add(report)
    session.flush()
    audit(session, actor, "report.import", "public_report", report.id, None,
          {"code": report.code, "channel": "hotline", "order_no": order_no})
    return report
