"""Renovation: progress arithmetic (weights, no reports, corrections), the slippage rule, the
progress report rules and permissions, and the sample on the article's day."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from PIL import Image
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied, StaleEdit
from civdata.core.live import last_change
from civdata.domain import metrics
from civdata.domain import renovation as ren
from civdata.domain.district import renovation_progress_at
from tests.conftest import SAMPLE_AS_OF
from tests.factories import make_project, make_subdistrict

DAY = date(2026, 11, 25)


@pytest.fixture
def world(session, monkeypatch, tmp_path):
    """Return two subdistricts, three projects and one actor per role; today is DAY."""
    monkeypatch.setenv("CIVDATA_TODAY", DAY.isoformat())
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    a = make_subdistrict(session, code="nanhu")
    b = make_subdistrict(session, code="xita")
    small = make_project(session, a, floor_area_m2=100.0, households=10,
                         investment_planned_yuan=1_000.0, investment_spent_yuan=500.0,
                         stage="under_construction")
    large = make_project(session, a, floor_area_m2=300.0, households=30,
                         investment_planned_yuan=3_000.0, stage="bidding")
    street = make_project(session, b, programme="back_street", length_m=500.0,
                          stage="under_construction")
    actors = {"office": Actor("office", "office"), "own": Actor("nanhu", "subdistrict", a.id),
              "other": Actor("xita", "subdistrict", b.id), "leader": Actor("leader", "leader"),
              "market": Actor("market", "market"), "admin": Actor("admin", "admin")}
    return {"a": a, "b": b, "small": small, "large": large, "street": street, "actors": actors}


def _report(session, actor, project, percent, stage="under_construction",
            on=date(2026, 11, 1), **kw):
    return ren.add_progress_report(session, actor, project.id, on, percent, stage, **kw)


def _reports(session) -> int:
    return int(session.scalar(select(func.count(m.ProjectProgress.id))))


# --- arithmetic ------------------------------------------------------------------------------
def test_weights_and_a_project_with_no_report(session, world) -> None:
    _report(session, world["actors"]["office"], world["small"], 100.0, "completed")
    projects = ren.projects_with_progress(session, DAY)
    large = projects[projects["id"] == world["large"].id].iloc[0]
    assert large["percent"] == 0.0 and large["last_report_on"] is None
    summary = metrics.programme_summary(projects)
    compounds = summary[summary["programme"] == "old_compound"].iloc[0]
    # floor-area weights 100 and 300: (100 * 100 + 0 * 300) / 400
    assert compounds["percent"] == pytest.approx(25.0)
    assert compounds["weight_basis"] == "floor_area_m2"
    assert (compounds["projects"], compounds["completed"]) == (2, 1)
    assert (compounds["n_completed"], compounds["n_bidding"], compounds["n_planned"]) == (1, 1, 0)
    assert compounds["households"] == 40
    assert compounds["investment_planned"] == 4_000.0
    assert compounds["investment_spent"] == 500.0
    streets = summary[summary["programme"] == "back_street"].iloc[0]
    assert streets["weight_basis"] == "length_m" and streets["percent"] == 0.0
    assert list(summary["programme"]) == ["old_compound", "back_street"]


def test_length_weights_for_streets(session, world) -> None:
    other = make_project(session, world["b"], programme="back_street", length_m=1500.0,
                         stage="under_construction")
    _report(session, world["actors"]["office"], world["street"], 40.0)
    _report(session, world["actors"]["office"], other, 80.0)
    summary = metrics.programme_summary(ren.projects_with_progress(session, DAY))
    streets = summary[summary["programme"] == "back_street"].iloc[0]
    assert streets["percent"] == pytest.approx((40 * 500 + 80 * 1500) / 2000)


def test_a_correction_lowers_progress(session, world) -> None:
    office = world["actors"]["office"]
    _report(session, office, world["small"], 60.0)
    with pytest.raises(CivDataError) as refused:
        _report(session, office, world["small"], 45.0, on=date(2026, 11, 10))
    assert refused.value.code == "progress_backwards"
    assert "60" in refused.value.message("en") and "45" in refused.value.message("zh")
    report = _report(session, office, world["small"], 45.0, on=date(2026, 11, 10),
                     is_correction=True, note="measured again")
    assert report.is_correction and report.reported_by == "office"
    projects = ren.projects_with_progress(session, DAY)
    assert projects.loc[projects["id"] == world["small"].id, "percent"].iloc[0] == 45.0
    summary = metrics.programme_summary(projects)
    assert summary.iloc[0]["percent"] == pytest.approx(45.0 * 100 / 400)
    # on a day before the correction the earlier report still counts
    before = ren.projects_with_progress(session, date(2026, 11, 5))
    assert before.loc[before["id"] == world["small"].id, "percent"].iloc[0] == 60.0
    audit = session.scalars(select(m.AuditLog.action).where(m.AuditLog.table_name == "project"))
    assert list(audit) == ["project.progress", "project.correct"]


def test_only_the_office_may_correct(session, world) -> None:
    own = world["actors"]["own"]
    _report(session, own, world["small"], 50.0)
    with pytest.raises(PermissionDenied):
        _report(session, own, world["small"], 40.0, on=date(2026, 11, 2), is_correction=True)
    with pytest.raises(CivDataError) as refused:
        _report(session, own, world["small"], 40.0, on=date(2026, 11, 2))
    assert refused.value.code == "progress_backwards"
    assert _reports(session) == 1


# --- slippage --------------------------------------------------------------------------------
def _frame(**kw) -> pd.DataFrame:
    base = {"id": 1, "programme": "old_compound", "batch": 1, "floor_area_m2": 1.0,
            "length_m": 0.0, "stage": "under_construction", "percent": 40.0,
            "planned_start": date(2026, 11, 1), "planned_end": date(2026, 12, 1)}
    return pd.DataFrame([{**base, **kw}])


def test_slippage_rule() -> None:
    day = date(2026, 11, 16)  # plan: 15/30 days = 50 %
    on_track = metrics.project_slippage(_frame(percent=40.0), day, threshold=10).iloc[0]
    assert on_track["planned_percent"] == pytest.approx(50.0)
    assert on_track["behind"] == pytest.approx(10.0)
    assert not on_track["slipping"] and on_track["slip_reason"] is None  # exactly 10: not more
    behind = metrics.project_slippage(_frame(percent=39.9), day, threshold=10).iloc[0]
    assert behind["slipping"] and behind["slip_reason"] == "behind"
    assert not metrics.project_slippage(_frame(percent=39.9), day, threshold=20).iloc[0][
        "slipping"]
    late = metrics.project_slippage(_frame(percent=95.0), date(2026, 12, 2)).iloc[0]
    assert late["slipping"] and late["slip_reason"] == "overdue"
    on_end_day = metrics.project_slippage(_frame(percent=95.0), date(2026, 12, 1)).iloc[0]
    assert not on_end_day["slipping"]
    done = metrics.project_slippage(_frame(percent=100.0, stage="completed"),
                                    date(2027, 1, 1)).iloc[0]
    assert not done["slipping"]
    not_started = metrics.project_slippage(_frame(percent=0.0, stage="bidding"),
                                           date(2026, 10, 1)).iloc[0]
    assert not not_started["slipping"] and not_started["planned_percent"] == 0.0
    assert metrics.SLIP_POINTS == 10.0
    assert metrics.project_slippage(_frame().iloc[0:0], day).empty


def test_bid_section_timeline() -> None:
    frame = pd.concat([
        _frame(id=1, bid_section="1标段", stage="completed", percent=100.0,
               actual_start=date(2026, 11, 3), actual_end=date(2026, 11, 20)),
        _frame(id=2, bid_section="1标段", floor_area_m2=3.0, percent=60.0,
               planned_end=date(2026, 12, 20), actual_start=date(2026, 11, 2),
               actual_end=None),
        _frame(id=3, bid_section="2标段", stage="completed", percent=100.0,
               actual_start=date(2026, 11, 5), actual_end=date(2026, 11, 25)),
    ], ignore_index=True)
    rows = metrics.bid_section_timeline(frame).set_index("bid_section")
    assert rows.loc["1标段", "planned_end"] == date(2026, 12, 20)
    assert rows.loc["1标段", "actual_start"] == date(2026, 11, 2)
    assert rows.loc["1标段", "actual_end"] is None  # one project still open
    assert rows.loc["1标段", "percent"] == pytest.approx((100 * 1 + 60 * 3) / 4)
    assert rows.loc["2标段", "actual_end"] == date(2026, 11, 25)


# --- the report rules and permissions -------------------------------------------------------
def test_permissions(session, world) -> None:
    actors = world["actors"]
    _report(session, actors["own"], world["small"], 10.0)
    _report(session, actors["office"], world["street"], 10.0)
    with pytest.raises(PermissionDenied) as other:
        _report(session, actors["own"], world["street"], 20.0)
    assert other.value.code == "wrong_subdistrict"
    for role in ("leader", "market", "admin"):
        with pytest.raises(PermissionDenied) as denied:
            _report(session, actors[role], world["small"], 20.0)
        assert denied.value.code == "permission_denied"
    assert _reports(session) == 2


@pytest.mark.parametrize(("percent", "stage", "on", "code"), [
    (100.5, "completed", date(2026, 11, 1), "progress_out_of_range"),
    (-1.0, "under_construction", date(2026, 11, 1), "progress_out_of_range"),
    (float("nan"), "under_construction", date(2026, 11, 1), "progress_out_of_range"),
    ("lots", "under_construction", date(2026, 11, 1), "progress_out_of_range"),
    (90.0, "completed", date(2026, 11, 1), "progress_stage_mismatch"),
    (100.0, "under_construction", date(2026, 11, 1), "progress_stage_mismatch"),
    (10.0, "under_construction", date(2026, 11, 26), "progress_date_future"),
    (10.0, "demolished", date(2026, 11, 1), "invalid_value"),
])
def test_refused_reports_change_nothing(session, world, percent, stage, on,
                                        code) -> None:
    before = last_change(session)
    with pytest.raises(CivDataError) as refused:
        _report(session, world["actors"]["office"], world["small"], percent, stage, on=on,
                is_correction=True)
    assert refused.value.code == code
    assert refused.value.message("zh") != code and refused.value.message("en") != code
    assert _reports(session) == 0
    assert last_change(session) == before
    session.refresh(world["small"])
    assert world["small"].version == 1 and world["small"].stage == "under_construction"


def test_date_order_and_stage_order(session, world) -> None:
    office = world["actors"]["office"]
    _report(session, office, world["small"], 20.0, on=date(2026, 11, 10))
    with pytest.raises(CivDataError) as early:
        _report(session, office, world["small"], 30.0, on=date(2026, 11, 9))
    assert early.value.code == "progress_date_order"
    with pytest.raises(CivDataError) as back:
        _report(session, office, world["small"], 30.0, "bidding", on=date(2026, 11, 11))
    assert back.value.code == "stage_backwards"
    assert "bidding" in back.value.message("en") and "招标" in back.value.message("zh")
    _report(session, office, world["small"], 30.0, on=date(2026, 11, 10))  # same day is fine


def test_report_moves_stage_dates_version_and_marks_change(session, world) -> None:
    office = world["actors"]["office"]
    large = world["large"]
    assert large.stage == "bidding" and large.actual_start is None
    _, counter = last_change(session)
    _report(session, office, large, 5.0, "under_construction", on=date(2026, 11, 3),
            expected_version=1)
    session.refresh(large)
    assert (large.stage, large.actual_start, large.actual_end, large.version) == (
        "under_construction", date(2026, 11, 3), None, 2)
    assert last_change(session)[1] == counter + 1
    _report(session, office, large, 100.0, "completed", on=date(2026, 11, 20))
    session.refresh(large)
    assert (large.stage, large.actual_start, large.actual_end) == (
        "completed", date(2026, 11, 3), date(2026, 11, 20))
    _report(session, office, large, 95.0, "under_construction", on=date(2026, 11, 21),
            is_correction=True)
    session.refresh(large)
    assert large.stage == "under_construction" and large.actual_end is None
    row = session.scalars(select(m.AuditLog).where(m.AuditLog.table_name == "project")
                          .order_by(m.AuditLog.id)).first()
    assert row.username == "office" and '"stage": "bidding"' in row.old_values
    assert '"percent": 5.0' in row.new_values


def test_stale_edit_is_refused(session, world) -> None:
    office = world["actors"]["office"]
    _report(session, office, world["small"], 10.0, expected_version=1)
    with pytest.raises(StaleEdit) as stale:
        _report(session, office, world["small"], 20.0, expected_version=1)
    assert "office" in stale.value.message("en")
    assert _reports(session) == 1


def test_unknown_project(session, world) -> None:
    with pytest.raises(CivDataError) as missing:
        ren.add_progress_report(session, world["actors"]["office"], 99_999, DAY, 10.0,
                                "under_construction")
    assert missing.value.code == "not_found"


def test_photo_is_checked_and_stored(session, world, tmp_path) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="PNG")
    report = _report(session, world["actors"]["office"], world["small"], 10.0,
                     photo=buf.getvalue())
    assert report.photo and (tmp_path / "photos" / report.photo).exists()
    with pytest.raises(CivDataError) as bad:
        _report(session, world["actors"]["office"], world["small"], 20.0, photo=b"not a photo")
    assert bad.value.code == "photo_type"
    assert _reports(session) == 1


# --- the sample on the article's day ---------------------------------------------------------
def test_sample_progress(sample_session) -> None:
    s = sample_session
    projects = ren.projects_with_progress(s, SAMPLE_AS_OF)
    assert len(projects) == 168
    summary = metrics.programme_summary(projects)
    overview = metrics.weighted_progress(renovation_progress_at(s, SAMPLE_AS_OF, None))
    assert list(summary["percent"].round(6)) == list(overview["percent"].round(6))
    rows = {(r.programme, r.batch): r for r in summary.itertuples(index=False)}
    b1, b2 = rows[("old_compound", 1)], rows[("old_compound", 2)]
    assert (b1.completed, b1.projects, b1.n_under_construction) == (35, 50, 15)
    assert (b2.n_under_construction, b2.n_bidding, b2.completed) == (19, 36, 0)
    assert b1.households + b2.households == 28_901
    assert round(sum(summary["investment_planned"])) == 530_000_000 + 58_000_000 + \
        round(sum(projects.loc[projects["programme"] == "boutique_street",
                               "investment_planned_yuan"])) + 40_000_000
    assert rows[("back_street", 1)].percent == 100.0 and rows[("key_road", 1)].percent == 100.0
    assert 0 < b2.percent < b1.percent < 100
    quantities = ren.programme_quantities(s, "key_road")
    assert len(quantities) == 8
    assert quantities.set_index("item").loc["pocket_parks", "planned"] == 12
    reports = ren.progress_reports(s, int(projects.iloc[0]["id"]))
    assert list(reports["reported_on"]) == sorted(reports["reported_on"])
    slip = metrics.project_slippage(projects, SAMPLE_AS_OF)
    assert not slip.loc[slip["stage"] == "completed", "slipping"].any()


def test_a_report_lost_to_a_concurrent_edit_leaves_no_photo(session, world, tmp_path,
                                                            monkeypatch) -> None:
    from sqlalchemy import false, update

    office = world["actors"]["office"]
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, format="JPEG")

    def losing_update(table):
        """Another writer committed between the read and the versioned UPDATE: it matches 0 rows."""
        stmt = update(table)
        real_where = stmt.where
        stmt.where = lambda *conds: real_where(*conds, false())  # type: ignore[method-assign]
        return stmt

    monkeypatch.setattr(ren, "update", losing_update)
    with pytest.raises(StaleEdit):
        _report(session, office, world["small"], 10.0, photo=buf.getvalue())
    photos = tmp_path / "photos"
    assert not photos.exists() or [p for p in photos.rglob("*") if p.is_file()] == []
    assert _reports(session) == 0


# --- construction drawings -------------------------------------------------------------------

def test_drawings_date_is_recorded_audited_and_counted(session, world) -> None:
    own, large = world["actors"]["own"], world["large"]
    before = last_change(session)
    project = ren.record_drawings_done(session, own, large.id, date(2026, 10, 20),
                                       expected_version=large.version)
    assert project.drawings_done_on == date(2026, 10, 20) and project.version == 2
    row = session.scalars(select(m.AuditLog).where(m.AuditLog.action == "project.drawings")).one()
    assert row.username == "nanhu" and "2026-10-20" in row.new_values
    assert last_change(session) != before
    summary = metrics.programme_summary(ren.projects_with_progress(session, DAY))
    batch = summary[summary["programme"] == "old_compound"].iloc[0]
    assert (batch["drawings_done"], batch["projects"]) == (1, 2)
    earlier = metrics.programme_summary(ren.projects_with_progress(session, date(2026, 10, 19)))
    assert earlier[earlier["programme"] == "old_compound"].iloc[0]["drawings_done"] == 0


def test_drawings_date_rules(session, world) -> None:
    actors, large, small = world["actors"], world["large"], world["small"]
    with pytest.raises(PermissionDenied):
        ren.record_drawings_done(session, actors["other"], large.id, date(2026, 10, 20))
    with pytest.raises(PermissionDenied):
        ren.record_drawings_done(session, actors["leader"], large.id, date(2026, 10, 20))
    with pytest.raises(CivDataError) as future:
        ren.record_drawings_done(session, actors["own"], large.id, date(2026, 11, 26))
    assert future.value.code == "progress_date_future"
    _report(session, actors["own"], small, 10.0, on=date(2026, 11, 1))  # starts construction
    with pytest.raises(CivDataError) as late:
        ren.record_drawings_done(session, actors["own"], small.id, date(2026, 11, 2))
    assert late.value.code == "drawings_after_start"
    assert "2026-11-01" in late.value.message("en")
    ren.record_drawings_done(session, actors["own"], large.id, date(2026, 10, 20))
    with pytest.raises(PermissionDenied):  # changing a recorded day is a correction
        ren.record_drawings_done(session, actors["own"], large.id, date(2026, 10, 21))
    fixed = ren.record_drawings_done(session, actors["office"], large.id, date(2026, 10, 21))
    assert fixed.drawings_done_on == date(2026, 10, 21)
    with pytest.raises(StaleEdit):
        ren.record_drawings_done(session, actors["office"], large.id, date(2026, 10, 22),
                                 expected_version=1)


# --- issue 15, item 3: photos are shared by content; a refused write removes none in use -----

def _jpeg(colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, format="JPEG")
    return buf.getvalue()


def _losing_update(before=lambda: None):
    """Return a stand-in for update() whose versioned UPDATE matches no row (a concurrent edit),
    calling before() first (another writer's commit at that moment)."""
    from sqlalchemy import false, update

    def losing_update(table):
        before()
        stmt = update(table)
        real_where = stmt.where
        stmt.where = lambda *conds: real_where(*conds, false())  # type: ignore[method-assign]
        return stmt
    return losing_update


def test_a_refused_report_keeps_the_photo_a_committed_report_uses(session, world, tmp_path,
                                                                  monkeypatch) -> None:
    from civdata.io import photos

    office = world["actors"]["office"]
    first = _report(session, office, world["small"], 10.0, photo=_jpeg((30, 30, 200)))
    session.commit()
    stored = tmp_path / "photos" / first.photo
    thumb = photos.thumbnail_path(first.photo, tmp_path / "photos")
    monkeypatch.setattr(ren, "update", _losing_update())
    with pytest.raises(StaleEdit):  # the same photo again: same name, same file
        _report(session, office, world["small"], 20.0, photo=_jpeg((30, 30, 200)))
    session.rollback()
    assert stored.is_file() and thumb.is_file()
    assert session.scalar(select(m.ProjectProgress.photo)) == first.photo


def test_a_refused_report_keeps_a_photo_another_table_committed_meanwhile(
        session, world, tmp_path, monkeypatch) -> None:
    """The photo is new when stored, but a problem naming it commits before the refusal."""
    from sqlalchemy import update

    from civdata.io import photos
    from tests.factories import make_problem

    data = _jpeg((10, 160, 10))
    name = photos.photo_name(data, "JPEG")
    problem = make_problem(session, world["a"])
    session.commit()

    def other_writer_commits() -> None:
        with session.get_bind().begin() as other:
            other.execute(update(m.Problem).where(m.Problem.id == problem.id)
                          .values(photo_after=name))

    monkeypatch.setattr(ren, "update", _losing_update(other_writer_commits))
    with pytest.raises(StaleEdit):
        _report(session, world["actors"]["office"], world["small"], 10.0, photo=data)
    session.rollback()
    assert (tmp_path / "photos" / name).is_file()
    assert {c.table.name + "." + c.name for c in photos.photo_columns()} >= {
        "problem.photo_before", "problem.photo_after", "project_progress.photo",
        "market_inspection.photo"}
