"""Imports: messy files parsed right, bad files refused with nothing written, all or nothing,
every row through the same permission check, validation and audit as a form; the CLI."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, text

from civdata.cli import main
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.domain import geo
from civdata.io import importers

OFFICE = Actor("office", "office")
HEADER_EN = "subdistrict,problem_class,lat,lon,description,source"
GOOD_ROW = "nanhu,sanitation,41.7615,123.4268,人行道垃圾堆放,daily_inspection"
TABLES = ("problem", "problem_event", "problem_site", "audit_log", "site", "project",
          "project_progress", "market_inspection", "market_inspection_score",
          "volunteer_activity", "data_change")


def fingerprint(session) -> tuple[dict[str, int], str]:
    """Return row counts of the written tables and a checksum over their contents."""
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    for table in TABLES:  # fixed table names, no user input
        counts[table] = session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        for row in session.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")):
            digest.update(repr(tuple(row)).encode())
    return counts, digest.hexdigest()


def csv_of(*lines: str) -> bytes:
    """Return CSV bytes of lines."""
    return ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_of(rows: list[list], sheets: dict[str, list[list]] | None = None,
            title: str = "problems") -> bytes:
    """Return a workbook with one sheet of rows (or several named sheets)."""
    book = Workbook()
    book.remove(book.active)
    for name, content in (sheets or {title: rows}).items():
        ws = book.create_sheet(name)
        for row in content:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problems_added(session) -> list[m.Problem]:
    """Return the problems created by imports (created_by office), oldest first."""
    return list(session.scalars(select(m.Problem).where(m.Problem.created_by == "office")
                                .order_by(m.Problem.id)))


# ---------------------------------------------------------------- messy forms


def test_chinese_headers_title_rows_and_trailing_blanks(sample_session) -> None:
    data = csv_of("和平区问题台账（2026年11月）", ",,,,,", "制表：区文明办,,,,,",
                  "街道,问题类别,纬度,经度,问题描述,来源", GOOD_ROW, ",,,,,", ",,,,,")
    result = importers.import_file(sample_session, OFFICE, "problems", "台账.csv", data)
    assert result.issues == [] and result.written == 1 and result.committed
    [p] = problems_added(sample_session)
    assert (p.lat, p.lon, p.source, p.status) == (41.7615, 123.4268, "daily_inspection",
                                                  "discovered")
    assert p.nearest_site_id is not None and p.h3_cell


def test_full_width_and_stray_spaces_are_normalised(sample_session) -> None:
    data = csv_of("Subdistrict , Problem class,Latitude,Longitude,Description,Source,Site code",
                  "　ｎａｎｈｕ　,ｓａｎｉｔａｔｉｏｎ,４１．７６１５,１２３．４２６８,"
                  "井盖缺失,daily_inspection, S 033 ")
    result = importers.import_file(sample_session, OFFICE, "problems", "x.csv", data)
    assert result.issues == []
    [p] = problems_added(sample_session)
    site = sample_session.scalar(select(m.Site).where(m.Site.code == "S033"))
    nanhu = sample_session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    assert (p.lat, p.lon, p.site_id, p.subdistrict_id) == (41.7615, 123.4268, site.id, nanhu)


def test_names_instead_of_codes_and_gbk_encoding(sample_session) -> None:
    data = ("街道,问题类别,纬度,经度,问题描述,来源\n"
            "南湖,环境卫生,41.7615,123.4268,垃圾,spot_check\n").encode("gb18030")
    result = importers.import_file(sample_session, OFFICE, "problems", "gbk.csv", data)
    assert result.issues == [] and result.written == 1


@pytest.mark.parametrize("raw", ["46513", "46513.0", "2027年5月6日", "2027/5/6", "2027-05-06",
                                 "2027-05-06 00:00:00", "２０２７年５月６日", "20270506"])
def test_date_forms(raw: str) -> None:
    assert importers.parse_date(raw) == date(2027, 5, 6)


@pytest.mark.parametrize("raw", ["2027/13/40", "soon", "5月6日"])
def test_bad_dates_are_refused(raw: str) -> None:
    with pytest.raises(CivDataError) as err:
        importers.parse_date(raw)
    assert err.value.code == "import_bad_date"


def test_dates_in_a_workbook_serial_number_and_chinese(sample_session) -> None:
    header = ["工程编号", "填报日期", "完成百分比", "阶段"]
    project = sample_session.scalar(select(m.Project).where(m.Project.stage == "under_construction")
                                    .order_by(m.Project.id))
    last = sample_session.scalar(select(func.max(m.ProjectProgress.percent))
                                 .where(m.ProjectProgress.project_id == project.id))
    serial = (date(2026, 11, 24) - date(1899, 12, 30)).days
    data = xlsx_of([["工程进度填报表"], header,
                    [project.code, serial, f"{last + 0.5:g}%", "在建"],
                    [project.code, "2026年11月25日", min(99, last + 1), "under_construction"]],
                   title="进度")
    result = importers.import_file(sample_session, OFFICE, "progress", "p.xlsx", data)
    assert result.issues == [] and result.written == 2
    dates = sample_session.scalars(select(m.ProjectProgress.reported_on)
                                   .where(m.ProjectProgress.reported_by == "office",
                                          m.ProjectProgress.project_id == project.id)
                                   .order_by(m.ProjectProgress.id.desc()).limit(2)).all()
    assert sorted(dates) == [date(2026, 11, 24), date(2026, 11, 25)]


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_datum_as_file_setting(sample_session, datum: str) -> None:
    lat, lon = geo.from_wgs84(41.7615, 123.4268, datum)
    data = csv_of(HEADER_EN, f"nanhu,sanitation,{lat:.7f},{lon:.7f},x,daily_inspection")
    result = importers.import_file(sample_session, OFFICE, "problems", "d.csv", data,
                                   datum=datum)
    assert result.issues == []
    [p] = problems_added(sample_session)
    assert geo.distance_m(p.lon, p.lat, 123.4268, 41.7615) < 1.0


def test_datum_as_a_column(sample_session) -> None:
    blat, blon = geo.from_wgs84(41.7615, 123.4268, "bd09")
    glat, glon = geo.from_wgs84(41.7700, 123.4200, "gcj02")
    data = csv_of(HEADER_EN + ",坐标系", f"nanhu,sanitation,{blat:.7f},{blon:.7f},a,spot_check,百度",
                  f"nanhu,sanitation,{glat:.7f},{glon:.7f},b,spot_check,GCJ-02",
                  "nanhu,sanitation,41.7650,123.4250,c,spot_check,")
    result = importers.import_file(sample_session, OFFICE, "problems", "d.csv", data)
    assert result.issues == []
    got = [(p.lat, p.lon) for p in problems_added(sample_session)]
    truth = [(41.7615, 123.4268), (41.7700, 123.4200), (41.7650, 123.4250)]
    for (a, b), (c, d) in zip(got, truth, strict=True):
        assert geo.distance_m(b, a, d, c) < 1.0


def test_row_errors_name_row_and_column_in_both_languages(sample_session) -> None:
    before = fingerprint(sample_session)
    data = csv_of("问题台账", HEADER_EN, GOOD_ROW, GOOD_ROW,
                  "nowhere,sanitation,41.76,123.42,x,daily_inspection",
                  "nanhu,sanitation,31.23,121.47,上海,daily_inspection",
                  "nanhu,weather,41.76,123.42,x,rumour",
                  "nanhu,sanitation,abc,123.42,,daily_inspection")
    result = importers.import_file(sample_session, OFFICE, "problems", "bad.csv", data)
    found = {(i.row, i.column, i.error.code) for i in result.issues}
    assert found == {(4, "", "import_duplicate_row"),
                     (5, "subdistrict", "import_unknown_code"),
                     (6, "lat", "outside_district"),
                     (7, "problem_class", "import_unknown_code"),
                     (7, "source", "import_bad_choice"),
                     (8, "lat", "import_bad_number"),
                     (8, "description", "required_field")}
    assert result.written == 0 and not result.committed
    frame = importers.issues_frame(result.issues, importers.columns_for(sample_session,
                                                                         "problems"), "zh")
    assert frame.iloc[0].tolist() == [4, "", "与第 3 行重复。"]
    assert "未知的街道代码：nowhere。" in frame["message"].tolist()
    en = importers.issues_frame(result.issues, importers.columns_for(sample_session,
                                                                      "problems"), "en")
    assert "Unknown subdistrict code: nowhere." in en["message"].tolist()
    assert fingerprint(sample_session) == before


def test_only_valid_rows_when_asked(sample_session) -> None:
    data = csv_of(HEADER_EN, GOOD_ROW, "nowhere,sanitation,41.76,123.42,x,daily_inspection")
    result = importers.import_file(sample_session, OFFICE, "problems", "p.csv", data,
                                   only_valid=True)
    assert (result.rows, result.written, result.bad_rows) == (2, 1, 1)
    assert len(problems_added(sample_session)) == 1


def test_dry_run_writes_nothing(sample_session) -> None:
    before = fingerprint(sample_session)
    result = importers.import_file(sample_session, OFFICE, "problems", "p.csv",
                                   csv_of(HEADER_EN, GOOD_ROW), dry_run=True)
    assert result.written == 1 and not result.committed
    assert fingerprint(sample_session) == before


# ---------------------------------------------------------------- bad files


def _big() -> bytes:
    """Return a CSV just over 20 MB."""
    line = (GOOD_ROW + "\n").encode()
    return csv_of(HEADER_EN) + line * (importers.MAX_BYTES // len(line) + 2)


BAD_FILES = [
    ("notes.txt", csv_of(HEADER_EN, GOOD_ROW), "import_file_type", "notes.txt"),
    ("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "import_old_xls", "save it in excel"),
    ("fake.xlsx", b"this is not a workbook", "import_file_damaged", "damaged"),
    ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "import_not_text", "binary"),
    ("empty.csv", b"", "import_file_empty", "empty.csv"),
    ("blank.csv", b"\n\n,,,\n", "import_file_empty", "blank.csv"),
    ("header_only.csv", csv_of(HEADER_EN), "import_file_empty", "header_only.csv"),
    ("big.csv", None, "import_file_too_large", "20 MB"),
    ("cols.csv", csv_of(HEADER_EN + ",colour", GOOD_ROW + ",red"), "import_unknown_columns",
     "colour"),
    ("missing.csv", csv_of("subdistrict,lat,lon,description,source",
                           "nanhu,41.76,123.42,x,daily_inspection"), "import_missing_columns",
     "problem class"),
    ("noheader.csv", csv_of("a,b,c", "1,2,3"), "import_no_header", "subdistrict"),
    ("sheets.xlsx", xlsx_of([], sheets={"Sheet1": [HEADER_EN.split(",")],
                                        "Sheet2": [GOOD_ROW.split(",")]}),
     "import_sheet_missing", "problems"),
]


@pytest.mark.parametrize(("name", "data", "code", "mentions"), BAD_FILES,
                         ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_refused_and_nothing_changes(sample_session, name: str, data: bytes | None,
                                                   code: str, mentions: str) -> None:
    before = fingerprint(sample_session)
    with pytest.raises(CivDataError) as err:
        importers.import_file(sample_session, OFFICE, "problems", name,
                              _big() if data is None else data)
    assert err.value.code == code
    assert mentions.lower() in err.value.message("en").lower()
    assert err.value.message("zh") != err.value.message("en")
    assert fingerprint(sample_session) == before


# ---------------------------------------------------------------- same rules as the forms


def test_every_row_passes_the_permission_check(sample_session) -> None:
    nanhu = sample_session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    staff = Actor("nanhu", "subdistrict", subdistrict_id=nanhu)
    data = csv_of(HEADER_EN, GOOD_ROW, "xita,sanitation,41.7934,123.4136,x,daily_inspection")
    result = importers.import_file(sample_session, staff, "problems", "p.csv", data)
    assert [(i.row, i.error.code) for i in result.issues] == [(3, "wrong_subdistrict")]
    with pytest.raises(PermissionDenied):
        importers.import_file(sample_session, Actor("leader", "leader"), "problems", "p.csv",
                              csv_of(HEADER_EN, GOOD_ROW))


def test_import_is_audited_and_marks_the_change(sample_session) -> None:
    counter_before = sample_session.scalar(select(func.sum(m.DataChange.counter)))
    importers.import_file(sample_session, OFFICE, "problems", "p.csv",
                          csv_of(HEADER_EN, GOOD_ROW, GOOD_ROW.replace("垃圾", "污水")))
    rows = sample_session.execute(select(m.AuditLog.action, m.AuditLog.username)
                                  .where(m.AuditLog.username == "office")).all()
    assert sorted(rows) == [("data.import", "office"), ("problem.report", "office"),
                            ("problem.report", "office")]
    assert sample_session.scalar(select(func.sum(m.DataChange.counter))) > counter_before
    events = sample_session.scalars(select(m.ProblemEvent.to_status)
                                    .join(m.Problem, m.Problem.id == m.ProblemEvent.problem_id)
                                    .where(m.Problem.created_by == "office")).all()
    assert events == ["discovered", "discovered"]


def test_a_failure_while_writing_rolls_everything_back(sample_session, monkeypatch) -> None:
    before = fingerprint(sample_session)

    def boom(*_a, **_k) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importers, "mark_changed", boom)
    with pytest.raises(RuntimeError):
        importers.import_file(sample_session, OFFICE, "problems", "p.csv",
                              csv_of(HEADER_EN, GOOD_ROW))
    assert fingerprint(sample_session) == before


@pytest.mark.parametrize(("kind", "table", "action"), [
    ("sites", m.Site, "site.edit"), ("problems", m.Problem, "problem.report"),
    ("progress", m.ProjectProgress, "project.progress"),
    ("inspections", m.MarketInspection, "market.inspect"),
    ("activities", m.VolunteerActivity, "activity.record")])
def test_each_template_imports_its_example_row(sample_session, kind, table, action) -> None:
    data = importers.template_xlsx(sample_session, kind)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [kind, importers.HELP_SHEET]
    header = [c.value for c in book[kind][1]]
    assert all(" / " in h for h in header) and "纬度" in "".join(header) or kind in (
        "progress", "inspections", "activities")
    assert book[importers.HELP_SHEET].max_row >= len(header) + 1
    before = sample_session.scalar(select(func.count()).select_from(table))
    result = importers.import_file(sample_session, OFFICE, kind, f"{kind}.xlsx", data)
    assert result.issues == [] and result.written == 1
    assert sample_session.scalar(select(func.count()).select_from(table)) == before + (
        0 if kind == "sites" and result.updated else 1)
    actions = sample_session.scalars(select(m.AuditLog.action)
                                     .where(m.AuditLog.username == "office")).all()
    assert action in actions and "data.import" in actions


def test_same_day_feedback_is_read_from_the_file_and_blank_means_no(sample_session) -> None:
    items = importers.checklist_columns(sample_session)
    low = ",".join(str(c.zh) for c in items)
    first = ",".join("0" for _ in items)  # every item at 0: each inspection has findings
    data = csv_of(f"市场编号,检查日期,检查人,当日反馈,{low}",
                  f"M18,2026-11-25,甲,是,{first}", f"M18,2026-11-25,乙,否,{first}",
                  f"M18,2026-11-25,丙,,{first}")
    result = importers.import_file(sample_session, OFFICE, "inspections", "i.csv", data)
    assert result.issues == [] and result.written == 3
    flags = dict(sample_session.execute(
        select(m.MarketInspection.inspector, m.MarketInspection.fed_back_same_day)
        .where(m.MarketInspection.inspector.in_(["甲", "乙", "丙"]))).all())
    assert flags == {"甲": True, "乙": False, "丙": False}


def test_domain_rules_refuse_rows_with_their_numbers(sample_session) -> None:
    before = fingerprint(sample_session)
    project = sample_session.scalar(select(m.Project).where(m.Project.stage == "completed"))
    data = csv_of("project,reported_on,percent,stage", f"{project.code},2026-11-25,50,在建",
                  f"{project.code},2030-01-01,100,completed")
    result = importers.import_file(sample_session, OFFICE, "progress", "p.csv", data)
    assert {(i.row, i.error.code) for i in result.issues} == {
        (2, "progress_backwards"), (3, "progress_date_future")}
    assert result.written == 0
    assert fingerprint(sample_session) == before


def test_sites_update_by_code_and_recompute_links(sample_session) -> None:
    site = sample_session.scalar(select(m.Site).where(m.Site.code == "S033"))
    data = csv_of("点位编号,点位名称,点位类别,街道,纬度,经度",
                  "S033,改名的医院,hospital,nanhu,41.7620,123.4270")
    result = importers.import_file(sample_session, OFFICE, "sites", "s.csv", data)
    assert (result.created, result.updated) == (0, 1)
    sample_session.refresh(site)
    assert (site.name_zh, site.lat, site.version) == ("改名的医院", 41.762, 2)


# ---------------------------------------------------------------- command line


def test_cli_exit_codes(sample_db, tmp_path, capsys) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(csv_of(HEADER_EN, GOOD_ROW))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of(HEADER_EN, "nowhere,sanitation,41.76,123.42,x,daily_inspection"))
    gcj = tmp_path / "gcj.csv"
    lat, lon = geo.from_wgs84(41.7615, 123.4268, "gcj02")
    gcj.write_bytes(csv_of(HEADER_EN, f"nanhu,sanitation,{lat:.7f},{lon:.7f},g,spot_check"))
    assert main(["--lang", "en", "import", "problems", str(good), "--dry-run"]) == 0
    assert "would import 1 of 1" in capsys.readouterr().out
    assert main(["--lang", "en", "import", "problems", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "row 2, Subdistrict: Unknown subdistrict code: nowhere." in err
    assert "nothing was written" in err
    assert main(["--lang", "zh", "import", "problems", str(tmp_path / "x.txt")]) == 1
    assert main(["--lang", "en", "import", "problems", str(good), "--user", "leader"]) == 1
    assert "leader role may not import data" in capsys.readouterr().err
    assert main(["import", "problems", str(good)]) == 0
    assert main(["import", "problems", str(gcj), "--datum", "gcj02"]) == 0
    from civdata.core.db import make_engine, session_factory

    eng = make_engine(sample_db)
    with session_factory(eng)() as s:
        added = s.execute(select(m.Problem.lat, m.Problem.lon)
                          .where(m.Problem.created_by == "cli")).all()
        assert len(added) == 2
        assert geo.distance_m(added[1][1], added[1][0], 123.4268, 41.7615) < 1.0
    eng.dispose()
