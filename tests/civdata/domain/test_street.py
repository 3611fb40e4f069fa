"""Reports from the street (issue 20): photo intake (EXIF read and stripped, downscaled, checked
by content), location order, the place a point falls in, duplicates within 50 m, confirmations
that never file a problem, and the signed-in person's tasks. SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from PIL.ExifTags import GPS, IFD, Base
from pyproj import Geod
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.domain import street, workflow
from civdata.io import photos
from tests import factories as f

LAT, LON = 41.785, 123.40  # inside the district and the factories' square subdistrict
OFFICE = Actor("office", "office")
_GEOD = Geod(ellps="WGS84")


def _dms(value: float) -> tuple[float, float, float]:
    """Return degrees, minutes, seconds of a positive angle."""
    d = int(value)
    mnt = int((value - d) * 60)
    return float(d), float(mnt), round((value - d - mnt / 60) * 3600, 4)


def jpeg(width: int = 400, height: int = 300, gps: tuple[float, float] | None = None,
         taken: str | None = "2026:11:20 09:30:00", fmt: str = "JPEG",
         orientation: int | None = None) -> bytes:
    """Return a photo (JPEG by default) with EXIF: camera make, time and optionally GPS."""
    exif = Image.Exif()
    exif[Base.Make] = "TestPhone"
    if orientation:
        exif[Base.Orientation] = orientation
    if taken:
        exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = taken
    if gps:
        exif[IFD.GPSInfo] = {GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: _dms(gps[0]),
                             GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: _dms(gps[1])}
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, format=fmt, exif=exif)
    return out.getvalue()


def north(lat: float, lon: float, metres: float) -> tuple[float, float]:
    """Return the point metres north of (lat, lon) along the WGS-84 geodesic."""
    lon2, lat2, _ = _GEOD.fwd(lon, lat, 0.0, metres)
    return lat2, lon2


@pytest.fixture(autouse=True)
def _photo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "photos"
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(folder))
    return folder


@pytest.fixture
def world(session):
    """One subdistrict with a community and a site at the point, and two problem classes."""
    sub = f.make_subdistrict(session, code="nanhu", name_zh="南湖", name_en="Nanhu")
    comm = f.make_community(session, sub, name_zh="南湖社区", lat=LAT, lon=LON)
    f.make_community(session, sub, name_zh="远处社区", lat=LAT + 0.02, lon=LON + 0.02)
    site = f.make_site(session, sub, name_zh="南湖菜市场", lat=LAT, lon=LON + 0.003)
    trash = f.make_problem_class(session, code="sanitation", time_limit_days=3)
    other = f.make_problem_class(session, code="order", time_limit_days=3)
    session.commit()
    return {"sub": sub, "comm": comm, "site": site, "cls": trash, "other": other}


def _count(session, model) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- photo intake ----------------------------------------------------------------------------

def test_intake_reads_gps_and_time_then_strips_every_exif_tag() -> None:
    raw = jpeg(gps=(LAT, LON))
    assert b"TestPhone" in raw
    got = street.intake_photo(raw)
    assert got.gps == pytest.approx((LAT, LON), abs=1e-6)
    assert got.taken_at == datetime(2026, 11, 20, 9, 30)
    assert b"Exif" not in got.data and b"TestPhone" not in got.data
    with Image.open(io.BytesIO(got.data)) as img:
        assert dict(img.getexif()) == {}
        assert not img.getexif().get_ifd(IFD.GPSInfo)


def test_intake_downscales_the_long_side_to_1600_and_keeps_the_shape() -> None:
    got = street.intake_photo(jpeg(4000, 3000))
    assert (got.width, got.height) == (1600, 1200)
    with Image.open(io.BytesIO(got.data)) as img:
        assert img.size == (1600, 1200)
    small = street.intake_photo(jpeg(800, 600))
    assert (small.width, small.height) == (800, 600)  # never enlarged


def test_intake_turns_a_rotated_camera_photo_upright() -> None:
    got = street.intake_photo(jpeg(400, 300, orientation=6))  # "rotate 90° clockwise"
    assert (got.width, got.height) == (300, 400)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_intake_accepts_png_and_webp_and_strips_them_too(fmt: str) -> None:
    got = street.intake_photo(jpeg(2400, 1200, gps=(LAT, LON), fmt=fmt))
    assert got.kind == fmt and (got.width, got.height) == (1600, 800)
    with Image.open(io.BytesIO(got.data)) as img:
        assert img.format == fmt and dict(img.getexif()) == {}


def test_intake_accepts_heic_when_pillow_heif_is_installed() -> None:
    pytest.importorskip("pillow_heif")
    assert street.heif_supported()
    out = io.BytesIO()
    Image.new("RGB", (3200, 1600), "red").save(out, format="HEIF")
    got = street.intake_photo(out.getvalue())
    assert got.kind == "JPEG" and (got.width, got.height) == (1600, 800)


@pytest.mark.parametrize("data, code", [
    (b"", "street_photo_required"),
    (b"GIF89a" + b"\0" * 64, "street_photo_type"),
    (b"%PDF-1.7 not a photo", "street_photo_type"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 200, "photo_unreadable"),  # a JPEG header, no image
])
def test_intake_checks_the_content_not_the_name(data: bytes, code: str) -> None:
    with pytest.raises(CivDataError) as err:
        street.intake_photo(data)
    assert err.value.code == code


def test_intake_refuses_a_png_that_calls_itself_a_jpeg_by_its_first_bytes() -> None:
    png = jpeg(fmt="PNG")
    with pytest.raises(CivDataError):
        street.intake_photo(b"\xff\xd8\xff" + png[3:])


# --- location --------------------------------------------------------------------------------

def test_location_prefers_the_phone_then_exif_then_a_tap() -> None:
    phone, exif, tap = (LAT, LON), (LAT + 0.001, LON), (LAT + 0.002, LON)
    assert street.resolve_location(phone, exif, tap)[2] == "device"
    assert street.resolve_location(None, exif, tap)[2] == "exif"
    assert street.resolve_location(None, None, tap) == (tap[0], tap[1], "tap")
    with pytest.raises(CivDataError) as err:
        street.resolve_location(None, None, None)
    assert err.value.code == "street_no_location"


def test_location_is_taken_as_wgs84_without_datum_shift() -> None:
    lat, lon, _ = street.resolve_location((LAT, LON), None, None)
    assert (lat, lon) == (LAT, LON)


def test_location_outside_the_district_is_refused() -> None:
    with pytest.raises(CivDataError) as err:
        street.resolve_location((39.9, 116.4), None, None)  # Beijing
    assert err.value.code == "outside_district"


def test_place_fills_subdistrict_community_and_nearest_site(session, world) -> None:
    place = street.place_of(session, LAT, LON)
    assert place.subdistrict_id == world["sub"].id
    assert place.community_id == world["comm"].id
    assert place.site_id == world["site"].id
    assert place.site_m == pytest.approx(249.0, abs=2)  # 0.003° of longitude at 41.785° N
    assert place.within_site
    far = street.place_of(session, LAT + 0.004, LON + 0.003)  # ~445 m north of the site
    assert not far.within_site


# --- duplicates ------------------------------------------------------------------------------

def test_duplicates_within_50_m_of_the_same_class_and_open_only(session, world) -> None:
    sub, cls, other = world["sub"], world["cls"], world["other"]
    near = f.make_problem(session, sub, cls, code="P-NEAR", lat=north(LAT, LON, 49)[0], lon=LON)
    f.make_problem(session, sub, cls, code="P-FAR", lat=north(LAT, LON, 51)[0], lon=LON)
    f.make_problem(session, sub, other, code="P-OTHER", lat=LAT, lon=LON)
    f.make_problem(session, sub, cls, code="P-CLOSED", lat=LAT, lon=LON, status="closed",
                   closed_at=datetime(2026, 11, 21))
    session.commit()
    found = street.nearby_open_problems(session, "sanitation", LAT, LON,
                                        now=datetime(2026, 11, 25, 9, 0))
    assert found["code"].tolist() == ["P-NEAR"]
    assert found["distance_m"].iloc[0] == pytest.approx(49.0, abs=0.05)
    assert found["age_days"].iloc[0] == pytest.approx(5.0)
    assert int(found["id"].iloc[0]) == near.id


# --- confirmations ---------------------------------------------------------------------------

def test_same_problem_adds_a_confirmation_and_no_problem(session, world, _photo_dir) -> None:
    target = f.make_problem(session, world["sub"], world["cls"], code="P-1", lat=LAT, lon=LON)
    session.commit()
    problems, audits = _count(session, m.Problem), _count(session, m.AuditLog)
    row = street.confirm_problem(session, OFFICE, target.id, photo=jpeg(3000, 2000),
                                 device=north(LAT, LON, 20), accuracy_m=8.0)
    session.commit()
    assert _count(session, m.Problem) == problems
    assert street.confirmation_count(session, target.id) == 1
    assert (row.confirmed_by, row.location_source, row.accuracy_m) == ("office", "device", 8.0)
    assert photos.is_stored_photo(row.photo)
    with Image.open(photos.photo_path(row.photo)) as img:
        assert max(img.size) == 1600 and dict(img.getexif()) == {}
    log = session.execute(select(m.AuditLog.action, m.AuditLog.table_name, m.AuditLog.new_values)
                          .order_by(m.AuditLog.id.desc())).first()
    assert _count(session, m.AuditLog) == audits + 1
    assert log[0] == "problem.confirm" and log[1] == "problem_confirmation"
    assert '"code": "P-1"' in log[2]
    from civdata.domain.problems import problem_card
    assert problem_card(session, target.id)["confirmations"] == 1


def test_confirmation_location_falls_back_to_the_photos_exif(session, world) -> None:
    target = f.make_problem(session, world["sub"], world["cls"], lat=LAT, lon=LON)
    session.commit()
    row = street.confirm_problem(session, OFFICE, target.id, photo=jpeg(gps=(LAT, LON)))
    assert row.location_source == "exif" and row.accuracy_m is None
    assert (row.lat, row.lon) == pytest.approx((LAT, LON), abs=1e-6)


def test_a_refused_confirmation_leaves_no_row_and_no_file(session, world, _photo_dir) -> None:
    other = f.make_subdistrict(session, code="xita")
    target = f.make_problem(session, world["sub"], world["cls"], lat=LAT, lon=LON)
    closed = f.make_problem(session, world["sub"], world["cls"], status="closed")
    session.commit()
    with pytest.raises(PermissionDenied):
        street.confirm_problem(session, Actor("x", "subdistrict", other.id), target.id,
                               photo=jpeg(), device=(LAT, LON))
    with pytest.raises(PermissionDenied):  # the market bureau: only its inspections' problems
        street.confirm_problem(session, Actor("market", "market"), target.id, photo=jpeg(),
                               device=(LAT, LON))
    with pytest.raises(CivDataError) as err:
        street.confirm_problem(session, OFFICE, closed.id, photo=jpeg(), device=(LAT, LON))
    assert err.value.code == "street_problem_closed"
    with pytest.raises(CivDataError):
        street.confirm_problem(session, OFFICE, target.id, photo=jpeg(), device=(39.9, 116.4))
    session.rollback()
    assert _count(session, m.ProblemConfirmation) == 0
    assert not _photo_dir.exists() or not any(p.is_file() for p in _photo_dir.rglob("*"))


# --- a new report ----------------------------------------------------------------------------

def test_report_from_the_street_files_a_problem_with_a_stripped_photo(session, world) -> None:
    nanhu = Actor("nanhu", "subdistrict", world["sub"].id)
    problem = street.report_from_street(session, nanhu, photo=jpeg(3200, 2400, gps=(LAT, LON)),
                                        class_code="sanitation", description="垃圾堆放")
    session.commit()
    assert (problem.status, problem.source) == ("discovered", "daily_inspection")
    assert problem.subdistrict_id == world["sub"].id and problem.site_id == world["site"].id
    assert (problem.lat, problem.lon) == pytest.approx((LAT, LON), abs=1e-6)
    with Image.open(photos.photo_path(problem.photo_before)) as img:
        assert img.size == (1600, 1200) and dict(img.getexif()) == {}


def test_report_without_any_location_is_refused_and_stores_nothing(session, world,
                                                                    _photo_dir) -> None:
    before = _count(session, m.Problem)
    with pytest.raises(CivDataError) as err:
        street.report_from_street(session, OFFICE, photo=jpeg(), class_code="sanitation",
                                  description="x")
    assert err.value.code == "street_no_location"
    session.rollback()
    assert _count(session, m.Problem) == before
    assert not _photo_dir.exists() or not any(p.is_file() for p in _photo_dir.rglob("*"))


# --- my tasks --------------------------------------------------------------------------------

def test_my_tasks_nearest_first_with_countdown_and_review_outcome(session, world) -> None:
    sub, cls = world["sub"], world["cls"]
    nanhu = Actor("nanhu", "subdistrict", sub.id)
    now = datetime(2026, 11, 25, 9, 0)
    f.make_problem(session, sub, cls, code="P-FAR", status="assigned",
                         lat=north(LAT, LON, 800)[0], lon=LON, deadline=now + timedelta(hours=5))
    near = f.make_problem(session, sub, cls, code="P-NEAR", status="rectifying",
                          lat=north(LAT, LON, 30)[0], lon=LON, deadline=now - timedelta(hours=2))
    f.make_problem(session, sub, cls, code="P-NEW", status="discovered")  # not a task yet
    f.make_problem(session, f.make_subdistrict(session), cls, code="P-ELSE", status="assigned")
    session.add_all([
        m.ProblemEvent(problem_id=near.id, at=now - timedelta(days=1), actor="nanhu",
                       from_status="rectifying", to_status="submitted", note="已清理"),
        m.ProblemEvent(problem_id=near.id, at=now - timedelta(hours=20), actor="office",
                       from_status="submitted", to_status="rectifying", note="仍有垃圾"),
    ])
    session.commit()
    tasks = street.my_tasks(session, nanhu, now, LAT, LON)
    assert tasks["code"].tolist() == ["P-NEAR", "P-FAR"]
    assert tasks["hours_left"].tolist() == pytest.approx([-2.0, 5.0])
    assert tasks["distance_m"].iloc[0] == pytest.approx(30, abs=0.1)
    assert tasks.loc[0, "outcome"] == "returned" and tasks.loc[0, "reason"] == "仍有垃圾"
    assert pd_isna(tasks.loc[1, "outcome"])
    by_deadline = street.my_tasks(session, nanhu, now)
    assert by_deadline["code"].tolist() == ["P-NEAR", "P-FAR"]
    outcomes = street.my_review_outcomes(session, nanhu, now - timedelta(days=7))
    assert outcomes[["code", "outcome", "reason"]].values.tolist() == [
        ["P-NEAR", "returned", "仍有垃圾"]]


def pd_isna(value: object) -> bool:
    """Return True for None or NaN."""
    import pandas as pd

    return value is None or bool(pd.isna(value))


def test_start_and_rectify_with_an_after_photo(session, world) -> None:
    sub, cls = world["sub"], world["cls"]
    nanhu = Actor("nanhu", "subdistrict", sub.id)
    problem = f.make_problem(session, sub, cls, status="assigned", version=1)
    session.commit()
    started = street.start_task(session, nanhu, problem.id, expected_version=1)
    assert started.status == "rectifying"
    with pytest.raises(CivDataError):
        street.rectify_task(session, nanhu, problem.id, started.version, note="已清理", photo=b"")
    done = street.rectify_task(session, nanhu, problem.id, started.version, note="已清理",
                               photo=jpeg(2400, 1800, gps=(LAT, LON)))
    session.commit()
    assert done.status == "submitted"
    with Image.open(photos.photo_path(done.photo_after)) as img:
        assert img.size == (1600, 1200) and dict(img.getexif()) == {}
    reviewed = workflow.transition(session, OFFICE, problem.id, "accept",
                                   expected_version=done.version)
    session.commit()
    assert reviewed.status == "closed"
    outcomes = street.my_review_outcomes(session, nanhu, datetime(2000, 1, 1))
    assert outcomes["outcome"].tolist() == ["passed"]


# The street writes × every role: tests/civdata/core/test_permission_matrix.py.
