"""Weekly meetings: open, follow-ups, close with a frozen record that later data cannot change."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.domain import meetings, weekly
from tests.factories import make_problem

OFFICE = Actor("office", "office")
LEADER = Actor("leader", "leader")
NANHU = Actor("nanhu", "subdistrict", subdistrict_id=9)
MARKET = Actor("market", "market")


def test_open_add_close_and_carry_over(sample_session) -> None:
    s = sample_session
    assert s.scalar(select(func.count()).select_from(m.Meeting)
                    .where(m.Meeting.kind == "headquarters")) == 60
    meeting_id = meetings.open_meeting(s, LEADER, "2026-W47")
    assert meetings.open_meeting(s, OFFICE, "2026-w47") == meeting_id  # idempotent
    a = meetings.add_action_item(s, LEADER, "2026-W47", "清理西塔背街垃圾", "西塔街道",
                                 date(2026, 11, 27))
    b = meetings.add_action_item(s, OFFICE, "2026-W47", "复查农贸市场消防设施", "市场监管局",
                                 date(2026, 11, 24))
    meetings.close_meeting(s, LEADER, "2026-W47")
    meetings.set_action_item_status(s, OFFICE, b, "done")  # follow-up after the meeting
    carried = meetings.carried_items(s, "2026-W48")
    assert list(carried["id"]) == [a, b]
    assert list(carried["status"]) == ["open", "done"]
    # two weeks on only the unfinished item is carried
    assert list(meetings.carried_items(s, "2026-W49")["id"]) == [a]
    snap = meetings.meeting_snapshot(s, "2026-W48")
    assert snap["record"] is None
    assert [i["id"] for i in snap["carried_items"]] == [a, b]
    audit = s.scalars(select(m.AuditLog.action).order_by(m.AuditLog.id)).all()
    assert audit[-4:] == ["add_action_item", "add_action_item", "close_meeting",
                          "set_action_item_status"]


def test_closed_record_does_not_change_with_later_data(sample_session) -> None:
    s = sample_session
    meetings.open_meeting(s, OFFICE, "2026-W48")
    item = meetings.add_action_item(s, OFFICE, "2026-W48", "督办马路湾超期问题", "马路湾街道",
                                    date(2026, 12, 1))
    record = meetings.close_meeting(s, OFFICE, "2026-W48")
    frozen_text = s.scalar(select(m.Meeting.snapshot_json).where(m.Meeting.week == "2026-W48"))
    assert json.loads(frozen_text) == record
    assert record["record"]["closed_by"] == "office"
    # later data: new problems this week, a changed target, a follow-up status
    sub = s.get(m.Subdistrict, 1)
    cls = s.get(m.ProblemClass, 1)
    for k in range(5):
        make_problem(s, sub, cls, code=f"LATE{k}", discovered_at=datetime(2026, 11, 24, 8, k))
    weekly.set_metric_target(s, OFFICE, "on_time_rate", 0.5, 0.9)
    meetings.set_action_item_status(s, OFFICE, item, "done")
    s.flush()
    live = weekly.weekly_snapshot(s, "2026-W48")
    head_live = {h["key"]: h["now"] for h in live["headline"]}
    head_rec = {h["key"]: h["now"] for h in record["headline"]}
    assert head_live["new"] == head_rec["new"] + 5  # the data did change ...
    assert live["index"] != record["index"]
    shown = meetings.meeting_snapshot(s, "2026-W48")
    assert shown == record  # ... the record did not
    assert shown["action_items"][0]["status"] == "open"
    with pytest.raises(CivDataError) as err:
        meetings.add_action_item(s, OFFICE, "2026-W48", "x", "y", date(2026, 12, 1))
    assert err.value.code == "meeting_closed"
    with pytest.raises(CivDataError):
        meetings.close_meeting(s, OFFICE, "2026-W48")


def test_refused_writes_change_nothing(sample_session) -> None:
    s = sample_session
    for actor in (NANHU, MARKET):
        with pytest.raises(PermissionDenied):
            meetings.open_meeting(s, actor, "2026-W48")
    assert meetings.weekly_meeting(s, "2026-W48") is None
    with pytest.raises(CivDataError) as err:
        meetings.add_action_item(s, OFFICE, "2026-W48", "x", "y", date(2026, 12, 1))
    assert err.value.code == "meeting_not_open"
    meetings.open_meeting(s, OFFICE, "2026-W48")
    with pytest.raises(PermissionDenied):
        meetings.add_action_item(s, NANHU, "2026-W48", "x", "y", date(2026, 12, 1))
    with pytest.raises(CivDataError) as err:
        meetings.add_action_item(s, OFFICE, "2026-W48", "  ", "y", date(2026, 12, 1))
    assert err.value.code == "required_field"
    assert meetings.action_items(s, "2026-W48").empty
    item = meetings.add_action_item(s, OFFICE, "2026-W48", "x", "y", date(2026, 12, 1))
    with pytest.raises(CivDataError) as err:
        meetings.set_action_item_status(s, OFFICE, item, "finished")
    assert err.value.code == "bad_item_status"
    with pytest.raises(PermissionDenied):
        meetings.close_meeting(s, MARKET, "2026-W48")
    assert meetings.weekly_meeting(s, "2026-W48")["status"] == "open"


def test_update_and_delete_items_while_open(sample_session) -> None:
    s = sample_session
    meetings.open_meeting(s, OFFICE, "2026-W48")
    item = meetings.add_action_item(s, OFFICE, "2026-W48", "x", "y", date(2026, 12, 1))
    meetings.update_action_item(s, LEADER, item, "整改八经街道点位", "八经街道", date(2026, 12, 3))
    row = meetings.action_items(s, "2026-W48").iloc[0]
    assert (row["what"], row["owner"], row["due_on"]) == ("整改八经街道点位", "八经街道",
                                                          date(2026, 12, 3))
    meetings.delete_action_item(s, OFFICE, item)
    assert meetings.action_items(s, "2026-W48").empty
    assert s.scalar(select(m.DataChange.counter).where(m.DataChange.domain == "meetings")) >= 4
