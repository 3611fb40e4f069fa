"""Weekly-meeting exports from a snapshot: PowerPoint with native charts, Excel one sheet a section."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from civdata.texts import catalogue, text

EA_FONT = "Microsoft YaHei"  # the East Asian typeface (a:ea); Latin text uses LATIN_FONT
LATIN_FONT = "Arial"
XLSX_FONT = "Microsoft YaHei"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SECTIONS = ("summary", "index", "lists", "escalations", "renovation", "services", "overdue",
            "accountability", "points_at_risk", "follow_ups")
RISK_ROWS = 10  # contents shown in the meeting's points-at-risk section
SHARED_PREFIXES = ("programme.", "weekly.status.")  # the exports' labels: civdata/texts/exports.py


def label(key: str, lang: str, **params: Any) -> str:
    """Return an export label in lang: the text "export.<key>" (a full key when it has one of
    SHARED_PREFIXES: programme names and follow-up statuses are the pages' own)."""
    full = key if key.startswith(SHARED_PREFIXES) else f"export.{key}"
    return text(full, lang, **params) if full in catalogue() else key


def safe_cell(value: Any) -> Any:
    """Return value, with text that a spreadsheet would run as a formula prefixed by a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Return rows as a DataFrame with exactly these columns (missing ones empty)."""
    frame = pd.DataFrame(rows)
    for col in columns:
        if col not in frame.columns:
            frame[col] = None
    return frame[columns].reset_index(drop=True)


def section_tables(snapshot: dict[str, Any], lang: str) -> dict[str, pd.DataFrame]:
    """Return one table per section from a snapshot (codes for metric, list, rung, status)."""
    suffix = "zh" if lang == "zh" else "en"
    index = [dict(r, name=r[f"name_{suffix}"]) for r in snapshot["index"]]
    lists = [{"list": kind, "rank": e["rank"], "name": e[f"name_{suffix}"], "index": e["index"],
              **{k: r[k] for k in ("metric", "actual", "target", "ratio")}}
             for kind in ("red", "black") for e in snapshot[f"{kind}_list"]
             for r in (e["reasons"] or [{"metric": None, "actual": None, "target": None,
                                          "ratio": None}])]
    rungs = {r["code"]: r[f"name_{suffix}"] for r in snapshot["escalations"]}
    overdue = [dict(r, subdistrict_name=r[f"subdistrict_{suffix}"], cls=r[f"class_{suffix}"],
                    rung=rungs.get(r["rung"], r["rung"]),
                    deadline=(r["deadline"] or "")[:16].replace("T", " "))
               for r in snapshot["overdue_top"]]
    accountable = [dict(r, subdistrict_name=r[f"subdistrict_{suffix}"])
                   for r in snapshot["accountability"]]
    escal = [dict(r, rung=r[f"name_{suffix}"]) for r in snapshot["escalations"]]
    risk = [dict(r, content=r.get(f"content_{suffix}"), deadline=(r.get("deadline") or "")[:10])
            for r in (snapshot.get("points_at_risk") or [])[:RISK_ROWS]]
    items = ([dict(r, source="this") for r in snapshot.get("action_items", [])]
             + [dict(r, source="carried") for r in snapshot.get("carried_items", [])])
    return {
        "summary": _frame([{"figure": h["key"], "now": h["now"], "before": h["before"],
                            "change": h["change"]} for h in snapshot["headline"]],
                          ["figure", "now", "before", "change"]),
        "index": _frame(index, ["rank", "name", "index", "index_before", "index_change",
                                "rank_change", "on_time_rate", "clean_site_share",
                                "renovation_vs_plan", "market_score", "volunteer_coverage",
                                "open", "overdue"]),
        "lists": _frame(lists, ["list", "rank", "name", "index", "metric", "actual", "target",
                                "ratio"]),
        "escalations": _frame(escal, ["rung", "days_overdue", "now", "before"]),
        "renovation": _frame(snapshot["renovation"], ["programme", "batch", "percent", "before",
                                                      "gained", "projects", "completed"]),
        "services": _frame([dict(r, name=r[f"name_{suffix}"]) for r in snapshot.get(
            "services", [])], ["name", "market_score", "market_score_before",
                               "volunteer_coverage", "volunteer_coverage_before"]),
        "overdue": _frame(overdue, ["code", "subdistrict_name", "cls", "description",
                                    "responsible_unit", "deadline", "days_overdue", "rung"]),
        "accountability": _frame(accountable, ["subdistrict_name", "responsible_unit",
                                               "problems", "max_days_overdue", "codes"]),
        "points_at_risk": _frame(risk, ["content_code", "content", "method", "max_points",
                                        "estimated", "points_lost", "lead_unit", "deadline",
                                        "work_under_way"]),
        "follow_ups": _frame(items, ["source", "week", "what", "owner", "due_on", "status"]),
    }


COLUMN_LABEL = {"figure": "col.figure", "subdistrict_name": "col.subdistrict", "cls": "col.class"}
CODE_COLUMNS = {"figure": "figure.", "metric": "metric.", "list": "list.",
                "status": "weekly.status.",
                "programme": "programme.", "source": "source.", "method": "method."}


def localised(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return a section table with translated codes and column headers (for the exports)."""
    out = frame.copy()
    if "work_under_way" in out.columns:
        out["work_under_way"] = [None if v is None or (isinstance(v, float) and pd.isna(v))
                                 else label("yes" if v else "no", lang)
                                 for v in out["work_under_way"]]
    for col, prefix in CODE_COLUMNS.items():
        if col in out.columns:
            out[col] = [None if v is None or (isinstance(v, float) and pd.isna(v))
                        else label(prefix + str(v), lang) for v in out[col]]
    out.columns = [label(_column_key(c), lang) for c in out.columns]
    return out


def _column_key(column: str) -> str:
    """Return the label key of a section table's column."""
    if column in COLUMN_LABEL:
        return COLUMN_LABEL[column]
    return f"col.{column}" if f"export.col.{column}" in catalogue() else f"metric.{column}"


def status_line(snapshot: dict[str, Any], lang: str) -> str:
    """Return 'live figures as of ...' or 'record of ... closed by ...'."""
    record = snapshot.get("record")
    if record:
        return label("record", lang, at=record["closed_at"][:16].replace("T", " "),
                     who=record["closed_by"])
    return label("live", lang, at=snapshot["as_of"][:16].replace("T", " "))


# ---------------------------------------------------------------- Excel


def weekly_xlsx(snapshot: dict[str, Any], lang: str = "zh") -> bytes:
    """Return the meeting's workbook: one sheet per section, text cells made formula-safe."""
    wb = Workbook()
    wb.remove(wb.active)
    tables = section_tables(snapshot, lang)
    for key in SECTIONS:
        ws = wb.create_sheet(title=label(f"section.{key}", lang)[:31])
        ws.append([safe_cell(status_line(snapshot, lang))])
        frame = localised(tables[key], lang)
        ws.append([safe_cell(str(c)) for c in frame.columns])
        for cell in ws[2]:
            cell.font = Font(bold=True, name=XLSX_FONT)
        for row in frame.itertuples(index=False):
            ws.append([safe_cell(_cell_value(v)) for v in row])
        for i, col in enumerate(frame.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(48, 2 * len(str(col))
                                                                           + 4))
        ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell_value(value: Any) -> Any:
    """Return a value openpyxl can store (None for NaN)."""
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


# ---------------------------------------------------------------- PowerPoint


def set_east_asian_font(element: etree._Element, typeface: str = EA_FONT,
                        latin: str = LATIN_FONT) -> None:
    """Set the Latin and East Asian typefaces on every run (and default run) under element."""
    for r in element.iter(qn("a:r")):
        rpr = r.find(qn("a:rPr"))
        if rpr is None:
            rpr = etree.SubElement(r, qn("a:rPr"))
            r.remove(rpr)
            r.insert(0, rpr)
        _set_rpr_fonts(rpr, typeface, latin)
    for tag in ("a:defRPr", "a:endParaRPr"):
        for rpr in element.iter(qn(tag)):
            _set_rpr_fonts(rpr, typeface, latin)


def _set_rpr_fonts(rpr: etree._Element, typeface: str, latin: str) -> None:
    """Put <a:latin> and <a:ea> (in schema order) on one run-properties element."""
    lat = rpr.find(qn("a:latin"))
    if lat is None:
        lat = etree.Element(qn("a:latin"))
        # latin follows ln, fills, effects, highlight, underline and must precede ea/cs/sym
        later = [rpr.find(qn(t)) for t in ("a:ea", "a:cs", "a:sym", "a:hlinkClick",
                                           "a:hlinkMouseOver", "a:rtl", "a:extLst")]
        later = [e for e in later if e is not None]
        if later:
            later[0].addprevious(lat)
        else:
            rpr.append(lat)
    lat.set("typeface", latin)
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = etree.Element(qn("a:ea"))
        lat.addnext(ea)
    ea.set("typeface", typeface)


def _fmt(value: Any, kind: str = "num") -> str:
    """Return a value as short text for a slide table."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if kind == "pct":
        return f"{100 * float(value):.1f}%"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


PCT_FIGURES = {"on_time_rate", "volunteer_coverage"}
PCT_METRICS = {"on_time_rate", "clean_site_share", "renovation_vs_plan", "volunteer_coverage"}


def weekly_pptx(snapshot: dict[str, Any], lang: str = "zh") -> bytes:
    """Return the meeting's slide deck (16:9) with native, editable charts and CJK fonts."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    tables = section_tables(snapshot, lang)
    _title_slide(prs, snapshot, lang)
    _summary_slide(prs, tables["summary"], lang)
    _index_slide(prs, tables["index"], lang)
    _lists_slide(prs, tables["lists"], lang)
    _problems_slide(prs, snapshot, lang)
    _renovation_slide(prs, tables["renovation"], lang)
    _services_slide(prs, tables["services"], lang)
    _table_slide(prs, label("section.overdue", lang), localised(
        tables["overdue"].drop(columns=["responsible_unit"]), lang), lang)
    _table_slide(prs, label("section.accountability", lang),
                 localised(tables["accountability"], lang), lang)
    _risk_slide(prs, tables["points_at_risk"], lang)
    _table_slide(prs, label("section.follow_ups", lang), localised(tables["follow_ups"], lang),
                 lang)
    for slide in prs.slides:
        set_east_asian_font(slide.shapes._spTree)
        for shape in slide.shapes:
            if shape.has_chart:
                shape.chart.font.size = Pt(12)
                set_east_asian_font(shape.chart._chartSpace)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _slide(prs: Presentation, title: str):
    """Add a title-only slide and return it."""
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = title
    slide.shapes.title.left, slide.shapes.title.top = Inches(0.5), Inches(0.2)
    slide.shapes.title.width, slide.shapes.title.height = Inches(12.3), Inches(1.0)
    slide.shapes.title.text_frame.paragraphs[0].runs[0].font.size = Pt(32)
    return slide


def _title_slide(prs: Presentation, snapshot: dict[str, Any], lang: str) -> None:
    """Add the opening slide: the week, its dates and live/record status."""
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = label("title", lang, week=snapshot["week"])
    slide.placeholders[1].text = "\n".join([
        label("span", lang, monday=snapshot["monday"], sunday=snapshot["sunday"],
              previous=snapshot["previous_week"]), status_line(snapshot, lang)])
    slide.shapes.title.left = slide.placeholders[1].left = Inches(0.8)
    slide.shapes.title.width = slide.placeholders[1].width = Inches(11.7)


def _table_slide(prs: Presentation, title: str, frame: pd.DataFrame, lang: str,
                 max_rows: int = 12) -> None:
    """Add a slide with a table of frame's first rows (or 'none')."""
    slide = _slide(prs, title)
    if frame.empty:
        box = slide.shapes.add_textbox(Inches(0.6), Inches(1.5), Inches(12), Inches(1))
        box.text_frame.text = label("none", lang)
        return
    shown = frame.head(max_rows)
    rows, cols = len(shown) + 1, len(shown.columns)
    table = slide.shapes.add_table(rows, cols, Inches(0.4), Inches(1.3), Inches(12.5),
                                   Emu(Inches(0.42) * rows)).table
    for j, col in enumerate(shown.columns):
        table.cell(0, j).text = str(col)
    for i, row in enumerate(shown.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            table.cell(i, j).text = _fmt(value)
    for cell in (table.cell(i, j) for i in range(rows) for j in range(cols)):
        for p in cell.text_frame.paragraphs:
            for r in p.runs:
                r.font.size = Pt(12)


def _bar_chart(slide, categories: list[str], series: dict[str, list],
               kind: XL_CHART_TYPE, number_format: str = "0.0") -> None:
    """Add a native clustered chart with a legend."""
    data = CategoryChartData()
    data.categories = categories
    for name, values in series.items():
        data.add_series(name, [None if v is None or pd.isna(v) else float(v) for v in values],
                        number_format=number_format)
    frame = slide.shapes.add_chart(kind, Inches(0.5), Inches(1.3), Inches(12.3), Inches(5.9),
                                   data)
    chart = frame.chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.TOP
    chart.legend.include_in_layout = False
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.number_format = number_format
    plot.data_labels.number_format_is_linked = False


def _summary_slide(prs: Presentation, summary: pd.DataFrame, lang: str) -> None:
    """Add the week-at-a-glance table: every figure this week, last week and the change."""
    frame = summary.copy()
    for col in ("now", "before", "change"):
        frame[col] = [_fmt(v, "pct" if f in PCT_FIGURES else "num")
                      for f, v in zip(frame["figure"], frame[col], strict=True)]
    _table_slide(prs, label("section.summary", lang), localised(frame, lang), lang,
                 max_rows=14)


def _index_slide(prs: Presentation, index: pd.DataFrame, lang: str) -> None:
    """Add the subdistrict index chart: this week against last week."""
    slide = _slide(prs, label("section.index", lang))
    _bar_chart(slide, list(index["name"]), {label("this_week", lang): list(index["index"]),
                                            label("last_week", lang): list(index["index_before"])},
               XL_CHART_TYPE.COLUMN_CLUSTERED)


def _lists_slide(prs: Presentation, lists: pd.DataFrame, lang: str) -> None:
    """Add the red and black lists with the metrics that put each subdistrict there."""
    frame = lists.copy()
    for col in ("actual", "target"):
        frame[col] = [_fmt(v, "pct" if m in PCT_METRICS else "num")
                      for m, v in zip(frame["metric"], frame[col], strict=True)]
    frame["ratio"] = [_fmt(v, "pct") for v in frame["ratio"]]
    _table_slide(prs, label("section.lists", lang), localised(frame, lang), lang)


def _problems_slide(prs: Presentation, snapshot: dict[str, Any], lang: str) -> None:
    """Add the problems chart: new, closed, on time, overdue and escalations, both weeks."""
    slide = _slide(prs, label("section.problems", lang))
    keys = ["new", "closed", "closed_on_time", "overdue", "escalations"]
    head = {h["key"]: h for h in snapshot["headline"]}
    _bar_chart(slide, [label(f"figure.{k}", lang) for k in keys],
               {label("this_week", lang): [head[k]["now"] for k in keys],
                label("last_week", lang): [head[k]["before"] for k in keys]},
               XL_CHART_TYPE.COLUMN_CLUSTERED, "0")


def _renovation_slide(prs: Presentation, renovation: pd.DataFrame, lang: str) -> None:
    """Add the renovation chart: percent complete per programme and batch, both weeks."""
    slide = _slide(prs, label("section.renovation", lang))
    names = [f"{label(f'programme.{p}', lang)} {b}" for p, b in
             zip(renovation["programme"], renovation["batch"], strict=True)]
    _bar_chart(slide, names, {label("this_week", lang): list(renovation["percent"]),
                              label("last_week", lang): list(renovation["before"])},
               XL_CHART_TYPE.BAR_CLUSTERED)


def _services_slide(prs: Presentation, services: pd.DataFrame, lang: str) -> None:
    """Add the market-score chart per subdistrict, both weeks."""
    slide = _slide(prs, label("section.services", lang))
    _bar_chart(slide, list(services["name"]),
               {label("this_week", lang): list(services["market_score"]),
                label("last_week", lang): list(services["market_score_before"])},
               XL_CHART_TYPE.COLUMN_CLUSTERED)


def _risk_slide(prs: Presentation, risk: pd.DataFrame, lang: str) -> None:
    """Add the points-at-risk slide: a native table of the contents losing most points, with
    lead unit, deadline and whether work is under way."""
    frame = risk.copy()
    for col in ("max_points", "estimated", "points_lost"):
        frame[col] = [_fmt(v) if v is None or pd.isna(v) else f"{float(v):.2f}"
                      for v in frame[col]]
    _table_slide(prs, label("section.points_at_risk", lang), localised(frame, lang), lang,
                 max_rows=RISK_ROWS)


def write_report(snapshot: dict[str, Any], path: str, lang: str = "zh") -> int:
    """Write the .pptx or .xlsx export of snapshot to path; return the bytes written."""
    if path.lower().endswith(".pptx"):
        blob = weekly_pptx(snapshot, lang)
    elif path.lower().endswith(".xlsx"):
        blob = weekly_xlsx(snapshot, lang)
    else:
        from civdata.core.errors import CivDataError

        raise CivDataError("invalid_value", field="--out", detail=".pptx / .xlsx")
    with open(path, "wb") as fh:
        fh.write(blob)
    return len(blob)
