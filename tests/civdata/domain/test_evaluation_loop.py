"""Site inspections feed the closed loop (issue 19); rounds; materials' files and review; the
six lists; who may do what."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pandas as pd
import pytest
from PIL import Image
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.domain import workflow
from civdata.domain.evaluation_tasks import add_task, link_problem, set_task_status, six_lists
from civdata.domain.materials import (
    add_material,
    material_dir,
    materials_overview,
    review_material,
    upload_material_version,
    validate_material,
)
from civdata.domain.site_inspections import (
    draw_round,
    record_site_inspection,
    round_sites,
    rounds_overview,
    site_checklist,
    site_problems,
)
from civdata.io.photos import store_photo
from tests import factories as f
from tests.civdata.domain.test_evaluation import GOOD, _system_csv

OFFICE = Actor("office", "office")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
T = datetime(2026, 11, 25, 12, 0)
AT = datetime(2026, 11, 24, 12, 0)  # before any "now" on the test day


def _png() -> bytes:
    """Return a small valid PNG."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _office_file(member: str) -> bytes:
    """Return a zip holding member (a .docx or .xlsx shape)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(member, "<x/>")
    return out.getvalue()


def _world(session, monkeypatch, tmp_path):
    """A subdistrict with two sites of one category and its two-item checklist."""
    monkeypatch.setenv("CIVDATA_TODAY", "2026-11-25")
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    sub = f.make_subdistrict(session)
    other = f.make_subdistrict(session)
    cat = f.make_category(session, code="catx")
    f.make_category(session, code="caty")
    san = f.make_problem_class(session, code="sanitation")
    pub = f.make_problem_class(session, code="publicity")
    s1 = f.make_site(session, sub, cat)
    s2 = f.make_site(session, other, cat, lat=41.80, lon=123.42)
    session.add_all([
        m.SiteChecklistItem(category_id=cat.id, code="clean", name_zh="环境整洁", name_en="Clean",
                            points=60, class_id=san.id, content_code="A1", sort_order=1),
        m.SiteChecklistItem(category_id=cat.id, code="ads", name_zh="公益广告", name_en="Ads",
                            points=40, class_id=pub.id, sort_order=2)])
    session.commit()
    return {"sub": sub, "other": other, "s1": s1, "s2": s2,
            "nanhu": Actor("nanhu", "subdistrict", sub.id)}


def _system(session) -> None:
    from civdata.io.evaluation_import import import_evaluation_system

    assert import_evaluation_system(session, OFFICE, "s.csv", _system_csv(GOOD)).committed


def test_checklist_reads_items_with_points_and_class(session, monkeypatch, tmp_path) -> None:
    _world(session, monkeypatch, tmp_path)
    items = site_checklist(session, "catx")
    assert items[["item_code", "points", "class_code"]].values.tolist() == [
        ["clean", 60.0, "sanitation"], ["ads", 40.0, "publicity"]]
    assert site_checklist(session, "caty").empty


def test_failed_item_raises_a_problem_and_a_passing_recheck_closes_it(
        session, monkeypatch, tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    first = record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="spot_check",
                                   inspector="暗访组", results={"clean": 20, "ads": True},
                                   at=datetime(2026, 11, 20, 9, 0), note="垃圾堆放")
    ins = session.get(m.SiteInspection, first)
    assert (ins.points, ins.max_points, ins.findings) == (60.0, 100.0, 1)
    problems = site_problems(session, w["s1"].id)
    assert len(problems) == 1
    problem = session.get(m.Problem, int(problems["id"].iloc[0]))
    assert (problem.source, problem.site_id, problem.site_inspection_id, problem.status) == (
        "spot_check", w["s1"].id, first, "discovered")
    assert "环境整洁" in problem.description
    # a passing re-check by the office (with a photo as evidence) walks it to closed
    photo = store_photo(_png())
    record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="third_party",
                           inspector="第三方", results={"clean": True, "ads": True},
                           at=datetime(2026, 11, 24, 9, 0), photo=photo)
    closed = session.get(m.Problem, problem.id, populate_existing=True)
    assert closed.status == "closed" and closed.photo_after == photo
    assert site_problems(session, w["s1"].id).empty
    audit = session.scalar(select(func.count(m.AuditLog.id)).where(
        m.AuditLog.action == "evaluation.inspect"))
    assert audit == 2


def test_repeat_finding_raises_no_duplicate_and_sends_a_submission_back(
        session, monkeypatch, tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    fail = {"clean": False, "ads": True}
    record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="self_check",
                           inspector="自查", results=fail, at=datetime(2026, 11, 20, 9, 0))
    pid = int(site_problems(session, w["s1"].id)["id"].iloc[0])
    p = workflow.transition(session, OFFICE, pid, "assign", expected_version=1,
                            responsible_unit="环卫所")
    p = workflow.transition(session, OFFICE, pid, "start", expected_version=p.version)
    p = workflow.transition(session, OFFICE, pid, "submit", expected_version=p.version,
                            note="已清理", photo_after=store_photo(_png()))
    assert p.status == "submitted"
    record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="spot_check",
                           inspector="暗访组", results=fail, at=datetime(2026, 11, 22, 9, 0))
    open_now = site_problems(session, w["s1"].id)
    assert open_now["id"].tolist() == [pid]  # no duplicate
    assert session.get(m.Problem, pid, populate_existing=True).status == "rectifying"
    # a failure of another class is a new problem
    record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="spot_check",
                           inspector="暗访组", results={"clean": False, "ads": 10},
                           at=datetime(2026, 11, 23, 9, 0))
    assert sorted(site_problems(session, w["s1"].id)["class"]) == ["publicity", "sanitation"]


def test_subdistrict_staff_record_only_their_own_sites_and_cannot_close(
        session, monkeypatch, tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    with pytest.raises(PermissionDenied):
        record_site_inspection(session, w["nanhu"], site_id=w["s2"].id, source="self_check",
                               inspector="自查", results={"clean": True, "ads": True}, at=AT)
    with pytest.raises(PermissionDenied):
        record_site_inspection(session, Actor("m", "market"), site_id=w["s1"].id,
                               source="self_check", inspector="x",
                               results={"clean": True, "ads": True}, at=AT)
    record_site_inspection(session, w["nanhu"], site_id=w["s1"].id, source="self_check",
                           inspector="自查", results={"clean": False, "ads": True},
                           at=datetime(2026, 11, 20, 9, 0))
    pid = int(site_problems(session, w["s1"].id)["id"].iloc[0])
    record_site_inspection(session, w["nanhu"], site_id=w["s1"].id, source="self_check",
                           inspector="自查", results={"clean": True, "ads": True},
                           at=datetime(2026, 11, 21, 9, 0))
    # the subdistrict may not assign or accept: the problem stays open for the office
    assert session.get(m.Problem, pid, populate_existing=True).status == "discovered"


@pytest.mark.parametrize(("results", "code"), [
    ({"clean": True}, "site_items_missing"),
    ({"clean": True, "ads": True, "extra": True}, "site_item_unknown"),
    ({"clean": 61, "ads": True}, "site_item_range"),
    ({"clean": "abc", "ads": True}, "site_item_range"),
])
def test_bad_results_are_refused_and_write_nothing(session, monkeypatch, tmp_path,
                                                   results, code) -> None:
    w = _world(session, monkeypatch, tmp_path)
    with pytest.raises(CivDataError) as err:
        record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="spot_check",
                               inspector="x", results=results, at=AT)
    assert err.value.code == code
    session.rollback()
    assert session.scalar(select(func.count(m.SiteInspection.id))) == 0
    with pytest.raises(CivDataError) as err:
        record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="rumour",
                               inspector="x", results={"clean": True, "ads": True}, at=AT)
    assert err.value.code == "inspection_source"
    with pytest.raises(CivDataError) as err:
        record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="spot_check",
                               inspector="x", results={"clean": True, "ads": True},
                               at=datetime(2026, 11, 26, 9, 0))
    assert err.value.code == "inspection_future"


def test_a_round_is_a_seeded_stratified_draw_with_completion(session, monkeypatch,
                                                             tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    with pytest.raises(PermissionDenied):
        draw_round(session, w["nanhu"], name="第一轮", sample_size=2, seed=5, inspectors=["甲"])
    rid = draw_round(session, OFFICE, name="第一轮", sample_size=2, seed=5,
                     inspectors=["甲", "乙"])
    again = draw_round(session, OFFICE, name="复制", sample_size=2, seed=5, inspectors=["甲"])
    sites = round_sites(session, rid)
    assert sorted(sites["site_id"]) == sorted(round_sites(session, again)["site_id"])
    assert sorted(sites["inspector"]) == ["乙", "甲"] and not sites["done"].any()
    record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="third_party",
                           inspector="甲", results={"clean": True, "ads": True}, at=AT)
    assert rounds_overview(session).set_index("round_id").loc[rid, "done"] == 0  # before the draw
    record_site_inspection(session, OFFICE, site_id=w["s1"].id, source="third_party",
                           inspector="甲", results={"clean": True, "ads": True}, at=now_local())
    overview = rounds_overview(session).set_index("round_id")
    assert overview.loc[rid, ["seed", "sites", "done"]].tolist() == [5, 2, 1]
    assert round_sites(session, rid).set_index("site_id").loc[w["s1"].id, "done"]
    with pytest.raises(CivDataError):
        draw_round(session, OFFICE, name="太多", sample_size=99, seed=1, inspectors=["甲"])


@pytest.mark.parametrize(("data", "kind"), [
    (PDF, "pdf"), (_png(), "png"), (b"\xff\xd8\xff\xe0" + b"0" * 20, "jpg"),
    (_office_file("word/document.xml"), "docx"), (_office_file("xl/workbook.xml"), "xlsx")])
def test_material_types_are_read_from_the_content(data, kind) -> None:
    assert validate_material(data) == kind


@pytest.mark.parametrize(("data", "code"), [
    (b"", "material_empty"), (b"MZ\x90\x00 an exe", "material_type"),
    (b"<html>%PDF-</html>", "material_type"), (_office_file("evil.txt"), "material_type"),
    (b"PK\x03\x04 not a zip", "material_type")])
def test_bad_material_files_are_refused(data, code) -> None:
    with pytest.raises(CivDataError) as err:
        validate_material(data)
    assert err.value.code == code


def test_material_versions_review_and_refusals_leave_nothing(session, monkeypatch,
                                                             tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    _system(session)
    mid = add_material(session, OFFICE, content_code="A3", title="工作方案",
                       responsible_unit="教育局", deadline=T, subdistrict_id=w["sub"].id)
    district = add_material(session, OFFICE, content_code="A3", title="区级台账",
                            responsible_unit="教育局", deadline=T)
    session.commit()
    with pytest.raises(PermissionDenied):
        add_material(session, w["nanhu"], content_code="A3", title="x", responsible_unit="y",
                     deadline=T)
    # a file named like a PDF that is not one: refused, no row, no file
    with pytest.raises(CivDataError):
        upload_material_version(session, w["nanhu"], mid, "../../etc/方案.pdf", b"not a pdf")
    assert session.scalar(select(func.count(m.EvalMaterialVersion.id))) == 0
    assert not material_dir().exists() or not any(material_dir().rglob("*.*"))
    # subdistrict staff: their own material yes, the district-level one and others' no
    with pytest.raises(PermissionDenied):
        upload_material_version(session, w["nanhu"], district, "x.pdf", PDF)
    v1 = upload_material_version(session, w["nanhu"], mid, "../../etc/方案.pdf", PDF)
    row = session.scalar(select(m.EvalMaterialVersion).where(
        m.EvalMaterialVersion.material_id == mid))
    assert v1 == 1 and row.display_name == "方案.pdf" and ".." not in row.stored_name
    assert (material_dir() / row.stored_name).read_bytes() == PDF
    with pytest.raises(PermissionDenied):
        review_material(session, w["nanhu"], mid, accept=True, reason=None)
    with pytest.raises(CivDataError) as err:
        review_material(session, OFFICE, mid, accept=False, reason="  ")
    assert err.value.code == "material_return_reason"
    review_material(session, OFFICE, mid, accept=False, reason="缺少盖章页")
    with pytest.raises(CivDataError) as err:
        review_material(session, OFFICE, mid, accept=True, reason=None)
    assert err.value.code == "material_not_submitted"
    assert upload_material_version(session, w["nanhu"], mid, "方案2.pdf", PDF + b"v2") == 2
    review_material(session, OFFICE, mid, accept=True, reason=None)
    session.commit()
    view = materials_overview(session, T).set_index("material_id")
    assert view.loc[mid, ["status", "version"]].tolist() == ["accepted", 2]
    assert view.loc[district, "status"] == "missing"
    assert bool(view.loc[district, "overdue"]) is False  # deadline is T itself, not past
    later = materials_overview(session, datetime(2026, 11, 26)).set_index("material_id")
    assert bool(later.loc[district, "overdue"]) and not bool(later.loc[mid, "overdue"])
    mine = materials_overview(session, T, w["other"].id)
    assert mine["material_id"].tolist() == [district]


def test_six_lists_overdue_tasks_climb_the_ladder(session, monkeypatch, tmp_path) -> None:
    w = _world(session, monkeypatch, tmp_path)
    _system(session)
    session.add_all([m.EscalationRung(days_overdue=1, code="head", name_zh="a", name_en="a"),
                     m.EscalationRung(days_overdue=7, code="list", name_zh="b", name_en="b")])
    own = add_task(session, OFFICE, content_code="A1", task="整治", standard="无垃圾",
                   measures="每日巡查", responsible_unit="环卫所", responsible_person="王",
                   deadline=datetime(2026, 11, 22, 18, 0), subdistrict_id=w["sub"].id)
    district = add_task(session, OFFICE, content_code="A3", task="材料", standard="齐全",
                        measures="整理", responsible_unit="教育局", responsible_person="李",
                        deadline=datetime(2026, 11, 10, 18, 0))
    problem = f.make_problem(session, w["sub"], status="discovered")
    link_problem(session, OFFICE, own, problem.id)
    session.commit()
    ledger = six_lists(session, T).set_index("task_id")
    assert ledger.loc[own, ["overdue", "rung", "problems_linked", "problems_open"]].tolist() \
        == [True, "head", 1, 1]
    assert ledger.loc[district, ["overdue", "rung"]].tolist() == [True, "list"]
    assert six_lists(session, T, content_code="A3")["task_id"].tolist() == [district]
    with pytest.raises(PermissionDenied):
        set_task_status(session, w["nanhu"], district, "done", expected_version=1)
    with pytest.raises(PermissionDenied):
        add_task(session, w["nanhu"], content_code="A1", task="x", standard="x", measures="x",
                 responsible_unit="x", responsible_person="x", deadline=T)
    set_task_status(session, w["nanhu"], own, "done", expected_version=1)
    done = six_lists(session, T).set_index("task_id").loc[own]
    assert done["status"] == "done" and not done["overdue"] and pd.isna(done["rung"])
    assert six_lists(session, T, overdue_only=True)["task_id"].tolist() == [district]
