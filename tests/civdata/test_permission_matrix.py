"""Every write function × every role on the sample: allowed ones succeed, refused ones raise
PermissionDenied and leave every table exactly as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civdata import auth, markets, meetings, renovation, sites, volunteers, weekly, workflow
from civdata import models as m
from civdata.auth import Actor
from civdata.errors import PermissionDenied
from tests.conftest import SAMPLE_AS_OF

ROLES = ["leader", "office", "nanhu", "xita", "market", "admin"]


def _actors(session) -> dict[str, Actor]:  # noqa: ANN001
    ids = dict(session.execute(select(m.Subdistrict.code, m.Subdistrict.id)).all())
    return {"leader": Actor("leader", "leader"), "office": Actor("office", "office"),
            "nanhu": Actor("nanhu", "subdistrict", ids["nanhu"]),
            "xita": Actor("xita", "subdistrict", ids["xita"]),
            "market": Actor("market", "market"), "admin": Actor("admin", "admin")}


def _fingerprint(session) -> tuple:  # noqa: ANN001
    """Row counts of every table plus the version sums of the mutable ones."""
    counts = tuple(int(session.scalar(select(func.count()).select_from(t)) or 0)
                   for t in m.Base.metadata.sorted_tables)
    versions = tuple(int(session.scalar(select(func.coalesce(func.sum(col), 0))) or 0)
                     for col in (m.Problem.version, m.Project.version, m.Site.version))
    targets = tuple(session.execute(select(m.MetricTarget.target, m.MetricTarget.weight)
                                    .order_by(m.MetricTarget.id)).all())
    return counts, versions, targets


def _context(session) -> dict:  # noqa: ANN001
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
    return {"nanhu": nanhu, "problem": problem, "project": project, "latest": latest or 0.0,
            "community": community, "team": team, "site": site, "market": market,
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
    "move_site": ({"office"}, lambda s, a, c: sites.move_site(
        s, a, c["site"].id, c["site"].lat + 0.0001, c["site"].lon)),
    "set_metric_target": ({"office"}, lambda s, a, c: weekly.set_metric_target(
        s, a, "market_score", 92.0, 0.15)),
    "set_time_limit": ({"office"}, lambda s, a, c: workflow.set_time_limit(
        s, a, "sanitation", 4)),
    "create_user": ({"admin"}, lambda s, a, c: auth.create_user(
        s, a, "new-person", "password123", "leader")),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_write_times_role(sample_session, write: str) -> None:  # noqa: ANN001
    s = sample_session
    allowed, call = WRITES[write]
    ctx = _context(s)
    actors = _actors(s)
    before = _fingerprint(s)
    for role in ROLES:
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
