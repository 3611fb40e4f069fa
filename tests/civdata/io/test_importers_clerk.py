"""Imports as a clerk meets them (issue 16.1-5, issue 15.11): free text kept as typed, repeated
keys refused, re-imports recognised and never written twice (also in the database), AMap/Baidu
coordinates caught, messages that say what is wrong in the user's language, junk refused with a
message."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from civdata.cli import default_lang, main
from civdata.core import models as m
from civdata.core import schema
from civdata.core.auth import Actor
from civdata.core.db import session_scope
from civdata.core.errors import CivDataError
from civdata.domain import geo, markets, volunteers
from civdata.domain import renovation as ren
from civdata.io import importers
from tests import factories as f
from tests.civdata.io.test_importers import HEADER_EN, csv_of, fingerprint, problems_added
from tests.conftest import ROOT

OFFICE = Actor("office", "office")
S033 = (41.761505, 123.426807)  # the sample's site S033 (WGS-84)


def _codes(result: importers.ImportResult) -> list[tuple[int, str, str]]:
    """Return (row, column, code) of each issue, in the order given."""
    return [(i.row, i.column, i.error.code) for i in result.issues]


def _count(session, model) -> int:
    return int(session.scalar(select(func.count()).select_from(model)))


# ---------------------------------------------------------------- 16.1 free text as typed


def test_free_text_is_stored_exactly_as_typed(sample_session) -> None:
    text = "人行道垃圾堆放，已通知环卫所（东侧）：１２处"
    data = csv_of(HEADER_EN + ",responsible_unit",
                  f"ｎａｎｈｕ,sanitation,４１．７６１５,123.4268,\"{text}\",日常巡查,南湖环卫所（东）")
    result = importers.import_file(sample_session, OFFICE, "problems", "p.csv", data)
    assert result.issues == [] and result.written == 1
    [p] = problems_added(sample_session)
    assert p.description == text  # full-width comma, brackets, colon and digits kept
    assert p.responsible_unit == "南湖环卫所（东）"
    assert (p.lat, p.source) == (41.7615, "daily_inspection")  # parsed cells normalised


# ---------------------------------------------------------------- 16.2 repeated key in a file


def test_a_repeated_site_code_is_refused_naming_both_rows(sample_session) -> None:
    before = fingerprint(sample_session)
    data = csv_of("点位编号,点位名称,点位类别,街道,纬度,经度",
                  "S902,南湖公园东门,park_square,nanhu,41.7615,123.4268",
                  "S902,南湖公园西门,park_square,nanhu,41.7620,123.4200")
    result = importers.import_file(sample_session, OFFICE, "sites", "s.csv", data)
    assert _codes(result) == [(2, "", "import_duplicate_key"), (3, "", "import_duplicate_key")]
    message = result.issues[0].error.message("zh")
    assert "第 3 行与第 2 行" in message and "点位编号" in message and "S902" in message
    assert "Rows 2 and 3" in result.issues[1].error.message("en")
    assert result.written == 0 and not result.committed
    assert fingerprint(sample_session) == before
    only = importers.import_file(sample_session, OFFICE, "sites", "s.csv", data, only_valid=True)
    assert only.written == 0  # neither row is guessed to be the right one


def test_two_reports_of_one_project_on_one_day_in_a_file_are_refused(sample_session) -> None:
    data = csv_of("project,reported_on,percent,stage", "OC1-04,2026-11-25,70,在建",
                  "OC1-04,2026-11-25,75,在建")
    result = importers.import_file(sample_session, OFFICE, "progress", "p.csv", data)
    assert [i.error.code for i in result.issues] == ["import_duplicate_key"] * 2
    assert result.written == 0


# ---------------------------------------------------------------- 16.3 re-imports


@pytest.mark.parametrize(("kind", "table"), [
    ("sites", m.Site), ("problems", m.Problem), ("progress", m.ProjectProgress),
    ("inspections", m.MarketInspection), ("activities", m.VolunteerActivity)])
def test_importing_the_same_file_twice_writes_it_once(sample_session, kind, table) -> None:
    data = importers.template_xlsx(sample_session, kind)
    first = importers.import_file(sample_session, OFFICE, kind, f"{kind}.xlsx", data)
    assert first.issues == [] and first.written == 1 and first.committed
    rows = _count(sample_session, table)
    again = importers.import_file(sample_session, OFFICE, kind, f"{kind}.xlsx", data)
    assert again.issues == [] and (again.written, again.already, again.already_rows) == (0, 1, [2])
    assert _count(sample_session, table) == rows
    assert "1 already imported" in again.summary("en")
    assert "已导入过 1" in again.summary("zh")
    assert "第 2 行已导入过" in again.already_note().message("zh")


def test_a_changed_inspection_under_the_same_key_is_a_conflict(sample_session) -> None:
    items = importers.checklist_columns(sample_session)
    head = "市场编号,检查日期,检查人," + ",".join(c.zh for c in items)
    full = ",".join(f"{float(c.example):g}" for c in items)
    data = csv_of(head, f"M18,2026-11-25,甲,{full}")
    assert importers.import_file(sample_session, OFFICE, "inspections", "i.csv", data).written == 1
    changed = csv_of(head, f"M18,2026-11-25,甲,0,{full.split(',', 1)[1]}")
    result = importers.import_file(sample_session, OFFICE, "inspections", "i.csv", changed)
    assert _codes(result) == [(2, "", "import_conflict")]
    assert "M18" in result.issues[0].error.message("zh")


def test_the_write_functions_refuse_a_second_copy(sample_session) -> None:
    items = markets.checklist_items(sample_session)
    scores = dict(zip(items["code"], items["max_points"], strict=True))
    market = sample_session.scalar(select(m.Market).where(m.Market.code == "M18"))
    markets.record_inspection(sample_session, OFFICE, market.id, date(2026, 11, 25), "甲", scores)
    with pytest.raises(CivDataError) as err:
        markets.record_inspection(sample_session, OFFICE, market.id, date(2026, 11, 25), "甲",
                                  scores)
    assert err.value.code == "inspection_exists" and "甲" in err.value.message("zh")
    team = sample_session.scalar(select(m.VolunteerTeam).where(m.VolunteerTeam.code == "T01"))
    kw = {"team_id": team.id, "community_id": team.community_id, "held_on": date(2026, 11, 25),
          "title": "垃圾分类宣传", "participants": 10, "volunteer_hours": 20}
    volunteers.record_activity(sample_session, OFFICE, **kw)
    with pytest.raises(CivDataError) as err:
        volunteers.record_activity(sample_session, OFFICE, **kw)
    assert err.value.code == "activity_exists"
    project = sample_session.scalar(select(m.Project).where(m.Project.code == "OC1-04"))
    last = ren.progress_reports(sample_session, project.id)["percent"].max()
    ren.add_progress_report(sample_session, OFFICE, project.id, date(2026, 11, 25), last + 1,
                            "under_construction")
    with pytest.raises(CivDataError) as err:
        ren.add_progress_report(sample_session, OFFICE, project.id, date(2026, 11, 25), last + 1,
                                "under_construction")
    assert err.value.code == "progress_exists"


def test_the_database_refuses_a_second_copy(session) -> None:
    sd = f.make_subdistrict(session)
    project = f.make_project(session, sd)
    market = f.make_market(session, sd)
    row = {"project_id": project.id, "reported_on": date(2026, 11, 1), "percent": 40.0,
           "stage": "under_construction", "reported_by": "t"}
    insp = {"market_id": market.id, "inspected_on": date(2026, 11, 1), "inspector": "甲",
            "total_score": 90.0, "is_reinspection": False}
    for model, values in ((m.ProjectProgress, row), (m.MarketInspection, insp)):
        session.add(model(**values))
        session.commit()
        session.add(model(**values))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()


def test_migration_keeps_rows_that_already_repeat_a_key(engine) -> None:
    with session_scope(engine) as s:
        project = f.make_project(s, f.make_subdistrict(s))
        s.add(m.ProjectProgress(project_id=project.id, reported_on=date(2026, 10, 1),
                                percent=40.0, stage="under_construction", reported_by="t"))
    schema.downgrade(engine, "0003")
    with engine.begin() as conn:  # the second copy, as a database before 0004 could hold
        conn.execute(text("INSERT INTO project_progress (project_id, reported_on, percent, stage,"
                          " is_correction, reported_by) SELECT project_id, reported_on, percent,"
                          " stage, is_correction, reported_by FROM project_progress"))
    with pytest.warns(UserWarning, match="project_progress"):
        schema.upgrade(engine, "head")
    assert schema.current_revision(engine) == schema.head_revision()
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("project_progress")}
    assert not indexes["uq_progress_natural_key"]["unique"]
    assert {ix["name"]: ix["unique"] for ix in inspect(engine).get_indexes("market_inspection")
            }["uq_inspection_natural_key"]
    with session_scope(engine) as s:
        assert _count(s, m.ProjectProgress) == 2
        with pytest.raises(CivDataError):  # the write function still refuses a third copy
            ren.add_progress_report(s, OFFICE, project.id, date(2026, 10, 1), 40.0,
                                    "under_construction")


def test_the_sample_has_no_duplicates_under_the_natural_keys(sample_reader) -> None:
    for model, cols in ((m.MarketInspection, ("market_id", "inspected_on", "inspector",
                                              "is_reinspection", "total_score")),
                        (m.ProjectProgress, ("project_id", "reported_on", "percent", "stage")),
                        (m.VolunteerActivity, ("team_id", "held_on", "place", "title"))):
        keys = [getattr(model, c) for c in cols]
        repeated = sample_reader.execute(select(*keys).group_by(*keys)
                                         .having(func.count() > 1)).all()
        assert repeated == [], model.__tablename__


# ---------------------------------------------------------------- 16.4 AMap/Baidu coordinates


@pytest.mark.parametrize(("datum", "words"), [("gcj02", ("AMap/Tencent", "高德/腾讯")),
                                              ("bd09", ("Baidu", "百度"))])
def test_unstated_gcj02_or_bd09_next_to_the_named_site_is_refused(sample_session, datum,
                                                                  words) -> None:
    lat, lon = geo.from_wgs84(*S033, datum)
    data = csv_of(HEADER_EN + ",site", f"nanhu,sanitation,{lat:.7f},{lon:.7f},x,spot_check,S033")
    result = importers.import_file(sample_session, OFFICE, "problems", "p.csv", data)
    assert _codes(result) == [(2, "lat", "import_datum_suspect")]
    assert words[0] in result.issues[0].error.message("en")
    assert words[1] in result.issues[0].error.message("zh") and "S033" in \
        result.issues[0].error.message("zh")
    assert result.written == 0
    stated = importers.import_file(sample_session, OFFICE, "problems", "p.csv", data,
                                   datum=datum)
    assert stated.issues == [] and stated.written == 1
    [p] = problems_added(sample_session)
    assert geo.distance_m(p.lon, p.lat, S033[1], S033[0]) < 1.0


def test_wgs84_points_near_their_site_go_in(sample_session) -> None:
    data = csv_of(HEADER_EN + ",site", "nanhu,sanitation,41.7622,123.4275,x,spot_check,S033")
    assert importers.import_file(sample_session, OFFICE, "problems", "p.csv", data).written == 1


def test_a_whole_file_offset_like_gcj02_is_refused_even_for_valid_rows(sample_session) -> None:
    sites = sample_session.execute(select(m.Site.code, m.Site.lat, m.Site.lon, m.Subdistrict.code)
                                   .join(m.Subdistrict).order_by(m.Site.id).limit(3)).all()
    lines = [HEADER_EN + ",site"]
    for code, la, lo, sub in sites:
        glat, glon = geo.from_wgs84(la, lo, "gcj02")
        lines.append(f"{sub},sanitation,{glat:.7f},{glon:.7f},{code}附近,spot_check,{code}")
    result = importers.import_file(sample_session, OFFICE, "problems", "p.csv", csv_of(*lines),
                                   only_valid=True)
    assert result.file_refused and result.issues[0].row == 0
    assert result.issues[0].error.code == "import_datum_suspect_file"
    assert "3" in result.issues[0].error.message("zh")
    assert result.written == 0 and problems_added(sample_session) == []


# ---------------------------------------------------------------- 16.5 messages


def _xlsx(rows: list[list], title: str = "problems") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = title
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "payload", "code", "words"), [
    ("p.csv", _xlsx([HEADER_EN.split(",")]), "import_xlsx_named_csv", ".xlsx"),
    ("p.xlsx", _xlsx([HEADER_EN.split(",")])[:300], "import_file_damaged", "damaged"),
    ("p.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "import_old_xls", ".xls"),
    ("p.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "import_old_xls", ".xlsx"),
])
def test_a_wrong_file_is_told_what_is_wrong(sample_session, name, payload, code, words) -> None:
    with pytest.raises(CivDataError) as err:
        importers.import_file(sample_session, OFFICE, "problems", name, payload)
    assert err.value.code == code and words in err.value.message("en")
    assert "Only CSV" not in err.value.message("en")


def test_messages_of_one_row_follow_the_sheet_columns(sample_session) -> None:
    data = csv_of("source,description,subdistrict,problem_class,lat,lon",
                  "rumour,,nowhere,sanitation,41.76,123.42")
    result = importers.import_file(sample_session, OFFICE, "problems", "p.csv", data)
    assert [i.column for i in result.issues] == ["source", "description", "subdistrict"]


def test_rules_checked_while_writing_name_their_column(sample_session) -> None:
    items = importers.checklist_columns(sample_session)
    first = items[0]
    scores = [f"{float(c.example):g}" for c in items]
    scores[0] = "250"
    data = csv_of("市场编号,检查日期,检查人," + ",".join(c.zh for c in items),
                  "M18,2026-11-25,甲," + ",".join(scores))
    result = importers.import_file(sample_session, OFFICE, "inspections", "i.csv", data)
    [issue] = result.issues
    assert issue.column == first.key
    zh = issue.error.message("zh")
    assert first.key not in zh and first.aliases[1] in zh  # the item's name, not its code
    frame = importers.issues_frame(result.issues, importers.columns_for(sample_session,
                                                                         "inspections"), "zh")
    assert frame.iloc[0]["column"] == first.zh
    project = sample_session.scalar(select(m.Project).where(m.Project.stage == "completed"))
    data = csv_of("project,reported_on,percent,stage", f"{project.code},2026-11-25,50,在建")
    result = importers.import_file(sample_session, OFFICE, "progress", "p.csv", data)
    assert _codes(result) == [(2, "percent", "progress_backwards")]


def test_no_header_lists_the_template_headers(sample_session) -> None:
    with pytest.raises(CivDataError) as err:
        importers.import_file(sample_session, OFFICE, "problems", "p.csv", csv_of("a,b", "1,2"))
    assert "街道* / Subdistrict" in err.value.message("zh")
    assert "subdistrict," not in err.value.message("en")


@pytest.mark.parametrize("word", ["合计", "总计", "小计", "Total"])
def test_a_total_row_gets_one_clear_message(sample_session, word: str) -> None:
    data = csv_of(HEADER_EN, "nanhu,sanitation,41.7615,123.4268,x,spot_check", f"{word},,,,,")
    result = importers.import_file(sample_session, OFFICE, "problems", "p.csv", data)
    assert _codes(result) == [(3, "", "import_total_row")]
    assert "删除合计行" in result.issues[0].error.message("zh")
    assert "Delete the total row" in result.issues[0].error.message("en")


def test_swapped_latitude_and_longitude_are_named(sample_session) -> None:
    data = csv_of(HEADER_EN, "nanhu,sanitation,123.4268,41.7615,x,spot_check")
    result = importers.import_file(sample_session, OFFICE, "problems", "p.csv", data)
    [issue] = result.issues
    assert issue.error.code == "import_lat_lon_swapped"
    assert "123.4268" in issue.error.message("en") and "swapped" in issue.error.message("en")
    assert "填反" in issue.error.message("zh") and "datum" not in issue.error.message("en")


def test_a_formula_without_a_saved_value_is_not_called_empty(sample_session) -> None:
    data = _xlsx([HEADER_EN.split(","), ["nanhu", "sanitation", 41.7615, 123.4268,
                                         '=CONCATENATE("a","b")', "spot_check"]])
    result = importers.import_file(sample_session, OFFICE, "problems", "p.xlsx", data)
    assert _codes(result) == [(2, "description", "import_formula_no_value")]
    assert "Excel" in result.issues[0].error.message("zh")
    assert "保存" in result.issues[0].error.message("zh")


def test_official_names_are_accepted_and_unknown_names_called_names(sample_session) -> None:
    data = csv_of("街道,问题类别,纬度,经度,问题描述,来源",
                  "沈水湾街道,环境卫生,41.7390,123.4350,x,日常巡查",
                  "Nanhu Subdistrict,Sanitation,41.7615,123.4268,y,Third-party evaluation")
    result = importers.import_file(sample_session, OFFICE, "problems", "p.csv", data,
                                   dry_run=True)
    assert [i for i in result.issues if i.column in ("subdistrict", "source")] == []
    bad = importers.import_file(sample_session, OFFICE, "problems", "p.csv", csv_of(
        "街道,问题类别,纬度,经度,问题描述,来源", "月亮湾街道,环境卫生,41.7615,123.4268,x,日常巡查"))
    [issue] = bad.issues
    assert issue.error.message("zh") == "未知的街道名称：月亮湾街道。"
    assert "name" in issue.error.message("en") and "code" not in issue.error.message("en")


def test_cli_speaks_chinese_with_lang_zh_and_by_default(sample_db, tmp_path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of(HEADER_EN, "nowhere,sanitation,41.76,123.42,x,daily_inspection"))
    assert main(["--lang", "zh", "import", "problems", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "第 2 行，街道：未知的街道代码：nowhere。" in err
    assert "错误：文件有 1 处问题" in err and "row" not in err and "error" not in err
    good = tmp_path / "good.csv"
    good.write_bytes(csv_of(HEADER_EN, "nanhu,sanitation,41.7615,123.4268,x,daily_inspection"))
    assert main(["--lang", "zh", "import", "problems", str(good)]) == 0
    assert "问题：已导入 1 行，共 1 行" in capsys.readouterr().out
    assert main(["--lang", "zh", "import", "problems", str(good)]) == 0
    out = capsys.readouterr().out
    assert "第 2 行已导入过" in out and "已导入过 1" in out


@pytest.mark.parametrize(("env", "lang"), [({"LANG": "en_GB.UTF-8"}, "en"),
                                           ({"LANG": "zh_CN.UTF-8"}, "zh"),
                                           ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN"}, "en"),
                                           ({"LANG": "C.UTF-8"}, "zh"), ({"LANG": "de_DE"}, "zh"),
                                           ({}, "zh")])
def test_cli_language_follows_the_locale_else_chinese(env: dict, lang: str) -> None:
    assert default_lang(env) == lang


def test_cli_help_names_the_default_language() -> None:
    out = subprocess.run([sys.executable, "-m", "civdata", "--help"], capture_output=True,
                         text=True, cwd=ROOT, env={"LANG": "en_US.UTF-8", "PATH": "/usr/bin"},
                         check=True).stdout
    assert "default: en, from the system locale" in " ".join(out.split())


# ---------------------------------------------------------------- 15.11 junk input


JUNK = [("binary.csv", bytes(b for b in range(1, 256) if b not in (10, 13)) * 400,
         "import_not_text"),
        ("huge.csv", b"a" * 10_000_000, "import_cell_too_long"),
        ("quoted.csv", b'"' + b"x" * 200_000 + b'"\n', "import_cell_too_long")]


@pytest.mark.parametrize(("name", "payload", "code"), JUNK, ids=[j[0] for j in JUNK])
def test_junk_gets_a_message_not_a_traceback(sample_session, name, payload, code) -> None:
    before = fingerprint(sample_session)
    with pytest.raises(CivDataError) as err:
        importers.import_file(sample_session, OFFICE, "problems", name, payload)
    assert err.value.code == code
    assert err.value.message("zh") != err.value.message("en") != code
    assert fingerprint(sample_session) == before


def test_cli_junk_and_unexpected_failures_exit_with_a_message(sample_db, tmp_path, capsys,
                                                              monkeypatch) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"a" * 10_000_000)
    assert main(["--lang", "en", "import", "problems", str(junk)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "longer than" in err

    def boom(*_a, **_k) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importers, "import_file", boom)
    assert main(["--lang", "en", "import", "problems", str(junk)]) == 2
    assert "disk on fire" in capsys.readouterr().err

