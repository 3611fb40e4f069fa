"""Exports: formula injection neutralised in CSV and XLSX; problems in Open311 GeoReport v2."""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.io import exports

NASTY = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-3+4", "@SUM(A1)",
                               "\tTAB", "plain", "a=b", None],
                      "count": [1, -2, 3, 4, 5, 6, 7, 8],
                      "share": [0.5, -0.25, 1.0, 0.0, 0.1, 0.2, 0.3, 0.4]})


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
    ("plain", "plain"), ("a=b", "a=b"), ("", ""), (-5, -5), (3.5, 3.5), (None, None)])
def test_neutralise(value, expected) -> None:
    assert exports.neutralise(value) == expected


def test_csv_is_neutralised_and_excel_friendly() -> None:
    data = exports.csv_bytes(NASTY.rename(columns={"name": "=evil"}))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["'=evil", "count", "share"]
    assert [r[0] for r in rows[1:6]] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1+2", "'-3+4",
                                         "'@SUM(A1)", "'\tTAB"]
    assert [r[0] for r in rows[6:]] == ["plain", "a=b", ""]
    assert [r[1] for r in rows[1:3]] == ["1", "-2"]  # numbers stay numbers


def test_xlsx_holds_no_formula() -> None:
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(NASTY, "表")))
    ws = book["表"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert [ws.cell(r, 1).value for r in range(2, 7)] == [
        "'=HYPERLINK(\"http://x\",\"y\")", "'+1+2", "'-3+4", "'@SUM(A1)", "'\tTAB"]
    assert ws.cell(3, 2).value == -2 and ws.cell(3, 3).value == -0.25
    assert ws.cell(9, 1).value is None


def test_open311_shape_and_counts(sample_session) -> None:
    frame = exports.open311_problems(sample_session)
    assert list(frame.columns) == exports.OPEN311_FIELDS
    total = sample_session.scalar(select(func.count(m.Problem.id)))
    closed = sample_session.scalar(select(func.count(m.Problem.id))
                                   .where(m.Problem.status == "closed"))
    assert len(frame) == total
    assert (frame["status"] == "closed").sum() == closed
    assert set(frame["status"]) == {"open", "closed"}
    first = frame.iloc[0]
    assert first["requested_datetime"].endswith("+08:00")
    assert -90 < first["lat"] < 90 and 100 < first["long"] < 140
    records = json.loads(exports.open311_json(frame.head(50)))
    assert len(records) == 50 and set(records[0]) == set(exports.OPEN311_FIELDS)
    assert records[0]["service_request_id"] == first["service_request_id"]
    rows = list(csv.DictReader(io.StringIO(exports.open311_csv(frame.head(5)).decode("utf-8-sig"))))
    assert list(rows[0]) == exports.OPEN311_FIELDS and len(rows) == 5


def test_open311_for_one_subdistrict_in_english(sample_session) -> None:
    nanhu = sample_session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    frame = exports.open311_problems(sample_session, nanhu, lang="en", limit=20)
    expected = sample_session.scalar(select(func.count(m.Problem.id))
                                     .where(m.Problem.subdistrict_id == nanhu))
    assert len(frame) == min(20, expected)
    assert frame["address"].str.startswith("Nanhu").all()
    classes = set(sample_session.scalars(select(m.ProblemClass.name_en)))
    assert set(frame["service_name"]) <= classes


# --- issue 15, item 5: a line break inside a cell must not start a new row or a formula -------

LINE_BREAKS = pd.DataFrame({
    "description": ["note\r=2+3+cmd|' /C calc'!A0", "a\n+1", "x\r\n@SUM(A1)", "ok\r-1", "a,b",
                    "line one\nline two"],
    "count": [1, 2, 3, 4, 5, 6]})


def _physical_cells(text: str) -> list[str]:
    """Return the cells a naive reader sees: split at every CR or LF, then at every comma."""
    return [cell.lstrip('"') for line in re.split(r"\r\n|\r|\n", text) for cell in line.split(",")]


def test_csv_quotes_line_breaks_and_neutralises_every_line() -> None:
    text = exports.csv_bytes(LINE_BREAKS).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 1 + len(LINE_BREAKS)  # every cell with a CR or LF is quoted: one row each
    assert [r[0] for r in rows[1:]] == ["note\r'=2+3+cmd|' /C calc'!A0", "a\n'+1",
                                        "x\r\n'@SUM(A1)", "ok\r'-1", "a,b", "line one\nline two"]
    assert [r[1] for r in rows[1:]] == ["1", "2", "3", "4", "5", "6"]
    starts = [c for c in _physical_cells(text) if c.startswith(exports.FORMULA_STARTS)]
    assert starts == []  # even a reader that splits rows at a bare CR finds no formula


def test_xlsx_neutralises_every_line_and_stores_control_characters() -> None:
    frame = pd.concat([LINE_BREAKS, pd.DataFrame({"description": ["bell\x07=1", "=x\x1b"],
                                                  "count": [7, 8]})], ignore_index=True)
    ws = load_workbook(io.BytesIO(exports.xlsx_bytes(frame)))["data"]
    cells = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
    assert len(cells) == len(frame)
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, ws.max_row + 1))
    lines = [line for cell in cells for line in re.split(r"\r\n|\r|\n", cell)]
    assert not [line for line in lines if line.startswith(exports.FORMULA_STARTS)]
    assert cells[-2:] == ["bell\ufffd=1", "'=x\ufffd"]
