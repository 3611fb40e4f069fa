"""The data page through AppTest: templates, the upload flow with its row-by-row check, the
import landing in the database and the audit log, refusals, exports; the overview's live caption
and ranking downloads."""

from __future__ import annotations

from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from tests.pages.apptest import open_page, signed_in

HEADER = "街道,问题类别,纬度,经度,问题描述,来源"
GOOD = "nanhu,sanitation,41.7615,123.4268,页面导入的问题,daily_inspection"
BAD = "nowhere,sanitation,41.7615,123.4268,坏行,daily_inspection"


def _counts(url: str) -> tuple[int, int, int]:
    """Return (problems, problems created by office, data.import audit rows by office)."""
    eng = make_engine(url)
    with session_factory(eng)() as s:
        out = (s.scalar(select(func.count(m.Problem.id))),
               s.scalar(select(func.count(m.Problem.id)).where(m.Problem.created_by == "office")),
               s.scalar(select(func.count(m.AuditLog.id)).where(
                   m.AuditLog.username == "office", m.AuditLog.action == "data.import")))
    eng.dispose()
    return out


def _texts(at) -> str:
    """Return every message, caption and markdown shown, joined."""
    parts = [e.value for kind in ("error", "success", "info", "warning", "caption", "markdown")
             for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def _upload(at, name: str, payload: bytes, mime: str = "text/csv"):
    """Put a file into the import uploader and rerun."""
    at.file_uploader(key="import_file").set_value((name, payload, mime))
    return at.run()


def test_templates_and_open311_export_are_offered(sample_db) -> None:
    at = open_page(signed_in("office"), "data")
    keys = {b.proto.id for b in at.get("download_button")}
    labels = [b.proto.label for b in at.get("download_button")]
    for kind in ("问题", "测评点位", "工程进度", "市场检查", "志愿活动"):
        assert f"{kind}模板" in labels
    assert "下载 JSON" in labels and "下载 CSV" in labels
    assert len(keys) == len(labels)
    total = _counts(sample_db)[0]
    assert f"共 {total} 条" in _texts(at)


def test_upload_flow_refuses_then_imports_only_valid_rows(sample_db) -> None:
    before = _counts(sample_db)
    at = open_page(signed_in("office"), "data")
    at.selectbox(key="import_kind").select("problems").run()
    payload = "\n".join(["问题台账", HEADER, GOOD, BAD, ",,,,,", ""]).encode()
    _upload(at, "台账.csv", payload)
    assert not at.exception
    shown = _texts(at)
    assert "文件有问题，未写入任何数据" in shown
    [issues] = [d for d in at.dataframe if "行号" in d.value.columns]
    assert issues.value.values.tolist() == [[4, "街道", "未知的街道代码：nowhere。"]]
    [go] = [b for b in at.button if b.key == "import_go"]
    assert go.disabled
    assert [mt.value for mt in at.metric] == ["2", "1", "1"]
    assert _counts(sample_db) == before

    at.checkbox(key="import_only_valid").check().run()
    [go] = [b for b in at.button if b.key == "import_go"]
    assert not go.disabled and go.label == "导入 1 行"
    go.click().run()
    assert not at.exception
    assert "已导入 1 行（新增 1，更新 0，跳过 1）" in _texts(at)
    after = _counts(sample_db)
    assert after == (before[0] + 1, before[1] + 1, before[2] + 1)
    at.run()  # the same file stays in the uploader: it is not imported twice
    assert "此文件已导入" in _texts(at)
    assert _counts(sample_db) == after


def test_clean_workbook_with_english_headers(sample_db) -> None:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = "problems"
    ws.append(["Subdistrict", "Problem class", "Latitude", "Longitude", "Description", "Source"])
    ws.append(["Nanhu", "Sanitation", 41.7615, 123.4268, "imported in English", "spot_check"])
    buf = BytesIO()
    book.save(buf)
    before = _counts(sample_db)
    at = open_page(signed_in("office"), "data")
    _upload(at, "en.xlsx", buf.getvalue(), "application/octet-stream")
    assert "文件检查通过：1 行均可导入。" in _texts(at)
    [go] = [b for b in at.button if b.key == "import_go"]
    go.click().run()
    assert "已导入 1 行（新增 1，更新 0，跳过 0）" in _texts(at)
    assert _counts(sample_db)[1] == before[1] + 1


def test_bad_file_shows_its_message_and_writes_nothing(sample_db) -> None:
    before = _counts(sample_db)
    at = open_page(signed_in("office"), "data")
    _upload(at, "notes.txt", b"hello")
    assert [e.value for e in at.error] == [
        "文件类型不支持：notes.txt。只接受 CSV（.csv）或 Excel（.xlsx）文件。"]
    _upload(at, "cols.csv", f"{HEADER},颜色\n{GOOD},红\n".encode())
    assert [e.value for e in at.error] == ["未知的列：颜色。请使用模板中的列名。"]
    assert not [b for b in at.button if b.key == "import_go"]
    assert _counts(sample_db) == before


def test_subdistrict_staff_rows_of_other_subdistricts_are_refused(sample_db) -> None:
    at = open_page(signed_in("nanhu"), "data")
    payload = "\n".join([HEADER, GOOD.replace("nanhu", "xita").replace("41.7615,123.4268",
                                                                        "41.7934,123.4136")])
    _upload(at, "x.csv", payload.encode())
    assert "无权操作：只能修改本街道的记录。" in "\n".join(
        str(v) for d in at.dataframe for v in d.value.values.ravel())


def test_overview_shows_live_caption_and_ranking_downloads(sample_db) -> None:
    at = open_page(signed_in("office"), "overview")
    assert "数据最近更新于" in _texts(at) and "每 60 秒自动刷新" in _texts(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("下载 CSV") == 1 and labels.count("下载 Excel") == 1


def test_texts_have_both_languages() -> None:
    from civdata.texts.data import TEXTS

    for key, pair in TEXTS.items():
        assert len(pair) == 2 and all(p.strip() for p in pair), key


def test_refresh_interval_comes_from_the_environment(sample_db, monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_REFRESH_SECONDS", "5")
    at = open_page(signed_in("office"), "overview")
    assert "每 5 秒自动刷新" in _texts(at)
    from ui.live import caption_text

    assert caption_text(("", 0), 5) == "尚无数据更新记录 · 每 5 秒自动刷新"
    assert caption_text(("2026-11-25T09:30:00", 3), 60) == "数据最近更新于 2026-11-25 09:30:00 · 每 60 秒自动刷新"


def test_junk_and_unexpected_failures_show_a_message(sample_db, monkeypatch) -> None:
    before = _counts(sample_db)
    at = open_page(signed_in("office"), "data")
    junk = bytes(b for b in range(1, 256) if b not in (10, 13)) * 400  # binary, no NUL byte
    _upload(at, "junk.csv", junk)
    assert not at.exception
    assert [e.value for e in at.error] == [
        "文件 junk.csv 不是文本表格（CSV），看起来是二进制文件（如图片或压缩包）。请上传 CSV 或 .xlsx 文件。"]
    from civdata.io import importers

    def boom(*_a, **_k) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(importers, "read_table", boom)
    _upload(at, "other.csv", f"{HEADER}\n{GOOD}\n".encode())
    assert not at.exception
    assert [e.value for e in at.error] == ["文件 other.csv 无法读取（RuntimeError），未写入任何数据。"]
    assert not [b for b in at.button if b.key == "import_go"]
    assert _counts(sample_db) == before


def test_a_file_imported_again_is_shown_as_already_imported(sample_db) -> None:
    payload = f"{HEADER}\n{GOOD}\n{GOOD.replace('页面导入的问题', '第二个问题')}\n".encode()
    at = open_page(signed_in("office"), "data")
    _upload(at, "daily.csv", payload)
    [go] = [b for b in at.button if b.key == "import_go"]
    go.click().run()
    assert "已导入 2 行（新增 2，更新 0，跳过 0）" in _texts(at)
    after = _counts(sample_db)
    again = open_page(signed_in("office"), "data")  # the same file, e-mailed twice
    _upload(again, "daily.csv", payload)
    assert not again.exception
    assert "第 2, 3 行已导入过（与数据库中的记录相同），未重复写入。" in _texts(again)
    [go] = [b for b in again.button if b.key == "import_go"]
    assert go.disabled and go.label == "导入 0 行"
    assert [mt.value for mt in again.metric] == ["2", "2", "0"]
    assert _counts(sample_db) == after
