"""The map's reads at scale (issue 18): per-site counts from the site_link_count summary that
the write path keeps, and clock-free cached rows turned into figures at render time; every
figure equals the straightforward SQL over every link at the same moment."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import and_, case, func, select, text
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core import schema
from civdata.core.auth import Actor
from civdata.core.db import make_engine, session_factory
from civdata.domain import riskmodel, sites, workflow
from tests.factories import make_problem, make_problem_class, make_site, make_subdistrict

NOW = datetime(2026, 11, 25, 12, 0)
OFFICE = Actor(username="office", role="office")


def _summary(session: Session) -> dict[int, int]:
    """Return the summary table as {site id: problems}."""
    return dict(session.execute(select(m.SiteLinkCount.site_id, m.SiteLinkCount.problems)).all())


def _links_per_site(session: Session) -> dict[int, int]:
    """Return every link counted per site, straight from problem_site."""
    return dict(session.execute(select(m.ProblemSite.site_id, func.count())
                                .group_by(m.ProblemSite.site_id)).all())


def _open_summary(session: Session) -> dict[tuple[int, int], int]:
    """Return site_open_count as {(site id, class id): open problems}."""
    return {(s, c): n for s, c, n in session.execute(
        select(m.SiteOpenCount.site_id, m.SiteOpenCount.class_id, m.SiteOpenCount.problems))}


def _open_links_per_site_and_class(session: Session) -> dict[tuple[int, int], int]:
    """Return the open problems' links counted per site and class, straight from problem_site."""
    return {(s, c): n for s, c, n in session.execute(
        select(m.ProblemSite.site_id, m.Problem.class_id, func.count())
        .join(m.Problem, m.Problem.id == m.ProblemSite.problem_id)
        .where(m.Problem.status != "closed")
        .group_by(m.ProblemSite.site_id, m.Problem.class_id))}


def _weights_by_join(session: Session) -> dict[int, float]:
    """Return the open problems' class weight summed per site over every link (the join the
    summary replaces)."""
    return {s: float(w) for s, w in session.execute(
        select(m.ProblemSite.site_id, func.sum(m.ProblemClass.risk_weight))
        .join(m.Problem, m.Problem.id == m.ProblemSite.problem_id)
        .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
        .where(m.Problem.status != "closed").group_by(m.ProblemSite.site_id))}


def _both_summaries_hold(session: Session) -> bool:
    """Return whether both summaries equal the counts over every link."""
    return (_summary(session) == _links_per_site(session)
            and _open_summary(session) == _open_links_per_site_and_class(session))


def _counts_by_sql(session: Session, now: datetime) -> pd.DataFrame:
    """Return open, overdue and closed problems per site at now by joining every link."""
    is_open = m.Problem.status != "closed"
    rows = session.execute(
        select(m.ProblemSite.site_id,
               func.sum(case((is_open, 1), else_=0)),
               func.sum(case((and_(is_open, m.Problem.deadline < now), 1), else_=0)),
               func.sum(case((is_open, 0), else_=1)))
        .join(m.Problem, m.Problem.id == m.ProblemSite.problem_id)
        .group_by(m.ProblemSite.site_id)).all()
    return pd.DataFrame(rows, columns=["id", "open", "overdue", "closed"]).set_index("id")


def _cells_by_sql(session: Session, now: datetime, state: str) -> pd.DataFrame:
    """Return problems and overdue ones per H3 cell at now, in one GROUP BY over the problems."""
    is_open = m.Problem.status != "closed"
    cond = {"open": is_open, "overdue": and_(is_open, m.Problem.deadline < now),
            "closed": m.Problem.status == "closed", "all": m.Problem.id.is_not(None)}[state]
    rows = session.execute(
        select(m.Problem.h3_cell, func.count(m.Problem.id),
               func.sum(case((and_(is_open, m.Problem.deadline < now), 1), else_=0)))
        .where(cond, m.Problem.h3_cell.is_not(None))
        .group_by(m.Problem.h3_cell).order_by(m.Problem.h3_cell)).all()
    return pd.DataFrame(rows, columns=["h3_cell", "problems", "overdue"]).astype(
        {"problems": int, "overdue": int})


def test_the_summary_holds_every_link_of_the_sample(sample_session: Session) -> None:
    assert _summary(sample_session) == _links_per_site(sample_session)
    assert sum(_summary(sample_session).values()) > 10_000


def test_the_open_summary_holds_every_open_link_of_the_sample(sample_session: Session) -> None:
    assert _open_summary(sample_session) == _open_links_per_site_and_class(sample_session)
    assert sum(_open_summary(sample_session).values()) > 1_000
    got = riskmodel.open_weight_by_site(sample_session)
    expected = _weights_by_join(sample_session)
    assert got["site_id"].tolist() == sorted(expected)
    assert got["risk_weight"].tolist() == pytest.approx([expected[s] for s in sorted(expected)])


def test_closing_a_problem_takes_it_out_of_the_open_summary(sample_session: Session) -> None:
    problem = sample_session.scalars(
        select(m.Problem).where(m.Problem.status == "submitted",
                                m.Problem.id.in_(select(m.ProblemSite.problem_id)))
        .order_by(m.Problem.id).limit(1)).one()
    its_sites = set(sample_session.scalars(select(m.ProblemSite.site_id)
                                           .where(m.ProblemSite.problem_id == problem.id)))
    before = _open_summary(sample_session)
    workflow.transition(sample_session, OFFICE, problem.id, "accept",
                        expected_version=problem.version)
    sample_session.flush()
    after = _open_summary(sample_session)
    assert _both_summaries_hold(sample_session)
    assert {k for k in before if after.get(k) != before[k]} == {
        (s, problem.class_id) for s in its_sites}
    assert all(after.get(k, 0) == before[k] - 1 for k in before if k[0] in its_sites
               and k[1] == problem.class_id)
    sample_session.rollback()
    assert _open_summary(sample_session) == before


def test_a_problem_found_again_counts_as_open(sample_session: Session) -> None:
    closed = sample_session.scalars(
        select(m.Problem).where(m.Problem.status == "closed",
                                m.Problem.id.in_(select(m.ProblemSite.problem_id)))
        .order_by(m.Problem.id).limit(1)).one()
    before = sum(_open_summary(sample_session).values())
    workflow.reopen_problem(sample_session, OFFICE, closed.id)
    sample_session.flush()
    assert _both_summaries_hold(sample_session)
    assert sum(_open_summary(sample_session).values()) > before


def test_an_imported_file_of_problems_keeps_both_summaries(sample_session: Session) -> None:
    from civdata.io import importers

    data = ("街道,问题类别,纬度,经度,问题描述,来源\n"
            + "".join(f"nanhu,sanitation,41.76{i}5,123.426{i},人行道垃圾{i},daily_inspection\n"
                      for i in range(5))).encode("utf-8")
    before = sum(_open_summary(sample_session).values())
    result = importers.import_file(sample_session, OFFICE, "problems", "台账.csv", data)
    assert result.issues == [] and result.written == 5 and result.committed
    assert _both_summaries_hold(sample_session)
    after = _open_summary(sample_session)
    assert sum(after.values()) > before
    again = importers.import_file(sample_session, OFFICE, "problems", "台账.csv", data)
    assert again.written == 0 and again.already == 5  # the same file twice: nothing counted twice
    assert _open_summary(sample_session) == after and _both_summaries_hold(sample_session)


def test_reporting_a_problem_updates_the_summary_in_its_transaction(
        sample_session: Session) -> None:
    site = sample_session.execute(select(m.Site.id, m.Site.lat, m.Site.lon, m.Site.subdistrict_id)
                                  .order_by(m.Site.id).limit(1)).one()
    before = _summary(sample_session)
    workflow.report_problem(sample_session, OFFICE, subdistrict_id=site.subdistrict_id,
                            class_code=sample_session.scalar(select(m.ProblemClass.code).limit(1)),
                            lat=site.lat, lon=site.lon, description="井盖破损",
                            source="daily_inspection")
    sample_session.flush()
    after = _summary(sample_session)
    assert after == _links_per_site(sample_session)
    assert after[site.id] == before[site.id] + 1
    assert _open_summary(sample_session) == _open_links_per_site_and_class(sample_session)
    sample_session.rollback()
    assert _summary(sample_session) == before  # nothing left behind by a rolled-back write


def test_moving_a_site_recounts_the_summary(sample_session: Session) -> None:
    site = sample_session.scalar(select(m.Site).order_by(m.Site.id).limit(1))
    before = _open_summary(sample_session)
    sites.move_site(sample_session, OFFICE, site.id, site.lat + 0.004, site.lon + 0.004)
    sample_session.flush()
    assert _both_summaries_hold(sample_session)
    assert _open_summary(sample_session) != before


@pytest.mark.parametrize("later", [timedelta(0), timedelta(minutes=1), timedelta(days=3)])
def test_site_counts_from_cached_rows_equal_the_join_at_any_time(sample_session: Session,
                                                                 later: timedelta) -> None:
    rows = sites.sites_with_link_counts(sample_session)
    links = riskmodel.read_open_links(sample_session, NOW)
    now = NOW + later  # the same cached rows serve a later minute: nothing is re-read
    frame = sites.with_problem_counts(rows, riskmodel.site_open_figures(links, now)).set_index(
        "id")
    expected = _counts_by_sql(sample_session, now).reindex(frame.index).fillna(0).astype(int)
    assert frame[["open", "overdue", "closed"]].astype(int).equals(expected)
    assert frame["overdue"].sum() > 0
    assert sites.sites_with_problem_counts(sample_session, now).set_index("id")[
        ["open", "overdue", "closed", "state"]].equals(frame[["open", "overdue", "closed",
                                                              "state"]])


@pytest.mark.parametrize("state", sites.PROBLEM_STATES)
def test_cells_from_cached_rows_equal_the_group_by(sample_session: Session, state: str) -> None:
    rows = sites.problem_cell_rows(sample_session, None, None, state, NOW)
    assert rows.late["problems"].sum() > 0 or state == "closed"  # some counted in SQL
    for now in (NOW, NOW + timedelta(hours=1), NOW + timedelta(days=2)):
        got = sites.cells_at(rows, now, state)
        assert got.equals(_cells_by_sql(sample_session, now, state)), (state, now)


@pytest.mark.parametrize("state", sites.PROBLEM_STATES)
def test_points_from_cached_rows_mark_overdue_at_render_time(sample_session: Session,
                                                            state: str) -> None:
    base = "open" if state == "overdue" else state
    rows = sites.problem_points(sample_session, None, None, base)
    got = sites.mark_overdue(rows, NOW, only_overdue=state == "overdue")
    assert got["id"].tolist() == sites.problems_in_view(sample_session, NOW, None, None,
                                                       state)["id"].tolist()
    assert len(got) == sites.count_problems_in_view(sample_session, NOW, None, None, state)
    assert int(got["overdue"].sum()) == sites.count_problems_in_view(
        sample_session, NOW, None, None, "overdue") * (state != "closed")


def test_migration_0006_backfills_the_summary(sample_db: str) -> None:
    eng = make_engine(sample_db)
    schema.downgrade(eng, "0005")
    schema.init_db(eng)
    with Session(eng) as s:
        assert _summary(s) == _links_per_site(s) and len(_summary(s)) > 300
    eng.dispose()


def test_moving_the_only_linked_site_away_recounts_it(session: Session) -> None:
    """A few problems (below FEW_PROBLEMS): the site that loses all its links is counted again
    too, not only the sites the new links touch."""
    from shapely.geometry import box

    sub = make_subdistrict(session)
    cls = make_problem_class(session, risk_weight=1.0)
    site = make_site(session, sub, lat=41.785, lon=123.40)
    make_problem(session, sub, cls, lat=41.785, lon=123.40)
    sites.recompute_problem_sites(session)
    assert _open_summary(session) == {(site.id, cls.id): 1} and _summary(session) == {site.id: 1}
    sites.move_site(session, OFFICE, site.id, 41.83, 123.40, outline=box(120, 40, 125, 43))
    session.flush()
    assert _links_per_site(session) == {}
    assert _summary(session) == {} and _open_summary(session) == {}
    assert riskmodel.open_weight_by_site(session).empty


def test_a_close_and_a_recount_of_one_site_at_once_keep_the_summary(engine) -> None:
    """Two people at once on PostgreSQL: one reports a problem near a site (its counts are
    recounted) while another closes an open problem of the same site. Without the site's lock
    the close's decrement met the recount's rows half-way and was lost."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race is PostgreSQL's")
    make = session_factory(engine)
    with make() as s:
        sub = make_subdistrict(s)
        cls = make_problem_class(s, risk_weight=1.0)
        make_site(s, sub, lat=41.785, lon=123.40)
        late = make_problem(s, sub, cls, lat=41.785, lon=123.40, status="submitted")
        sites.recompute_problem_sites(s)
        s.commit()
        late_id, class_code, sub_id = late.id, cls.code, sub.id
    reporter = make()
    workflow.report_problem(reporter, OFFICE, subdistrict_id=sub_id, class_code=class_code,
                            lat=41.785, lon=123.40, description="再次发现", source="spot_check")
    reporter.flush()  # the site is recounted and its rows held, not yet committed
    failed: list[BaseException] = []

    def close() -> None:
        with make() as s:
            try:
                workflow.transition(s, OFFICE, late_id, "accept", expected_version=1)
                s.commit()
            except BaseException as err:  # reported below
                failed.append(err)

    closer = threading.Thread(target=close)
    closer.start()
    with engine.connect() as watch:  # wait until the close waits for the reporter
        for _ in range(200):
            if watch.execute(select(func.count()).select_from(text("pg_locks"))
                             .where(text("NOT granted"))).scalar():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the close never waited for the reporter")
    reporter.commit()
    reporter.close()
    closer.join(30)
    assert not closer.is_alive() and failed == []
    with make() as s:
        assert _both_summaries_hold(s)
        assert sum(_open_summary(s).values()) == 1  # the new problem; the closed one is out


def test_migration_0013_backfills_the_open_summary(sample_db: str) -> None:
    eng = make_engine(sample_db)
    with Session(eng) as s:
        expected = _open_links_per_site_and_class(s)
    schema.downgrade(eng, "0012")
    schema.init_db(eng)
    with Session(eng) as s:
        assert _open_summary(s) == expected and len(expected) > 300
    eng.dispose()
