"""The monthly assessment's exports: Excel (one sheet a table) and Word (Chinese fonts set)."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from civdata.core.errors import CivDataError
from civdata.domain.assessment import INDICATORS, UNIT_INDICATORS
from civdata.io import word
from civdata.io.reports import XLSX_FONT, safe_cell
from civdata.texts import text

PERCENT_INDICATORS = ("on_time_closure", "volunteer_coverage", "readiness_on_time")


def _value(key: str, value: Any) -> Any:
    """Return an indicator's value for a table: percents as percent, ratios to two decimals."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if key in ("rank_change", "rank_before"):
        return int(value)
    if key in PERCENT_INDICATORS:
        return round(100.0 * float(value), 1)
    if key == "progress_vs_plan":
        return round(float(value), 2)
    if isinstance(value, float):
        return round(value, 1)
    return value


def _ind_header(key: str, lang: str) -> str:
    """Return an indicator's column header (with % where shown as a percent)."""
    name = text(f"monthly.ind.{key}", lang)
    return f"{name} %" if key in PERCENT_INDICATORS else name


def subdistrict_table(snapshot: dict[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    """Return the headers and rows of the subdistrict ranking."""
    heads = [text(f"monthly.col.{k}", lang) for k in ("rank", "name", "score", "score_before",
                                                     "rank_before", "rank_change")]
    heads += [_ind_header(k, lang) for k in INDICATORS]
    rows = [[r["rank"], r[f"name_{lang}"], _value("score", r["score"]),
             _value("score", r["score_before"]), _value("rank_before", r["rank_before"]),
             _value("rank_change", r["rank_change"]),
             *[_value(k, r.get(k)) for k in INDICATORS]] for r in snapshot["subdistricts"]]
    return heads, rows


def unit_table(snapshot: dict[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    """Return the headers and rows of the responsible-unit ranking."""
    heads = [text(f"monthly.col.{k}", lang) for k in ("rank", "unit", "score", "score_before",
                                                     "rank_before", "rank_change")]
    heads += [_ind_header(k, lang) for k in UNIT_INDICATORS]
    rows = [[r["rank"], r["code"], _value("score", r["score"]), _value("score", r["score_before"]),
             _value("rank_before", r["rank_before"]), _value("rank_change", r["rank_change"]),
             *[_value(k, r.get(k)) for k in UNIT_INDICATORS]] for r in snapshot["units"]]
    return heads, rows


def indicator_table(snapshot: dict[str, Any], lang: str) -> tuple[list[str], list[list[Any]]]:
    """Return the headers and rows of the indicators: name, target, weight, direction."""
    heads = [text(f"monthly.col.{k}", lang) for k in ("indicator", "target", "weight",
                                                     "direction")]
    rows = [[text(f"monthly.ind.{r['metric']}", lang), r["target"], r["weight"],
             text("monthly.higher" if r["higher_is_better"] else "monthly.lower", lang)]
            for r in snapshot["indicators"]]
    return heads, rows


def _title(snapshot: dict[str, Any], lang: str) -> str:
    """Return the export's title."""
    return text("monthly.heading", lang, month=snapshot["month"])


def _status(snapshot: dict[str, Any], lang: str) -> str:
    """Return the line saying whether the figures are a closed record or live."""
    rec = snapshot.get("record")
    if rec:
        return text("monthly.record_of", lang, at=rec["closed_at"].replace("T", " ")[:16],
                    who=rec["closed_by"])
    return text("monthly.live_as_of", lang, at=snapshot["as_of"].replace("T", " ")[:16])


def monthly_xlsx(snapshot: dict[str, Any], lang: str = "zh") -> bytes:
    """Return the assessment as an Excel workbook: subdistricts, units, indicators."""
    book = Workbook()
    book.remove(book.active)
    for key, (heads, rows) in (("subdistricts", subdistrict_table(snapshot, lang)),
                               ("units", unit_table(snapshot, lang)),
                               ("indicators", indicator_table(snapshot, lang))):
        sheet = book.create_sheet(text(f"monthly.section.{key}", lang)[:31])
        sheet.append([safe_cell(_title(snapshot, lang))])
        sheet.append([safe_cell(_status(snapshot, lang))])
        sheet.append([safe_cell(h) for h in heads])
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
        for line in sheet.iter_rows():
            for cell in line:
                cell.font = Font(name=XLSX_FONT, bold=cell.row in (1, 3))
        for i, head in enumerate(heads, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = max(10, 2 * len(head) + 2)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def monthly_docx(snapshot: dict[str, Any], lang: str = "zh") -> bytes:
    """Return the assessment as a Word document."""
    doc = word.new_document()
    word.heading(doc, _title(snapshot, lang), 0)
    word.paragraph(doc, text("monthly.span", lang, first=snapshot["first"], last=snapshot["last"],
                             previous=snapshot["previous_month"]))
    word.paragraph(doc, _status(snapshot, lang))
    for key, (heads, rows) in (("subdistricts", subdistrict_table(snapshot, lang)),
                               ("units", unit_table(snapshot, lang)),
                               ("indicators", indicator_table(snapshot, lang))):
        word.heading(doc, text(f"monthly.section.{key}", lang), 1)
        if rows:
            word.table(doc, pd.DataFrame(rows), heads)
        else:
            word.paragraph(doc, text("monthly.empty", lang))
    word.paragraph(doc, text("monthly.rank_note", lang))
    return word.to_bytes(doc)


def write_monthly(snapshot: dict[str, Any], path: str, lang: str = "zh") -> int:
    """Write the .xlsx or .docx export of an assessment to path; return the bytes written."""
    if path.lower().endswith(".xlsx"):
        blob = monthly_xlsx(snapshot, lang)
    elif path.lower().endswith(".docx"):
        blob = monthly_docx(snapshot, lang)
    else:
        raise CivDataError("invalid_value", field="--out", detail=".xlsx / .docx")
    with open(path, "wb") as fh:
        fh.write(blob)
    return len(blob)
