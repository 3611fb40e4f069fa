"""The evaluation readiness (issue 19): the score arithmetic on a small hand-computed system,
the stratified estimate's coverage, Wilson intervals, and the imports' validation."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.domain import evaluation, survey
from civdata.domain.materials import add_material, review_material, upload_material_version
from civdata.domain.site_inspections import record_site_inspection
from civdata.io.evaluation_import import import_evaluation_system, import_survey
from tests import factories as f

OFFICE = Actor("office", "office")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
T = datetime(2026, 11, 25, 12, 0)
AT = datetime(2026, 11, 24, 10, 0)
HEADER = ("edition,year,part,part_zh,part_kind,item,item_zh,content,content_zh,points,method,"
          "lead_unit,categories\n")


def _system_csv(rows: list[str]) -> bytes:
    """Return an evaluation-system file with the given content rows."""
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8")


GOOD = [
    "T1,2026,PA,基本部分,basic,IA,项目A,A1,实地内容,60,onsite,城管局,catx;caty",
    "T1,2026,PA,基本部分,basic,IA,项目A,A2,问卷内容,30,survey,文明办,",
    "T1,2026,PA,基本部分,basic,IB,项目B,A3,材料内容,10,materials,教育局,",
    "T1,2026,PB,特色部分,distinctive,IC,项目C,B1,特色材料,20,materials,文明办,",
]


def _world(session, monkeypatch, tmp_path):
    """Build the small system of the hand computation (see test_score_arithmetic)."""
    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-25T12:00")  # a stopped clock: the
    # hand computation acts at noon, before the estimates at 23:00, at any hour of the run
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    sub1 = f.make_subdistrict(session, population=3000)
    sub2 = f.make_subdistrict(session, population=1000)
    catx = f.make_category(session, code="catx")
    caty = f.make_category(session, code="caty")
    cls = f.make_problem_class(session, code="sanitation", risk_weight=1.0)
    s1 = f.make_site(session, sub1, catx, lat=41.785, lon=123.40)
    s2 = f.make_site(session, sub1, catx, lat=41.785, lon=123.40)
    s3 = f.make_site(session, sub2, caty, lat=41.80, lon=123.42)  # ~2 km away
    for cat, code, pts, content in ((catx, "x1", 60, "A1"), (catx, "x2", 40, None),
                                    (caty, "y1", 100, "A1")):
        session.add(m.SiteChecklistItem(category_id=cat.id, code=code, name_zh=code,
                                        name_en=code, points=pts, class_id=cls.id,
                                        content_code=content, sort_order=1))
    session.add(m.SurveyQuestion(code="Q1", name_zh="满意吗", name_en="Satisfied?",
                                 dimension="satisfaction", content_code="A2", sort_order=1))
    session.flush()
    result = import_evaluation_system(session, OFFICE, "system.csv", _system_csv(GOOD))
    assert result.committed and not result.issues
    return {"sub1": sub1, "sub2": sub2, "s1": s1, "s2": s2, "s3": s3, "class": cls}


def _survey_csv(sub1: m.Subdistrict, sub2: m.Subdistrict) -> bytes:
    """Return 10 answers in sub1 (8 yes) and 10 in sub2 (2 yes)."""
    lines = ["respondent,subdistrict,age_band,responded_on,Q1"]
    for i in range(10):
        lines.append(f"A{i},{sub1.code},30-44,2026-11-20,{'是' if i < 8 else '否'}")
        lines.append(f"B{i},{sub2.code},60+,2026-11-21,{'是' if i < 2 else '否'}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_score_arithmetic_on_a_hand_computed_system(session, monkeypatch, tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    # on-site A1 (60): s1 passes x1 (its A1 item) and fails x2 -> rate 60/60 = 1.0;
    # s2 gets 30/60 on x1 -> 0.5; category catx = 0.75. s3 (caty) is never inspected: the
    # deduction model's fallback, one open problem of weight 1 in its surroundings -> 95/100.
    # A1 = 60 x (2 x 0.75 + 1 x 0.95) / 3 = 49.0
    record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="self_check",
                           inspector="甲", results={"x1": True, "x2": False}, at=AT)
    record_site_inspection(session, OFFICE, site_id=w["s2"].id, source="spot_check",
                           inspector="乙", results={"x1": 30, "x2": 40}, at=AT)
    from civdata.domain.workflow import report_problem

    report_problem(session, OFFICE, subdistrict_id=w["sub2"].id, class_code="sanitation",
                   lat=41.80, lon=123.42, description="垃圾", source="public_report")
    # survey A2 (30): 8/10 in sub1 (population 3000), 2/10 in sub2 (1000):
    # 0.75 x 0.8 + 0.25 x 0.2 = 0.65 -> 19.5
    res = import_survey(session, OFFICE, "survey.csv", _survey_csv(w["sub1"], w["sub2"]))
    assert res.committed and res.written == 20
    # materials A3 (10): one of two accepted -> 5; B1 (20): submitted, not reviewed -> 0
    a = add_material(session, OFFICE, content_code="A3", title="方案", responsible_unit="教育局",
                     deadline=T)
    add_material(session, OFFICE, content_code="A3", title="台账", responsible_unit="教育局",
                 deadline=T)
    b = add_material(session, OFFICE, content_code="B1", title="特色", responsible_unit="文明办",
                     deadline=T)
    upload_material_version(session, OFFICE, a, "方案.pdf", PDF)
    review_material(session, OFFICE, a, accept=True, reason=None)
    upload_material_version(session, OFFICE, b, "特色.pdf", PDF)
    session.commit()

    r = evaluation.readiness_estimate(session, datetime(2026, 11, 25, 23, 0), draws=50)
    assert r.max_points == 120.0 and r.edition == "T1"
    assert r.by_method == pytest.approx({"onsite": 49.0, "survey": 19.5, "materials": 5.0})
    assert r.max_by_method == {"onsite": 60.0, "survey": 30.0, "materials": 30.0}
    assert r.total == pytest.approx(73.5)
    assert r.low <= r.total <= r.high
    assert r.fallback_categories == ["caty"]
    parts = r.parts.set_index("part_code")
    assert parts.loc["PA", ["max_points", "estimated"]].tolist() == pytest.approx([100.0, 73.5])
    assert parts.loc["PB", ["max_points", "estimated"]].tolist() == pytest.approx([20.0, 0.0])
    # subdistrict 1: its own catx sites only (0.75 x 60 = 45), its survey rate 0.8 x 30 = 24,
    # district-level materials 5 -> 74
    own = evaluation.readiness_estimate(session, datetime(2026, 11, 25, 23, 0),
                                        w["sub1"].id, draws=50)
    assert own.total == pytest.approx(74.0) and own.fallback_categories == []
    risk = evaluation.points_at_risk(session, datetime(2026, 11, 25, 23, 0))
    assert risk["content_code"].tolist()[0] == "B1"  # 20 points lost
    assert risk.set_index("content_code").loc["A1", "points_lost"] == pytest.approx(11.0)
    # before anything was inspected, answered or accepted the estimate is the fallback's
    early = evaluation.readiness_estimate(session, datetime(2026, 11, 1), draws=20)
    assert early.by_method["survey"] == 0.0 and early.by_method["materials"] == 0.0
    assert early.fallback_categories == ["catx", "caty"]


def test_no_edition_raises_a_message(session) -> None:
    with pytest.raises(CivDataError) as err:
        evaluation.readiness_estimate(session, T)
    assert err.value.code == "eval_no_edition" and "测评体系" in err.value.message("zh")


def test_stratified_range_covers_the_census_in_most_of_40_draws() -> None:
    rng = np.random.default_rng(7)
    sizes = {"a": 120, "b": 60, "c": 30, "d": 90}
    population = {k: np.clip(rng.beta(6 + i, 2, n), 0, 1) for i, (k, n) in
                  enumerate(sizes.items())}
    census = sum(sizes[k] * population[k].mean() for k in sizes) / sum(sizes.values())
    covered = 0
    for seed in range(40):
        draw = np.random.default_rng(1000 + seed)
        strata = {k: draw.choice(v, size=max(6, len(v) // 10), replace=False)
                  for k, v in population.items()}
        est, low, high = evaluation.stratified_estimate(strata, {k: float(n) for k, n in
                                                                 sizes.items()}, 400, seed)
        assert low <= est <= high
        covered += low <= census <= high
    assert covered >= 36, covered


# Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score).
@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718), (29, 29, 0.8830, 1.0)])
def test_wilson_interval_matches_the_published_values(k, n, low, high) -> None:
    got = survey.wilson_interval(k, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_weighted_rate_with_one_stratum_is_its_wilson_interval() -> None:
    rate, low, high, n_eff = survey.weighted_rate(np.array([81]), np.array([263]),
                                                  np.array([5.0]))
    assert rate == pytest.approx(81 / 263) and n_eff == pytest.approx(263)
    assert (low, high) == pytest.approx(survey.wilson_interval(81, 263))
    # two equal strata with equal weights and equal rates: the pooled interval
    rate, low, high, n_eff = survey.weighted_rate(np.array([40, 40]), np.array([50, 50]),
                                                  np.array([1.0, 1.0]))
    assert rate == pytest.approx(0.8) and n_eff == pytest.approx(100)
    assert (low, high) == pytest.approx(survey.wilson_interval(80, 100))


def test_survey_rates_weight_the_district_by_population(session, monkeypatch,
                                                         tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    import_survey(session, OFFICE, "survey.csv", _survey_csv(w["sub1"], w["sub2"]))
    rates = survey.survey_rates(session)
    district = rates[rates["scope"] == "district"].iloc[0]
    assert district["rate"] == pytest.approx(0.65) and district["n"] == 20
    assert district["low"] < 0.65 < district["high"]
    one = rates[rates["scope"] == w["sub1"].name_zh].iloc[0]
    assert (one["n"], one["rate"]) == (10, pytest.approx(0.8))
    assert (one["low"], one["high"]) == pytest.approx(survey.wilson_interval(8, 10))
    assert survey.survey_rates(session, w["sub2"].id)["scope"].tolist() == [w["sub2"].name_zh]
    # the same file again writes nothing (respondents already imported)
    again = import_survey(session, OFFICE, "survey.csv", _survey_csv(w["sub1"], w["sub2"]))
    assert again.written == 0 and again.skipped == 20 and not again.issues


def _counts(session) -> tuple[int, ...]:
    """Return the row counts of the evaluation system's and survey's tables."""
    return tuple(int(session.scalar(select(func.count()).select_from(t))) for t in (
        m.EvalEdition, m.EvalPart, m.EvalItem, m.EvalContent, m.EvalContentCategory,
        m.SurveyResponse, m.SurveyAnswer))


@pytest.mark.parametrize(("rows", "code"), [
    ([r.replace(",60,", ",-5,") for r in GOOD], "eval_points_positive"),
    ([r.replace(",onsite,", ",walk,") for r in GOOD], "import_bad_choice"),
    ([r.replace("catx;caty", "catx;nowhere") for r in GOOD], "import_unknown_code"),
    ([r.replace("catx;caty", "") for r in GOOD], "eval_onsite_needs_category"),
    ([*GOOD, GOOD[1]], "import_duplicate_row"),
    ([r.replace(",30,survey", ",25,survey") for r in GOOD], "eval_points_sum"),
    ([GOOD[0], GOOD[1].replace("基本部分", "另一部分"), *GOOD[2:]], "eval_inconsistent"),
    ([GOOD[0].replace("T1,", "T2,"), *GOOD[1:]], "eval_one_edition"),
])
def test_bad_system_files_are_refused_and_write_nothing(session, rows, code) -> None:
    f.make_category(session, code="catx")
    f.make_category(session, code="caty")
    session.commit()
    before = _counts(session)
    result = import_evaluation_system(session, OFFICE, "system.csv", _system_csv(rows))
    assert not result.committed and code in {i.error.code for i in result.issues}
    assert result.refusal().message("zh").startswith("文件有")
    assert _counts(session) == before


def test_an_edition_is_loaded_once_and_only_by_the_office(session) -> None:
    f.make_category(session, code="catx")
    f.make_category(session, code="caty")
    session.commit()
    with pytest.raises(PermissionDenied):
        import_evaluation_system(session, Actor("nanhu", "subdistrict", 1), "s.csv",
                                 _system_csv(GOOD))
    assert import_evaluation_system(session, OFFICE, "s.csv", _system_csv(GOOD)).committed
    again = import_evaluation_system(session, OFFICE, "s.csv", _system_csv(GOOD))
    assert [i.error.code for i in again.issues] == ["eval_edition_exists"]
    assert _counts(session)[0] == 1
    audit = session.scalar(select(func.count(m.AuditLog.id)).where(
        m.AuditLog.action == "evaluation.import"))
    assert audit == 1


def test_bad_survey_rows_are_refused_and_write_nothing(session, monkeypatch,
                                                        tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    before = _counts(session)
    bad = (f"respondent,subdistrict,age_band,responded_on,Q1\n"
           f"A1,{w['sub1'].code},30-44,2026-11-20,是\n"
           f"A2,nowhere,30-44,2026-11-20,是\n"
           f"A3,{w['sub1'].code},12-17,2026-11-20,是\n"
           f"A4,{w['sub1'].code},30-44,2026-11-20,也许\n"
           f"A5,{w['sub1'].code},30-44,2026-12-30,是\n").encode()
    result = import_survey(session, OFFICE, "survey.csv", bad)
    assert not result.committed
    assert {(i.row, i.error.code) for i in result.issues} == {
        (3, "import_unknown_code"), (4, "import_bad_choice"), (5, "eval_bad_answer"),
        (6, "progress_date_future")}
    assert _counts(session) == before
    with pytest.raises(CivDataError) as err:
        import_survey(session, OFFICE, "survey.pdf", PDF)
    assert err.value.code == "import_file_type"


def test_trend_has_one_row_per_week(session, monkeypatch, tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="self_check",
                           inspector="甲", results={"x1": True, "x2": True}, at=AT)
    session.commit()
    trend = evaluation.readiness_trend(session, T, weeks=3)
    assert trend["week_start"].tolist() == [date(2026, 11, 9), date(2026, 11, 16),
                                            date(2026, 11, 23)]
    now = evaluation.readiness_estimate(session, T, draws=evaluation.TREND_DRAWS, seed=2)
    assert trend["estimated"].iloc[-1] == pytest.approx(now.total)
