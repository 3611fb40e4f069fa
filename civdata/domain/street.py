"""Reports from the street (issue 20): the phone page's photo intake, location, the place a
point falls in, duplicate suggestions, confirmations and the signed-in person's tasks.

Coordinates here are WGS-84 throughout. A phone's browser geolocation (navigator.geolocation)
and a camera's EXIF GPS both give WGS-84, so no datum conversion is applied to them (unlike
GCJ-02 or BD-09 points picked on Chinese web maps, which geo.to_wgs84 converts on import).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.ExifTags import GPS, IFD, Base
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from civdata.core import models as m
from civdata.core.auth import Actor, audit, records_where, require
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError
from civdata.core.live import mark_changed
from civdata.core.query import problem_is_open
from civdata.domain import geo, workflow
from civdata.io import photos

MAX_SIDE_PX = 1600  # a stored photo's long side
DUPLICATE_RADIUS_M = 50.0  # FixMyStreet's suggest-duplicate radius
LOCATION_SOURCES = ("device", "exif", "tap")
TASK_STATUSES = ("assigned", "rectifying", "submitted")
TASK_LIMIT = 300
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_SAVE_AS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "JPEG"}


@dataclass(frozen=True)
class Intake:
    """A checked photo ready to store: re-encoded without EXIF, at most MAX_SIDE_PX on its long
    side; with the GPS point and time its EXIF held (before they were stripped)."""

    data: bytes
    kind: str
    width: int
    height: int
    gps: tuple[float, float] | None
    taken_at: datetime | None


@dataclass(frozen=True)
class Place:
    """Where a point lies: subdistrict, community, nearest evaluation site and its distance."""

    lat: float
    lon: float
    subdistrict_id: int
    subdistrict_zh: str
    subdistrict_en: str
    community_id: int | None
    community_zh: str | None
    community_en: str | None
    site_id: int | None
    site_code: str | None
    site_zh: str | None
    site_en: str | None
    site_m: float | None
    site_radius_m: float | None

    @property
    def within_site(self) -> bool:
        """Return True when the point lies inside its nearest site's check radius (300 m)."""
        return self.site_m is not None and self.site_m <= (self.site_radius_m or geo.CHECK_RADIUS_M)


@lru_cache(maxsize=1)
def heif_supported() -> bool:
    """Return True when pillow-heif is installed (registered once as Pillow's HEIC opener)."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def sniff_kind(data: bytes) -> str | None:
    """Return 'JPEG', 'PNG', 'WEBP' or 'HEIF' from the file's first bytes, else None."""
    kind = photos.sniff_format(data)
    if kind is None and len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return kind


def _degrees(value: object, ref: object, negative: str) -> float | None:
    """Return decimal degrees from EXIF (degrees, minutes, seconds) and its N/S/E/W reference."""
    try:
        d, mnt, sec = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    out = d + mnt / 60 + sec / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if str(ref or "").strip().upper() == negative:
        out = -out
    return out if math.isfinite(out) else None


def exif_gps(exif: Image.Exif) -> tuple[float, float] | None:
    """Return the (lat, lon) of a photo's EXIF GPS block (WGS-84), or None."""
    gps = exif.get_ifd(IFD.GPSInfo)
    if not gps:
        return None
    lat = _degrees(gps.get(GPS.GPSLatitude), gps.get(GPS.GPSLatitudeRef), "S")
    lon = _degrees(gps.get(GPS.GPSLongitude), gps.get(GPS.GPSLongitudeRef), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) \
            or (lat == 0 and lon == 0):
        return None
    return lat, lon


def exif_time(exif: Image.Exif) -> datetime | None:
    """Return when a photo was taken (EXIF DateTimeOriginal, else DateTime; camera clock), or
    None."""
    for value in (exif.get_ifd(IFD.Exif).get(Base.DateTimeOriginal),
                  exif.get(Base.DateTimeOriginal), exif.get(Base.DateTime)):
        if isinstance(value, str):
            try:
                return datetime.strptime(value.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
            except ValueError:
                continue
    return None


def intake_photo(data: bytes, max_bytes: int = photos.MAX_PHOTO_BYTES) -> Intake:
    """Return a phone photo checked by content (JPEG, PNG, WebP, HEIC), its EXIF GPS and time
    read, turned upright, downscaled to MAX_SIDE_PX and re-encoded without EXIF; else raise."""
    if not data:
        raise CivDataError("street_photo_required")
    if len(data) > max_bytes:
        raise CivDataError("photo_too_large", size_mb=f"{len(data) / 1048576:.1f}",
                           limit_mb=f"{max_bytes / 1048576:.0f}")
    kind = sniff_kind(data)
    if kind is None or (kind == "HEIF" and not heif_supported()):
        raise CivDataError("street_photo_type")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != kind:
                raise CivDataError("street_photo_type")
            if img.width * img.height > photos.MAX_PIXELS:
                raise CivDataError("photo_too_many_pixels", width=img.width, height=img.height,
                                   megapixels=f"{img.width * img.height / 1e6:.0f}",
                                   limit_mp=f"{photos.MAX_PIXELS / 1e6:.0f}")
            img.load()
            exif = img.getexif()
            gps, taken = exif_gps(exif), exif_time(exif)
            upright = ImageOps.exif_transpose(img)
    except CivDataError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, KeyError,
            Image.DecompressionBombError) as exc:
        raise CivDataError("photo_unreadable") from exc
    out_format = _SAVE_AS[kind]
    keep_alpha = out_format != "JPEG" and upright.mode in ("RGBA", "LA", "P")
    clean = upright.convert("RGBA" if keep_alpha else "RGB")
    clean.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
    clean.info = {}  # nothing of the original's metadata (EXIF, XMP, text chunks) is written
    buffer = io.BytesIO()
    options = {"quality": 85} if out_format in ("JPEG", "WEBP") else {}
    clean.save(buffer, format=out_format, **options)
    return Intake(buffer.getvalue(), out_format, clean.width, clean.height, gps, taken)


def resolve_location(device: tuple[float, float] | None, exif: tuple[float, float] | None,
                     tap: tuple[float, float] | None) -> tuple[float, float, str]:
    """Return (lat, lon, source) from the phone's position, else the photo's EXIF GPS, else a
    tap on the map; all WGS-84 (no datum conversion). Raise when none is given or the point
    lies outside the district."""
    for source, point in zip(LOCATION_SOURCES, (device, exif, tap), strict=True):
        if point is not None:
            lat, lon = float(point[0]), float(point[1])
            if not (math.isfinite(lat) and math.isfinite(lon)):
                raise CivDataError("invalid_value", field="lat/lon", detail=f"{lat}, {lon}")
            lat, lon = geo.checked_wgs84(lat, lon, "wgs84", _outline())
            return lat, lon, source
    raise CivDataError("street_no_location")


@lru_cache(maxsize=1)
def _outline():
    """Return the district outline (read once per process)."""
    return geo.district_outline()


@lru_cache(maxsize=64)
def _shape(geojson: str):
    """Return a subdistrict boundary's geometry (parsed once per distinct text)."""
    return geo.geometry_from_geojson(geojson)


def place_of(session: Session, lat: float, lon: float) -> Place:
    """Return the subdistrict holding a WGS-84 point (else the nearest one), the nearest
    community of that subdistrict and the nearest evaluation site with its distance."""
    from shapely.geometry import Point

    subs = session.execute(select(m.Subdistrict.id, m.Subdistrict.name_zh, m.Subdistrict.name_en,
                                  m.Subdistrict.boundary_geojson)
                           .order_by(m.Subdistrict.id)).all()
    if not subs:
        raise CivDataError("not_found", what="subdistrict")
    point = Point(float(lon), float(lat))
    sub = min(subs, key=lambda r: (not _shape(r[3]).covers(point), _shape(r[3]).distance(point),
                                   r[0]))
    comms = session.execute(select(m.Community.id, m.Community.name_zh, m.Community.name_en,
                                   m.Community.lat, m.Community.lon)
                            .where(m.Community.subdistrict_id == sub[0])
                            .order_by(m.Community.id)).all()
    comm = None
    if comms:
        idx, _ = geo.nearest_sites([c[4] for c in comms], [c[3] for c in comms], [lon], [lat])
        comm = comms[int(idx[0])]
    sites = session.execute(select(m.Site.id, m.Site.code, m.Site.name_zh, m.Site.name_en,
                                   m.Site.lat, m.Site.lon, m.SiteCategory.radius_m)
                            .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
                            .order_by(m.Site.id)).all()
    site, dist = None, None
    if sites:
        idx, d = geo.nearest_sites([s[5] for s in sites], [s[4] for s in sites], [lon], [lat])
        site, dist = sites[int(idx[0])], round(float(d[0]), 1)
    return Place(float(lat), float(lon), sub[0], sub[1], sub[2],
                 comm[0] if comm else None, comm[1] if comm else None, comm[2] if comm else None,
                 site[0] if site else None, site[1] if site else None,
                 site[2] if site else None, site[3] if site else None, dist,
                 float(site[6]) if site else None)


def _box(lat: float, lon: float, radius_m: float) -> tuple:
    """Return conditions keeping problems within a lat/lon box a little larger than the radius."""
    dlat = radius_m * 1.2 / 111_000
    dlon = radius_m * 1.2 / (111_000 * max(math.cos(math.radians(lat)), 0.1))
    return (m.Problem.lat.between(lat - dlat, lat + dlat),
            m.Problem.lon.between(lon - dlon, lon + dlon))


def confirmation_count(session: Session, problem_id: int) -> int:
    """Return how many street confirmations a problem has."""
    return int(session.scalar(select(func.count(m.ProblemConfirmation.id))
                              .where(m.ProblemConfirmation.problem_id == problem_id)) or 0)


def nearby_open_problems(session: Session, class_code: str, lat: float, lon: float,
                         radius_m: float = DUPLICATE_RADIUS_M,
                         now: datetime | None = None) -> pd.DataFrame:
    """Return the open problems of a class within radius_m of a point, nearest first: id, code,
    status, description, photo, found, age in days, distance, confirmations, version."""
    now = now or now_local()
    confirmations = (select(func.count(m.ProblemConfirmation.id))
                     .where(m.ProblemConfirmation.problem_id == m.Problem.id)
                     .scalar_subquery())
    rows = session.execute(
        select(m.Problem.id, m.Problem.code, m.Problem.status, m.Problem.description,
               m.Problem.photo_before, m.Problem.discovered_at, m.Problem.lat, m.Problem.lon,
               m.Problem.subdistrict_id, m.Problem.source, m.Problem.version,
               confirmations.label("confirmations"))
        .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
        .where(m.ProblemClass.code == class_code, problem_is_open(), *_box(lat, lon, radius_m))
    ).all()
    cols = ["id", "code", "status", "description", "photo_before", "discovered_at", "lat", "lon",
            "subdistrict_id", "source", "version", "confirmations"]
    frame = pd.DataFrame(rows, columns=cols)
    if frame.empty:
        return frame.assign(distance_m=pd.Series(dtype=float), age_days=pd.Series(dtype=float))
    xy = geo.project_xy(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    here = geo.project_xy([lon], [lat])[0]
    frame["distance_m"] = ((xy[:, 0] - here[0]) ** 2 + (xy[:, 1] - here[1]) ** 2) ** 0.5
    frame["age_days"] = [(now - v).total_seconds() / 86400 for v in frame["discovered_at"]]
    frame = frame[frame["distance_m"] <= radius_m]
    return frame.sort_values(["distance_m", "id"]).reset_index(drop=True)


def source_for(actor: Actor) -> str:
    """Return the problem source a street report of actor carries (the market bureau's reports
    are its inspections' problems: its scope rule reaches those only)."""
    return "market_inspection" if actor.role == "market" else "daily_inspection"


def report_from_street(session: Session, actor: Actor, *, photo: bytes, class_code: str,
                       description: str, device: tuple[float, float] | None = None,
                       tap: tuple[float, float] | None = None) -> m.Problem:
    """File a new problem from the phone: the photo (required) is checked, stripped and stored,
    the point comes from the phone, else the photo's EXIF GPS, else a tap; return the problem.
    Asks problem.report for the role first, then (in workflow.report_problem) on the record."""
    require(actor, "problem.report")
    intake = intake_photo(photo)
    lat, lon, _ = resolve_location(device, intake.gps, tap)
    place = place_of(session, lat, lon)
    site_id = place.site_id if place.within_site else None
    if site_id is not None and session.scalar(
            select(m.Site.subdistrict_id).where(m.Site.id == site_id)) != place.subdistrict_id:
        site_id = None  # the nearest site lies across a subdistrict border: not this record's
    return workflow.report_problem(session, actor, subdistrict_id=place.subdistrict_id,
                                   class_code=class_code, lat=lat, lon=lon,
                                   description=description, source=source_for(actor),
                                   site_id=site_id, photo_before=intake.data)


def confirm_problem(session: Session, actor: Actor, problem_id: int, *, photo: bytes | str,
                    device: tuple[float, float] | None = None,
                    tap: tuple[float, float] | None = None,
                    accuracy_m: float | None = None,
                    reported: tuple[float, float, str] | None = None,
                    note: dict | None = None) -> m.ProblemConfirmation:
    """Add a report to an open problem as a confirmation (never a new problem): the photo, who,
    when and where; audited. Return the confirmation.

    From the street: photo is the camera's bytes (checked, stripped, stored) and the point the
    phone's, else the photo's EXIF GPS, else a tap. From moderation (a citizen's report merged
    by the office): photo is the report's stored photo and reported its (lat, lon, channel);
    note is added to the audit row."""
    problem = session.get(m.Problem, problem_id, populate_existing=True)
    if problem is None:
        raise CivDataError("not_found", what=f"problem {problem_id}")
    require(actor, "problem.confirm", problem)
    if problem.status == "closed":
        raise CivDataError("street_problem_closed", code=problem.code)
    if isinstance(photo, str):  # a stored photo (photo_for_write checks the store issued it)
        data, gps = photo, None
    else:
        intake = intake_photo(photo)
        data, gps = intake.data, intake.gps
    lat, lon, source = reported if reported is not None else resolve_location(device, gps, tap)
    accuracy = float(accuracy_m) if source == "device" and accuracy_m is not None else None
    with photos.photo_for_write(session, data) as name:
        if name is None:
            raise CivDataError("street_photo_required")
        row = m.ProblemConfirmation(problem_id=problem.id, photo=name,
                                    confirmed_by=actor.username, confirmed_at=now_local(),
                                    lat=lat, lon=lon, location_source=source, accuracy_m=accuracy)
        session.add(row)
        session.flush()
        audit(session, actor, "problem.confirm", "problem_confirmation", row.id, None,
              {"problem_id": problem.id, "code": problem.code, "photo": name, "lat": lat,
               "lon": lon, "location_source": source, "accuracy_m": accuracy, **(note or {})})
        mark_changed(session, "problems")
        session.flush()
    return row


def problem_confirmations(session: Session, problem_id: int) -> pd.DataFrame:
    """Return a problem's confirmations, newest first: who, when, photo, where, how located."""
    rows = session.execute(select(m.ProblemConfirmation.confirmed_by,
                                  m.ProblemConfirmation.confirmed_at, m.ProblemConfirmation.photo,
                                  m.ProblemConfirmation.lat, m.ProblemConfirmation.lon,
                                  m.ProblemConfirmation.location_source)
                           .where(m.ProblemConfirmation.problem_id == problem_id)
                           .order_by(m.ProblemConfirmation.confirmed_at.desc(),
                                     m.ProblemConfirmation.id.desc())).all()
    return pd.DataFrame(rows, columns=["confirmed_by", "confirmed_at", "photo", "lat", "lon",
                                       "location_source"])


def my_tasks(session: Session, actor: Actor, now: datetime, lat: float | None = None,
             lon: float | None = None, limit: int = TASK_LIMIT) -> pd.DataFrame:
    """Return the signed-in person's work queue: the assigned, rectifying and awaiting-review
    problems they may rectify, nearest first from (lat, lon) when given (else by deadline), with
    hours to the deadline (negative: overdue) and the last review's outcome and reason."""
    cols = ["id", "code", "status", "description", "deadline", "lat", "lon", "version",
            "photo_before", "class_zh", "class_en"]
    rows = session.execute(
        select(m.Problem.id, m.Problem.code, m.Problem.status, m.Problem.description,
               m.Problem.deadline, m.Problem.lat, m.Problem.lon, m.Problem.version,
               m.Problem.photo_before, m.ProblemClass.name_zh, m.ProblemClass.name_en)
        .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
        .where(problem_is_open(), m.Problem.status.in_(TASK_STATUSES),
               records_where(actor, "problem.rectify", m.Problem))
        .order_by(m.Problem.deadline.is_(None), m.Problem.deadline, m.Problem.id)
        .limit(limit)).all()
    frame = pd.DataFrame(rows, columns=cols)
    frame["hours_left"] = [None if d is None or pd.isna(d) else (d - now).total_seconds() / 3600
                           for d in frame["deadline"]]
    if lat is not None and lon is not None and not frame.empty:
        xy = geo.project_xy(frame["lon"].to_numpy(), frame["lat"].to_numpy())
        here = geo.project_xy([lon], [lat])[0]
        frame["distance_m"] = ((xy[:, 0] - here[0]) ** 2 + (xy[:, 1] - here[1]) ** 2) ** 0.5
        frame = frame.sort_values(["distance_m", "id"])
    else:
        frame["distance_m"] = float("nan")
    reviews = last_reviews(session, frame["id"].tolist())
    frame = frame.merge(reviews, how="left", left_on="id", right_on="problem_id")
    return frame.drop(columns=["problem_id"]).reset_index(drop=True)


def last_reviews(session: Session, problem_ids: list[int]) -> pd.DataFrame:
    """Return each problem's latest review (problem_id, outcome 'passed' or 'returned', reason,
    reviewer, at); problems never reviewed are absent."""
    cols = ["problem_id", "outcome", "reason", "reviewer", "reviewed_at"]
    if not problem_ids:
        return pd.DataFrame(columns=cols)
    rows = session.execute(
        select(m.ProblemEvent.problem_id, m.ProblemEvent.to_status, m.ProblemEvent.note,
               m.ProblemEvent.actor, m.ProblemEvent.at)
        .where(m.ProblemEvent.problem_id.in_([int(i) for i in problem_ids]),
               m.ProblemEvent.from_status == "submitted")
        .order_by(m.ProblemEvent.problem_id, m.ProblemEvent.at, m.ProblemEvent.id)).all()
    frame = pd.DataFrame(rows, columns=["problem_id", "to_status", "reason", "reviewer",
                                        "reviewed_at"])
    frame = frame.groupby("problem_id").tail(1)  # the latest review, its own reason
    frame["outcome"] = frame["to_status"].map({"closed": "passed", "rectifying": "returned"})
    return frame[cols]


def my_review_outcomes(session: Session, actor: Actor, since: datetime,
                       limit: int = 20) -> pd.DataFrame:
    """Return the reviews since a moment of the problems this person submitted, newest first:
    code, outcome ('passed' or 'returned'), reason, reviewer, when."""
    submitted = aliased(m.ProblemEvent)
    # correlated, so that the recent reviews (the at index) drive it: an IN over this person's
    # submissions read every event ever written (1.0 s at 1M problems)
    mine = (select(submitted.id)
            .where(submitted.problem_id == m.ProblemEvent.problem_id,
                   submitted.actor == actor.username, submitted.to_status == "submitted")
            .exists())
    rows = session.execute(
        select(m.Problem.code, m.ProblemEvent.to_status, m.ProblemEvent.note,
               m.ProblemEvent.actor, m.ProblemEvent.at)
        .join(m.Problem, m.Problem.id == m.ProblemEvent.problem_id)
        .where(m.ProblemEvent.from_status == "submitted", m.ProblemEvent.at >= since,
               mine)
        .order_by(m.ProblemEvent.at.desc(), m.ProblemEvent.id.desc()).limit(limit)).all()
    frame = pd.DataFrame(rows, columns=["code", "to_status", "reason", "reviewer", "reviewed_at"])
    frame["outcome"] = frame["to_status"].map({"closed": "passed", "rectifying": "returned"})
    return frame[["code", "outcome", "reason", "reviewer", "reviewed_at"]]


def start_task(session: Session, actor: Actor, problem_id: int,
               expected_version: int) -> m.Problem:
    """Start rectifying an assigned problem; return it."""
    return workflow.transition(session, actor, problem_id, "start",
                               expected_version=expected_version)


def rectify_task(session: Session, actor: Actor, problem_id: int, expected_version: int, *,
                 note: str, photo: bytes) -> m.Problem:
    """Submit a rectification with its after-photo from the camera (checked, downscaled and
    stripped like a report's photo); return the problem, now awaiting review."""
    if not photo:
        raise CivDataError("submit_needs_evidence")
    intake = intake_photo(photo)
    return workflow.transition(session, actor, problem_id, "submit",
                               expected_version=expected_version, note=note,
                               photo_after=intake.data)
