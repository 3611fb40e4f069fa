"""Issue 19: the readiness trend from stored weekly snapshots (computed for a finished week
once after its close and kept as stored; a new edition recomputes it), and the sample's site inspections raising
problems through the write path's loop rules."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.clock import now_local, replaying_at
from civdata.domain import evaluation
from civdata.domain.site_inspections import PROBLEM_SOURCE, record_site_inspection
from civdata.domain.workflow import report_problem
from tests.civdata.domain.test_evaluation import OFFICE, T, _world

WEEKS = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]


def _direct(session, start: date) -> float:
    """Return the estimate at the end of the week starting on start, computed directly."""
    return evaluation.readiness_estimate(session, evaluation.week_end(start),
                                         draws=evaluation.TREND_DRAWS,
                                         seed=start.toordinal()).total


def test_finished_weeks_are_stored_once_and_a_later_write_leaves_them_as_stored(
        session, monkeypatch, tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="self_check",
                           inspector="甲", results={"x1": True, "x2": True},
                           at=datetime(2026, 11, 3, 9, 0))
    session.commit()
    first = evaluation.weekly_snapshots(session, T, 3)
    assert first["week_start"].tolist() == WEEKS and first["computed"].all()
    assert first["estimated"].tolist() == pytest.approx([_direct(session, s) for s in WEEKS])
    assert session.scalar(select(func.count(m.ReadinessSnapshot.id))) == 3
    again = evaluation.weekly_snapshots(session, T, 3)
    assert not again["computed"].any()
    assert again["estimated"].tolist() == first["estimated"].tolist()
    # a problem reported today is not an input of a finished week: nothing is recomputed
    report_problem(session, OFFICE, subdistrict_id=w["sub2"].id, class_code="sanitation",
                   lat=41.80, lon=123.42, description="垃圾", source="public_report")
    session.commit()
    assert not evaluation.weekly_snapshots(session, T, 3)["computed"].any()
    # an inspection recorded after the weeks closed, dated inside the second week, changes what
    # a fresh computation would give, but the closed weeks keep their stored figures
    record_site_inspection(session, OFFICE, site_id=w["s2"].id, source="spot_check",
                           inspector="乙", results={"x1": 0, "x2": 40},
                           at=datetime(2026, 11, 12, 10, 0))
    session.commit()
    assert _direct(session, WEEKS[1]) < first["estimated"].iloc[1]
    later = evaluation.weekly_snapshots(session, T, 3)
    assert not later["computed"].any()
    assert later["estimated"].tolist() == first["estimated"].tolist()
    assert evaluation.last_week_estimate(session, T) == first["estimated"].iloc[-1]
    assert session.scalar(select(func.count(m.ReadinessSnapshot.id))) == 3


def test_a_new_edition_recomputes_the_stored_weeks(session, monkeypatch, tmp_path) -> None:
    _world(session, monkeypatch, tmp_path)
    evaluation.weekly_snapshots(session, T, 2)
    session.execute(m.ReadinessSnapshot.__table__.update().values(edition="OLD", estimated=1.0))
    session.commit()
    redone = evaluation.weekly_snapshots(session, T, 2)
    assert redone["computed"].all()
    assert redone["estimated"].tolist() == pytest.approx([_direct(session, s) for s in WEEKS[1:]])
    assert session.scalar(select(func.count(m.ReadinessSnapshot.id))) == 2


def test_trend_computes_only_the_current_week_once_snapshots_exist(
        session, monkeypatch, tmp_path) -> None:
    _world(session, monkeypatch, tmp_path)
    cold = evaluation.readiness_trend(session, T, weeks=4)
    calls: list[datetime] = []
    real = evaluation.readiness_estimate

    def counting(s, t, *args, **kwargs):
        calls.append(t)
        return real(s, t, *args, **kwargs)

    monkeypatch.setattr(evaluation, "readiness_estimate", counting)
    warm = evaluation.readiness_trend(session, T, weeks=4)
    assert calls == [T]  # the current week up to T; the three finished ones are stored
    assert warm.equals(cold)
    assert evaluation.last_week_estimate(session, T) == pytest.approx(
        warm["estimated"].iloc[-2])
    assert len(calls) == 1  # last week's figure is the stored snapshot, no estimate


def test_last_week_without_a_system_is_none(session) -> None:
    assert evaluation.last_week_estimate(session, T) is None


def test_replaying_at_stops_the_clock_inside_the_block_only() -> None:
    with replaying_at(datetime(2022, 5, 13, 9, 11)):
        assert now_local() == datetime(2022, 5, 13, 9, 11)
    assert now_local() != datetime(2022, 5, 13, 9, 11)


def test_the_sample_site_inspections_raise_problems_in_the_loop(sample_reader) -> None:
    s = sample_reader
    raised = s.execute(
        select(m.Problem.site_id, m.Problem.class_id, m.Problem.discovered_at, m.Problem.source,
               m.Problem.status, m.SiteInspection.site_id, m.SiteInspection.inspected_at,
               m.SiteInspection.source, m.SiteInspection.id)
        .join(m.SiteInspection, m.SiteInspection.id == m.Problem.site_inspection_id)).all()
    assert len(raised) > 50
    for site, cls, found, source, _, ins_site, ins_at, ins_source, ins_id in raised:
        assert (site, found, source) == (ins_site, ins_at, PROBLEM_SOURCE[ins_source])
        failed = set(s.scalars(
            select(m.SiteChecklistItem.class_id)
            .join(m.SiteInspectionResult, m.SiteInspectionResult.item_id == m.SiteChecklistItem.id)
            .where(m.SiteInspectionResult.inspection_id == ins_id,
                   m.SiteInspectionResult.passed.is_(False))))
        assert cls in failed
    # a repeat finding raises no duplicate: one open problem per site and class at most
    open_pairs = [(r[0], r[1]) for r in raised if r[4] != "closed"]
    assert len(open_pairs) == len(set(open_pairs))
    failed_pairs = s.scalar(
        select(func.count()).select_from(
            select(m.SiteInspection.id, m.SiteChecklistItem.class_id)
            .join(m.SiteInspectionResult,
                  m.SiteInspectionResult.inspection_id == m.SiteInspection.id)
            .join(m.SiteChecklistItem, m.SiteChecklistItem.id == m.SiteInspectionResult.item_id)
            .where(m.SiteInspectionResult.passed.is_(False)).distinct().subquery()))
    assert len(raised) < failed_pairs  # repeats were recognised
    # every raised problem has its discovery event and its place in the 300 m links
    events = s.scalar(select(func.count(m.ProblemEvent.id)).join(
        m.Problem, m.Problem.id == m.ProblemEvent.problem_id).where(
        m.Problem.site_inspection_id.is_not(None), m.ProblemEvent.to_status == "discovered"))
    assert events == len(raised)
    assert s.scalar(select(func.count(m.Problem.id)).where(
        m.Problem.site_inspection_id.is_not(None), m.Problem.nearest_site_id.is_(None))) == 0


# The estimate on the sample as the first implementation (pandas over every site's latest item
# results) computed it, before the estimate read per-site sums aggregated in SQL: the figures
# of the faster estimate must be the same to the last digit.
BEFORE_SQL_SUMS = {
    (datetime(2026, 11, 25, 12), None): ((98.5, 96.45, 100.7), ["museum", "scenic_spot"],
                                         [12.193164, 10.461698, 14.828847, 19.884682,
                                          11.224877, 12.928913, 16.977564]),
    (datetime(2026, 11, 1, 0), "taiyuanjie"): ((97.23, 94.65, 99.48), [],
                                               [12.657143, 9.344595, 15.525, 20.968559,
                                                10.29819, 12.504505, 15.933333]),
    (datetime(2026, 10, 10, 8), None): ((91.13, 87.86, 94.14),
                                        ["library", "museum", "scenic_spot"],
                                        [12.091913, 8.534556, 14.434617, 17.176637, 11.45513,
                                         12.724504, 14.714647]),
}


@pytest.mark.parametrize(("t", "sub"), list(BEFORE_SQL_SUMS))
def test_the_estimate_on_the_sample_is_the_first_implementations(sample_reader, t, sub) -> None:
    s = sample_reader
    sub_id = None if sub is None else s.scalar(select(m.Subdistrict.id)
                                               .where(m.Subdistrict.code == sub))
    r = evaluation.readiness_estimate(s, t, sub_id)
    figures, fallback, parts = BEFORE_SQL_SUMS[(t, sub)]
    assert (r.total, r.low, r.high) == figures
    assert r.fallback_categories == fallback
    assert r.parts["estimated"].round(6).tolist() == parts
