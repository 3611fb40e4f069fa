"""Every write function × every role on the sample: allowed ones succeed, refused ones raise
PermissionDenied and leave every table exactly as it was."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civdata.core import auth
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.domain import (
    assessment,
    evaluation_tasks,
    markets,
    materials,
    meetings,
    public_reports,
    renovation,
    site_inspections,
    sites,
    street,
    volunteers,
    weekly,
    workflow,
)
from civdata.io import evaluation_import
from tests.conftest import SAMPLE_AS_OF

ROLES = ["leader", "office", "nanhu", "xita", "market", "admin"]


def _actors(session) -> dict[str, Actor]:
    ids = dict(session.execute(select(m.Subdistrict.code, m.Subdistrict.id)).all())
    return {"leader": Actor("leader", "leader"), "office": Actor("office", "office"),
            "nanhu": Actor("nanhu", "subdistrict", ids["nanhu"]),
            "xita": Actor("xita", "subdistrict", ids["xita"]),
            "market": Actor("market", "market"), "admin": Actor("admin", "admin")}


def _fingerprint(session) -> tuple:
    """Row counts of every table plus the version sums of the mutable ones."""
    counts = tuple(int(session.scalar(select(func.count()).select_from(t)) or 0)
                   for t in m.Base.metadata.sorted_tables)
    versions = tuple(int(session.scalar(select(func.coalesce(func.sum(col), 0))) or 0)
                     for col in (m.Problem.version, m.Project.version, m.Site.version))
    targets = tuple(session.execute(select(m.MetricTarget.target, m.MetricTarget.weight)
                                    .order_by(m.MetricTarget.id)).all())
    return counts, versions, targets


def _context(session) -> dict:
    nanhu = session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    problem = workflow.report_problem(session, Actor("office", "office"), subdistrict_id=nanhu,
                                      class_code="sanitation", lat=41.758, lon=123.418,
                                      description="路面有垃圾", source="public_report")
    session.commit()
    project = session.scalars(select(m.Project).where(
        m.Project.subdistrict_id == nanhu, m.Project.stage == "under_construction")).first()
    latest = session.scalar(select(m.ProjectProgress.percent).where(
        m.ProjectProgress.project_id == project.id).order_by(m.ProjectProgress.id.desc()).limit(1))
    community = session.scalar(select(m.Community).where(m.Community.subdistrict_id == nanhu))
    team = session.scalar(select(m.VolunteerTeam).limit(1))
    site = session.scalar(select(m.Site).where(m.Site.subdistrict_id == nanhu))
    market = session.scalar(select(m.Market).limit(1))
    items = markets.checklist_items(session)
    closed = {source: session.scalar(select(m.Problem.id).where(
        m.Problem.subdistrict_id == nanhu, m.Problem.status == "closed",
        m.Problem.source == source).order_by(m.Problem.id).limit(1))
        for source in ("public_report", "market_inspection")}
    return {"nanhu": nanhu, "problem": problem, "project": project, "latest": latest or 0.0,
            "community": community, "team": team, "site": site, "market": market,
            "closed": closed,
            "perfect": dict(zip(items["code"], items["max_points"], strict=True))}


WRITES = {
    "report_problem": ({"office", "nanhu"}, lambda s, a, c: workflow.report_problem(
        s, a, subdistrict_id=c["nanhu"], class_code="public_order", lat=41.758, lon=123.418,
        description="占道经营", source="public_report")),
    "assign_problem": ({"office"}, lambda s, a, c: workflow.transition(
        s, a, c["problem"].id, "assign", expected_version=c["problem"].version,
        responsible_unit="南湖街道")),
    "add_progress_report": ({"office", "nanhu"}, lambda s, a, c: renovation.add_progress_report(
        s, a, c["project"].id, SAMPLE_AS_OF, min(99.0, c["latest"] + 1.0), "under_construction")),
    "record_drawings_done": ({"office", "nanhu"}, lambda s, a, c: renovation.record_drawings_done(
        s, a, c["project"].id, c["project"].drawings_done_on or c["project"].actual_start)),
    "record_inspection": ({"office", "market"}, lambda s, a, c: markets.record_inspection(
        s, a, c["market"].id, SAMPLE_AS_OF, "检查员甲", c["perfect"])),
    "record_activity": ({"office", "nanhu"}, lambda s, a, c: volunteers.record_activity(
        s, a, team_id=c["team"].id, community_id=c["community"].id, held_on=SAMPLE_AS_OF,
        title="为老人义务理发", participants=8, volunteer_hours=16)),
    "open_meeting": ({"leader", "office"}, lambda s, a, c: meetings.open_meeting(s, a, "2026-W48")),
    # The leaders chair the weekly meeting: they may open and close it, as the office may.
    "close_meeting": ({"leader", "office"}, lambda s, a, c: (
        meetings.open_meeting(s, a, "2026-W40"), meetings.close_meeting(s, a, "2026-W40"))),
    # The market bureau reopens only the problems its inspections raised (issue 15).
    "reopen_public_problem": ({"office", "nanhu"}, lambda s, a, c: workflow.reopen_problem(
        s, a, c["closed"]["public_report"], description="再次发现")),
    "reopen_market_problem": ({"office", "nanhu", "market"}, lambda s, a, c:
                              workflow.reopen_problem(s, a, c["closed"]["market_inspection"],
                                                      description="再次发现")),
    "move_site": ({"office"}, lambda s, a, c: sites.move_site(
        s, a, c["site"].id, c["site"].lat + 0.0001, c["site"].lon)),
    "set_metric_target": ({"office"}, lambda s, a, c: weekly.set_metric_target(
        s, a, "market_score", 92.0, 0.15)),
    "set_time_limit": ({"office"}, lambda s, a, c: workflow.set_time_limit(
        s, a, "sanitation", 4)),
    "create_user": ({"admin"}, lambda s, a, c: auth.create_user(
        s, a, "new-person", "password123", "leader")),
    # issue 21: the monthly assessment's indicators (office) and closing a month
    "set_assessment_indicator": ({"office"}, lambda s, a, c: assessment.set_assessment_indicator(
        s, a, "market_score", 88.0, 20.0)),
    "close_month": ({"leader", "office"}, lambda s, a, c: assessment.close_month(
        s, a, "2026-10")),
}


# write -> the question a page asks before offering it: (action, the record it is on). can()
# must answer exactly what the write does: a page that offers what the data layer refuses,
# or hides what it allows, fails (issue 17: one permission question that knows the record).
ASKS = {
    "report_problem": lambda s, c: ("problem.report", auth.Scope(c["nanhu"], "public_report")),
    "assign_problem": lambda s, c: ("problem.assign", c["problem"]),
    "add_progress_report": lambda s, c: ("project.progress", c["project"]),
    "record_drawings_done": lambda s, c: ("project.progress", c["project"]),
    "record_inspection": lambda s, c: ("market.inspect", c["market"]),
    "record_activity": lambda s, c: ("activity.record", c["community"]),
    "open_meeting": lambda s, c: ("meeting.manage", None),
    "close_meeting": lambda s, c: ("meeting.manage", None),
    # reopening reports again on the closed problem: its subdistrict, its source
    "reopen_public_problem": lambda s, c: ("problem.report",
                                           s.get(m.Problem, c["closed"]["public_report"])),
    "reopen_market_problem": lambda s, c: ("problem.report",
                                           s.get(m.Problem, c["closed"]["market_inspection"])),
    "move_site": lambda s, c: ("site.edit", c["site"]),
    "set_metric_target": lambda s, c: ("settings.edit", None),
    "set_time_limit": lambda s, c: ("settings.edit", None),
    "create_user": lambda s, c: ("user.manage", None),
    "set_assessment_indicator": lambda s, c: ("settings.edit", None),
    "close_month": lambda s, c: ("meeting.manage", None),
}


def _asks_agree(s, asks, write: str, role: str, actor: Actor, ctx: dict,
                allowed: set[str]) -> None:
    """Assert that can() on the write's record answers what the write will do."""
    action, record = asks[write](s, ctx)
    assert auth.can(actor, action, record) is (role in allowed), \
        f"can({role}, {action}, record) disagrees with {write}"


@pytest.mark.parametrize("write", sorted(WRITES))
def test_write_times_role(sample_session, write: str) -> None:
    s = sample_session
    allowed, call = WRITES[write]
    ctx = _context(s)
    actors = _actors(s)
    before = _fingerprint(s)
    for role in ROLES:
        _asks_agree(s, {**ASKS, **EVAL_ASKS}, write, role, actors[role], ctx, allowed)
        if role in allowed:
            call(s, actors[role], ctx)
            s.flush()
            assert _fingerprint(s) != before, f"{write} as {role} changed nothing"
            audit = s.scalar(select(func.count(m.AuditLog.id)).where(
                m.AuditLog.username == actors[role].username))
            assert audit >= 1, f"{write} as {role} left no audit row"
        else:
            with pytest.raises(PermissionDenied):
                call(s, actors[role], ctx)
            s.flush()
            assert _fingerprint(s) == before, f"refused {write} as {role} changed the database"
        s.rollback()
        ctx = _context(s)
        before = _fingerprint(s)


def test_only_leaders_and_office_close_an_open_meeting(sample_session) -> None:
    s = sample_session
    meetings.open_meeting(s, Actor("office", "office"), "2026-W40")
    s.flush()
    before = _fingerprint(s)
    for role, actor in _actors(s).items():
        if role in ("leader", "office"):
            continue
        with pytest.raises(PermissionDenied):
            meetings.close_meeting(s, actor, "2026-W40")
        assert _fingerprint(s) == before, role
    meetings.close_meeting(s, Actor("leader", "leader"), "2026-W40")
    assert meetings.meeting_record(s, "2026-W40")["record"]["closed_by"] == "leader"


def _other_site(session) -> m.Site:
    """Return a site of xita (not nanhu)."""
    return session.scalar(select(m.Site).join(m.Subdistrict).where(m.Subdistrict.code == "xita")
                          .order_by(m.Site.id).limit(1))


def test_a_report_is_tied_to_its_subdistrict_by_site_and_point(sample_session) -> None:
    """Every reporter: a linked site lies in the problem's subdistrict. A subdistrict account:
    the point lies inside its own subdistrict too (issue 15)."""
    s = sample_session
    actors = _actors(s)
    nanhu = actors["nanhu"].subdistrict_id
    xita_site = _other_site(s)
    own_site = s.scalar(select(m.Site).where(m.Site.subdistrict_id == nanhu).limit(1))
    base = {"subdistrict_id": nanhu, "class_code": "sanitation", "description": "路面有垃圾",
            "source": "public_report"}
    before = _fingerprint(s)
    refused = [
        ("nanhu", {"site_id": xita_site.id, "lat": xita_site.lat, "lon": xita_site.lon},
         "site_wrong_subdistrict"),
        ("nanhu", {"site_id": own_site.id, "lat": xita_site.lat, "lon": xita_site.lon},
         "point_outside_subdistrict"),
        ("nanhu", {"lat": xita_site.lat, "lon": xita_site.lon}, "point_outside_subdistrict"),
        ("office", {"site_id": xita_site.id, "lat": xita_site.lat, "lon": xita_site.lon},
         "site_wrong_subdistrict"),
    ]
    for role, where, code in refused:
        with pytest.raises(CivDataError) as err:
            workflow.report_problem(s, actors[role], **base, **where)
        assert err.value.code == code, (role, where)
        assert err.value.message("zh") and err.value.message("en")
        s.flush()
        assert _fingerprint(s) == before, (role, where)
    ok = workflow.report_problem(s, actors["nanhu"], **base, site_id=own_site.id,
                                 lat=own_site.lat, lon=own_site.lon)
    assert ok.site_id == own_site.id and ok.subdistrict_id == nanhu


# --- issue 19: the evaluation's writes -------------------------------------------------------

EVAL_NOW = datetime(2026, 11, 25, 9, 0)
PDF = b"%PDF-1.4\n%%EOF\n"


def _eval_context(session, files: Path) -> dict:
    """A nanhu material, a submitted district one, a nanhu task and a nanhu site's results."""
    office = Actor("office", "office")
    nanhu = session.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
    site = session.scalar(select(m.Site).where(m.Site.subdistrict_id == nanhu).limit(1))
    category = session.get(m.SiteCategory, site.category_id).code
    own = materials.add_material(session, office, content_code="C04", title="南湖台账",
                                 responsible_unit="南湖街道", deadline=EVAL_NOW,
                                 subdistrict_id=nanhu)
    submitted = materials.add_material(session, office, content_code="C04", title="待审",
                                       responsible_unit="区教育局", deadline=EVAL_NOW)
    materials.upload_material_version(session, office, submitted, "a.pdf", PDF, files)
    task = evaluation_tasks.add_task(
        session, office, content_code="C17", task="背街整治", standard="无垃圾",
        measures="每日巡查", responsible_unit="南湖街道", responsible_person="王",
        deadline=EVAL_NOW, subdistrict_id=nanhu)
    session.commit()
    return {"site": site, "material": own, "submitted": submitted, "task": task, "files": files,
            "results": dict.fromkeys(site_inspections.site_checklist(session, category)
                                     ["item_code"], True)}


EVAL_WRITES = {
    "record_site_inspection": ({"office", "nanhu"}, lambda s, a, c:
                               site_inspections.record_site_inspection(
                                   s, a, site_id=c["site"].id, source="self_check",
                                   inspector="自查", results=c["results"],
                                   at=datetime(2026, 11, 24, 9, 0))),
    "draw_round": ({"office"}, lambda s, a, c: site_inspections.draw_round(
        s, a, name="第二轮", sample_size=20, seed=3, inspectors=["甲", "乙"])),
    "upload_material_version": ({"office", "nanhu"}, lambda s, a, c:
                                materials.upload_material_version(
                                    s, a, c["material"], "b.pdf", PDF, c["files"])),
    "review_material": ({"office"}, lambda s, a, c: materials.review_material(
        s, a, c["submitted"], accept=True, reason=None)),
    "add_task": ({"office"}, lambda s, a, c: evaluation_tasks.add_task(
        s, a, content_code="C17", task="x", standard="x", measures="x", responsible_unit="x",
        responsible_person="x", deadline=EVAL_NOW)),
    "set_task_status": ({"office", "nanhu"}, lambda s, a, c: evaluation_tasks.set_task_status(
        s, a, c["task"], "done", expected_version=1)),
    "import_survey": ({"office"}, lambda s, a, c: evaluation_import.import_survey(
        s, a, "s.csv", "respondent,subdistrict,age_band,responded_on,Q01\n"
        "X1,nanhu,30-44,2026-11-20,是\n".encode(), commit=False)),
}


EVAL_ASKS = {
    "record_site_inspection": lambda s, c: ("evaluation.inspect", c["site"]),
    "draw_round": lambda s, c: ("evaluation.manage", None),
    "upload_material_version": lambda s, c: ("material.upload",
                                             s.get(m.EvalMaterial, c["material"])),
    "review_material": lambda s, c: ("material.review", s.get(m.EvalMaterial, c["submitted"])),
    "add_task": lambda s, c: ("evaluation.manage", None),
    "set_task_status": lambda s, c: ("evaluation.task", s.get(m.EvalTask, c["task"])),
    "import_survey": lambda s, c: ("survey.import", None),
}


def test_every_write_names_the_question_its_page_asks() -> None:
    assert set(ASKS) == set(WRITES)
    assert set(EVAL_ASKS) == set(EVAL_WRITES)


def test_a_subdistrict_account_may_not_act_on_a_district_level_record(
        sample_session, tmp_path) -> None:
    """can() says no, as the write does, for a material with no subdistrict."""
    s = sample_session
    ctx = _eval_context(s, tmp_path)
    nanhu = _actors(s)["nanhu"]
    district_level = s.get(m.EvalMaterial, ctx["submitted"])
    assert district_level.subdistrict_id is None
    assert auth.can(nanhu, "material.upload")  # the form is offered for its own materials
    assert not auth.can(nanhu, "material.upload", district_level)
    with pytest.raises(PermissionDenied):
        materials.upload_material_version(s, nanhu, district_level.id, "c.pdf", PDF, tmp_path)


def test_lists_of_actionable_records_follow_the_same_rules(sample_session) -> None:
    """records_where() selects exactly the problems can() allows, for every role."""
    s = sample_session
    problems = s.scalars(select(m.Problem).order_by(m.Problem.id).limit(400)).all()
    for role, actor in _actors(s).items():
        for action in ("problem.report", "problem.assign", "problem.rectify", "problem.review"):
            listed = set(s.scalars(select(m.Problem.id).where(
                m.Problem.id.in_([p.id for p in problems]),
                auth.records_where(actor, action, m.Problem))))
            asked = {p.id for p in problems if auth.can(actor, action, p)}
            assert listed == asked, (role, action)


@pytest.mark.parametrize("write", sorted(EVAL_WRITES))
def test_evaluation_write_times_role(sample_session, tmp_path, write: str) -> None:
    s = sample_session
    allowed, call = EVAL_WRITES[write]
    actors = _actors(s)
    ctx = _eval_context(s, tmp_path)
    before = _fingerprint(s)
    for role in ROLES:
        _asks_agree(s, {**ASKS, **EVAL_ASKS}, write, role, actors[role], ctx, allowed)
        if role in allowed:
            call(s, actors[role], ctx)
            s.flush()
            assert _fingerprint(s) != before, f"{write} as {role} changed nothing"
            audit = s.scalar(select(func.count(m.AuditLog.id)).where(
                m.AuditLog.username == actors[role].username))
            assert audit >= 1, f"{write} as {role} left no audit row"
        else:
            with pytest.raises(PermissionDenied):
                call(s, actors[role], ctx)
            s.flush()
            assert _fingerprint(s) == before, f"refused {write} as {role} changed the database"
        s.rollback()
        ctx = _eval_context(s, tmp_path)
        before = _fingerprint(s)


# --- issue 20: the street and public writes --------------------------------------------------
# The public channel's Actor (no account) is a seventh role here: it may file a pending public
# report and nothing else.

STREET_POINT = (41.758, 123.418)  # nanhu


def _jpeg(shade: int = 120) -> bytes:
    """Return a small camera-like JPEG."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, shade, 200)).save(buf, format="JPEG")
    return buf.getvalue()


def _street_context(session) -> dict:
    """The sample's context plus an assigned and a rectifying nanhu problem and a pending
    public report in nanhu (filed without address or session: no limit applies to it)."""
    ctx = _context(session)
    office = Actor("office", "office")
    made = []
    for _ in range(2):
        p = workflow.report_problem(session, office, subdistrict_id=ctx["nanhu"],
                                    class_code="sanitation", lat=STREET_POINT[0],
                                    lon=STREET_POINT[1], description="路面有垃圾",
                                    source="public_report")
        made.append(workflow.transition(session, office, p.id, "assign",
                                        expected_version=p.version, responsible_unit="南湖街道"))
    rectifying = workflow.transition(session, office, made[1].id, "start",
                                     expected_version=made[1].version)
    report = public_reports.submit_public_report(session, class_code="sanitation", lat=STREET_POINT[0],
                                     lon=STREET_POINT[1], description="路边垃圾",
                                     photo=_jpeg(90))
    session.commit()
    return {**ctx, "assigned": made[0], "rectifying": rectifying, "report": report}


def _street_writes() -> dict:
    """Return write -> (roles allowed, call) of the street and public writes."""
    pr = public_reports
    return {
        "report_from_street": ({"office", "nanhu", "market"}, lambda s, a, c:
                               street.report_from_street(
                                   s, a, photo=_jpeg(), class_code="sanitation",
                                   description="垃圾", device=STREET_POINT)),
        "confirm_problem": ({"office", "nanhu"}, lambda s, a, c: street.confirm_problem(
            s, a, c["problem"].id, photo=_jpeg(), device=STREET_POINT)),
        "start_task": ({"office", "nanhu"}, lambda s, a, c: street.start_task(
            s, a, c["assigned"].id, c["assigned"].version)),
        "rectify_task": ({"office", "nanhu"}, lambda s, a, c: street.rectify_task(
            s, a, c["rectifying"].id, c["rectifying"].version, note="已清理",
            photo=_jpeg(200))),
        "submit_public_report": ({"office", "public"}, lambda s, a, c: pr.submit_public_report(
            s, class_code="sanitation", lat=STREET_POINT[0], lon=STREET_POINT[1],
            description="垃圾", photo=_jpeg(40), client_address="203.0.113.5",
            browser_session="tab", actor=a)),
        "accept_report": ({"office"}, lambda s, a, c: pr.accept_report(
            s, a, c["report"].id, expected_version=c["report"].version)),
        "reject_report": ({"office"}, lambda s, a, c: pr.reject_report(
            s, a, c["report"].id, expected_version=c["report"].version, reason="不属实")),
        "merge_report": ({"office"}, lambda s, a, c: pr.merge_report(
            s, a, c["report"].id, expected_version=c["report"].version,
            problem_code=c["problem"].code)),
    }


# write -> (action, record) the page asks; the actor is given too, since a street report's
# source (and so the market bureau's reach) is the reporter's.
STREET_ASKS = {
    "report_from_street": lambda s, c, a: ("problem.report",
                                           auth.Scope(c["nanhu"], street.source_for(a))),
    "confirm_problem": lambda s, c, a: ("problem.confirm", c["problem"]),
    "start_task": lambda s, c, a: ("problem.rectify", c["assigned"]),
    "rectify_task": lambda s, c, a: ("problem.rectify", c["rectifying"]),
    "submit_public_report": lambda s, c, a: ("report.submit", None),
    "accept_report": lambda s, c, a: ("report.moderate", c["report"]),
    "reject_report": lambda s, c, a: ("report.moderate", c["report"]),
    "merge_report": lambda s, c, a: ("report.moderate", c["report"]),
}


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("write", sorted(STREET_ASKS))
def test_street_and_public_write_times_role(sample_session, tmp_path, monkeypatch,
                                            write: str) -> None:
    folder = tmp_path / "photos"
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(folder))
    s = sample_session
    allowed, call = _street_writes()[write]
    actors = {**_actors(s), "public": public_reports.PUBLIC}
    ctx = _street_context(s)
    before, files = _fingerprint(s), _files(folder)
    for role, actor in actors.items():
        action, record = STREET_ASKS[write](s, ctx, actor)
        assert auth.can(actor, action, record) is (role in allowed), \
            f"can({role}, {action}, record) disagrees with {write}"
        if role in allowed:
            call(s, actor, ctx)
            s.flush()
            assert _fingerprint(s) != before, f"{write} as {role} changed nothing"
            assert s.scalar(select(func.count(m.AuditLog.id)).where(
                m.AuditLog.username == actor.username)) >= 1, f"{write} as {role}: no audit"
        else:
            with pytest.raises(PermissionDenied):
                call(s, actor, ctx)
            s.flush()
            assert _fingerprint(s) == before, f"refused {write} as {role} changed the database"
            assert _files(folder) == files, f"refused {write} as {role} left a file"
        s.rollback()
        ctx = _street_context(s)
        before, files = _fingerprint(s), _files(folder)


def test_every_street_write_names_its_question() -> None:
    assert set(STREET_ASKS) == set(_street_writes())


def test_the_public_actor_may_file_a_report_and_do_nothing_else() -> None:
    assert [a for a in auth.PERMISSIONS if auth.can(public_reports.PUBLIC, a)] \
        == ["report.submit"]
