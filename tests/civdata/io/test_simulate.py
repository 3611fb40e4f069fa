"""The live feed (python -m civdata simulate): what it writes, through which rules, and pacing."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civdata.cli import main
from civdata.core import models as m
from civdata.core.db import make_engine, session_factory, session_scope
from civdata.core.errors import CivDataError, StaleEdit
from civdata.core.live import last_change
from civdata.domain import geo
from civdata.domain.workflow import TRANSITIONS
from civdata.io import simulate
from civdata.io.sample import load_sample, table_counts
from tests.conftest import SAMPLE_AS_OF

SEED = 1  # any seed: a transition draws the state first, so every transition comes up
ACTION_OF = {(t.from_status, t.to_status): a for a, t in TRANSITIONS.items()}
LEGAL = {(None, "discovered"), *ACTION_OF}
TRANSITION_KINDS = ("assign", "start", "submit", "accept", "reject")


@pytest.fixture
def loaded(engine, sample_template: Path, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch):
    """Return the fresh engine (SQLite, and PostgreSQL when given) with the sample loaded
    (on SQLite the file is replaced by a copy of the sample built once per run: same rows)."""
    monkeypatch.setenv("CIVDATA_TODAY", SAMPLE_AS_OF.isoformat())
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    if engine.dialect.name == "sqlite":
        engine.dispose()
        path = Path(engine.url.database)
        for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            extra.unlink(missing_ok=True)
        shutil.copy(sample_template, path)
        return engine
    with session_scope(engine) as s:
        load_sample(s, as_of=SAMPLE_AS_OF)
    return engine


@pytest.fixture
def sample_copy(sample_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Return a factory of engines on fresh copies of the sample database (SQLite)."""
    monkeypatch.setenv("CIVDATA_TODAY", SAMPLE_AS_OF.isoformat())
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    engines = []

    def make(name: str = "copy"):
        target = tmp_path / f"{name}.db"
        shutil.copy(sample_template, target)
        engines.append(make_engine(f"sqlite:///{target}"))
        return engines[-1]

    yield make
    for eng in engines:
        eng.dispose()


def _counts(engine) -> dict[str, int]:
    """Return rows per table."""
    with session_factory(engine)() as s:
        return table_counts(s)


def _version(engine) -> int:
    """Return the sum of the data-change counters."""
    with session_factory(engine)() as s:
        return last_change(s)[1]


def test_a_seeded_run_writes_every_kind_through_the_data_layer(loaded) -> None:
    before, version_before = _counts(loaded), _version(loaded)
    with session_factory(loaded)() as s:
        last_inspection = s.scalar(select(func.max(m.MarketInspection.id)))
    events: list[simulate.Event] = []
    result = simulate.simulate(loaded, 600, 0.5, seed=SEED, fast=True, on_event=events.append)
    after = _counts(loaded)
    grew = {t: after[t] - before[t] for t in after}

    assert result.skipped == 0 and not result.interrupted
    assert 250 <= result.total <= 350 and len(events) == result.total
    assert {k for k, n in result.counts.items() if n == 0} == set()  # every kind occurred
    assert all(result.counts[k] > 0 for k in TRANSITION_KINDS), result.counts
    assert result.raised_by_inspections > 0 and result.closed_by_reinspections > 0
    transitions = sum(result.counts[k] for k in TRANSITION_KINDS)
    new_problems = result.counts["report"] + result.counts["reopen"] + result.raised_by_inspections
    assert grew["problem"] == new_problems
    assert grew["problem_event"] == new_problems + transitions + result.reinspection_transitions
    assert grew["project_progress"] == result.counts["progress"]
    assert grew["market_inspection"] == result.counts["inspection"]
    assert grew["market_inspection_score"] == result.counts["inspection"] * after["checklist_item"]
    assert grew["volunteer_activity"] == result.counts["activity"]
    assert grew["audit_log"] == (result.total + result.raised_by_inspections
                                 + result.reinspection_transitions)
    assert _version(loaded) - version_before >= result.total  # live panels see every event

    with session_factory(loaded)() as s:
        submitted = s.scalars(select(m.Problem.photo_after).join(
            m.ProblemEvent, m.ProblemEvent.problem_id == m.Problem.id).where(
            m.ProblemEvent.actor.like("sim-%"), m.ProblemEvent.to_status == "submitted",
            m.Problem.source != "market_inspection")).all()
        assert submitted and all(submitted)  # every rectification came with an after-photo
        from civdata.io.photos import photo_dir

        assert all((photo_dir() / name).is_file() for name in set(submitted))
        _check_problem_loop(s)
        _check_progress(s)
        _check_inspections(s, last_inspection)
        _check_new_problem_places(s)
        users = set(s.scalars(select(m.AuditLog.username).where(
                              m.AuditLog.username.like("sim-%"))))
        assert {"sim-office", "sim-market"} <= users and len(users) > 3  # + subdistrict staff


def _check_problem_loop(s) -> None:
    """Every simulated event is a legal move that continues the last one and has its audit row."""
    rows = s.execute(select(m.ProblemEvent.problem_id, m.ProblemEvent.from_status,
                            m.ProblemEvent.to_status, m.ProblemEvent.actor)
                     .order_by(m.ProblemEvent.problem_id, m.ProblemEvent.id)).all()
    status = dict(s.execute(select(m.Problem.id, m.Problem.status)).all())
    touched: dict[int, list[tuple[str | None, str]]] = {}
    for pid, old, new, actor in rows:
        if actor.startswith("sim-"):
            touched.setdefault(pid, []).append((old, new))
    assert touched
    for pid, moves in touched.items():
        assert all(move in LEGAL for move in moves), moves
        assert all(a[1] == b[0] for a, b in zip(moves, moves[1:], strict=False)), moves
        assert status[pid] == moves[-1][1]
    assert set(status.values()) <= set(m.PROBLEM_STATUSES)
    moved = Counter((pid, ACTION_OF[mv]) for pid, mvs in touched.items() for mv in mvs
                    if mv[0] is not None)
    audited = Counter((int(r), a.removeprefix("problem.")) for r, a in s.execute(
        select(m.AuditLog.record_id, m.AuditLog.action)
        .where(m.AuditLog.table_name == "problem", m.AuditLog.username.like("sim-%"),
               m.AuditLog.action.in_([f"problem.{a}" for a in TRANSITIONS]))).all())
    assert moved == audited


def _check_progress(s) -> None:
    """Progress never goes backwards, never over 100, and 100 % is exactly 'completed'."""
    rows = s.execute(select(m.ProjectProgress.project_id, m.ProjectProgress.percent,
                            m.ProjectProgress.stage, m.ProjectProgress.reported_by)
                     .order_by(m.ProjectProgress.project_id, m.ProjectProgress.reported_on,
                               m.ProjectProgress.id)).all()
    last: dict[int, float] = {}
    simulated = 0
    for pid, percent, stage, who in rows:
        assert 0 <= percent <= 100
        if who.startswith("sim-"):
            simulated += 1
            assert percent >= last.get(pid, 0.0)
            assert (stage == "completed") == (percent == 100.0)
        last[pid] = percent
    assert simulated > 0


def _check_inspections(s, after_id: int) -> None:
    """Simulated inspections score every item within its range and total the item scores."""
    items = dict(s.execute(select(m.ChecklistItem.id, m.ChecklistItem.max_points)).all())
    for ins in s.scalars(select(m.MarketInspection).where(m.MarketInspection.id > after_id)):
        scores = s.execute(select(m.MarketInspectionScore.item_id, m.MarketInspectionScore.score)
                           .where(m.MarketInspectionScore.inspection_id == ins.id)).all()
        assert len(scores) == len(items)
        assert all(0 <= v <= items[i] for i, v in scores)
        assert ins.total_score == pytest.approx(sum(v for _, v in scores))
        assert 40 <= ins.total_score <= 100


def _check_new_problem_places(s) -> None:
    """New problems lie inside the district, within their site's check radius."""
    rows = s.execute(select(m.Problem.lat, m.Problem.lon, m.Site.lat, m.Site.lon,
                            m.SiteCategory.radius_m)
                     .join(m.Site, m.Site.id == m.Problem.site_id)
                     .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
                     .where(m.Problem.created_by.like("sim-%"),
                            m.Problem.reopened_from_id.is_(None),
                            m.Problem.source != "market_inspection")).all()
    assert rows
    outside = geo.points_outside(geo.district_outline(), [r[1] for r in rows], [r[0] for r in rows])
    assert not outside.any()
    assert all(geo.distance_m(r[1], r[0], r[3], r[2]) <= r[4] for r in rows)


def test_the_same_seed_writes_the_same_events(sample_copy) -> None:
    runs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        events: list[simulate.Event] = []
        simulate.simulate(sample_copy(name), 600, 0.1, seed=seed, fast=True,
                          on_event=events.append)
        runs.append([(e.kind, e.code, e.detail_en) for e in events])
    assert runs[0] == runs[1] and len(runs[0]) > 30
    assert runs[0] != runs[2]


class FakeTime:
    """A monotonic clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_pacing_spreads_the_events_over_the_minutes(sample_copy) -> None:
    fake = FakeTime()
    at: list[float] = []
    result = simulate.simulate(sample_copy(), 120, 0.25, seed=3, sleep=fake.sleep,
                               clock=fake.clock, on_event=lambda e: at.append(fake.now - 1000))
    assert sum(fake.sleeps) == pytest.approx(15.0)  # the whole window, no more
    assert all(s > 0 for s in fake.sleeps)
    assert at == sorted(at) and all(0 < t < 15.0 for t in at)
    assert len(at) == result.total == len(list(simulate.arrival_offsets(
        120, 0.25, random.Random("3:arrivals"))))
    fast = FakeTime()
    again = simulate.simulate(sample_copy("fast"), 120, 0.25, seed=3, fast=True,
                              sleep=fast.sleep, clock=fast.clock)
    assert fast.sleeps == [] and again.counts == result.counts


def test_ctrl_c_stops_and_keeps_what_was_written(sample_copy) -> None:
    eng = sample_copy()
    before = _counts(eng)["audit_log"]
    seen: list[simulate.Event] = []

    def interrupt_at_five(event: simulate.Event) -> None:
        seen.append(event)
        if len(seen) == 5:
            raise KeyboardInterrupt

    result = simulate.simulate(eng, 600, 1, seed=1, fast=True, on_event=interrupt_at_five)
    assert result.interrupted and result.total == 5
    assert _counts(eng)["audit_log"] - before == (5 + result.raised_by_inspections
                                                  + result.reinspection_transitions)
    assert "stopped by Ctrl-C." in simulate.summary_lines(result, "en")


def test_a_refused_event_is_skipped_and_the_run_goes_on(sample_copy, monkeypatch) -> None:
    def stale(session, world, rng):
        raise StaleEdit("stale_edit", who="office", at="09:00")

    monkeypatch.setitem(simulate.WRITERS, "transition", stale)
    events: list[simulate.Event] = []
    result = simulate.simulate(sample_copy(), 600, 0.1, seed=2, fast=True, on_event=events.append)
    assert result.skipped > 0 and result.total > 0
    assert sum(result.counts[k] for k in TRANSITION_KINDS) == 0
    skipped = [e for e in events if e.kind == "skipped"]
    assert len(skipped) == result.skipped and "reload" in skipped[0].detail_en


def test_an_empty_database_is_refused(engine) -> None:
    with pytest.raises(CivDataError) as err:
        simulate.simulate(engine, 60, 0.1, seed=1, fast=True)
    assert err.value.code == "simulate_no_data"
    assert _counts(engine)["audit_log"] == 0


def test_cli_runs_fast_and_prints_one_line_per_event_and_the_summary(sample_db, capsys) -> None:
    args = ["--database-url", sample_db, "simulate", "--minutes", "0.05", "--rate", "600",
            "--as-fast-as-possible", "--seed", "4"]
    assert main(["--lang", "en", *args]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("simulating 600 events per minute for 0.05 minutes, seed 4")
    summary = next(i for i, line in enumerate(out) if " events written in " in line)
    total = int(out[summary].split()[0])
    assert total == summary - 1 > 0  # one line per event between the header and the summary
    assert any("new problem" in line for line in out[1:summary])
    assert "events refused and skipped: 0" in out[-1]
    assert main(["--lang", "zh", *args]) == 0
    zh = capsys.readouterr().out
    assert "共写入" in zh and "随机种子 4" in zh and "新问题" in zh


def test_cli_refuses_an_empty_database_and_a_bad_rate(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    base = ["--database-url", url, "simulate", "--minutes", "0.05", "--as-fast-as-possible"]
    assert main(base) == 1
    err = capsys.readouterr().err
    assert "load-sample" in err and "Traceback" not in err
    assert main(["--lang", "zh", *base]) == 1
    assert "请先运行" in capsys.readouterr().err
    assert main([*base, "--rate", "0"]) == 1
    assert "--rate" in capsys.readouterr().err


def test_item_scores_stay_in_range_and_fail_at_about_the_share() -> None:
    rng = random.Random(0)
    scores = [simulate.item_score(rng, 20, 15, 0.1) for _ in range(5000)]
    assert all(0 <= v <= 20 and v * 2 == int(v * 2) for v in scores)
    failing = sum(v < 15 for v in scores) / len(scores)
    assert 0.08 < failing < 0.12


def test_arrivals_come_at_the_rate() -> None:
    n = len(list(simulate.arrival_offsets(600, 10, random.Random(1))))
    assert 5700 < n < 6300
    assert list(simulate.arrival_offsets(60, 0, random.Random(1))) == []


def test_points_fall_near_their_site_inside_its_subdistrict(sample_session) -> None:
    world = simulate.load_world(sample_session)
    rng = random.Random(9)
    for site in world.sites[:60]:
        place = simulate.point_near(site, world, rng)
        assert place is not None
        lat, lon, metres = place
        assert geo.distance_m(lon, lat, site.lon, site.lat) <= site.radius_m
        assert abs(geo.distance_m(lon, lat, site.lon, site.lat) - metres) < 5
        assert geo.points_inside(world.boundaries[site.subdistrict_id], [lon], [lat])[0] \
            or (lat, lon) == (site.lat, site.lon)


def test_a_passing_reinspection_closes_assigned_and_unassigned_problems(sample_copy) -> None:
    """Regression met by the simulator: pandas 3 read the unassigned problem's empty
    responsible unit as NaN, and the walk to closed crashed on it."""
    from civdata.domain import markets, workflow

    eng = sample_copy()
    with session_scope(eng) as s:
        world = simulate.load_world(s)
        market_id = world.markets[0][0]
        failing = {c: (thr - 2 if c == world.checklist[0][0] else mx) for c, mx, thr in world.checklist}
        passing = {c: mx for c, mx, _ in world.checklist}
        raised = [markets.record_inspection(s, simulate.MARKET, market_id, SAMPLE_AS_OF,
                                            f"检查员{i}", failing).problem_id for i in range(2)]
        first = s.get(m.Problem, raised[0])
        workflow.transition(s, simulate.MARKET, first.id, "assign",
                            expected_version=first.version, responsible_unit="市场方")
        outcome = markets.record_inspection(s, simulate.MARKET, market_id, SAMPLE_AS_OF,
                                            "检查员", passing, is_reinspection=True)
        assert set(raised) <= set(outcome.closed_problem_ids)
        assert {s.get(m.Problem, i).status for i in raised} == {"closed"}


def test_a_site_outside_the_district_offers_no_point(sample_session) -> None:
    from dataclasses import replace

    world = simulate.load_world(sample_session)
    far = replace(world.sites[0], lat=40.0, lon=120.0)
    assert simulate.point_near(far, world, random.Random(1)) is None
