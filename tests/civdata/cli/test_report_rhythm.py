"""`report daily` and `report monthly` (issue 21) on a small data set, SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from civdata.cli import main
from tests.civdata.domain import test_assessment, test_daily


def _url(engine) -> str:
    """Return the engine's URL with its password (the CLI connects on its own)."""
    return engine.url.render_as_string(hide_password=False)


def test_daily_markdown_and_word(engine, session: Session, tmp_path, capsys,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    test_daily.build(session)
    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-26")
    md = tmp_path / "daily.md"
    assert main(["--database-url", _url(engine), "--lang", "zh", "report", "daily", "--day",
                 "2026-11-24", "--subdistrict", "nanhu", "--out", str(md)]) == 0
    assert "daily report 2026-11-24" in capsys.readouterr().out
    text = md.read_text(encoding="utf-8")
    assert text.startswith("**创城日报 2026-11-24 · 南湖**")
    assert "新增 2(±0)" in text and "超期 111 小时" in text
    docx = tmp_path / "daily.docx"
    assert main(["--database-url", _url(engine), "--lang", "en", "report", "daily", "--day",
                 "2026-11-24", "--out", str(docx)]) == 0
    doc = Document(io.BytesIO(docx.read_bytes()))
    assert doc.paragraphs[0].text == "Daily report 2026-11-24"
    # the default day is yesterday
    assert main(["--database-url", _url(engine), "report", "daily", "--out", str(md)]) == 0
    assert md.read_text(encoding="utf-8").startswith("**创城日报 2026-11-25**")


def test_daily_refusals(engine, session: Session, tmp_path, capsys) -> None:
    test_daily.build(session)
    out = tmp_path / "daily.txt"
    assert main(["--database-url", _url(engine), "--lang", "en", "report", "daily", "--day",
                 "2026-11-24", "--out", str(out)]) == 1
    assert "--out" in capsys.readouterr().err and not out.exists()
    assert main(["--database-url", _url(engine), "--lang", "en", "report", "daily",
                 "--subdistrict", "nowhere", "--out", str(tmp_path / "d.md")]) == 1
    assert "nowhere" in capsys.readouterr().err


def test_monthly_excel_and_word(engine, session: Session, tmp_path, capsys,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    test_assessment.build(session)
    monkeypatch.setenv("CIVDATA_TODAY", "2026-12-02")
    xlsx = tmp_path / "m.xlsx"
    assert main(["--database-url", _url(engine), "--lang", "zh", "report", "monthly", "--month",
                 "2026-11", "--out", str(xlsx)]) == 0
    assert "monthly assessment 2026-11 (live)" in capsys.readouterr().out
    sheet = load_workbook(xlsx)["街道考核排名"]
    assert [sheet["B4"].value, sheet["B5"].value] == ["西塔", "南湖"]
    docx = tmp_path / "m.docx"
    assert main(["--database-url", _url(engine), "report", "monthly", "--month", "2026-11",
                 "--out", str(docx)]) == 0
    assert Document(io.BytesIO(docx.read_bytes())).paragraphs[0].text == "月度考核 2026-11"
    assert main(["--database-url", _url(engine), "--lang", "en", "report", "monthly",
                 "--month", "2026-13", "--out", str(xlsx)]) == 1
    assert "YYYY-MM" in capsys.readouterr().err
