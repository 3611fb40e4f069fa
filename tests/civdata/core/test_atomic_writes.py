"""Every write of the data layer is atomic: called in a session and rolled back, it leaves no
row behind in any table and no changed row (issue 15, item 4: on SQLite, pysqlite's own
transaction handling let a released SAVEPOINT commit part of report_problem).

Each case may prepare what its write needs (and commit that); then the per-table row counts
and the rows the write changes are taken, the write runs and must succeed, the session rolls
back, and everything must read as before, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civdata.core import auth
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.domain import markets, meetings, renovation, sites, volunteers, weekly, workflow
from civdata.io import importers, photos
from tests.conftest import SAMPLE_AS_OF

OFFICE = Actor("office", "office", display_name="office")
ADMIN = Actor("admin", "admin", display_name="admin")
WEEK = "2026-W48"
Write = Callable[[], object]
Case = Callable[[Session, Path], tuple[Write, list[tuple[type, int]]]]


def _counts(session: Session) -> dict[str, int]:
    """Return every table's row count."""
    return {t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in m.Base.metadata.sorted_tables}


def _state(session: Session, watched: list[tuple[type, int]]) -> list[tuple]:
    """Return every column of the watched rows (model, primary key), as stored."""
    out = []
    for model, key in watched:
        table = model.__table__
        pk = list(table.primary_key.columns)[0]
        out.append(tuple(session.execute(select(table).where(pk == key)).one()))
    return out


def _photo(folder: Path) -> str:
    """Return the name of a photo stored in folder."""
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 200)).save(buf, format="JPEG")
    return photos.store_photo(buf.getvalue(), folder)


def _problem(s: Session, status: str) -> m.Problem:
    """Return an open problem of the sample in status (the newest such)."""
    return s.scalars(select(m.Problem).where(m.Problem.status == status)
                     .order_by(m.Problem.id.desc()).limit(1)).one()


# --- the cases: each returns the write and the rows it changes --------------------------------

def case_report_problem(s: Session, _photos: Path):
    site = s.scalars(select(m.Site).order_by(m.Site.id).limit(1)).one()
    return (lambda: workflow.report_problem(
        s, OFFICE, subdistrict_id=site.subdistrict_id, class_code="sanitation", lat=site.lat,
        lon=site.lon, description="rolled back", source="spot_check", site_id=site.id)), []


def _transition(action: str, status: str, **kw):
    def case(s: Session, folder: Path):
        p = _problem(s, status)
        extra = {k: (v(folder) if callable(v) else v) for k, v in kw.items()}
        return (lambda: workflow.transition(s, OFFICE, p.id, action, expected_version=p.version,
                                            **extra)), [(m.Problem, p.id)]
    return case


def case_reopen(s: Session, _photos: Path):
    p = _problem(s, "closed")
    return (lambda: workflow.reopen_problem(s, OFFICE, p.id, description="again")), \
        [(m.Problem, p.id)]


def case_set_time_limit(s: Session, _photos: Path):
    cls = s.scalars(select(m.ProblemClass).where(m.ProblemClass.code == "sanitation")).one()
    return (lambda: workflow.set_time_limit(s, OFFICE, "sanitation", cls.time_limit_days + 1)), \
        [(m.ProblemClass, cls.id)]


def case_set_escalation_rungs(s: Session, _photos: Path):
    rungs = workflow.escalation_rungs(s).to_dict("records")
    rungs = [{**r, "days_overdue": int(r["days_overdue"]) + 1} for r in rungs]
    ids = list(s.scalars(select(m.EscalationRung.id)))
    return (lambda: workflow.set_escalation_rungs(s, OFFICE, rungs)), \
        [(m.EscalationRung, i) for i in ids]


def case_record_inspection(s: Session, _photos: Path):
    market = s.scalars(select(m.Market).order_by(m.Market.id).limit(1)).one()
    items = markets.checklist_items(s)
    scores = dict(zip(items["code"], items["max_points"], strict=True))
    first = next(iter(scores))
    scores[first] = 0.0  # a finding: the inspection also reports a problem
    return (lambda: markets.record_inspection(s, OFFICE, market.id, SAMPLE_AS_OF,
                                              "atomic-test inspector", scores)), []


def case_progress_report(s: Session, folder: Path):
    frame = renovation.projects_with_progress(s, SAMPLE_AS_OF)
    row = frame[(frame["stage"] == "under_construction") & (frame["percent"] < 90)].iloc[0]
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(buf, format="PNG")
    pid, pct = int(row["id"]), float(row["percent"]) + 5
    return (lambda: renovation.add_progress_report(
        s, OFFICE, pid, SAMPLE_AS_OF, pct, "under_construction", note="x",
        photo=buf.getvalue())), [(m.Project, pid)]


def case_drawings_done(s: Session, _photos: Path):
    project = s.scalars(select(m.Project).where(m.Project.drawings_done_on.is_not(None))
                        .order_by(m.Project.id).limit(1)).one()
    day = project.drawings_done_on - timedelta(days=1)  # a correction (office)
    return (lambda: renovation.record_drawings_done(s, OFFICE, project.id, day)), \
        [(m.Project, project.id)]


def case_move_site(s: Session, _photos: Path):
    site = s.scalars(select(m.Site).order_by(m.Site.id).limit(1)).one()
    return (lambda: sites.move_site(s, OFFICE, site.id, site.lat + 0.0003, site.lon + 0.0003)), \
        [(m.Site, site.id)]


def case_record_activity(s: Session, _photos: Path):
    team = s.scalars(select(m.VolunteerTeam).order_by(m.VolunteerTeam.id).limit(1)).one()
    community = s.scalars(select(m.Community).order_by(m.Community.id).limit(1)).one()
    return (lambda: volunteers.record_activity(
        s, OFFICE, team_id=team.id, community_id=community.id, held_on=SAMPLE_AS_OF,
        title="atomic-test activity", participants=5, volunteer_hours=10.0)), []


def case_set_metric_target(s: Session, _photos: Path):
    ids = list(s.scalars(select(m.MetricTarget.id)))
    return (lambda: weekly.set_metric_target(s, OFFICE, "on_time_rate", 0.5, 0.9)), \
        [(m.MetricTarget, i) for i in ids]


def case_open_meeting(s: Session, _photos: Path):
    return (lambda: meetings.open_meeting(s, OFFICE, WEEK)), []


def _with_item(s: Session) -> int:
    """Open the week's meeting with one action item, committed; return the item's id."""
    meetings.open_meeting(s, OFFICE, WEEK)
    item = meetings.add_action_item(s, OFFICE, WEEK, "清理背街垃圾", "南湖街道",
                                    date(2026, 12, 4))
    s.commit()
    return item


def case_close_meeting(s: Session, _photos: Path):
    _with_item(s)
    meeting = s.scalars(select(m.Meeting.id).where(m.Meeting.week == WEEK)).one()
    return (lambda: meetings.close_meeting(s, OFFICE, WEEK)), [(m.Meeting, meeting)]


def case_add_action_item(s: Session, _photos: Path):
    _with_item(s)
    return (lambda: meetings.add_action_item(s, OFFICE, WEEK, "复查消防", "市场监管局",
                                             date(2026, 12, 5))), []


def case_set_action_item_status(s: Session, _photos: Path):
    item = _with_item(s)
    return (lambda: meetings.set_action_item_status(s, OFFICE, item, "done")), \
        [(m.ActionItem, item)]


def case_update_action_item(s: Session, _photos: Path):
    item = _with_item(s)
    return (lambda: meetings.update_action_item(s, OFFICE, item, "改过", "西塔街道",
                                                date(2026, 12, 6))), [(m.ActionItem, item)]


def case_delete_action_item(s: Session, _photos: Path):
    item = _with_item(s)
    return (lambda: meetings.delete_action_item(s, OFFICE, item)), [(m.ActionItem, item)]


def case_create_user(s: Session, _photos: Path):
    return (lambda: auth.create_user(s, ADMIN, "atomic_user", "a-long-password-2026", "office")), []


def _user(s: Session) -> m.User:
    """Return a user committed for the case."""
    auth.create_user(s, ADMIN, "atomic_user", "a-long-password-2026", "office")
    s.commit()
    return s.scalars(select(m.User).where(m.User.username == "atomic_user")).one()


def case_set_password(s: Session, _photos: Path):
    user = _user(s)
    return (lambda: auth.set_password(s, ADMIN, user.username, "another-password-2026")), \
        [(m.User, user.id)]


def case_set_user_active(s: Session, _photos: Path):
    user = _user(s)
    return (lambda: auth.set_user_active(s, ADMIN, user.username, False)), [(m.User, user.id)]


def case_failed_login(s: Session, _photos: Path):
    user = _user(s)
    return (lambda: auth.authenticate(s, user.username, "wrong password")), [(m.User, user.id)]


CASES: dict[str, Case] = {
    "report_problem": case_report_problem,
    "assign": _transition("assign", "discovered", responsible_unit="区城管局"),
    "start": _transition("start", "assigned"),
    "submit": _transition("submit", "rectifying", note="已整改", photo_after=_photo),
    "accept": _transition("accept", "submitted"),
    "reject": _transition("reject", "submitted", note="未整改到位"),
    "reopen_problem": case_reopen,
    "set_time_limit": case_set_time_limit,
    "set_escalation_rungs": case_set_escalation_rungs,
    "record_inspection": case_record_inspection,
    "add_progress_report": case_progress_report,
    "record_drawings_done": case_drawings_done,
    "move_site": case_move_site,
    "record_activity": case_record_activity,
    "set_metric_target": case_set_metric_target,
    "open_meeting": case_open_meeting,
    "close_meeting": case_close_meeting,
    "add_action_item": case_add_action_item,
    "set_action_item_status": case_set_action_item_status,
    "update_action_item": case_update_action_item,
    "delete_action_item": case_delete_action_item,
    "create_user": case_create_user,
    "set_password": case_set_password,
    "set_user_active": case_set_user_active,
    "failed_login": case_failed_login,
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_rolled_back_write_leaves_nothing_behind(sample_session, name, tmp_path,
                                                   monkeypatch) -> None:
    monkeypatch.setenv("CIVDATA_TODAY", SAMPLE_AS_OF.isoformat())
    monkeypatch.setenv("CIVDATA_PHOTO_DIR", str(tmp_path / "photos"))
    s = sample_session
    write, watched = CASES[name](s, tmp_path / "photos")
    before_counts, before_rows = _counts(s), _state(s, watched)
    s.rollback()  # the write's transaction starts here, as a page's would
    write()
    s.flush()
    assert _counts(s) != before_counts or _state(s, watched) != before_rows, \
        "the write changed nothing: the case does not test anything"
    s.rollback()
    assert _counts(s) == before_counts
    assert _state(s, watched) == before_rows


def test_report_problem_rolls_back_on_sqlite_after_a_savepoint(engine, tmp_path) -> None:
    """The issue's case on a fresh database: the problem's savepoint, then events and audit."""
    from civdata.core.db import session_factory
    from tests.factories import make_problem_class, make_site, make_subdistrict

    with session_factory(engine)() as s:
        sub = make_subdistrict(s, code="nanhu")
        make_problem_class(s, code="sanitation")
        site = make_site(s, sub)
        s.commit()
        before = _counts(s)
        workflow.report_problem(s, OFFICE, subdistrict_id=sub.id, class_code="sanitation",
                                lat=site.lat, lon=site.lon, description="x",
                                source="spot_check")
        s.rollback()
    with session_factory(engine)() as other:  # a session of its own: only what is committed
        assert _counts(other) == before


def test_reads_before_a_write_see_the_newest_commit(engine) -> None:
    """A versioned update that lost to a concurrent edit matches no row (a stale edit) on both
    backends, rather than failing as 'database is locked' on SQLite."""
    from sqlalchemy import update

    from civdata.core.db import session_factory
    from tests.factories import make_subdistrict

    with session_factory(engine)() as s:
        make_subdistrict(s, code="nanhu")
        s.commit()
    with session_factory(engine)() as mine, session_factory(engine)() as theirs:
        sub = mine.scalars(select(m.Subdistrict)).one()  # read first
        theirs.execute(update(m.Subdistrict).values(name_en="theirs"))
        theirs.commit()
        result = mine.execute(update(m.Subdistrict).where(m.Subdistrict.name_en == sub.name_en)
                              .values(name_en="mine"))
        assert result.rowcount == 0
        mine.rollback()



def test_a_dry_run_import_leaves_nothing_behind(sample_session) -> None:
    """An import owns its transaction: a dry run writes every row, then rolls back."""
    s = sample_session
    data = (b"subdistrict,class,lat,lon,description,source\n"
            b"nanhu,sanitation,41.7615,123.4268,rolled back import,daily_inspection\n")
    before = _counts(s)
    result = importers.import_file(s, OFFICE, "problems", "atomic.csv", data, dry_run=True)
    assert result.written == 1 and not result.committed  # written, then rolled back
    assert _counts(s) == before
