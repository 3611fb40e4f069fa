"""CSV/Excel import: read messy files, validate every row first, then write all or nothing.

Five kinds of record: sites, problems, project progress, market inspections and volunteer
activities. A file is read into a grid of text cells (trimmed, otherwise exactly as typed: only what
is parsed -- codes, numbers, dates, choices and names matched against the registry -- is
NFKC-normalised), the header row is found below any title rows, columns are matched by their Chinese or English names, and every
row is checked. A row repeating a record already in the database is reported as already
imported and not written again (each kind has a natural key). Problems are written in bulk with the same checks, audit rows and change mark
as workflow.report_problem; the other kinds go through their domain write functions row by
row, so each imported row passes the same permission check and validation as a form. The
import owns its transaction: it commits when the file is clean (or, on request, writes only
the valid rows) and rolls back otherwise or on a dry run.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import PurePath

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, Scope, _jsonable, audit, require
from civdata.core.clock import now_local, today_local
from civdata.core.errors import CivDataError
from civdata.core.live import mark_changed
from civdata.domain import geo
from civdata.texts import Term, both, catalogue, text

MAX_BYTES = 20 * 1024 * 1024
HEADER_SEARCH_ROWS = 30
EXCEL_EPOCH = date(1899, 12, 30)
DATUMS = ("wgs84", "gcj02", "bd09")
KINDS = ("sites", "problems", "progress", "inspections", "activities", "evaluation_system",
         "survey", "hotline")
# each kind's name (also a sheet name the kind's workbook may use): the text "import.kind.<kind>";
# a code table's: "import.what.<table>" (civdata/texts/imports.py)
# issue 19: kinds read and written by civdata.io.evaluation_import (all or nothing, office only)
EVAL_KIND_PERMISSIONS = {"evaluation_system": "evaluation.manage", "survey": "survey.import"}
HELP_SHEET = "说明 columns"
MAX_TEXT = 2000


@dataclass(frozen=True)
class Column:
    """One column of an import file: its key, names, type, and whether it must be filled."""

    key: str
    zh: str
    en: str
    kind: str  # text, code:<table>, number, whole, percent, date, bool, choice, datum
    required: bool
    example: str
    help_zh: str
    help_en: str
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Issue:
    """A problem found in one row (0 for the whole file) and column of a file."""

    row: int
    column: str
    error: CivDataError


@dataclass
class Table:
    """A file read into text cells: column keys, rows of values and each row's number."""

    columns: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    sheet: str | None = None
    total_rows: dict[int, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    """What an import found and did."""

    kind: str
    rows: int
    issues: list[Issue] = field(default_factory=list)
    written: int = 0
    created: int = 0
    updated: int = 0
    already_rows: list[int] = field(default_factory=list)
    dry_run: bool = False
    committed: bool = False
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def already(self) -> int:
        """Return how many rows were already imported (identical records in the database)."""
        return len(self.already_rows)

    @property
    def file_refused(self) -> bool:
        """Return True when an issue concerns the whole file (no row can be written)."""
        return any(not i.row for i in self.issues)

    @property
    def bad_rows(self) -> int:
        """Return how many rows have at least one issue."""
        return len({i.row for i in self.issues if i.row})

    @property
    def valid_rows(self) -> int:
        """Return how many rows have no issue."""
        return self.rows - self.bad_rows

    def refusal(self) -> CivDataError:
        """Return the summary error of a refused file."""
        return CivDataError("import_refused", issues=len(self.issues), bad_rows=self.bad_rows,
                            rows=self.rows)

    def summary(self, lang: str) -> str:
        """Return the one-line summary of what was (or would be) written, in lang."""
        verb = Term("import.verb.dry" if self.dry_run else "import.verb.done")
        return CivDataError("import_summary", kind=Term(f"import.kind.{self.kind}"), verb=verb,
                            written=self.written, rows=self.rows,
                            created=self.created, updated=self.updated, already=self.already,
                            skipped=self.bad_rows).message(lang)

    def already_note(self) -> CivDataError | None:
        """Return the note naming the rows already imported, or None."""
        if not self.already_rows:
            return None
        return CivDataError("import_already_rows", rows=_row_list(self.already_rows))


def _row_list(rows: list[int], limit: int = 20) -> str:
    """Return row numbers as '2, 3, 5' (the first limit of them, then '…')."""
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (", …" if len(rows) > limit else "")


# ---------------------------------------------------------------- column specs

_LAT = Column("lat", "纬度", "Latitude", "number", True, "41.7615",
              "十进制度；坐标系见“坐标系”列或导入时的设置", "Decimal degrees; datum per the "
              "'datum' column or the import setting", ("latitude", "y", "lat"))
_LON = Column("lon", "经度", "Longitude", "number", True, "123.4268",
              "十进制度", "Decimal degrees", ("longitude", "lng", "long", "x"))
_DATUM = Column("datum", "坐标系", "Datum", "datum", False, "wgs84",
                "wgs84、gcj02（高德/腾讯）或 bd09（百度）；空则用导入设置",
                "wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu); blank: the import setting",
                ("坐标类型", "crs", "coordinate system"))
_SUB = Column("subdistrict", "街道", "Subdistrict", "code:subdistrict", True, "nanhu",
              "街道代码或名称，如 nanhu 或 南湖", "Subdistrict code or name, e.g. nanhu",
              ("街道代码", "subdistrict code"))

SPECS: dict[str, list[Column]] = {
    # issue 20: the 12345 hotline's work-order export, queued for moderation (public_reports)
    "hotline": [
        Column("order_no", "工单编号", "Work order", "text", True, "SY2611250001",
               "热线工单编号；已导入的工单不会重复导入", "The hotline's work-order number; an "
               "order imported before is not imported again", ("工单号", "工单", "order number",
                                                              "work order number")),
        Column("request", "诉求内容", "Request", "text", True, "南湖公园东门垃圾堆放",
               "市民诉求原文", "The caller's request as recorded", ("诉求", "内容", "request text")),
        Column("address", "地址", "Address", "text", False, "和平区南湖公园东门", "事发地址",
               "Where", ("事发地址", "地点")),
        Column("received_at", "受理时间", "Received", "text", True, "2026-11-25 09:30",
               "2026-11-25 09:30 等常见格式", "Date and time, e.g. 2026-11-25 09:30",
               ("来电时间", "时间", "time", "received")),
        replace(_LAT, required=False, help_zh="可空；有坐标时按“坐标系”列换算为 WGS-84",
                help_en="Optional; converted to WGS-84 per the datum column"),
        replace(_LON, required=False),
        _DATUM,
        Column("problem_class", "问题类别", "Problem class", "code:problem_class", False,
               "sanitation", "可空，受理时再定", "Optional; set when accepted", ("类别", "class")),
    ],
    "sites": [
        Column("code", "点位编号", "Site code", "text", True, "S901", "唯一编号；已有编号则更新该点位",
               "Unique code; an existing code updates that site", ("编号", "code")),
        Column("name_zh", "点位名称", "Name (Chinese)", "text", True, "南湖公园东门",
               "中文名称", "Name in Chinese", ("名称", "中文名称")),
        Column("name_en", "英文名称", "Name (English)", "text", False, "Nanhu Park east gate",
               "英文名称，空则同中文", "English name; blank: the Chinese name", ("name",)),
        Column("category", "点位类别", "Category", "code:site_category", True, "park_square",
               "类别代码或名称，如 park_square", "Category code or name", ("类别",)),
        _SUB,
        Column("community", "社区", "Community", "code:community", False, "C079",
               "社区代码，如 C079", "Community code, e.g. C079", ("社区代码",)),
        _LAT, _LON, _DATUM,
        Column("leader", "包保领导", "Leader", "text", False, "张三", "“1+3+N”中的 1",
               "The '1' of 1+3+N", ("领导",)),
        Column("unit_1", "责任单位1", "Unit 1", "text", False, "南湖派出所", "责任单位", "Unit"),
        Column("unit_2", "责任单位2", "Unit 2", "text", False, "南湖环卫所", "责任单位", "Unit"),
        Column("unit_3", "责任单位3", "Unit 3", "text", False, "南湖社区居委会", "责任单位", "Unit"),
        Column("grid_staff", "网格员人数", "Grid staff", "whole", False, "4", "“N”的人数",
               "How many make the 'N'", ("网格员",)),
    ],
    "problems": [
        _SUB,
        Column("problem_class", "问题类别", "Problem class", "code:problem_class", True,
               "sanitation", "类别代码或名称，如 sanitation 或 环境卫生",
               "Class code or name, e.g. sanitation", ("类别", "class")),
        _LAT, _LON, _DATUM,
        Column("description", "问题描述", "Description", "text", True, "人行道垃圾堆放",
               "发现的问题", "What was found", ("描述",)),
        Column("source", "来源", "Source", "choice", True, "daily_inspection",
               "daily_inspection、spot_check、third_party、public_report、market_inspection",
               "One of the sources listed", ("问题来源",), m.PROBLEM_SOURCES),
        Column("site", "点位编号", "Site code", "code:site", False, "S033",
               "所属测评点位编号（可空）", "Evaluation site code (optional)", ("点位",)),
        Column("responsible_unit", "责任单位", "Responsible unit", "text", False, "南湖环卫所",
               "可空", "Optional", ()),
    ],
    "progress": [
        Column("project", "工程编号", "Project code", "code:project", True, "OC2-13",
               "工程编号，如 OC2-13", "Project code, e.g. OC2-13", ("工程", "project")),
        Column("reported_on", "填报日期", "Report date", "date", True, "2026-11-25",
               "2022-08-05、2022/8/5、2022年8月5日或 Excel 日期", "A date in any usual form",
               ("日期", "date")),
        Column("percent", "完成百分比", "Percent complete", "percent", True, "65",
               "0–100，可带 %", "0 to 100, a % sign is allowed", ("进度", "完成率", "percent")),
        Column("stage", "阶段", "Stage", "choice", True, "under_construction",
               "planned、bidding、under_construction、completed（或 计划、招标、在建、已完工）",
               "planned, bidding, under_construction or completed", ("工程阶段",),
               ("planned", "bidding", "under_construction", "completed")),
        Column("note", "说明", "Note", "text", False, "外立面完成", "可空", "Optional", ("备注",)),
    ],
    "inspections": [
        Column("market", "市场编号", "Market code", "code:market", True, "M18",
               "农贸市场编号，如 M18", "Market code, e.g. M18", ("市场", "market")),
        Column("inspected_on", "检查日期", "Inspection date", "date", True, "2026-11-25",
               "任意常见日期格式", "A date in any usual form", ("日期", "date")),
        Column("inspector", "检查人", "Inspector", "text", True, "曾文杰", "检查人姓名",
               "Inspector's name", ()),
        Column("vehicle", "检查车辆", "Vehicle", "text", False, "辽A·44718", "可空", "Optional",
               ("车辆",)),
        Column("is_reinspection", "是否复检", "Re-inspection", "bool", False, "否",
               "是/否", "yes/no", ("复检",)),
        Column("fed_back_same_day", "当日反馈", "Fed back same day", "bool", False, "是",
               "发现的问题当天是否已反馈市场：是/否；不填视为否",
               "Findings fed back to the market the same day: yes/no; blank counts as no",
               ("当日反馈问题", "是否当日反馈", "fed back")),
        Column("notes", "备注", "Notes", "text", False, "", "可空", "Optional", ("说明",)),
    ],
    "activities": [
        Column("team", "志愿服务队编号", "Team code", "code:volunteer_team", True, "T01",
               "服务队编号，如 T01", "Team code, e.g. T01", ("服务队", "team")),
        Column("community", "社区", "Community", "code:community", True, "C079",
               "社区代码，如 C079", "Community code, e.g. C079", ("社区代码",)),
        Column("held_on", "活动日期", "Date", "date", True, "2026-11-25", "任意常见日期格式",
               "A date in any usual form", ("日期", "date")),
        Column("title", "活动名称", "Title", "text", True, "垃圾分类宣传", "活动名称", "Title",
               ("名称",)),
        Column("participants", "参与人数", "Participants", "whole", True, "20", "整数",
               "Whole number", ("人数",)),
        Column("volunteer_hours", "志愿时长（小时）", "Volunteer hours", "number", True, "40",
               "合计小时数", "Total hours", ("志愿时长", "时长", "hours")),
        Column("place", "活动地点", "Place", "text", False, "南湖公园", "空则为社区名",
               "Blank: the community's name", ("地点",)),
        Column("service_type", "服务类型", "Service type", "text", False, "environment",
               "空则为服务队的类型", "Blank: the team's type", ("类型",)),
        Column("partner_org", "共建单位编号", "Partner code", "code:partner_org", False, "",
               "可空，如 PO01", "Optional, e.g. PO01", ("共建单位",)),
    ],
}
SOURCE_ALIASES = {"日常巡查": "daily_inspection", "巡查": "daily_inspection", "抽查": "spot_check",
                  "专项抽查": "spot_check", "第三方测评": "third_party", "第三方": "third_party",
                  "third-party_evaluation": "third_party", "third_party_evaluation": "third_party",
                  "群众举报": "public_report", "市民举报": "public_report", "举报": "public_report",
                  "市场检查": "market_inspection"}
TOTAL_WORDS = {"合计", "总计", "小计", "共计", "总数", "total", "subtotal", "sum", "grandtotal"}
FORMULA_NO_VALUE = "\x00formula"  # a formula cell without a saved value (no cell holds NUL)
KEY_COLUMNS = {"hotline": ("order_no",), "sites": ("code",), "progress": ("project", "reported_on"),
               "inspections": ("market", "inspected_on", "inspector", "is_reinspection"),
               "activities": ("team", "held_on", "place", "title")}
STAGE_ALIASES = {"计划": "planned", "招标": "bidding", "在建": "under_construction",
                 "施工": "under_construction", "已完工": "completed", "完工": "completed",
                 "under_construction": "under_construction", "竣工": "completed"}
DATUM_ALIASES = {"wgs84": "wgs84", "gps": "wgs84", "gcj02": "gcj02", "高德": "gcj02",
                 "火星": "gcj02", "腾讯": "gcj02", "bd09": "bd09", "百度": "bd09", "bd09ll": "bd09"}
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "复检"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "", "×"}
CODE_TABLES = {"subdistrict": m.Subdistrict, "site_category": m.SiteCategory,
               "community": m.Community, "problem_class": m.ProblemClass, "site": m.Site,
               "project": m.Project, "market": m.Market, "volunteer_team": m.VolunteerTeam,
               "partner_org": m.PartnerOrg}


def checklist_columns(session: Session) -> list[Column]:
    """Return one score column per market checklist item, in checklist order."""
    rows = session.execute(select(m.ChecklistItem.code, m.ChecklistItem.name_zh,
                                  m.ChecklistItem.name_en, m.ChecklistItem.max_points)
                           .order_by(m.ChecklistItem.sort_order, m.ChecklistItem.id)).all()
    return [Column(code, f"{zh}得分", f"{en} score", "number", True, f"{mx * 0.9:g}",
                   f"0–{mx:g} 分", f"0 to {mx:g} points", (code, zh, en))
            for code, zh, en, mx in rows]


def columns_for(session: Session, kind: str) -> list[Column]:
    """Return the columns of an import file of kind (checklist items read for inspections)."""
    if kind in EVAL_KIND_PERMISSIONS:
        from civdata.io.evaluation_import import eval_columns

        return list(eval_columns(session, kind))
    if kind not in SPECS:
        raise CivDataError("import_bad_choice", value=kind, choices=", ".join(KINDS))
    cols = list(SPECS[kind])
    if kind == "inspections":
        cols += checklist_columns(session)
    return cols


def header_label(col: Column) -> str:
    """Return a column's template header: 'Chinese / English' (a star marks required)."""
    return f"{col.zh}{'*' if col.required else ''} / {col.en}"


# ---------------------------------------------------------------- cell normalisation

def clean_cell(value: object) -> str:
    """Return a cell as trimmed text, otherwise exactly as typed (no normalisation)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def fold(text: str) -> str:
    """Return text NFKC-normalised and trimmed (full-width digits, letters, spaces made plain)."""
    text = clean_cell(text)
    return unicodedata.normalize("NFKC", text).strip() if not text.isascii() else text


def header_key(text: str) -> str:
    """Return a header cell folded for matching: lower case, no spaces, stars or underscores."""
    return re.sub(r"[\s_*\-:：]", "", fold(text).lower())


def alias_map(columns: list[Column]) -> dict[str, str]:
    """Return {folded alias: column key} over every name of every column."""
    out: dict[str, str] = {}
    for col in columns:
        for name in (col.key, col.zh, col.en, header_label(col), *col.aliases):
            out.setdefault(header_key(name), col.key)
    return out


def match_header(text: str, aliases: dict[str, str]) -> str | None:
    """Return the column key a header cell names, trying each part of 'zh / en' forms."""
    folded = header_key(text)
    if not folded:
        return None
    if folded in aliases:
        return aliases[folded]
    for part in re.split(r"[/|\n()（）]", fold(text)):
        key = aliases.get(header_key(part))
        if key:
            return key
    return None


# ---------------------------------------------------------------- reading files

def _decode(data: bytes) -> str:
    """Return CSV bytes as text: UTF-8 (with or without BOM), else GB18030 (Chinese Excel)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _looks_binary(data: bytes) -> bool:
    """Return True when the start of data is not text: NUL bytes or many control bytes."""
    head = data[:4096]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls > max(2, len(head) // 100)


def _csv_grid(data: bytes, name: str) -> list[list[str]]:
    """Return the cells of a CSV file (comma, tab or semicolon separated).

    The csv module refuses a cell longer than csv.field_size_limit() (128 KiB by default); such
    a file is no table, and is refused with a message rather than a traceback.
    """
    text = _decode(data)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = max((",", "\t", ";"), key=first.count)
    try:
        return [[clean_cell(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""),
                                                                  delimiter=delimiter)]
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise CivDataError("import_cell_too_long", name=name,
                               limit=csv.field_size_limit()) from exc
        raise CivDataError("import_csv_unreadable", name=name, detail=str(exc)) from exc


def _xlsx_grid(data: bytes, kind: str, name: str) -> tuple[list[list[str]], str]:
    """Return the cells of the kind's sheet of a workbook and the sheet's name."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise CivDataError("import_file_damaged", name=name) from exc
    try:
        kind_key = f"import.kind.{kind}"
        named = both(kind_key) if kind_key in catalogue() else ()
        wanted = {header_key(n) for n in (kind, *named)}
        names = list(book.sheetnames)
        sheet = next((n for n in names if header_key(n) in wanted), None)
        data_sheets = [n for n in names if n != HELP_SHEET and not n.startswith("说明")]
        if sheet is None and (len(data_sheets) == 1 or not named) and data_sheets:
            sheet = data_sheets[0]
        if sheet is None:
            zh, en = named
            raise CivDataError("import_sheet_missing", expected=f"{en} / {zh}",
                               found=", ".join(names))
        grid = [[clean_cell(c) for c in row] for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()
    _mark_unsaved_formulas(data, sheet, grid)
    return grid, sheet


def _mark_unsaved_formulas(data: bytes, sheet: str, grid: list[list[str]]) -> None:
    """Mark the empty cells of grid that hold a formula without a saved value."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        for r, row in enumerate(book[sheet].iter_rows(values_only=True)):
            if r >= len(grid):
                break
            for c, value in enumerate(row):
                if c < len(grid[r]) and grid[r][c] == "" and isinstance(value, str) \
                        and value.startswith("="):
                    grid[r][c] = FORMULA_NO_VALUE
    finally:
        book.close()


def find_header(grid: list[list[str]], aliases: dict[str, str], columns: list[Column]) -> int:
    """Return the index of the header row: the row among the first ones naming most columns."""
    best, best_hits = -1, 1
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        hits = sum(1 for c in row if match_header(c, aliases))
        if hits > best_hits:
            best, best_hits = i, hits
    if best < 0:
        raise CivDataError("import_no_header", rows=min(len(grid), HEADER_SEARCH_ROWS),
                           expected="; ".join(header_label(c) for c in columns if c.required))
    return best


ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and password-protected .xlsx


def file_grid(kind: str, name: str, data: bytes) -> tuple[list[list[str]], str | None]:
    """Return the cells of a file and its sheet name; raise saying what is wrong with a bad one.

    kind names the sheet to read in a workbook; a kind no template knows reads the first data
    sheet (the evaluation imports use this).
    """
    suffix = PurePath(name or "").suffix.lower()
    if suffix == ".xls":
        raise CivDataError("import_old_xls", name=name)
    if suffix not in (".csv", ".xlsx"):
        raise CivDataError("import_file_type", name=name)
    if len(data) > MAX_BYTES:
        raise CivDataError("import_file_too_large", size_mb=f"{len(data) / 2**20:.1f}",
                           limit_mb=MAX_BYTES // 2**20)
    if not data.strip():
        raise CivDataError("import_file_empty", name=name)
    if data.startswith(OLE2_MAGIC):
        raise CivDataError("import_old_xls", name=name)
    if suffix == ".xlsx":
        if not data.startswith(ZIP_MAGIC):
            raise CivDataError("import_file_damaged", name=name)
        return _xlsx_grid(data, kind, name)
    if data.startswith(ZIP_MAGIC):
        if b"xl/" in data[:65536] or b"[Content_Types].xml" in data[:65536]:
            raise CivDataError("import_xlsx_named_csv", name=name)
        raise CivDataError("import_not_text", name=name)
    if _looks_binary(data):
        raise CivDataError("import_not_text", name=name)
    return _csv_grid(data, name), None


def header_positions(header: list[str], columns: list[Column], aliases: dict[str, str]
                     ) -> list[tuple[int, str]]:
    """Return (cell index, column key) of a header row; raise for unknown, repeated or missing
    columns."""
    keys: list[str | None] = []
    unknown: list[str] = []
    for cell in header:
        key = match_header(cell, aliases) if cell else None
        if cell and key is None:
            unknown.append(cell)
        if key is not None and key in keys:
            raise CivDataError("import_duplicate_column", column=cell)
        keys.append(key)
    if unknown:
        raise CivDataError("import_unknown_columns", columns=", ".join(unknown))
    missing = [header_label(c) for c in columns if c.required and c.key not in keys]
    if missing:
        raise CivDataError("import_missing_columns", columns=", ".join(missing))
    return [(i, k) for i, k in enumerate(keys) if k is not None]


def read_table(session: Session, kind: str, name: str, data: bytes) -> Table:
    """Return a CSV or XLSX file's rows under its matched column keys; raise for a bad file."""
    columns = columns_for(session, kind)
    try:
        grid, sheet = file_grid(kind, name, data)
    except CivDataError:
        raise
    except Exception as exc:  # whatever a library raises on junk becomes a message
        raise CivDataError("import_unreadable", name=name,
                           detail=type(exc).__name__) from exc
    numbered = [(i + 1, row) for i, row in enumerate(grid) if any(row)]
    if not numbered:
        raise CivDataError("import_file_empty", name=name)
    aliases = alias_map(columns)
    h = find_header([row for _, row in numbered], aliases, columns)
    positions = header_positions(numbered[h][1], columns, aliases)
    rows: list[list[str]] = []
    numbers: list[int] = []
    totals: dict[int, str] = {}
    for number, row in numbered[h + 1:]:
        values = [row[i] if i < len(row) else "" for i, _ in positions]
        word = _total_word(row)
        if word:
            totals[number] = word
        if any(values) or word:
            rows.append(values)
            numbers.append(number)
    if not rows:
        raise CivDataError("import_file_empty", name=name)
    return Table(columns=[k for _, k in positions], rows=rows, row_numbers=numbers, sheet=sheet,
                 total_rows=totals)


def _total_word(row: list[str]) -> str | None:
    """Return the word that makes row a total row (合计, 总计, 小计, Total…), or None."""
    for cell in row:
        folded = re.sub(r"[\s:：]", "", fold(cell)).lower() if cell else ""
        if folded in TOTAL_WORDS:
            return cell
    return None


# ---------------------------------------------------------------- value parsing

def parse_date(text: str) -> date:
    """Return the date in text: ISO, 2022/8/5, 2022年8月5日, 20220805 or an Excel serial number."""
    s = fold(text)
    if re.fullmatch(r"\d{8}", s):
        return date(int(s[:4]), int(s[4:6]), int(s[6:]))
    if re.fullmatch(r"\d+(\.\d+)?", s):
        serial = float(s)
        if 1 <= serial < 2958466:
            return EXCEL_EPOCH + timedelta(days=int(serial))
    found = re.fullmatch(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?"
                         r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", s)
    if not found:
        raise CivDataError("import_bad_date", value=s)
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError as exc:
        raise CivDataError("import_bad_date", value=s) from exc


def parse_number(text: str) -> float:
    """Return the number in text (thousands separators and a trailing % allowed)."""
    s = fold(text).replace(",", "").rstrip("%").strip()
    try:
        value = float(s)
    except ValueError:
        raise CivDataError("import_bad_number", value=clean_cell(text)) from None
    if not np.isfinite(value):
        raise CivDataError("import_bad_number", value=clean_cell(text))
    return value


def parse_datum(text: str) -> str:
    """Return wgs84, gcj02 or bd09 for a datum name ('GCJ-02', '百度', ...)."""
    key = re.sub(r"[\s\-_]", "", fold(text).lower())
    if key in DATUM_ALIASES:
        return DATUM_ALIASES[key]
    raise CivDataError("import_bad_choice", value=text, choices=", ".join(DATUMS))


def code_lookup(session: Session, table: str) -> dict[str, int]:
    """Return {folded code or name: id} of a table of coded records."""
    model = CODE_TABLES[table]
    cols = [model.id, model.code]
    if hasattr(model, "name_zh"):
        cols += [model.name_zh, model.name_en]
    out: dict[str, int] = {}
    for row in session.execute(select(*cols)).all():
        for name in row[1:]:
            if name:
                out.setdefault(_code_key(name), int(row[0]))
    if table == "subdistrict":  # official names: 沈水湾街道, Shenshuiwan Subdistrict
        for key, value in list(out.items()):
            for suffix in ("街道", "街道办事处", "SUBDISTRICT", "STREET"):
                out.setdefault(key + suffix, value)
    return out


def _lookup(table: str, lookup: dict[str, int], raw: str) -> int | None:
    """Return the id a code or name stands for in lookup, or None."""
    key = _code_key(raw)
    found = lookup.get(key)
    if found is None and table == "community" and not key.endswith("社区"):
        found = lookup.get(key + "社区")
    return found


def _code_key(text: str) -> str:
    """Return a code or name folded for lookup: NFKC, upper case, no spaces at all."""
    return re.sub(r"\s+", "", fold(text)).upper()


# ---------------------------------------------------------------- validation

@dataclass
class Checked:
    """A validated table: clean records (with their row numbers) and the issues found."""

    kind: str
    records: list[dict]
    issues: list[Issue]
    rows: int
    preview: pd.DataFrame
    already_rows: list[int] = field(default_factory=list)
    column_order: list[str] = field(default_factory=list)


def _what(table: str) -> dict[str, Term]:
    """Return the what parameter naming a code table."""
    return {"what": Term(f"import.what.{table}")}


def sort_issues(issues: list[Issue], column_order: list[str]) -> list[Issue]:
    """Return issues by row, then in the sheet's column order (whole-row issues first)."""
    pos = {key: i for i, key in enumerate(column_order)}
    return sorted(issues, key=lambda i: (i.row, -1 if not i.column else pos.get(i.column,
                                                                                len(pos))))


def validate(session: Session, actor: Actor, kind: str, table: Table,
             datum: str | None = None) -> Checked:
    """Return the table's rows parsed and checked; nothing is written.

    datum None means the file did not say: points are read as WGS-84 and checked against the
    site or community each row names, to catch GCJ-02 or BD-09 coordinates imported silently.
    """
    columns = {c.key: c for c in columns_for(session, kind)}
    stated = datum is not None
    datum = parse_datum(datum or "wgs84")
    lookups = {c.kind[5:]: code_lookup(session, c.kind[5:]) for c in columns.values()
               if c.kind.startswith("code:") and c.key in table.columns}
    issues: list[Issue] = []
    records: list[dict] = []
    seen: dict[tuple, int] = {}
    for number, values in zip(table.row_numbers, table.rows, strict=True):
        if number in table.total_rows:
            issues.append(Issue(number, "", CivDataError("import_total_row",
                                                         word=table.total_rows[number])))
            continue
        fingerprint = tuple(_code_key(v) for v in values)
        if fingerprint in seen:
            issues.append(Issue(number, "", CivDataError("import_duplicate_row",
                                                         first=seen[fingerprint])))
            continue
        seen[fingerprint] = number
        record: dict = {"_row": number, "_raw": dict(zip(table.columns, values, strict=True))}
        bad = False
        for key, raw in zip(table.columns, values, strict=True):
            col = columns[key]
            try:
                if raw == FORMULA_NO_VALUE:
                    raise CivDataError("import_formula_no_value")
                record[key] = _parse_value(col, raw, lookups)
            except CivDataError as err:
                issues.append(Issue(number, key, err))
                bad = True
        for col in columns.values():
            if col.required and record.get(col.key) in (None, "") and col.key in table.columns \
                    and not any(i.row == number and i.column == col.key for i in issues):
                issues.append(Issue(number, col.key, CivDataError(
                    "required_field", field=col.en, field_zh=col.zh)))
                bad = True
        if not bad:
            records.append(record)
    records = _check_repeated_keys(session, kind, columns, records, issues)
    if kind == "hotline":
        records = _check_hotline_rules(session, actor, records, issues)
    if "lat" in columns:  # a hotline order may come without a point: only the located are checked
        located = _check_points(session, kind, [r for r in records if r.get("lat") is not None],
                                datum, stated, issues)
        records = [r for r in records if r.get("lat") is None] + located
    if kind == "problems":
        records = _check_problem_rules(session, actor, records, issues)
    records, already = _split_already_imported(session, kind, records, issues)
    preview = pd.DataFrame([["=?" if v == FORMULA_NO_VALUE else v for v in row]
                            for row in table.rows[:20]], columns=table.columns)
    preview.insert(0, "row", table.row_numbers[:20])
    return Checked(kind=kind, records=records, issues=sort_issues(issues, table.columns),
                   rows=len(table.rows), preview=preview, already_rows=already,
                   column_order=list(table.columns))


def _record_key(kind: str, rec: dict, session: Session) -> tuple | None:
    """Return the natural key of a parsed record within a file (None: kind has none)."""
    cols = KEY_COLUMNS.get(kind)
    if cols is None:
        return None
    if kind == "activities" and not rec.get("place"):
        rec["place"] = session.scalar(select(m.Community.name_zh).where(
            m.Community.id == rec["community"]))
    if kind == "sites":
        return (_code_key(rec["code"]),)
    return tuple(bool(rec.get(c)) if c == "is_reinspection" else rec.get(c) for c in cols)


def _check_repeated_keys(session: Session, kind: str, columns: dict[str, Column],
                         records: list[dict], issues: list[Issue]) -> list[dict]:
    """Refuse rows that repeat another row's natural key with other contents; return the rest."""
    first: dict[tuple, dict] = {}
    refused: set[int] = set()
    for rec in records:
        key = _record_key(kind, rec, session)
        if key is None:
            continue
        if key not in first:
            first[key] = rec
            continue
        other = first[key]
        names = [columns[c] for c in KEY_COLUMNS[kind] if c in columns]
        value = " / ".join(rec["_raw"].get(c.key, "") or str(rec.get(c.key) or "") for c in names)
        err = CivDataError("import_duplicate_key", row=rec["_row"], first=other["_row"],
                           value=value, key=" + ".join(c.en for c in names),
                           key_zh="+".join(c.zh for c in names))
        if other["_row"] not in refused:  # both rows are refused: which one is right is unknown
            issues.append(Issue(other["_row"], "", err))
            refused.add(other["_row"])
        issues.append(Issue(rec["_row"], "", err))
        refused.add(rec["_row"])
    return [r for r in records if r["_row"] not in refused]


def _parse_code(col: Column, raw: str, lookups: dict[str, dict[str, int]]) -> int:
    """Return the id a code or name cell names; raise CivDataError if nothing matches."""
    table = col.kind[5:]
    found = _lookup(table, lookups[table], raw)
    if found is None:
        code_like = re.fullmatch(r"[A-Za-z0-9_\-. ]+", fold(raw)) and (
            any(ch.isdigit() for ch in raw) or "_" in raw or fold(raw).islower())
        raise CivDataError("import_unknown_code" if code_like else "import_unknown_name",
                           value=raw, **_what(table))
    return found


def _parse_whole(raw: str) -> int:
    """Return a whole number; raise CivDataError for a fraction."""
    value = parse_number(raw)
    if not value.is_integer():
        raise CivDataError("import_bad_whole", value=raw)
    return int(value)


def _parse_bool(raw: str) -> bool:
    """Return a yes/no cell as a bool; raise CivDataError for anything else."""
    low = fold(raw).lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    raise CivDataError("import_bad_choice", value=raw, choices="是/否, yes/no")


def _parse_choice(col: Column, raw: str) -> str:
    """Return the choice a cell names (a code, or a stage or source in either language)."""
    text = fold(raw)
    snake = re.sub(r"\s+", "_", text.lower())
    value = STAGE_ALIASES.get(text) or SOURCE_ALIASES.get(text) or SOURCE_ALIASES.get(snake) \
        or STAGE_ALIASES.get(snake) or snake
    if value not in col.choices:
        names = {c: catalogue().get(f"problem.source.{c}") for c in col.choices}
        shown = [f"{c}（{names[c][0]}）" if names[c] else c for c in col.choices]
        raise CivDataError("import_bad_choice", value=raw, choices=", ".join(shown))
    return value


def _parse_text(col: Column, raw: str) -> str:
    """Return free text exactly as typed; raise CivDataError when it is too long."""
    if len(raw) > MAX_TEXT:
        raise CivDataError("invalid_value", field=col.en, detail=f"> {MAX_TEXT}")
    return raw


_PARSERS: dict[str, Callable[[str], object]] = {
    "number": parse_number, "percent": parse_number, "whole": _parse_whole,
    "date": parse_date, "datum": parse_datum, "bool": _parse_bool}


def _parse_value(col: Column, raw: str, lookups: dict[str, dict[str, int]]) -> object:
    """Return one cell parsed for its column (None when blank); raise CivDataError if bad.

    Text is kept exactly as typed; only what is parsed is NFKC-normalised.
    """
    if raw == "":
        return None
    if col.kind == "text":
        return _parse_text(col, raw)
    if col.kind.startswith("code:"):
        return _parse_code(col, raw, lookups)
    if col.kind == "choice":
        return _parse_choice(col, raw)
    if col.kind in _PARSERS:
        return _PARSERS[col.kind](raw)
    raise ValueError(f"unknown column kind {col.kind}")


FAR_M = 300.0  # a point this far from the site or community its row names is suspect...
NEAR_M = 150.0  # ...when a datum conversion brings it this close


def _reference_point(session: Session, kind: str, rec: dict) -> tuple[Term, str, float,
                                                                        float] | None:
    """Return (what, code, lat, lon) of the site or community a row names, or None."""
    if kind == "problems" and rec.get("site"):
        site = session.get(m.Site, rec["site"])
        return (Term("import.what.site"), site.code, site.lat, site.lon) if site else None
    if kind == "sites":
        site = session.scalar(select(m.Site).where(m.Site.code == rec["code"]))
        if site is not None:
            return Term("import.what.site"), site.code, site.lat, site.lon
        if rec.get("community"):
            comm = session.get(m.Community, rec["community"])
            return (Term("import.what.community"), comm.code, comm.lat, comm.lon) if comm \
                else None
    return None


def _datum_suspect(lat: float, lon: float, ref_lat: float, ref_lon: float
                   ) -> tuple[str, float, float] | None:
    """Return (datum, metres as read, metres converted) when a point read as WGS-84 lies far
    from its reference but close to it after a GCJ-02 or BD-09 conversion; else None."""
    raw = geo.distance_m(lon, lat, ref_lon, ref_lat)
    if raw <= FAR_M:
        return None
    best = None
    for datum in ("gcj02", "bd09"):
        clat, clon = geo.to_wgs84(lat, lon, datum)
        conv = geo.distance_m(clon, clat, ref_lon, ref_lat)
        if conv <= NEAR_M and conv < raw / 3 and (best is None or conv < best[2]):
            best = (datum, raw, conv)
    return best


def _check_points(session: Session, kind: str, records: list[dict], datum: str, stated: bool,
                  issues: list[Issue]) -> list[dict]:
    """Convert each record's point to WGS-84; refuse impossible, swapped, unstated-datum and
    outside-district points; return the rest."""
    kept: list[dict] = []
    suspects: list[tuple[dict, str, float, float]] = []
    checkable = 0
    for rec in records:
        lat, lon = float(rec["lat"]), float(rec["lon"])
        if not -90 <= lat <= 90:
            code = "import_lat_lon_swapped" if -90 <= lon <= 90 else "import_lat_impossible"
            raw = rec.get("_raw", {})
            issues.append(Issue(rec["_row"], "lat", CivDataError(
                code, lat=raw.get("lat") or f"{lat:g}", lon=raw.get("lon") or f"{lon:g}")))
            continue
        row_datum = rec.get("datum")
        if row_datum is None and not stated:
            ref = _reference_point(session, kind, rec)
            if ref is not None:
                checkable += 1
                found = _datum_suspect(lat, lon, ref[2], ref[3])
                if found is not None:
                    suspects.append((rec, *found))
                    what, code, _, _ = ref
                    issues.append(Issue(rec["_row"], "lat", CivDataError(
                        "import_datum_suspect", what=what, ref=code, raw_m=f"{found[1]:.0f}",
                        conv_m=f"{found[2]:.0f}", datum=Term(f"import.datum.{found[0]}"))))
                    continue
        row_datum = row_datum or datum
        if row_datum != "wgs84":
            rec["lat"], rec["lon"] = geo.to_wgs84(lat, lon, row_datum)
        kept.append(rec)
    if suspects and len(suspects) >= 2 and len(suspects) * 2 >= checkable:
        datums = {d for _, d, _, _ in suspects}
        datum_found = suspects[0][1] if len(datums) == 1 else "gcj02"
        issues.append(Issue(0, "lat", CivDataError(
            "import_datum_suspect_file", n=len(suspects), m=checkable,
            raw_m=f"{np.median([r for _, _, r, _ in suspects]):.0f}",
            conv_m=f"{np.median([c for _, _, _, c in suspects]):.0f}",
            datum=Term(f"import.datum.{datum_found}"))))
    if not kept:
        return kept
    outside = geo.points_outside(geo.district_outline(), np.array([r["lon"] for r in kept]),
                                 np.array([r["lat"] for r in kept]))
    inside = []
    for rec, out in zip(kept, outside, strict=True):
        if out:
            issues.append(Issue(rec["_row"], "lat", CivDataError(
                "outside_district", lat=round(rec["lat"], 6), lon=round(rec["lon"], 6))))
        else:
            inside.append(rec)
    return inside


def _split_already_imported(session: Session, kind: str, records: list[dict],
                            issues: list[Issue]) -> tuple[list[dict], list[int]]:
    """Return (records to write, rows already in the database); a row whose natural key is
    taken by a record with other contents is refused as a conflict."""
    check = ALREADY_CHECKS.get(kind)
    if check is None:
        return records, []
    kept: list[dict] = []
    already: list[int] = []
    for rec in records:
        verdict = check(session, rec)
        if verdict is True:
            already.append(rec["_row"])
        elif isinstance(verdict, CivDataError):
            issues.append(Issue(rec["_row"], "", verdict))
        else:
            kept.append(rec)
    return kept, already


def _same(a: object, b: object) -> bool:
    """Return True when two stored values are equal (floats to 1e-6, blanks alike)."""
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) < 1e-6  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return (a or None) == (b or None)


def _already_site(session: Session, rec: dict) -> bool | None:
    """Return True when a site with the row's code holds exactly the row's values."""
    site = session.scalar(select(m.Site).where(func.upper(m.Site.code) == rec["code"].upper()))
    if site is None:
        return None
    values = _site_values(rec)
    return True if all(_same(getattr(site, k), v) for k, v in values.items()) else None


def _already_problem(session: Session, rec: dict) -> bool | None:
    """Return True when an open problem holds exactly the row's place, class, text and source."""
    found = session.scalar(select(m.Problem.id).where(
        m.Problem.subdistrict_id == rec["subdistrict"], m.Problem.class_id == rec["problem_class"],
        m.Problem.description == rec["description"], m.Problem.source == rec["source"],
        m.Problem.status.in_(m.OPEN_STATUSES),
        func.abs(m.Problem.lat - float(rec["lat"])) < 1e-6,
        func.abs(m.Problem.lon - float(rec["lon"])) < 1e-6).limit(1))
    return True if found is not None else None


def _already_progress(session: Session, rec: dict) -> bool | None:
    """Return True when the project has this very report (day, percent, stage)."""
    from civdata.domain.renovation import progress_report_on

    found = progress_report_on(session, rec["project"], rec["reported_on"], rec["percent"],
                               rec["stage"])
    return True if found is not None else None


def _already_inspection(session: Session, rec: dict) -> bool | CivDataError | None:
    """Return True for the same inspection with the same scores, an error for other scores."""
    from civdata.domain.markets import inspection_key_params, inspection_on

    found = inspection_on(session, rec["market"], rec["inspected_on"], rec["inspector"],
                          bool(rec.get("is_reinspection")))
    if found is None:
        return None
    stored = dict(session.execute(select(m.ChecklistItem.code, m.MarketInspectionScore.score)
                                  .join(m.ChecklistItem,
                                        m.ChecklistItem.id == m.MarketInspectionScore.item_id)
                                  .where(m.MarketInspectionScore.inspection_id == found.id)).all())
    if stored and all(_same(stored.get(code), rec.get(code)) for code in stored):
        return True
    market = session.get(m.Market, rec["market"])
    params = inspection_key_params(market, rec["inspected_on"], rec["inspector"],
                                   bool(rec.get("is_reinspection")))
    value = f"{params['market_zh']} {params['day']} {params['inspector']}"
    return CivDataError("import_conflict", what=Term("import.what.inspection"), value=value)


def _already_activity(session: Session, rec: dict) -> bool | CivDataError | None:
    """Return True for the same activity with the same numbers, an error for other numbers."""
    from civdata.domain.volunteers import activity_on

    found = activity_on(session, rec["team"], rec["held_on"], rec["place"], rec["title"])
    if found is None:
        return None
    if found.participants == rec["participants"] and _same(
            found.volunteer_hours, round(float(rec["volunteer_hours"]), 1)):
        return True
    value = f"{rec['_raw'].get('team')} {rec['held_on'].isoformat()} {rec['place']} {rec['title']}"
    return CivDataError("import_conflict", what=Term("import.what.activity"), value=value)


def _already_hotline(session: Session, rec: dict) -> bool | CivDataError | None:
    """Return True for a work order imported before with the same request, an error when the
    number was imported with another request."""
    from civdata.domain.public_reports import hotline_order

    found = hotline_order(session, rec["order_no"])
    if found is None:
        return None
    if found.description == rec["request"]:
        return True
    return CivDataError("import_conflict", what=Term("import.what.work_order"),
                        value=rec["order_no"])


def _check_hotline_rules(session: Session, actor: Actor, records: list[dict],
                         issues: list[Issue]) -> list[dict]:
    """Check who may import hotline orders, read each order's time and refuse half a point;
    return the rows that pass."""
    from civdata.domain.public_reports import parse_order_time

    kept = []
    for rec in records:
        try:
            require(actor, "report.moderate")
        except CivDataError as err:
            issues.append(Issue(rec["_row"], "order_no", err))
            continue
        try:
            rec["received_at"] = parse_order_time(rec["received_at"])
        except CivDataError as err:
            issues.append(Issue(rec["_row"], "received_at", err))
            continue
        if (rec.get("lat") is None) != (rec.get("lon") is None):
            issues.append(Issue(rec["_row"], "lat", CivDataError("hotline_half_point")))
            continue
        kept.append(rec)
    return kept


ALREADY_CHECKS: dict[str, Callable[[Session, dict], bool | CivDataError | None]] = {
    "hotline": _already_hotline,
    "sites": _already_site, "problems": _already_problem, "progress": _already_progress,
    "inspections": _already_inspection, "activities": _already_activity}


def _check_problem_rules(session: Session, actor: Actor, records: list[dict],
                         issues: list[Issue]) -> list[dict]:
    """Apply report_problem's permission check to each problem row; return the allowed rows."""
    kept = []
    for rec in records:
        try:
            require(actor, "problem.report", Scope(rec["subdistrict"], rec["source"]))
        except CivDataError as err:
            issues.append(Issue(rec["_row"], "subdistrict", err))
            continue
        kept.append(rec)
    return kept


# ---------------------------------------------------------------- writing

def _write_problems(session: Session, actor: Actor, records: list[dict]) -> tuple[int, int,
                                                                                  list[Issue]]:
    """Insert problems in bulk as report_problem would; return (created, 0, no issues)."""
    from civdata.domain.sites import site_points, spatial_links

    if not records:
        return 0, 0, []
    now = now_local()
    classes = dict(session.execute(select(m.ProblemClass.id, m.ProblemClass.code)).all())
    prefix = f"P{now:%y%m%d}-"
    taken = set(session.scalars(select(m.Problem.code).where(m.Problem.code.like(f"{prefix}%"))))
    codes: list[str] = []
    n = len(taken) + 1
    while len(codes) < len(records):
        code = f"{prefix}{n:03d}"
        if code not in taken:
            codes.append(code)
        n += 1
    lat = np.array([float(r["lat"]) for r in records])
    lon = np.array([float(r["lon"]) for r in records])
    sites = site_points(session)
    if len(sites):
        nearest, links = spatial_links(sites, pd.DataFrame({"id": np.arange(len(records)),
                                                            "lat": lat, "lon": lon}))
        near_id = [int(v) if v >= 0 else None for v in nearest["nearest_site_id"]]
        near_m = nearest["nearest_site_m"].astype(float).tolist()
        cells = nearest["h3_cell"].tolist()
    else:
        links = pd.DataFrame(columns=["problem_id", "site_id", "distance_m"])
        near_id = near_m = [None] * len(records)
        cells = [geo.h3_cell(a, b) for a, b in zip(lat, lon, strict=True)]
    rows = [{"code": code, "site_id": r.get("site"), "subdistrict_id": r["subdistrict"],
             "class_id": r["problem_class"], "lat": float(la), "lon": float(lo),
             "description": r["description"], "source": r["source"], "status": "discovered",
             "discovered_at": now, "responsible_unit": r.get("responsible_unit"),
             "created_by": actor.username, "version": 1, "nearest_site_id": ni,
             "nearest_site_m": nm, "h3_cell": cell}
            for code, r, la, lo, ni, nm, cell in zip(codes, records, lat, lon, near_id, near_m,
                                                     cells, strict=True)]
    conn = session.connection()
    conn.execute(insert(m.Problem.__table__), rows)
    by_code = dict(session.execute(select(m.Problem.code, m.Problem.id)
                                   .where(m.Problem.code.like(f"{prefix}%"))).all())
    ids = [int(by_code[code]) for code in codes]
    conn.execute(insert(m.ProblemEvent.__table__), [
        {"problem_id": pid, "at": now, "actor": actor.username, "from_status": None,
         "to_status": "discovered", "note": None} for pid in ids])
    conn.execute(insert(m.AuditLog.__table__), [
        {"at": now, "username": actor.username, "action": "problem.report",
         "table_name": "problem", "record_id": str(pid), "old_values": None,
         "new_values": _jsonable({"code": row["code"], "class": classes[row["class_id"]],
                                  "subdistrict_id": row["subdistrict_id"],
                                  "source": row["source"], "status": "discovered"})}
        for pid, row in zip(ids, rows, strict=True)])
    if len(links):
        conn.execute(insert(m.ProblemSite.__table__), [
            {"problem_id": ids[int(p)], "site_id": int(sid), "distance_m": float(d)}
            for p, sid, d in zip(links["problem_id"], links["site_id"], links["distance_m"],
                                 strict=True)])
        from civdata.domain.sites import refresh_site_link_counts

        refresh_site_link_counts(session, {int(v) for v in links["site_id"]})
    mark_changed(session, "problems")
    return len(ids), 0, []


SITE_FIELDS = ("name_zh", "name_en", "category_id", "subdistrict_id", "community_id", "lat",
               "lon", "leader", "unit_1", "unit_2", "unit_3", "grid_staff")


def _site_values(rec: dict) -> dict:
    """Return the site columns a sites row sets."""
    return {"name_zh": rec["name_zh"], "name_en": rec.get("name_en") or rec["name_zh"],
            "category_id": rec["category"], "subdistrict_id": rec["subdistrict"],
            "community_id": rec.get("community"), "lat": float(rec["lat"]),
            "lon": float(rec["lon"]), "leader": rec.get("leader") or "",
            "unit_1": rec.get("unit_1") or "", "unit_2": rec.get("unit_2") or "",
            "unit_3": rec.get("unit_3") or "", "grid_staff": rec.get("grid_staff") or 0}


def _write_sites(session: Session, actor: Actor, records: list[dict]) -> tuple[int, int,
                                                                               list[Issue]]:
    """Add new sites and update existing ones (by code); return (created, updated, issues)."""
    existing = {s.code.upper(): s for s in session.scalars(
        select(m.Site).where(m.Site.code.in_([r["code"] for r in records])))}
    created = updated = 0
    issues: list[Issue] = []
    for rec in records:
        values = _site_values(rec)
        site = existing.get(rec["code"].upper())
        try:
            require(actor, "site.edit", Scope(rec["subdistrict"]))
            if site is not None:
                require(actor, "site.edit", site)
        except CivDataError as err:
            issues.append(Issue(rec["_row"], "subdistrict", err))
            continue
        if site is None:
            site = m.Site(code=rec["code"], version=1, **values)
            session.add(site)
            session.flush()
            existing[site.code.upper()] = site
            audit(session, actor, "site.edit", "site", site.id, None, {"code": site.code,
                                                                       **values})
            created += 1
        else:
            old = {k: getattr(site, k) for k in (*SITE_FIELDS, "version")}
            for k, v in values.items():
                setattr(site, k, v)
            site.version = site.version + 1
            session.flush()
            audit(session, actor, "site.edit", "site", site.id, old,
                  {**values, "version": site.version})
            updated += 1
    if created or updated:
        from civdata.domain.sites import recompute_problem_sites

        recompute_problem_sites(session)
        mark_changed(session, "sites")
        mark_changed(session, "problems")
    return created, updated, issues


ERROR_COLUMNS = {
    "progress_backwards": "percent", "progress_out_of_range": "percent",
    "progress_stage_mismatch": "stage", "stage_backwards": "stage",
    "progress_date_future": "reported_on", "progress_date_order": "reported_on",
    "progress_exists": "reported_on", "market_date_future": "inspected_on",
    "market_inspector_required": "inspector", "inspection_exists": "inspector",
    "activity_future": "held_on", "activity_hours_implausible": "volunteer_hours",
    "activity_exists": "title"}
WHERE_COLUMNS = {"progress": "project", "inspections": "market", "activities": "community"}
FIELD_COLUMNS = {"participants": "participants", "volunteer hours": "volunteer_hours",
                 "volunteer_hours": "volunteer_hours", "title": "title", "place": "place",
                 "date": "held_on", "note": "note", "notes": "notes", "vehicle": "vehicle",
                 "inspector": "inspector", "stage": "stage", "service_type": "service_type",
                 "held_on": "held_on"}


def error_column(kind: str, err: CivDataError) -> str:
    """Return the column a rule checked while writing is about ('' when the whole row)."""
    if err.code in ERROR_COLUMNS:
        return ERROR_COLUMNS[err.code]
    if err.code == "market_score_range":
        return str(err.params.get("item_code", ""))
    if err.code in ("wrong_subdistrict", "permission_denied"):
        return WHERE_COLUMNS.get(kind, "")
    field_param = err.params.get("field", "")
    field_name = field_param.key.rsplit(".", 1)[-1] if isinstance(field_param, Term) \
        else str(field_param).lower()  # a Term names the field by its key ("activity.field.x")
    return FIELD_COLUMNS.get(field_name, "")


def _write_rows(kind: str, records: list[dict], write_one: Callable[[dict], object]
                ) -> tuple[int, int, list[Issue]]:
    """Call write_one per record; return (written, 0, one issue per refused row)."""
    written = 0
    issues: list[Issue] = []
    for rec in records:
        try:
            write_one(rec)
        except CivDataError as err:
            issues.append(Issue(rec["_row"], error_column(kind, err), err))
            continue
        written += 1
    return written, 0, issues


def _write_progress(session: Session, actor: Actor, records: list[dict]) -> tuple[int, int,
                                                                                  list[Issue]]:
    """Record each progress report through renovation.add_progress_report."""
    from civdata.domain.renovation import add_progress_report

    return _write_rows("progress", records, lambda r: add_progress_report(
        session, actor, r["project"], r["reported_on"], r["percent"], r["stage"],
        note=r.get("note")))


def _write_inspections(session: Session, actor: Actor,
                       records: list[dict]) -> tuple[int, int, list[Issue]]:
    """Record each inspection through markets.record_inspection."""
    from civdata.domain.markets import record_inspection

    items = [c.key for c in checklist_columns(session)]
    return _write_rows("inspections", records, lambda r: record_inspection(
        session, actor, r["market"], r["inspected_on"], r["inspector"],
        {k: r[k] for k in items if r.get(k) is not None}, notes=r.get("notes"),
        vehicle=r.get("vehicle"), is_reinspection=bool(r.get("is_reinspection")),
        fed_back_same_day=bool(r.get("fed_back_same_day"))))


def _write_activities(session: Session, actor: Actor,
                      records: list[dict]) -> tuple[int, int, list[Issue]]:
    """Record each activity through volunteers.record_activity."""
    from civdata.domain.volunteers import record_activity

    return _write_rows("activities", records, lambda r: record_activity(
        session, actor, team_id=r["team"], community_id=r["community"], held_on=r["held_on"],
        title=r["title"], participants=r["participants"],
        volunteer_hours=r["volunteer_hours"], place=r.get("place"),
        service_type=r.get("service_type"), partner_org_id=r.get("partner_org")))


def _write_hotline(session: Session, actor: Actor, records: list[dict]
                   ) -> tuple[int, int, list[Issue]]:
    """Queue each work order for moderation; return (written, 0, refused rows)."""
    from civdata.domain.public_reports import import_hotline_order

    classes = dict(session.execute(select(m.ProblemClass.id, m.ProblemClass.code)).all())
    result = _write_rows("hotline", records, lambda r: import_hotline_order(
        session, actor, order_no=r["order_no"], request=r["request"],
        received_at=r["received_at"], address=r.get("address"), lat=r.get("lat"),
        lon=r.get("lon"), class_code=classes.get(r.get("problem_class"))))
    if result[0]:
        mark_changed(session, "problems")
    return result


WRITERS = {"hotline": _write_hotline, "problems": _write_problems, "sites": _write_sites, "progress": _write_progress,
           "inspections": _write_inspections, "activities": _write_activities}


def import_checked(session: Session, actor: Actor, checked: Checked, *, only_valid: bool = False,
                   dry_run: bool = False, file_name: str = "") -> ImportResult:
    """Write a validated table in one transaction (commit, or roll back when refused or dry)."""
    require(actor, "data.import")
    result = ImportResult(kind=checked.kind, rows=checked.rows, issues=list(checked.issues),
                          already_rows=list(checked.already_rows), dry_run=dry_run,
                          preview=checked.preview)
    if result.issues and (not only_valid or result.file_refused):
        session.rollback()
        return result
    if dry_run and checked.kind == "problems":  # every rule was checked in validate()
        result.written = result.created = len(checked.records)
        return result
    try:
        created, updated, row_issues = WRITERS[checked.kind](session, actor, checked.records)
        result.issues = sort_issues(result.issues + row_issues, checked.column_order)
        result.created, result.updated, result.written = created, updated, created + updated
        if dry_run or (row_issues and not only_valid) or result.written == 0:
            session.rollback()
            if row_issues and not only_valid:
                result.written = result.created = result.updated = 0
            return result
        audit(session, actor, "data.import", checked.kind, None, None,
              {"file": file_name, "rows": checked.rows, "created": created, "updated": updated,
               "already_imported": result.already, "skipped_rows": result.bad_rows})
        session.commit()
        result.committed = True
        return result
    except BaseException:
        session.rollback()
        raise


def import_file(session: Session, actor: Actor, kind: str, name: str, data: bytes, *,
                datum: str | None = None, only_valid: bool = False,
                dry_run: bool = False) -> ImportResult:
    """Read, validate and import a file; raise CivDataError for a bad file (nothing written).

    datum None: the file's coordinates are read as WGS-84 and checked for a GCJ-02/BD-09 look.
    The evaluation kinds are all or nothing whatever only_valid says (no coordinates).
    """
    if kind in EVAL_KIND_PERMISSIONS:
        from civdata.io.evaluation_import import import_eval_file

        return import_eval_file(session, actor, kind, name, data, dry_run=dry_run)
    require(actor, "data.import")
    table = read_table(session, kind, name, data)
    checked = validate(session, actor, kind, table, datum)
    return import_checked(session, actor, checked, only_valid=only_valid, dry_run=dry_run,
                          file_name=name)


def import_permission(kind: str) -> str:
    """Return the permission an import of kind needs."""
    return EVAL_KIND_PERMISSIONS.get(kind, "data.import")


def issues_frame(issues: list[Issue], columns: list[Column], lang: str) -> pd.DataFrame:
    """Return the issues as rows of (row, column, message) in lang."""
    names = {c.key: (c.zh if lang == "zh" else c.en) for c in columns}
    names[""] = ""
    return pd.DataFrame([(i.row or None, names.get(i.column, i.column), i.error.message(lang))
                         for i in issues], columns=["row", "column", "message"])


# ---------------------------------------------------------------- templates

def template_xlsx(session: Session, kind: str) -> bytes:
    """Return an .xlsx template: a data sheet (zh/en headers, an example row) and a help sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    columns = columns_for(session, kind)
    book = Workbook()
    sheet = book.active
    sheet.title = kind
    sheet.append([header_label(c) for c in columns])
    example = [c.example for c in columns]
    for i, c in enumerate(columns):
        if c.kind == "date":
            example[i] = today_local().isoformat()
    sheet.append(example)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for i, c in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = max(14, len(c.en) + 6)
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet(HELP_SHEET)
    help_sheet.append(["列 column", "必填 required", "说明", "Explanation", "示例 example"])
    for c in columns:
        help_sheet.append([header_label(c), "是 yes" if c.required else "否 no", c.help_zh,
                           c.help_en, c.example])
    help_sheet.append([])
    help_sheet.append(["第 2 行为示例，导入前请删除或替换。", "Row 2 is an example: delete or "
                       "replace it before importing."])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDE", (28, 12, 50, 50, 20), strict=True):
        help_sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- command line

def cli_actor(session: Session, username: str | None) -> Actor:
    """Return the actor of the command line: an active account, or the office-role 'cli'."""
    if not username:
        return Actor(username="cli", role="office", display_name="command line")
    user = session.scalar(select(m.User).where(m.User.username == username,
                                               m.User.is_active.is_(True)))
    if user is None:
        raise CivDataError("user_unknown", username=username)
    return Actor(username=user.username, role=user.role, subdistrict_id=user.subdistrict_id,
                 display_name=user.display_name)


def run_cli_import(session: Session, args: argparse.Namespace) -> int:
    """Run `python -m civdata import`; print what happened in args.lang; return 0 imported
    (or every row already imported), 1 refused."""
    import sys

    lang = getattr(args, "lang", "zh")
    path = PurePath(args.file)
    try:
        data = open(path, "rb").read()
    except OSError as exc:
        raise CivDataError("not_found", what=str(path)) from exc
    actor = cli_actor(session, args.user)
    only_valid = args.only_valid and args.kind not in EVAL_KIND_PERMISSIONS  # all or nothing
    result = import_file(session, actor, args.kind, path.name, data, datum=args.datum,
                         only_valid=only_valid, dry_run=args.dry_run)
    columns = {c.key: (c.zh if lang == "zh" else c.en) for c in columns_for(session, args.kind)}
    for issue in result.issues:
        where = text("import.row", lang, row=issue.row) if issue.row \
            else text("import.file_level", lang)
        if issue.column:
            where += ("，" if lang == "zh" else ", ") + columns.get(issue.column, issue.column)
        print(f"{where}{'：' if lang == 'zh' else ': '}{issue.error.message(lang)}",
              file=sys.stderr)
    prefix = text("cli.error_prefix", lang)
    if result.issues and (not only_valid or result.file_refused):
        print(f"{prefix}{result.refusal().message(lang)}", file=sys.stderr)
        return 1
    note = result.already_note()
    if note is not None:
        print(note.message(lang))
    print(result.summary(lang))
    return 0 if result.written or result.already or not result.rows else 1
