"""Photos one way, inside civdata (issue 17.6): the problem writes (report, rectify) and the market
inspection take the photo's bytes and store them in the data layer; a refused write leaves no
file, unless a committed row names the same photo."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.errors import CivDataError, StaleEdit
from civdata.domain import markets, workflow
from civdata.io import photos
from tests.civdata.domain import test_workflow as wf
from tests.civdata.domain.test_workflow import T0, png
from tests.factories import make_market, make_problem

clock, shots, world = wf.clock, wf.shots, wf.world  # the workflow tests' fixtures


def _files(tmp_path: Path) -> set[str]:
    """Return the photo files (thumbnails included) under the test's photo folder."""
    root = tmp_path / "photos"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _report(session, world, photo: bytes) -> m.Problem:
    """Report a problem in the first subdistrict with photo as its before-photo."""
    return workflow.report_problem(
        session, world["actors"]["office"], subdistrict_id=world["a"].id,
        class_code="sanitation", lat=41.785, lon=123.40, description="垃圾堆放",
        source="spot_check", photo_before=photo)


def test_a_reported_photo_is_stored_by_the_write(session, world, tmp_path) -> None:
    data = png((1, 120, 250))
    problem = _report(session, world, data)
    session.commit()
    assert problem.photo_before == photos.photo_name(data, "PNG")
    assert photos.photo_path(problem.photo_before).is_file()
    assert photos.thumbnail_path(problem.photo_before).is_file()


def test_a_refused_report_leaves_no_photo_file(session, world, tmp_path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    session.commit()  # the world stays after each refusal's rollback
    before = _files(tmp_path)

    def no_code(*_args: object) -> None:
        raise CivDataError("invalid_value", field="code", detail="no free problem code")

    monkeypatch.setattr(workflow, "_insert_with_free_code", no_code)  # refused after the store
    with pytest.raises(CivDataError):
        _report(session, world, png((2, 121, 251)))
    session.rollback()
    assert _files(tmp_path) == before
    with pytest.raises(CivDataError) as bad:  # not a photo: refused, nothing stored
        _report(session, world, b"not a photo")
    assert bad.value.code == "photo_type"
    session.rollback()
    assert _files(tmp_path) == before


def test_a_rectification_photo_is_stored_and_a_refused_one_is_not(
        session, world, tmp_path) -> None:
    office = world["actors"]["office"]
    p = make_problem(session, world["a"], world["cls"], status="rectifying", version=1)
    session.commit()
    before = _files(tmp_path)
    with pytest.raises(CivDataError) as refused:  # no note: refused after the photo was stored
        workflow.transition(session, office, p.id, "submit", expected_version=1,
                            photo_after=png((3, 122, 252)))
    assert refused.value.code == "submit_needs_evidence"
    session.rollback()
    assert _files(tmp_path) == before
    data = png((4, 123, 253))
    done = workflow.transition(session, office, p.id, "submit", expected_version=1,
                               note="已整改", photo_after=data)
    session.commit()
    assert (done.status, done.photo_after) == ("submitted", photos.photo_name(data, "PNG"))
    assert photos.photo_path(done.photo_after).is_file()


def test_a_refused_rectification_keeps_a_photo_a_committed_row_names(
        session, world, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The photo is new when stored, but another problem naming it commits before the refusal:
    the file stays (a UI that deleted what it had stored would remove it)."""
    office = world["actors"]["office"]
    p = make_problem(session, world["a"], world["cls"], status="rectifying", version=1)
    other = make_problem(session, world["a"], world["cls"])
    session.commit()
    data = png((5, 124, 254))
    name = photos.photo_name(data, "PNG")
    real_update = workflow.update

    def losing_update(table):
        with session.get_bind().begin() as conn:  # the other writer commits meanwhile
            conn.execute(real_update(m.Problem).where(m.Problem.id == other.id)
                         .values(photo_before=name))
        return real_update(table).where(m.Problem.id == -1)  # this write then loses the race

    monkeypatch.setattr(workflow, "update", losing_update)
    with pytest.raises(StaleEdit):
        workflow.transition(session, office, p.id, "submit", expected_version=1, note="已整改",
                            photo_after=data)
    session.rollback()
    assert photos.photo_path(name).is_file()


@pytest.fixture
def market(session, world):
    """Return a market of the first subdistrict with a one-item checklist."""
    mk = make_market(session, world["a"])
    session.add(m.ChecklistItem(code="hygiene", name_zh="环境卫生", name_en="hygiene",
                                max_points=10.0, threshold=6.0, sort_order=1))
    session.commit()
    return mk


def test_a_market_inspection_photo_is_stored_by_the_write(session, world, market,
                                                          tmp_path) -> None:
    data = png((6, 125, 255))
    out = markets.record_inspection(session, world["actors"]["office"], market.id, T0.date(),
                                    "甲", {"hygiene": 10.0}, photo=data)
    session.commit()
    stored = session.get(m.MarketInspection, out.inspection_id).photo
    assert stored == photos.photo_name(data, "PNG") and photos.photo_path(stored).is_file()


def test_a_refused_market_inspection_leaves_no_photo_file(
        session, world, market, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _files(tmp_path)

    def refuse(*_args: object) -> None:
        raise StaleEdit("stale_edit", who="market", at="09:00")

    monkeypatch.setattr(markets, "_report_findings", refuse)  # refused after the store
    with pytest.raises(StaleEdit):
        markets.record_inspection(session, world["actors"]["office"], market.id, T0.date(),
                                  "甲", {"hygiene": 10.0}, photo=png((7, 126, 250)))
    session.rollback()
    assert _files(tmp_path) == before
    assert session.scalar(select(func.count()).select_from(m.MarketInspection)) == 0


def test_a_stored_name_is_still_accepted_for_internal_reuse(session, world) -> None:
    problem = _report(session, world, world["shots"][0])
    assert problem.photo_before == world["shots"][0]
