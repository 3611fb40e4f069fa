"""Imports of the evaluation (issue 19): the indicator system and the household survey, and the
evaluation part of the sample.

Both imports read CSV or Excel like civdata/importers.py (same cell cleaning, dates, numbers,
zh/en column names, header row found below title rows), validate every row first and write all
or nothing: a file with any issue writes no row.

The indicator system: one row per content (测评内容) with its item and part, points, collection
method, lead unit and, for on-site contents, the site categories (codes or names separated by
';'). One file is one edition; its basic parts must add up to 100 points, its distinctive parts
to 20. A loaded edition is never changed: a revision is a new edition, which becomes current.

The survey: one row per household: respondent number, subdistrict, community, age band, date
and one column per question (是/否, yes/no, 1/0; blank = not answered). A respondent already
imported is recognised and not written again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, audit, require
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError
from civdata.core.live import mark_changed
from civdata.io.importers import (
    FALSE_WORDS,
    TRUE_WORDS,
    Column,
    ImportResult,
    Issue,
    alias_map,
    clean_cell,
    file_grid,
    find_header,
    header_label,
    header_positions,
    parse_date,
    parse_number,
)
from civdata.texts import Term

EVAL_KINDS = ("evaluation_system", "survey")
BASIC_POINTS = 100.0
DISTINCTIVE_POINTS = 20.0
MAX_TEXT = 500
AGE_BANDS = ("18-29", "30-44", "45-59", "60+")

SYSTEM_COLUMNS = [
    Column("edition", "版本", "Edition", "text", True, "2024", "版本号（年份）", "Edition code",
           ("版本号",)),
    Column("year", "年度", "Year", "whole", True, "2024", "年度", "Year"),
    Column("edition_zh", "版本名称", "Edition name (Chinese)", "text", False, "全国文明城市测评体系",
           "可空", "Optional"),
    Column("edition_en", "版本英文名称", "Edition name (English)", "text", False, "", "可空",
           "Optional"),
    Column("part", "测评部分编号", "Part code", "text", True, "P1", "如 P1", "e.g. P1"),
    Column("part_zh", "测评部分", "Part", "text", True, "思想道德建设", "中文名称", "Chinese name"),
    Column("part_en", "测评部分英文", "Part (English)", "text", False, "", "可空", "Optional"),
    Column("part_kind", "指标类型", "Indicator kind", "choice", True, "basic",
           "basic（基本指标）或 distinctive（特色指标）", "basic or distinctive", (),
           m.EVAL_PART_KINDS),
    Column("item", "测评项目编号", "Item code", "text", True, "I1.1", "如 I1.1", "e.g. I1.1"),
    Column("item_zh", "测评项目", "Item", "text", True, "社会主义核心价值观宣传", "中文名称",
           "Chinese name"),
    Column("item_en", "测评项目英文", "Item (English)", "text", False, "", "可空", "Optional"),
    Column("content", "测评内容编号", "Content code", "text", True, "C01", "唯一编号",
           "Unique code"),
    Column("content_zh", "测评内容", "Content", "text", True, "公益广告规范设置", "中文名称",
           "Chinese name"),
    Column("content_en", "测评内容英文", "Content (English)", "text", False, "", "可空",
           "Optional"),
    Column("points", "分值", "Points", "number", True, "3", "大于 0", "Above 0"),
    Column("method", "测评方式", "Method", "choice", True, "onsite",
           "onsite（实地考察）、survey（问卷调查）、materials（材料审核）",
           "onsite, survey or materials", ("方式",), m.EVAL_METHODS),
    Column("lead_unit", "牵头单位", "Lead unit", "text", True, "区委宣传部", "牵头单位",
           "Lead unit"),
    Column("categories", "适用点位类别", "Site categories", "text", False, "main_road;bus_stop",
           "实地考察内容必填，多个用分号分隔", "Required for on-site contents; separate by ';'"),
    Column("question", "问卷题目编号", "Question code", "text", False, "",
           "问卷调查内容可填；空则用测评内容编号", "Survey contents; blank: the content code"),
    Column("question_zh", "问卷题目", "Question", "text", False, "",
           "问卷调查内容可填；空则用测评内容名称", "Survey contents; blank: the content's name"),
    Column("question_en", "问卷题目英文", "Question (English)", "text", False, "", "可空",
           "Optional"),
    Column("dimension", "问卷维度", "Survey dimension", "choice", False, "",
           "知晓率、支持率、满意率或参与率；空则按名称判断（判断不出为“未注明”）",
           "awareness, support, satisfaction or participation; blank: read from the name "
           "(else 'not stated')", (),
           m.SURVEY_DIMENSIONS),
]
QUESTION_KEYS = ("question", "question_zh", "question_en", "dimension")
UNSPECIFIED = "unspecified"  # a question whose dimension neither the file nor its name tells
DIMENSION_WORDS = {"知晓率": "awareness", "知晓": "awareness", "支持率": "support",
                   "支持": "support", "满意率": "satisfaction", "满意度": "satisfaction",
                   "满意": "satisfaction", "参与率": "participation", "参与": "participation",
                   "参加": "participation"}
DIMENSION_EN = {"aware": "awareness", "know": "awareness", "support": "support",
                "satisf": "satisfaction", "particip": "participation", "volunteer":
                "participation", "taking part": "participation"}
METHOD_WORDS = {"实地考察": "onsite", "实地": "onsite", "问卷调查": "survey", "问卷": "survey",
                "材料审核": "materials", "材料": "materials", "网上申报": "materials"}
KIND_WORDS = {"基本指标": "basic", "基本": "basic", "特色指标": "distinctive", "特色": "distinctive"}
SURVEY_BASE = [
    Column("respondent", "问卷编号", "Respondent", "text", True, "R00001", "唯一编号",
           "Unique number", ("编号",)),
    Column("subdistrict", "街道", "Subdistrict", "text", True, "nanhu", "街道代码或名称",
           "Subdistrict code or name"),
    Column("community", "社区", "Community", "text", False, "C079", "社区代码或名称，可空",
           "Community code or name; optional"),
    Column("age_band", "年龄段", "Age band", "choice", True, "30-44", "18-29、30-44、45-59、60+",
           "18-29, 30-44, 45-59 or 60+", ("年龄",), AGE_BANDS),
    Column("responded_on", "调查日期", "Date", "date", True, "2026-11-20", "任意常见日期格式",
           "A date in any usual form", ("日期",)),
]


@dataclass
class EvalImportResult:
    """What an evaluation import found and did."""

    kind: str
    rows: int
    issues: list[Issue] = field(default_factory=list)
    written: int = 0
    skipped: int = 0  # rows already imported
    committed: bool = False

    @property
    def bad_rows(self) -> int:
        """Return how many rows have at least one issue."""
        return len({i.row for i in self.issues if i.row})

    def refusal(self) -> CivDataError:
        """Return the summary error of a refused file."""
        return CivDataError("import_refused", issues=len(self.issues), bad_rows=self.bad_rows,
                            rows=self.rows)


# ---------------------------------------------------------------- reading

def read_grid(name: str, data: bytes) -> list[list[str]]:
    """Return the cells of a CSV or XLSX file (first data sheet); raise saying what is wrong."""
    return file_grid("evaluation", name, data)[0]


def read_rows(name: str, data: bytes, columns: list[Column]
              ) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the matched column keys and the (row number, values) of a file; raise if bad."""
    grid = [(i + 1, row) for i, row in enumerate(read_grid(name, data)) if any(row)]
    if not grid:
        raise CivDataError("import_file_empty", name=name)
    aliases = alias_map(columns)
    h = find_header([row for _, row in grid], aliases, columns)  # names the template's headers
    positions = header_positions(grid[h][1], columns, aliases)
    rows = []
    for number, row in grid[h + 1:]:
        values = [row[i] if i < len(row) else "" for i, _ in positions]
        if any(values):
            rows.append((number, values))
    if not rows:
        raise CivDataError("import_file_empty", name=name)
    return [k for _, k in positions], rows


def _value(col: Column, raw: str) -> object:
    """Return one cell parsed for its column (None when blank); raise CivDataError if bad."""
    if raw == "":
        return None
    if col.kind == "text":
        if len(raw) > MAX_TEXT:
            raise CivDataError("invalid_value", field=col.en, detail=f"> {MAX_TEXT}")
        return raw
    if col.kind == "number":
        return parse_number(raw)
    if col.kind == "whole":
        value = parse_number(raw)
        if not float(value).is_integer():
            raise CivDataError("import_bad_whole", value=raw)
        return int(value)
    if col.kind == "date":
        return parse_date(raw)
    if col.kind == "choice":
        low = raw.strip().lower()
        low = METHOD_WORDS.get(raw, KIND_WORDS.get(raw, DIMENSION_WORDS.get(raw, low)))
        if low not in col.choices:
            raise CivDataError("import_bad_choice", value=raw, choices=", ".join(col.choices))
        return low
    raise CivDataError("invalid_value", field=col.en, detail=col.kind)


def _parse_rows(keys: list[str], rows: list[tuple[int, list[str]]], columns: list[Column]
                ) -> tuple[list[dict], list[Issue]]:
    """Return the parsed records and the cell issues (blank required cells included)."""
    by_key = {c.key: c for c in columns}
    records, issues = [], []
    for number, values in rows:
        record: dict = {"_row": number}
        for key, raw in zip(keys, values, strict=True):
            try:
                record[key] = _value(by_key[key], raw)
            except CivDataError as err:
                issues.append(Issue(number, key, err))
        for col in columns:
            if col.required and record.get(col.key) is None and col.key in keys \
                    and not any(i.row == number and i.column == col.key for i in issues):
                issues.append(Issue(number, col.key, CivDataError(
                    "required_field", field=col.en, field_zh=col.zh)))
        records.append(record)
    return records, issues


def _lookup(session: Session, model: type) -> dict[str, int]:
    """Return {folded code or name: id} of a coded table."""
    out: dict[str, int] = {}
    cols = [model.id, model.code] + ([model.name_zh, model.name_en]
                                     if hasattr(model, "name_zh") else [])
    for row in session.execute(select(*cols)).all():
        for name in row[1:]:
            if name:
                out.setdefault(re.sub(r"\s+", "", str(name)).upper(), int(row[0]))
    return out


def _code(lookup: dict[str, int], raw: str) -> int | None:
    """Return the id of a code or name, or None."""
    return lookup.get(re.sub(r"\s+", "", clean_cell(raw)).upper())


# ---------------------------------------------------------------- the indicator system

def _category_ids(rec: dict, row: int, cats: dict[str, int], issues: list[Issue]) -> list[int]:
    """Return the site-category ids a system row names, adding an issue for each unknown one and
    for an on-site content that names none."""
    ids, unknown = [], False
    for raw in re.split(r"[;；,，、]", rec.get("categories") or ""):
        if not raw.strip():
            continue
        found = _code(cats, raw)
        if found is None:
            unknown = True
            issues.append(Issue(row, "categories", CivDataError(
                "import_unknown_code", value=raw, what=Term("import.what.site_category"))))
        else:
            ids.append(found)
    if rec["method"] == "onsite" and not ids and not unknown and not any(
            i.row == row and i.column == "categories" for i in issues):
        issues.append(Issue(row, "categories", CivDataError("eval_onsite_needs_category")))
    return sorted(set(ids))


def _edition_issues(session: Session, records: list[dict]) -> list[Issue]:
    """Return the issues of the file's edition: more than one, or one already imported."""
    editions = sorted({str(r.get("edition")) for r in records if r.get("edition")})
    if len(editions) > 1:
        return [Issue(0, "edition", CivDataError("eval_one_edition", editions=", ".join(editions)))]
    if editions and session.scalar(select(m.EvalEdition.id).where(
            m.EvalEdition.code == editions[0])) is not None:
        return [Issue(0, "edition", CivDataError("eval_edition_exists", edition=editions[0]))]
    return []


def check_system(session: Session, keys: list[str], rows: list[tuple[int, list[str]]]
                 ) -> tuple[list[dict], list[Issue]]:
    """Return the system's rows parsed and every issue found (nothing is written)."""
    records, issues = _parse_rows(keys, rows, SYSTEM_COLUMNS)
    cats = _lookup(session, m.SiteCategory)
    bad_rows = {i.row for i in issues}
    seen_content: dict[str, int] = {}
    linked = {c for c in session.scalars(select(m.SurveyQuestion.content_code)).all() if c}
    seen_question: dict[str, int] = {}
    parts: dict[str, tuple] = {}
    items: dict[str, tuple] = {}
    for rec in records:
        row = rec["_row"]
        if row in bad_rows:
            continue
        if rec["points"] <= 0:
            issues.append(Issue(row, "points", CivDataError("eval_points_positive",
                                                            value=rec["points"])))
        code = rec["content"]
        if code in seen_content:
            issues.append(Issue(row, "content", CivDataError("import_duplicate_row",
                                                             first=seen_content[code])))
        seen_content.setdefault(code, row)
        part_key = (rec["part_zh"], rec["part_kind"])
        first = parts.setdefault(rec["part"], (*part_key, row))
        if first[:2] != part_key:
            issues.append(Issue(row, "part", CivDataError(
                "eval_inconsistent", what=Term("import.what.eval_part"), code=rec["part"],
                first=first[2])))
        item_key = (rec["item_zh"], rec["part"])
        first = items.setdefault(rec["item"], (*item_key, row))
        if first[:2] != item_key:
            issues.append(Issue(row, "item", CivDataError(
                "eval_inconsistent", what=Term("import.what.eval_item"), code=rec["item"],
                first=first[2])))
        rec["category_ids"] = _category_ids(rec, row, cats, issues)
        rec["question_spec"] = _question_spec(rec, linked, seen_question, issues)
    good = [r for r in records if r["_row"] not in {i.row for i in issues}]
    issues.extend(_edition_issues(session, records))
    if not issues:
        for kind, expected in (("basic", BASIC_POINTS), ("distinctive", DISTINCTIVE_POINTS)):
            total = round(sum(r["points"] for r in good if r["part_kind"] == kind), 6)
            if abs(total - expected) > 1e-6:
                issues.append(Issue(0, "points", CivDataError(
                    "eval_points_sum", kind=Term(f"eval.part_kind.{kind}"), total=f"{total:g}",
                    expected=f"{expected:g}")))
    issues.sort(key=lambda i: (i.row, i.column))
    return good, issues


def guess_dimension(*names: str) -> str | None:
    """Return the survey dimension a question's or content's name speaks of, or None."""
    for name in names:
        for word, dim in DIMENSION_WORDS.items():
            if word in (name or ""):
                return dim
        low = (name or "").lower()
        for word, dim in DIMENSION_EN.items():
            if word in low:
                return dim
    return None


def _question_spec(rec: dict, linked: set[str], seen: dict[str, int], issues: list[Issue]
                   ) -> tuple[str, str, str, str] | None:
    """Return (code, zh, en, dimension) of the question a survey content brings, or None when
    it brings none (not a survey content, or its question exists already); issues appended.
    Without question columns the content is its own question (its code and name)."""
    row = rec["_row"]
    given = [k for k in QUESTION_KEYS if rec.get(k)]
    if rec["method"] != "survey":
        if given:
            issues.append(Issue(row, given[0], CivDataError("eval_question_not_survey")))
        return None
    if not given and rec["content"] in linked:
        return None
    code = rec.get("question") or rec["content"]
    zh = rec.get("question_zh") or rec["content_zh"]
    en = rec.get("question_en") or rec.get("content_en") or zh
    dim = rec.get("dimension") or guess_dimension(zh, rec["content_zh"], en,
                                                  rec.get("content_en") or "") or UNSPECIFIED
    if code in seen:
        issues.append(Issue(row, "question", CivDataError("import_duplicate_row",
                                                          first=seen[code])))
        return None
    seen[code] = row
    return code, zh, en, dim


def _write_questions(session: Session, records: list[dict]) -> None:
    """Insert the survey questions the system's contents bring (an existing code is linked to
    its content, its names kept unless the file gives them)."""
    specs = [(r["content"], r["question_spec"], bool(r.get("question_zh")))
             for r in records if r.get("question_spec")]
    order = int(session.scalar(select(func.coalesce(func.max(m.SurveyQuestion.sort_order), 0))))
    for content, (code, zh, en, dim), named in specs:
        row = session.scalar(select(m.SurveyQuestion).where(m.SurveyQuestion.code == code))
        if row is None:
            order += 1
            session.add(m.SurveyQuestion(code=code, name_zh=zh, name_en=en, dimension=dim,
                                         content_code=content, sort_order=order))
            continue
        row.content_code = content
        if named:
            row.name_zh, row.name_en, row.dimension = zh, en, dim
    session.flush()


def _write_system(session: Session, actor: Actor, records: list[dict]) -> int:
    """Insert one edition's parts, items and contents, make it current; return the edition id."""
    first = records[0]
    now = now_local()
    session.execute(update(m.EvalEdition).values(is_current=False))
    edition = m.EvalEdition(code=str(first["edition"]), year=int(first["year"]),
                            name_zh=first.get("edition_zh") or f"测评体系 {first['edition']}",
                            name_en=first.get("edition_en") or f"Evaluation system "
                                                               f"{first['edition']}",
                            is_current=True, loaded_at=now, loaded_by=actor.username)
    session.add(edition)
    session.flush()
    part_ids: dict[str, int] = {}
    item_ids: dict[str, int] = {}
    for order, rec in enumerate(records, start=1):
        if rec["part"] not in part_ids:
            part = m.EvalPart(edition_id=edition.id, code=rec["part"], name_zh=rec["part_zh"],
                              name_en=rec.get("part_en") or rec["part_zh"],
                              kind=rec["part_kind"], sort_order=len(part_ids) + 1)
            session.add(part)
            session.flush()
            part_ids[rec["part"]] = part.id
        if rec["item"] not in item_ids:
            item = m.EvalItem(edition_id=edition.id, part_id=part_ids[rec["part"]],
                              code=rec["item"], name_zh=rec["item_zh"],
                              name_en=rec.get("item_en") or rec["item_zh"],
                              sort_order=len(item_ids) + 1)
            session.add(item)
            session.flush()
            item_ids[rec["item"]] = item.id
        content = m.EvalContent(edition_id=edition.id, item_id=item_ids[rec["item"]],
                                code=rec["content"], name_zh=rec["content_zh"],
                                name_en=rec.get("content_en") or rec["content_zh"],
                                points=float(rec["points"]), method=rec["method"],
                                lead_unit=rec["lead_unit"], sort_order=order)
        session.add(content)
        session.flush()
        if rec["category_ids"]:
            session.execute(insert(m.EvalContentCategory), [
                {"content_id": content.id, "category_id": c} for c in rec["category_ids"]])
    _write_questions(session, records)
    audit(session, actor, "evaluation.import", "eval_edition", edition.id, None,
          {"edition": edition.code, "year": edition.year, "contents": len(records)})
    mark_changed(session, "evaluation")
    session.flush()
    return edition.id


def import_evaluation_system(session: Session, actor: Actor, name: str, data: bytes, *,
                             commit: bool = True) -> EvalImportResult:
    """Validate and load an edition of the evaluation system (office); all or nothing."""
    return _eval_result(import_eval_file(session, actor, "evaluation_system", name, data,
                                         commit=commit))


# ---------------------------------------------------------------- the survey

def survey_columns(session: Session) -> list[Column]:
    """Return the survey file's columns: the household's fields and one per question."""
    rows = session.execute(select(m.SurveyQuestion.code, m.SurveyQuestion.name_zh,
                                  m.SurveyQuestion.name_en)
                           .order_by(m.SurveyQuestion.sort_order, m.SurveyQuestion.id)).all()
    return SURVEY_BASE + [Column(code, f"{code} {zh}", f"{code} {en}", "answer", False, "是",
                                 "是/否，可空", "yes/no; blank: not answered", (code, zh, en))
                          for code, zh, en in rows]


def parse_answer(raw: str) -> bool | None:
    """Return True for a favourable answer, False for not, None for blank; raise otherwise."""
    low = clean_cell(raw).lower()
    if low == "":
        return None
    if low in TRUE_WORDS or low in {"满意", "知道", "支持", "参加过", "是的", "有"}:
        return True
    if low in FALSE_WORDS or low in {"不满意", "不知道", "不支持", "没有", "未参加", "无"}:
        return False
    raise CivDataError("eval_bad_answer", value=raw)


def _answers(number: int, values: list[str], questions: list[str], idx: dict[str, int],
             issues: list[Issue]) -> dict[str, bool]:
    """Return a response row's answers by question (blank left out), adding an issue for each
    cell that is not an answer."""
    answers: dict[str, bool] = {}
    for q in questions:
        if q not in idx:
            continue
        try:
            value = parse_answer(values[idx[q]])
        except CivDataError as err:
            issues.append(Issue(number, q, err))
            continue
        if value is not None:
            answers[q] = value
    return answers


def check_survey(session: Session, keys: list[str], rows: list[tuple[int, list[str]]],
                 columns: list[Column], today: date | None = None
                 ) -> tuple[list[dict], list[Issue], list[int]]:
    """Return the new responses parsed, every issue, and the rows imported before (a date
    after today, the district's by default, is refused)."""
    today = today or now_local().date()
    questions = [c.key for c in columns if c.kind == "answer"]
    base = [c for c in columns if c.kind != "answer"]
    base_keys = [k for k in keys if k not in questions]
    idx = {k: i for i, k in enumerate(keys)}
    sub_lookup, comm_lookup = _lookup(session, m.Subdistrict), _lookup(session, m.Community)
    comm_sub = dict(session.execute(select(m.Community.id, m.Community.subdistrict_id)).all())
    known = set(session.scalars(select(m.SurveyResponse.respondent)).all())
    records, issues = _parse_rows(base_keys, [(n, [v[idx[k]] for k in base_keys])
                                              for n, v in rows], base)
    seen: dict[str, int] = {}
    out: list[dict] = []
    skipped: list[int] = []
    for rec, (number, values) in zip(records, rows, strict=True):
        answers = _answers(number, values, questions, idx, issues)
        rec["answers"] = answers
        if rec.get("subdistrict"):
            rec["subdistrict_id"] = _code(sub_lookup, rec["subdistrict"])
            if rec["subdistrict_id"] is None:
                issues.append(Issue(number, "subdistrict", CivDataError(
                    "import_unknown_code", value=rec["subdistrict"],
                    what=Term("import.what.subdistrict"))))
        rec["community_id"] = None
        if rec.get("community"):
            rec["community_id"] = _code(comm_lookup, rec["community"])
            if rec["community_id"] is None:
                issues.append(Issue(number, "community", CivDataError(
                    "import_unknown_code", value=rec["community"],
                    what=Term("import.what.community"))))
            elif rec.get("subdistrict_id") and comm_sub[rec["community_id"]] != \
                    rec["subdistrict_id"]:
                issues.append(Issue(number, "community", CivDataError(
                    "eval_community_mismatch", community=rec["community"],
                    subdistrict=rec["subdistrict"])))
        if rec.get("responded_on") and rec["responded_on"] > today:
            issues.append(Issue(number, "responded_on", CivDataError(
                "progress_date_future", day=rec["responded_on"].isoformat())))
        if not answers and not any(i.row == number for i in issues):
            issues.append(Issue(number, "", CivDataError("eval_no_answers")))
        respondent = rec.get("respondent")
        if respondent in seen:
            issues.append(Issue(number, "respondent", CivDataError("import_duplicate_row",
                                                                   first=seen[respondent])))
            continue
        if respondent:
            seen[respondent] = number
        if respondent in known:
            skipped.append(number)
            continue
        out.append(rec)
    bad = {i.row for i in issues}
    issues.sort(key=lambda i: (i.row, i.column))
    return [r for r in out if r["_row"] not in bad], issues, skipped


def _write_survey(session: Session, actor: Actor, records: list[dict]) -> int:
    """Insert responses and their answers; return how many responses were written."""
    if not records:
        return 0
    qids = dict(session.execute(select(m.SurveyQuestion.code, m.SurveyQuestion.id)).all())
    ids = session.scalars(insert(m.SurveyResponse).returning(
        m.SurveyResponse.id, sort_by_parameter_order=True), [
        {"respondent": r["respondent"], "subdistrict_id": r["subdistrict_id"],
         "community_id": r["community_id"], "age_band": r["age_band"],
         "responded_on": r["responded_on"], "imported_by": actor.username}
        for r in records]).all()
    answers = [{"response_id": rid, "question_id": qids[q], "favourable": v}
               for rid, r in zip(ids, records, strict=True) for q, v in r["answers"].items()]
    if answers:
        session.execute(insert(m.SurveyAnswer), answers)
    return len(records)


def import_survey(session: Session, actor: Actor, name: str, data: bytes, *,
                  commit: bool = True) -> EvalImportResult:
    """Validate and import household questionnaires (office); all or nothing."""
    return _eval_result(import_eval_file(session, actor, "survey", name, data, commit=commit))


def _eval_result(result: ImportResult) -> EvalImportResult:
    """Return the evaluation imports' own result of an import run."""
    return EvalImportResult(kind=result.kind, rows=result.rows, issues=result.issues,
                            written=result.written, skipped=result.already,
                            committed=result.committed)


def eval_columns(session: Session, kind: str) -> list[Column]:
    """Return the columns of an evaluation file of kind (the survey's questions read)."""
    return SYSTEM_COLUMNS if kind == "evaluation_system" else survey_columns(session)


def _preview(keys: list[str], rows: list[tuple[int, list[str]]]) -> pd.DataFrame:
    """Return the first rows of a file as read (the Data page's preview)."""
    frame = pd.DataFrame([values for _, values in rows[:20]], columns=keys)
    frame.insert(0, "row", [n for n, _ in rows[:20]])
    return frame


def import_eval_file(session: Session, actor: Actor, kind: str, name: str, data: bytes, *,
                     dry_run: bool = False, commit: bool = True) -> ImportResult:
    """Validate an evaluation-system or survey file and write it all or nothing (office only;
    dry_run checks and writes nothing); the Data page's and the command line's entry."""
    require(actor, "evaluation.manage" if kind == "evaluation_system" else "survey.import")
    columns = eval_columns(session, kind)
    keys, rows = read_rows(name, data, columns)
    already: list[int] = []
    if kind == "evaluation_system":
        records, issues = check_system(session, keys, rows)
    else:
        records, issues, already = check_survey(session, keys, rows, columns)
    result = ImportResult(kind=kind, rows=len(rows), issues=issues, already_rows=already,
                          dry_run=dry_run, preview=_preview(keys, rows))
    if issues or dry_run or not records:
        session.rollback()
        if not issues:
            result.written = result.created = len(records)
        if not dry_run:
            result.written = result.created = 0
        return result
    try:
        if kind == "evaluation_system":
            _write_system(session, actor, records)
        else:
            _write_survey(session, actor, records)
            audit(session, actor, "survey.import", "survey_response", None, None,
                  {"file": name, "rows": len(rows), "written": len(records),
                   "already_imported": len(already)})
            mark_changed(session, "evaluation")
        result.written = result.created = len(records)
        if commit:
            session.commit()
            result.committed = True
    except BaseException:
        session.rollback()
        raise
    return result


def template_rows(kind: str) -> list[str]:
    """Return a template's header labels (zh / en) for kind."""
    if kind == "evaluation_system":
        return [header_label(c) for c in SYSTEM_COLUMNS]
    return [header_label(c) for c in SURVEY_BASE]


# ---------------------------------------------------------------- the sample

def _csv(folder: Path, name: str) -> pd.DataFrame:
    """Return one sample CSV as text cells."""
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def _moved(values: Iterable[str], days: int, as_date: bool = False) -> list:
    """Return article-era timestamps moved by days ('' stays None)."""
    out = []
    for v in values:
        if not v:
            out.append(None)
        elif as_date:
            out.append(date.fromisoformat(v) + timedelta(days=days))
        else:
            out.append(datetime.strptime(v, "%Y-%m-%d %H:%M:%S") + timedelta(days=days))
    return out


def load_evaluation_sample(session: Session, folder: Path, days: int,
                           now: datetime | None = None) -> None:
    """Load the evaluation sample (system, checklists, inspections, round, survey, materials,
    tasks), dates moved by days; the system and survey go through their imports' checks, the
    inspections' findings through the write path's loop rules (up to now)."""
    loader = Actor.system("load-sample")
    subs = dict(session.execute(select(m.Subdistrict.code, m.Subdistrict.id)).all())
    for row in _csv(folder, "subdistrict_population.csv").itertuples(index=False):
        session.execute(update(m.Subdistrict).where(m.Subdistrict.id == subs[row.subdistrict])
                        .values(population=int(row.population)))
    data = (folder / "evaluation_system.csv").read_bytes()
    keys, rows = read_rows("evaluation_system.csv", data, SYSTEM_COLUMNS)
    records, issues = check_system(session, keys, rows)
    if issues:
        raise issues[0].error
    _write_system(session, loader, records)
    cats = dict(session.execute(select(m.SiteCategory.code, m.SiteCategory.id)).all())
    classes = dict(session.execute(select(m.ProblemClass.code, m.ProblemClass.id)).all())
    items = _csv(folder, "site_checklist_items.csv")
    session.execute(insert(m.SiteChecklistItem), [
        {"category_id": cats[r.category], "code": r.code, "name_zh": r.name_zh,
         "name_en": r.name_en, "points": float(r.points), "class_id": classes[r.problem_class],
         "content_code": r.content or None, "sort_order": int(r.sort_order)} for r in items.itertuples(index=False)])
    _load_inspections(session, folder, days)
    replay_inspection_loop(session, now)
    # the survey questions came with the system (its survey contents' question columns)
    survey = _csv(folder, "survey_responses.csv")
    survey["responded_on"] = [d.isoformat() for d in _moved(survey["responded_on"], days, True)]
    columns = survey_columns(session)
    keys = list(survey.columns)
    rows = [(i + 2, list(v)) for i, v in enumerate(survey.itertuples(index=False))]
    # the sample's dates are moved to --as-of, which may lie ahead of the clock
    records, issues, _ = check_survey(session, keys, rows, columns, today=date.max)
    if issues:
        raise issues[0].error
    _write_survey(session, loader, records)
    _load_tasks_and_materials(session, folder, days)


def _load_inspections(session: Session, folder: Path, days: int) -> None:
    """Load the inspection round, its sites, the site inspections and their item results."""
    sites = dict(session.execute(select(m.Site.code, m.Site.id)).all())
    rounds = _csv(folder, "inspection_rounds.csv")
    round_ids = {}
    for r, at in zip(rounds.itertuples(index=False), _moved(rounds["drawn_at"], days),
                     strict=True):
        row = m.InspectionRound(name=r.name, seed=int(r.seed), sample_size=int(r.sample_size),
                                drawn_at=at, drawn_by=r.drawn_by)
        session.add(row)
        session.flush()
        round_ids[r.name] = row.id
    rs = _csv(folder, "inspection_round_sites.csv")
    session.execute(insert(m.InspectionRoundSite), [
        {"round_id": round_ids[r.round], "site_id": sites[r.site], "inspector": r.inspector}
        for r in rs.itertuples(index=False)])
    ins = _csv(folder, "site_inspections.csv")
    ats = _moved(ins["inspected_at"], days)
    ids = session.scalars(insert(m.SiteInspection).returning(
        m.SiteInspection.id, sort_by_parameter_order=True), [
        {"site_id": sites[r.site], "round_id": round_ids.get(r.round), "source": r.source,
         "inspector": r.inspector, "inspected_at": at, "points": float(r.points),
         "max_points": float(r.max_points), "findings": int(r.findings), "photo": None,
         "note": r.note or None, "created_by": "sample"}
        for r, at in zip(ins.itertuples(index=False), ats, strict=True)]).all()
    by_code = dict(zip(ins["code"], ids, strict=True))
    item_ids = {(c, code): i for i, c, code in session.execute(
        select(m.SiteChecklistItem.id, m.SiteCategory.code, m.SiteChecklistItem.code)
        .join(m.SiteCategory, m.SiteCategory.id == m.SiteChecklistItem.category_id)).all()}
    res = _csv(folder, "site_inspection_results.csv")
    session.execute(insert(m.SiteInspectionResult), [
        {"inspection_id": by_code[r.inspection], "item_id": item_ids[(r.category, r.item)],
         "points": float(r.points), "passed": r.passed == "1"}
        for r in res.itertuples(index=False)])


def replay_inspection_loop(session: Session, until: datetime | None = None) -> int:
    """Settle the stored site inspections' findings (oldest first, up to until) through the
    write path's rules at their own moments: failed items raise problems, a repeat finding
    raises no duplicate, a passing re-check closes what it may; return the problems raised."""
    from civdata.core.clock import replaying_at
    from civdata.domain.site_inspections import settle_recorded_inspection, site_checklist
    from civdata.domain.sites import spatial_deferred, write_spatial

    actor = Actor.system("load-sample")
    before = int(session.scalar(select(func.count(m.Problem.id))))
    q = select(m.SiteInspection).order_by(m.SiteInspection.inspected_at, m.SiteInspection.id)
    if until is not None:
        q = q.where(m.SiteInspection.inspected_at <= until)
    category_of = dict(session.execute(
        select(m.Site.id, m.SiteCategory.code)
        .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)).all())
    checklists: dict[str, pd.DataFrame] = {}
    results: dict[int, dict[str, float]] = {}
    for iid, code, points in session.execute(
            select(m.SiteInspectionResult.inspection_id, m.SiteChecklistItem.code,
                   m.SiteInspectionResult.points)
            .join(m.SiteChecklistItem, m.SiteChecklistItem.id == m.SiteInspectionResult.item_id)):
        results.setdefault(iid, {})[code] = float(points)
    last_id = int(session.scalar(select(func.coalesce(func.max(m.Problem.id), 0))))
    with spatial_deferred():  # the raised problems' site links are written once, below
        for inspection in session.scalars(q).all():
            code = category_of[inspection.site_id]
            if code not in checklists:
                checklists[code] = site_checklist(session, code)
            with replaying_at(inspection.inspected_at):
                settle_recorded_inspection(session, actor, inspection, checklists[code],
                                           results.get(inspection.id, {}))
    session.flush()
    raised = pd.DataFrame(session.execute(select(m.Problem.id, m.Problem.lat, m.Problem.lon)
                                          .where(m.Problem.id > last_id)).all(),
                          columns=["id", "lat", "lon"])
    write_spatial(session, raised)
    return int(session.scalar(select(func.count(m.Problem.id)))) - before


def _load_tasks_and_materials(session: Session, folder: Path, days: int) -> None:
    """Load the six-lists tasks, their problem links, materials, versions and reviews."""
    subs = dict(session.execute(select(m.Subdistrict.code, m.Subdistrict.id)).all())
    contents = dict(session.execute(
        select(m.EvalContent.code, m.EvalContent.id)
        .join(m.EvalEdition, m.EvalEdition.id == m.EvalContent.edition_id)
        .where(m.EvalEdition.is_current.is_(True))).all())
    tasks = _csv(folder, "eval_tasks.csv")
    task_ids = {}
    for r, deadline, done_at in zip(tasks.itertuples(index=False),
                                    _moved(tasks["deadline"], days),
                                    _moved(tasks["done_at"], days), strict=True):
        row = m.EvalTask(content_id=contents[r.content], task=r.task, standard=r.standard,
                         measures=r.measures, responsible_unit=r.responsible_unit,
                         responsible_person=r.responsible_person,
                         subdistrict_id=subs.get(r.subdistrict), deadline=deadline,
                         status=r.status, done_at=done_at, version=1)
        session.add(row)
        session.flush()
        task_ids[r.code] = row.id
    problems = dict(session.execute(select(m.Problem.code, m.Problem.id)).all())
    links = _csv(folder, "eval_task_problems.csv")
    if len(links):
        session.execute(insert(m.EvalTaskProblem), [
            {"task_id": task_ids[r.task], "problem_id": problems[r.problem]}
            for r in links.itertuples(index=False)
            if r.problem in problems])  # a problem found after the loading moment is not loaded
    first_task = {}
    for r in tasks.itertuples(index=False):
        first_task.setdefault(r.content, task_ids[r.code])
    mats = _csv(folder, "eval_materials.csv")
    versions = _csv(folder, "eval_material_versions.csv")
    reviews = _csv(folder, "eval_material_reviews.csv")
    latest_version = versions.groupby("material")["version"].max().astype(int).to_dict()
    status = {}
    for r in reviews.itertuples(index=False):  # in time order per material
        status[r.material] = (int(r.version), "accepted" if r.accepted == "1" else "returned")
    mat_ids = {}
    for r, deadline in zip(mats.itertuples(index=False), _moved(mats["deadline"], days),
                           strict=True):
        v = latest_version.get(r.code, 0)
        reviewed = status.get(r.code)
        state = "missing" if v == 0 else ("submitted" if reviewed is None or reviewed[0] < v
                                          else reviewed[1])
        row = m.EvalMaterial(content_id=contents[r.content], task_id=first_task.get(r.content),
                             title=r.title, responsible_unit=r.responsible_unit,
                             subdistrict_id=subs.get(r.subdistrict), deadline=deadline,
                             status=state, version=v)
        session.add(row)
        session.flush()
        mat_ids[r.code] = row.id
    if len(versions):
        session.execute(insert(m.EvalMaterialVersion), [
            {"material_id": mat_ids[r.material], "version": int(r.version), "stored_name": None,
             "file_kind": r.file_kind, "display_name": r.display_name,
             "size_bytes": int(r.size_bytes), "uploaded_at": at, "uploaded_by": r.uploaded_by}
            for r, at in zip(versions.itertuples(index=False),
                             _moved(versions["uploaded_at"], days), strict=True)])
    if len(reviews):
        session.execute(insert(m.EvalMaterialReview), [
            {"material_id": mat_ids[r.material], "version": int(r.version),
             "accepted": r.accepted == "1", "reason": r.reason or None, "at": at,
             "reviewer": r.reviewer}
            for r, at in zip(reviews.itertuples(index=False), _moved(reviews["at"], days),
                             strict=True)])
    session.flush()
