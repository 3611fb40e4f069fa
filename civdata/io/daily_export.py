"""The daily report's exports: a Word document (Chinese fonts set) and the Markdown text."""

from __future__ import annotations

from typing import Any

import pandas as pd

from civdata.core.errors import CivDataError
from civdata.domain.daily import FIGURES, report_markdown
from civdata.io import word
from civdata.io.photos import is_stored_photo, thumbnail_path
from civdata.texts import text


def _title(report: dict[str, Any], lang: str) -> str:
    """Return the report's title (with the subdistrict's name when filtered)."""
    info = report["subdistrict"]
    if info:
        return text("daily.heading_sub", lang, day=report["day"], name=info[f"name_{lang}"])
    return text("daily.heading", lang, day=report["day"])


def _headline_frame(report: dict[str, Any], lang: str) -> pd.DataFrame:
    """Return the headline figures as rows: figure, the day, the day before, the change."""
    rows = []
    for row in report["headline"]:
        decimals = 1 if row["key"] in ("market_score", "volunteer_hours") else 0
        fmt = (lambda v, d=decimals: "—" if v is None else f"{v:.{d}f}")  # noqa: E731
        change = "—" if row["change"] is None else f"{row['change']:+.{decimals}f}"
        rows.append((text(f"daily.fig.{row['key']}", lang), fmt(row["now"]),
                     fmt(row["before"]), change))
    return pd.DataFrame(rows)


def _serious_rows(report: dict[str, Any], lang: str) -> pd.DataFrame:
    """Return the most serious problems as rows of the Word table."""
    return pd.DataFrame([
        (r["code"], r[f"subdistrict_{lang}"], r[f"class_{lang}"],
         r[f"site_{lang}"] or text("daily.no_site", lang),
         r["responsible_unit"] or text("daily.no_owner", lang), r["hours_overdue"],
         r["description"]) for r in report["serious"]])


def daily_docx(report: dict[str, Any], lang: str = "zh") -> bytes:
    """Return the daily report as a Word document."""
    doc = word.new_document()
    word.heading(doc, _title(report, lang), 0)
    word.paragraph(doc, text("daily.span", lang, day=report["day"],
                             previous=report["previous_day"]))
    if not report["complete"]:
        word.paragraph(doc, text("daily.partial", lang,
                                 at=report["as_of"].replace("T", " ")[:16]))
    word.heading(doc, text("daily.section.summary", lang), 1)
    word.table(doc, _headline_frame(report, lang),
               [text(k, lang) for k in ("daily.figure", "daily.today", "daily.yesterday",
                                        "daily.change")])
    word.heading(doc, text("daily.section.classes", lang), 1)
    classes = pd.DataFrame([(r[f"class_{lang}"], r["new"], r["closed"], r["overdue"])
                            for r in report["by_class"]])
    if not classes.empty:
        word.table(doc, classes, [text("daily.col.class", lang),
                                  *[text(f"daily.fig.{k}", lang) for k in
                                    ("new", "closed", "overdue")]])
    word.heading(doc, text("daily.section.escalations", lang), 1)
    esc = pd.DataFrame([(r[f"name_{lang}"], r["now"], r["before"])
                        for r in report["escalations"]])
    if esc.empty:
        word.paragraph(doc, text("daily.empty_rows", lang))
    else:
        word.table(doc, esc, [text("daily.col.rung", lang), text("daily.today", lang),
                              text("daily.yesterday", lang)])
    if report["subdistrict"] is None:
        word.heading(doc, text("daily.section.subdistricts", lang), 1)
        subs = pd.DataFrame([(r[f"name_{lang}"], *[r[k] for k in FIGURES if k not in (
            "participants", "volunteer_hours")]) for r in report["subdistricts"]])
        word.table(doc, subs, [text("daily.col.subdistrict", lang),
                               *[text(f"daily.fig.{k}", lang) for k in FIGURES
                                 if k not in ("participants", "volunteer_hours")]])
    word.heading(doc, text("daily.section.markets", lang), 1)
    failed = pd.DataFrame([(r[f"name_{lang}"], r["failed"]) for r in report["failed_items"]])
    if failed.empty:
        word.paragraph(doc, text("daily.empty_rows", lang))
    else:
        word.table(doc, failed, [text("daily.col.item", lang), text("daily.col.failed", lang)])
    word.heading(doc, text("daily.section.slipping", lang), 1)
    slip = pd.DataFrame([(r["code"], r[f"name_{lang}"], r["percent"], r["planned_percent"],
                          text(f"daily.reason.{r['slip_reason']}", lang))
                         for r in report["slipping_projects"]])
    if slip.empty:
        word.paragraph(doc, text("daily.empty_rows", lang))
    else:
        word.table(doc, slip, [text(k, lang) for k in (
            "daily.col.code", "daily.col.project", "daily.col.percent", "daily.col.planned",
            "daily.col.reason")])
    _serious_section(doc, report, lang)
    return word.to_bytes(doc)


def _serious_section(doc: Any, report: dict[str, Any], lang: str) -> None:
    """Add the most serious open problems: a table, then each one's photo where stored."""
    word.heading(doc, text("daily.section.serious", lang), 1)
    rows = _serious_rows(report, lang)
    if rows.empty:
        word.paragraph(doc, text("daily.empty_serious", lang))
        return
    word.table(doc, rows, [text(k, lang) for k in (
        "daily.col.code", "daily.col.subdistrict", "daily.col.class", "daily.col.site",
        "daily.col.owner", "daily.col.hours_overdue", "daily.col.description")])
    for row in report["serious"]:
        name = row.get("photo")
        if name and is_stored_photo(name):
            word.paragraph(doc, f"{row['code']} · {text('daily.col.photo', lang)}")
            word.picture(doc, thumbnail_path(name))


def write_daily(report: dict[str, Any], path: str, lang: str = "zh") -> int:
    """Write the .docx or .md export of a daily report to path; return the bytes written."""
    if path.lower().endswith(".docx"):
        blob = daily_docx(report, lang)
    elif path.lower().endswith(".md"):
        blob = report_markdown(report, lang).encode("utf-8")
    else:
        raise CivDataError("invalid_value", field="--out", detail=".docx / .md")
    with open(path, "wb") as fh:
        fh.write(blob)
    return len(blob)
