"""Issue 19, the imports reachable: the indicator system and the survey through the shared
import entry (Data page, command line), office only, all or nothing; the survey's questions come
with the indicator system, so an EMPTY database gets survey rates from two imports; the
evaluation's writes mark their own change domain."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from civdata.cli import main
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import PermissionDenied
from civdata.core.live import domain_marks
from civdata.domain import evaluation, survey
from civdata.io import importers
from tests import factories as f

OFFICE = Actor("office", "office")
HEADER = ("edition,year,part,part_zh,part_kind,item,item_zh,content,content_zh,points,method,"
          "lead_unit,categories,question,question_zh,question_en,dimension\n")
SYSTEM = [
    "T1,2026,PA,基本部分,basic,IA,项目A,A1,实地内容,70,onsite,城管局,catx,,,,",
    "T1,2026,PA,基本部分,basic,IA,项目A,A2,创建工作满意度,20,survey,文明办,,Q9,"
    "您对创建工作满意吗？,Are you satisfied with the campaign?,满意率",
    # no question columns: the content is its own question, the dimension read from the name
    "T1,2026,PA,基本部分,basic,IB,项目B,A4,垃圾分类知晓率,10,survey,城管局,,,,,",
    "T1,2026,PB,特色部分,distinctive,IC,项目C,B1,特色材料,20,materials,文明办,,,,,",
]


def _system(rows: list[str]) -> bytes:
    """Return an indicator-system file with the given rows."""
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8")


def _empty_district(session) -> tuple[m.Subdistrict, m.Subdistrict]:
    """Return two subdistricts (populations 3000 and 1000) and a category: no question, no
    evaluation data at all."""
    sub1 = f.make_subdistrict(session, population=3000)
    sub2 = f.make_subdistrict(session, population=1000)
    f.make_category(session, code="catx")
    session.commit()
    return sub1, sub2


def _survey_file(session, sub1: m.Subdistrict, sub2: m.Subdistrict) -> bytes:
    """Return a survey file whose header row is the survey template's (questions included):
    sub1 answers Q9 8/10 yes and A4 5/10; sub2 Q9 2/10 and A4 5/10."""
    book = load_workbook(io.BytesIO(importers.template_xlsx(session, "survey")))
    header = [c.value for c in book.worksheets[0][1]]
    lines = [",".join(header)]
    for i in range(10):
        lines.append(f"A{i},{sub1.code},,30-44,2026-11-20,{'是' if i < 8 else '否'},"
                     f"{'是' if i < 5 else '否'}")
        lines.append(f"B{i},{sub2.code},,60+,2026-11-21,{'是' if i < 2 else '否'},"
                     f"{'是' if i < 5 else '否'}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_system_then_survey_into_an_empty_database_gives_survey_rates(
        session, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-25")
    sub1, sub2 = _empty_district(session)
    assert "evaluation_system" in importers.KINDS and "survey" in importers.KINDS
    result = importers.import_file(session, OFFICE, "evaluation_system", "system.csv",
                                   _system(SYSTEM))
    assert result.committed and result.written == 4 and not result.issues
    questions = session.execute(select(m.SurveyQuestion.code, m.SurveyQuestion.name_zh,
                                       m.SurveyQuestion.dimension, m.SurveyQuestion.content_code)
                                .order_by(m.SurveyQuestion.sort_order)).all()
    assert questions == [("Q9", "您对创建工作满意吗？", "satisfaction", "A2"),
                         ("A4", "垃圾分类知晓率", "awareness", "A4")]
    payload = _survey_file(session, sub1, sub2)
    dry = importers.import_file(session, OFFICE, "survey", "survey.csv", payload, dry_run=True)
    assert dry.written == 20 and not dry.committed and not dry.issues
    assert len(dry.preview) == 20
    assert session.scalar(select(func.count(m.SurveyResponse.id))) == 0
    done = importers.import_file(session, OFFICE, "survey", "survey.csv", payload)
    assert done.committed and done.written == 20
    rates = survey.survey_rates(session)
    district = rates[rates["scope"] == "district"].set_index("question_code")
    assert district.loc["Q9", "rate"] == pytest.approx(0.75 * 0.8 + 0.25 * 0.2)
    assert district.loc["A4", "rate"] == pytest.approx(0.5)
    est = evaluation.readiness_estimate(session, datetime(2026, 11, 25, 23, 0), draws=20)
    assert est.by_method["survey"] == pytest.approx(20 * 0.65 + 10 * 0.5)
    # the same file again: every respondent already imported, nothing written
    again = importers.import_file(session, OFFICE, "survey", "survey.csv", payload)
    assert again.written == 0 and again.already == 20 and not again.issues


def test_evaluation_writes_mark_the_evaluation_domain(session, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-25")
    sub1, sub2 = _empty_district(session)
    before = domain_marks(session)
    importers.import_file(session, OFFICE, "evaluation_system", "s.csv", _system(SYSTEM))
    importers.import_file(session, OFFICE, "survey", "v.csv", _survey_file(session, sub1, sub2))
    marks = domain_marks(session)
    assert marks["evaluation"][1] == 2
    for other in ("settings", "sites", "markets"):
        assert marks.get(other) == before.get(other), other


@pytest.mark.parametrize("kind", ["evaluation_system", "survey"])
def test_only_the_office_imports_the_evaluation(session, kind: str) -> None:
    sub1, _ = _empty_district(session)
    staff = Actor("nanhu", "subdistrict", sub1.id)  # may import problems, not these
    assert importers.import_permission(kind) != "data.import"
    with pytest.raises(PermissionDenied):
        importers.import_file(session, staff, kind, "x.csv", _system(SYSTEM), dry_run=True)
    assert session.scalar(select(func.count(m.EvalEdition.id))) == 0


def test_a_question_on_a_non_survey_row_refuses_the_file(session) -> None:
    _empty_district(session)
    rows = [SYSTEM[0].replace(",,,,", ",Q1,问题,,"), *SYSTEM[1:]]
    result = importers.import_file(session, OFFICE, "evaluation_system", "s.csv", _system(rows))
    assert not result.committed and result.written == 0
    assert [(i.row, i.column, i.error.code) for i in result.issues] == [
        (2, "question", "eval_question_not_survey")]
    assert session.scalar(select(func.count(m.SurveyQuestion.id))) == 0
    assert session.scalar(select(func.count(m.EvalEdition.id))) == 0


def test_command_line_imports_system_and_survey(engine, session, tmp_path, capsys,
                                                monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-25")
    sub1, sub2 = _empty_district(session)
    url = engine.url.render_as_string(hide_password=False)
    system = tmp_path / "system.csv"
    system.write_bytes(_system(SYSTEM))
    assert main(["--database-url", url, "--lang", "en", "import", "evaluation_system",
                 str(system)]) == 0
    assert "evaluation system" in capsys.readouterr().out
    answers = tmp_path / "survey.csv"
    answers.write_bytes(_survey_file(session, sub1, sub2))
    session.rollback()
    assert main(["--database-url", url, "import", "survey", str(answers), "--dry-run"]) == 0
    assert session.scalar(select(func.count(m.SurveyResponse.id))) == 0
    assert main(["--database-url", url, "import", "survey", str(answers)]) == 0
    assert session.scalar(select(func.count(m.SurveyResponse.id))) == 20
    staff = ["--database-url", url, "import", "survey", str(answers), "--user", "nobody"]
    assert main(staff) == 1  # an unknown account is refused
