"""Word (.docx) building blocks with Chinese fonts: every run names its East Asian typeface.

Word picks a run's font per script: w:ascii/w:hAnsi for Latin text and w:eastAsia for Chinese.
A run that names only a Latin font shows Chinese in whatever the reader's Word substitutes, so
each run here sets both (as reports.py sets a:ea for PowerPoint), and so do the styles.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
from docx import Document
from docx.document import Document as DocumentObject
from docx.image.exceptions import UnrecognizedImageError
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.run import Run

EA_FONT = "Microsoft YaHei"  # w:eastAsia; the same typeface as the PowerPoint export
LATIN_FONT = "Arial"
STYLES = ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid", "List Number")


def set_fonts(element: Any, size: float | None = None) -> None:
    """Name the Latin and East Asian typefaces on a run or a style (its rPr/rFonts)."""
    element.font.name = LATIN_FONT
    if size is not None:
        element.font.size = Pt(size)
    r_pr = element.element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), EA_FONT)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def new_document() -> DocumentObject:
    """Return an A4 document whose styles name Chinese and Latin fonts."""
    doc = Document()
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.0)
    for name in STYLES:
        try:
            set_fonts(doc.styles[name])
        except KeyError:
            continue
    return doc


def add_run(paragraph: Any, text: str, bold: bool = False, size: float | None = None) -> Run:
    """Add a run of text with both fonts named; return it."""
    run = paragraph.add_run(text)
    run.bold = bold
    set_fonts(run, size)
    return run


def heading(doc: DocumentObject, text: str, level: int = 1) -> None:
    """Add a heading whose run names both fonts."""
    para = doc.add_heading(level=level)
    add_run(para, text)


def paragraph(doc: DocumentObject, text: str, bold: bool = False, style: str | None = None) -> None:
    """Add a paragraph of one run."""
    add_run(doc.add_paragraph(style=style), text, bold=bold)


def cell_text(value: Any) -> str:
    """Return a table cell's text ('' for missing values, one decimal for fractions)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    return str(value)


def table(doc: DocumentObject, frame: pd.DataFrame, headers: list[str]) -> None:
    """Add a grid table: a bold header row, then the frame's rows as text."""
    grid = doc.add_table(rows=1, cols=len(headers))
    grid.style = doc.styles["Table Grid"]
    for cell, head in zip(grid.rows[0].cells, headers, strict=True):
        cell.text = ""
        add_run(cell.paragraphs[0], head, bold=True, size=9)
    for row in frame.itertuples(index=False):
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = ""
            add_run(cell.paragraphs[0], cell_text(value), size=9)


def picture(doc: DocumentObject, path: Path, width_cm: float = 5.0) -> bool:
    """Add a picture from a file when it exists and is readable; return whether it was added."""
    try:
        if not path.is_file():
            return False
        doc.add_picture(str(path), width=Cm(width_cm))
    except (OSError, ValueError, KeyError, ZeroDivisionError, UnrecognizedImageError):
        return False
    return True


def to_bytes(doc: DocumentObject) -> bytes:
    """Return the document as .docx bytes."""
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
