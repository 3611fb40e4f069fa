"""Issue 19 through AppTest: the evaluation imports on the Data page (office only) and the
overview's readiness headline against last week's stored snapshot (a cold overview computes one
estimate, not two)."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.clock import this_minute
from civdata.core.db import make_engine, session_factory
from civdata.domain import evaluation
from tests.pages.apptest import open_page, signed_in
from ui.readiness import trend_end


def _responses(url: str) -> int:
    """Return how many survey responses the database holds."""
    eng = make_engine(url)
    with session_factory(eng)() as s:
        n = int(s.scalar(select(func.count(m.SurveyResponse.id))))
    eng.dispose()
    return n


def test_office_imports_the_survey_on_the_data_page(sample_db) -> None:
    at = open_page(signed_in("office"), "data")
    kinds = at.selectbox(key="import_kind").options
    assert "测评体系" in kinds and "问卷调查" in kinds
    labels = [b.proto.label for b in at.get("download_button")]
    assert "测评体系模板" in labels and "问卷调查模板" in labels
    at.selectbox(key="import_kind").select("survey").run()
    before = _responses(sample_db)
    payload = ("问卷编号,街道,年龄段,调查日期,Q01,Q08\n"
               "Z0001,nanhu,30-44,2026-11-24,是,否\n").encode()
    at.file_uploader(key="import_file").set_value(("survey.csv", payload, "text/csv")).run()
    assert not at.exception
    assert [mt.value for mt in at.metric] == ["1", "1", "0"]
    [go] = [b for b in at.button if b.key == "import_go"]
    assert not go.disabled
    go.click().run()
    assert not at.error, [e.value for e in at.error]
    assert _responses(sample_db) == before + 1
    # a bad answer refuses the whole file, whatever the "only valid rows" box says
    bad = ("问卷编号,街道,年龄段,调查日期,Q01\n"
           "Z0002,nanhu,30-44,2026-11-24,是\nZ0003,nanhu,30-44,2026-11-24,也许\n").encode()
    at.file_uploader(key="import_file").set_value(("bad.csv", bad, "text/csv")).run()
    [go] = [b for b in at.button if b.key == "import_go"]
    assert go.disabled and at.checkbox(key="import_only_valid").disabled
    assert _responses(sample_db) == before + 1


def test_subdistrict_staff_are_not_offered_the_evaluation_imports(sample_db) -> None:
    at = open_page(signed_in("nanhu"), "data")
    kinds = at.selectbox(key="import_kind").options
    assert "问题" in kinds and "测评体系" not in kinds and "问卷调查" not in kinds


def test_cold_overview_reads_last_week_from_its_snapshot(sample_db, sample_session,
                                                         monkeypatch) -> None:
    now = this_minute()
    stored = evaluation.weekly_snapshots(sample_session, trend_end(now.date()), 1)
    assert bool(stored["computed"].iloc[0])  # the first look computes and stores it
    calls = []
    real = evaluation.readiness_estimate

    def counting(s, t, *args, **kwargs):
        calls.append(t)
        return real(s, t, *args, **kwargs)

    monkeypatch.setattr(evaluation, "readiness_estimate", counting)
    at = open_page(signed_in("office"), "overview")
    assert len(calls) == 1  # the estimate now; last week is the stored snapshot
    monkeypatch.setattr(evaluation, "readiness_estimate", real)
    est = real(sample_session, now, None)
    [card] = [x for x in at.metric if x.label.startswith("测评预计得分")]
    assert card.value == f"{est.total:,.1f}"
    assert card.delta == f"{est.total - float(stored['estimated'].iloc[0]):+.1f}"


def test_readiness_reads_are_keyed_by_the_evaluation_domain() -> None:
    from ui import readiness

    base = ("t1", 2, (("evaluation", ("t0", 1)), ("markets", ("t1", 1))))
    evaluation_write = ("t2", 3, (("evaluation", ("t2", 2)), ("markets", ("t1", 1))))
    market_write = ("t2", 3, (("evaluation", ("t0", 1)), ("markets", ("t2", 2))))
    assert readiness._key(evaluation_write) != readiness._key(base)
    assert readiness._key(market_write) == readiness._key(base)


def test_the_estimate_is_kept_over_an_idle_minute_and_other_domains_writes(monkeypatch) -> None:
    import contextlib
    from datetime import datetime, timedelta

    from ui import readers, readiness

    calls: list[datetime] = []
    fallback: list[str] = []

    def counting(s, t, subdistrict_id=None, **kwargs):
        calls.append(t)
        return SimpleNamespace(fallback_categories=list(fallback))

    monkeypatch.setattr(evaluation, "readiness_estimate", counting)
    monkeypatch.setattr(readers, "session", contextlib.nullcontext)
    readiness._estimate.clear()
    readiness._estimate_with_problems.clear()
    now = datetime(2026, 11, 25, 9, 0)
    marks = {"evaluation": ("t0", 1), "sites": ("t0", 1), "settings": ("t0", 1),
             "problems": ("t0", 1), "markets": ("t0", 1)}

    def version(**changed) -> tuple:
        return ("t", 0, tuple(sorted({**marks, **changed}.items())))

    readiness.estimate(version(), now, None)
    readiness.estimate(version(), now + timedelta(minutes=1), None)  # an idle minute
    readiness.estimate(version(problems=("t1", 2), markets=("t1", 2)), now, None)
    assert calls == [now]  # without a fallback category problems are no input
    readiness.estimate(version(evaluation=("t1", 2)), now + timedelta(minutes=2), None)
    assert len(calls) == 2
    fallback.append("museum")  # the deduction fallback reads open problems: they count
    readiness.estimate(version(evaluation=("t2", 3)), now, None)
    assert len(calls) == 3  # computed once, under the problems it read
    readiness.estimate(version(evaluation=("t2", 3), problems=("t2", 3)), now, None)
    readiness.estimate(version(evaluation=("t2", 3), problems=("t2", 3)), now, None)
    assert len(calls) == 4
    readiness._estimate.clear()
    readiness._estimate_with_problems.clear()
