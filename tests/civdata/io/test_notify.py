"""Messages (issue 21): contacts, the idempotent scan, the channels against local servers
(SMTP via aiosmtpd, WeCom/DingTalk/webhook via http.server), retries, the lease, and nothing
sent where no channel is configured. SQLite and PostgreSQL through the engine fixture."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from civdata.cli import main
from civdata.core import clock
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.db import make_engine, session_factory, session_scope
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.io.notify import contacts, events, sender, vault
from civdata.io.notify.channels import dingtalk_sign
from tests import factories as f
from tests.civdata.io.notify_servers import MailBox, free_port, start_robots

OFFICE = Actor("office", "office")
NOW = datetime(2026, 11, 25, 10, 0)
DING_SECRET = "SECtest-dingtalk-secret-0123456789"
HOOK_SECRET = "hook-secret-abcdef-987654"


@pytest.fixture(autouse=True)
def no_daily_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the daily report out of the tests of other events (its own test sets a stub); the
    installation secret that seals channel secrets is set (no key file is made)."""
    monkeypatch.setattr(events, "daily_report_markdown", lambda *a, **k: None)
    monkeypatch.setenv("CIVDATA_SECRET", "test-secret-not-for-production")


@pytest.fixture
def robots():
    """Yield the local robot server's state."""
    state, server = start_robots()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch):
    """Yield a local SMTP server's mailbox; the sender is pointed at it."""
    from aiosmtpd.controller import Controller

    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CIVDATA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CIVDATA_SMTP_PORT", str(port))
    monkeypatch.setenv("CIVDATA_SMTP_FROM", "dashboard@heping.example")
    yield box
    controller.stop()


def _url(engine) -> str:
    """Return the engine's URL with its password (a second engine on the same database)."""
    return engine.url.render_as_string(hide_password=False)


def _world(session):
    """Return (subdistrict with contacts, one without, class) with the escalation ladder."""
    sub = f.make_subdistrict(session, name_zh="南湖", name_en="Nanhu")
    bare = f.make_subdistrict(session, name_zh="长白", name_en="Changbai")
    cls = f.make_problem_class(session, name_zh="占道经营", name_en="Street vending")
    session.add_all([m.EscalationRung(days_overdue=1, code="subdistrict_head",
                                      name_zh="街道主要领导督办", name_en="Subdistrict head"),
                     m.EscalationRung(days_overdue=3, code="district",
                                      name_zh="区创城指挥部督办", name_en="District headquarters")])
    session.flush()
    return sub, bare, cls


def _contacts(session, sub, robots, email: bool = False):
    """Configure WeCom, DingTalk (signed), webhook (signed) for sub, a district webhook."""
    contacts.save_contact(session, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                          channel="wecom", address=f"{robots.url}/wecom?key=wecom-key-123456789")
    contacts.save_contact(session, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                          channel="dingtalk", secret=DING_SECRET,
                          address=f"{robots.url}/ding?access_token=ding-token-123456789")
    contacts.save_contact(session, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                          channel="webhook", secret=HOOK_SECRET, address=f"{robots.url}/hook",
                          lang="en")
    contacts.save_contact(session, OFFICE, scope="district", channel="webhook",
                          address=f"{robots.url}/district")
    if email:
        contacts.save_contact(session, OFFICE, scope="unit", unit="区城管局", channel="email",
                              address="cg@heping.example; duty@heping.example")


def _outbox(session) -> list[m.OutboxMessage]:
    """Return every outbox row."""
    session.expire_all()
    return list(session.scalars(select(m.OutboxMessage).order_by(m.OutboxMessage.id)))


def test_the_right_messages_arrive_with_the_right_content(engine, robots, mailbox) -> None:
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        _contacts(s, sub, robots, email=True)
        f.make_problem(s, sub, cls, code="P-ASSIGNED", status="assigned",
                       assigned_at=NOW - timedelta(hours=2), deadline=NOW + timedelta(days=3),
                       responsible_unit="区城管局", description="人行道占道摆摊")
    result = sender.run_once(engine, now=NOW)
    assert result.held and result.delivery.failed == 0 and result.delivery.retried == 0
    # one message per configured channel: three for the subdistrict, one e-mail for the unit
    assert result.queued == 4 and result.delivery.sent == 4
    wecom = robots.on("/wecom")
    assert len(wecom) == 1 and wecom[0].json["msgtype"] == "markdown"
    assert "P-ASSIGNED" in wecom[0].json["markdown"]["content"]
    assert "人行道占道摆摊" in wecom[0].json["markdown"]["content"]
    assert "已交办给南湖" in wecom[0].json["markdown"]["content"]
    assert wecom[0].query == {"key": "wecom-key-123456789"}
    ding = robots.on("/ding")
    assert len(ding) == 1 and ding[0].json["markdown"]["title"].startswith("【交办】P-ASSIGNED")
    ts = ding[0].query["timestamp"]
    expected = base64.b64encode(hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert ding[0].query["sign"] == expected  # parse_qsl undid the URL encoding
    assert ding[0].query["access_token"] == "ding-token-123456789"
    hook = robots.on("/hook")
    assert len(hook) == 1
    assert hook[0].json["kind"] == "assigned" and hook[0].json["lang"] == "en"
    assert hook[0].json["subject"] == "[Assigned] P-ASSIGNED Street vending"
    assert "assigned to Nanhu" in hook[0].json["text"]
    signature = "sha256=" + hmac.new(HOOK_SECRET.encode(), hook[0].raw, hashlib.sha256).hexdigest()
    assert hook[0].headers["x-civdata-signature"] == signature
    assert robots.on("/district") == []  # assignment goes to the subdistrict, not the district
    assert len(mailbox.messages) == 1
    rcpt, mail = mailbox.messages[0]
    assert sorted(rcpt) == ["cg@heping.example", "duty@heping.example"]
    assert mail["Subject"] == "【交办】P-ASSIGNED 占道经营"
    assert "人行道占道摆摊" in mail.get_content()


def test_deadline_overdue_rungs_returns_and_follow_ups(engine, robots) -> None:
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        _contacts(s, sub, robots)
        soon = f.make_problem(s, sub, cls, code="P-SOON", status="rectifying",
                              assigned_at=NOW - timedelta(days=5),
                              deadline=NOW + timedelta(hours=20))
        f.make_problem(s, sub, cls, code="P-LATER", status="rectifying",
                       assigned_at=NOW - timedelta(days=5), deadline=NOW + timedelta(hours=30))
        f.make_problem(s, sub, cls, code="P-OVERDUE", status="rectifying",
                       assigned_at=NOW - timedelta(days=5), deadline=NOW - timedelta(hours=3))
        f.make_problem(s, sub, cls, code="P-RUNG3", status="rectifying",
                       assigned_at=NOW - timedelta(days=9),
                       deadline=NOW - timedelta(days=3, hours=1))
        f.make_problem(s, sub, cls, code="P-CLOSED", status="closed",
                       assigned_at=NOW - timedelta(days=5), deadline=NOW - timedelta(hours=3),
                       closed_at=NOW - timedelta(days=1))
        s.add(m.ProblemEvent(problem_id=soon.id, at=NOW - timedelta(hours=1), actor="office",
                             from_status="submitted", to_status="rectifying",
                             note="照片不清楚"))
        meeting = m.Meeting(kind="weekly", held_on=date(2026, 11, 23), week="2026-W48",
                            title="周调度会 2026-W48")
        s.add(meeting)
        s.flush()
        s.add(m.ActionItem(meeting_id=meeting.id, what="清理南湖公园周边占道", owner="南湖街道",
                           subdistrict_id=sub.id, due_on=date(2026, 11, 26), status="open"))
        s.add(m.ActionItem(meeting_id=meeting.id, what="已完成的事项", owner="南湖街道",
                           subdistrict_id=sub.id, due_on=date(2026, 11, 25), status="done"))
    with session_scope(engine) as s:
        assert sender.scan(s, NOW) > 0
    with session_factory(engine)() as s:
        rows = _outbox(s)
    wecom = {r.event_key.split(":")[0] + ":" + r.subject for r in rows if r.channel == "wecom"}
    kinds = Counter(r.kind for r in rows if r.channel == "wecom")
    assert kinds == {"due_soon": 1, "overdue": 1, "returned": 1, "followup_due": 1}, wecom
    assert Counter(r.kind for r in rows if r.recipient == "district") == {"escalated": 1}
    subjects = {r.kind: r.subject for r in rows if r.channel == "wecom"}
    assert "P-SOON" in subjects["due_soon"] and "P-OVERDUE" in subjects["overdue"]
    assert "P-SOON" in subjects["returned"]
    assert "清理南湖公园周边占道" in subjects["followup_due"]
    district = next(r for r in rows if r.recipient == "district")
    assert district.subject == "【区创城指挥部督办】P-RUNG3 逾期 3 天"
    returned = next(r for r in rows if r.kind == "returned" and r.channel == "wecom")
    assert "照片不清楚" in returned.body


def test_the_lowest_rung_goes_to_the_subdistrict(engine, robots) -> None:
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        _contacts(s, sub, robots)
        f.make_problem(s, sub, cls, code="P-RUNG1", status="rectifying",
                       assigned_at=NOW - timedelta(days=5),
                       deadline=NOW - timedelta(days=1, hours=2))
        sender.scan(s, NOW)
    with session_factory(engine)() as s:
        rung = [r for r in _outbox(s) if r.kind == "escalated"]
    assert {(r.recipient, r.channel) for r in rung} == {
        (f"subdistrict:{sub.id}", "wecom"), (f"subdistrict:{sub.id}", "dingtalk"),
        (f"subdistrict:{sub.id}", "webhook")}
    assert rung[0].subject == "【街道主要领导督办】P-RUNG1 逾期 1 天"


def test_a_second_scan_adds_nothing_and_nothing_is_sent_twice(engine, robots) -> None:
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        _contacts(s, sub, robots)
        f.make_problem(s, sub, cls, code="P-1", status="assigned",
                       assigned_at=NOW - timedelta(hours=1), deadline=NOW + timedelta(days=3))
    with session_scope(engine) as s:
        first = sender.scan(s, NOW)
    with session_scope(engine) as s:
        assert sender.scan(s, NOW + timedelta(minutes=5)) == 0
    assert first == 3
    sender.run_once(engine, now=NOW + timedelta(minutes=6))
    again = sender.run_once(engine, now=NOW + timedelta(minutes=7))
    assert again.queued == 0 and again.delivery.sent == 0
    assert len(robots.hits) == 3


def test_nothing_is_sent_where_no_channel_is_configured(engine, robots) -> None:
    with session_scope(engine) as s:
        sub, bare, cls = _world(s)
        f.make_problem(s, bare, cls, code="P-BARE", status="assigned",
                       assigned_at=NOW - timedelta(hours=1), deadline=NOW + timedelta(hours=3))
    assert sender.run_once(engine, now=NOW).queued == 0  # no contact at all
    with session_scope(engine) as s:
        _contacts(s, sub, robots)  # contacts for another subdistrict only
        row = contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=bare.id,
                                    channel="wecom", address=f"{robots.url}/bare", active=False)
        assert row.active is False
    result = sender.run_once(engine, now=NOW)
    assert result.queued == 0 and result.delivery.sent == 0
    assert robots.hits == []
    with session_factory(engine)() as s:
        assert _outbox(s) == []


def test_a_500_reply_is_retried_later_with_backoff(engine, robots) -> None:
    robots.replies["/wecom"] = [500]
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                              channel="wecom", address=f"{robots.url}/wecom?key=k")
        f.make_problem(s, sub, cls, code="P-500", status="assigned",
                       assigned_at=NOW - timedelta(hours=1), deadline=NOW + timedelta(days=3))
    first = sender.run_once(engine, now=NOW)
    assert (first.delivery.sent, first.delivery.retried) == (0, 1)
    with session_factory(engine)() as s:
        (row,) = _outbox(s)
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 500")
        assert row.next_try_at == NOW + timedelta(minutes=1)
    early = sender.run_once(engine, now=NOW + timedelta(seconds=30))
    assert early.delivery.sent == 0 and len(robots.hits) == 1  # not before its time
    later = sender.run_once(engine, now=NOW + timedelta(minutes=1))
    assert later.delivery.sent == 1 and len(robots.hits) == 2
    with session_factory(engine)() as s:
        (row,) = _outbox(s)
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert robots.hits[0].raw == robots.hits[1].raw  # the same message, tried again


def test_a_message_that_keeps_failing_ends_in_the_failed_view(engine, robots) -> None:
    robots.replies["/hook"] = [503] * sender.MAX_ATTEMPTS
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                              channel="webhook", address=f"{robots.url}/hook")
        f.make_problem(s, sub, cls, code="P-503", status="assigned",
                       assigned_at=NOW - timedelta(hours=1), deadline=NOW + timedelta(days=3))
    t = NOW
    for attempt in range(1, sender.MAX_ATTEMPTS + 1):
        sender.run_once(engine, now=t)
        t += sender.backoff(attempt)
    assert len(robots.hits) == sender.MAX_ATTEMPTS
    assert sender.run_once(engine, now=t + timedelta(days=1)).delivery.sent == 0
    with session_factory(engine)() as s:
        failed = contacts.failed_messages(s, OFFICE)
        assert contacts.outbox_counts(s, OFFICE)["failed"] == 1
    assert list(failed["subject"]) == ["【交办】P-503 占道经营"]
    assert failed["last_error"].iloc[0] == "HTTP 503"
    assert failed["attempts"].iloc[0] == sender.MAX_ATTEMPTS


def test_a_row_left_sending_is_never_sent_again(engine, robots) -> None:
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                              channel="wecom", address=f"{robots.url}/wecom?key=k")
        f.make_problem(s, sub, cls, code="P-STUCK", status="assigned",
                       assigned_at=NOW - timedelta(hours=1), deadline=NOW + timedelta(days=3))
        sender.scan(s, NOW)
        (row,) = _outbox(s)
        row.status, row.attempts = "sending", 1  # a sender died after claiming it
    sender.run_once(engine, now=NOW + timedelta(minutes=10))
    assert robots.hits == []
    with session_factory(engine)() as s:
        (row,) = _outbox(s)
    assert row.status == "failed" and row.last_error == sender.STUCK_ERROR


def test_the_lease_lets_one_sender_hold_it(engine) -> None:
    other = make_engine(_url(engine))
    try:
        assert sender.take_lease(engine, "a", NOW)
        assert not sender.take_lease(other, "b", NOW + timedelta(seconds=30))
        assert sender.take_lease(engine, "a", NOW + timedelta(seconds=60))  # renewed
        assert not sender.take_lease(other, "b", NOW + timedelta(seconds=150))
        assert sender.take_lease(other, "b", NOW + timedelta(seconds=181))  # a's has expired
        assert not sender.take_lease(engine, "a", NOW + timedelta(seconds=182))
        sender.release_lease(other, "b")
        assert sender.take_lease(engine, "a", NOW + timedelta(seconds=183))
        held = sender.run_once(other, holder="b", now=NOW, clock=lambda: NOW + timedelta(
            seconds=184))
        assert held.held is False and held.delivery is None
    finally:
        other.dispose()


def test_two_senders_never_deliver_twice(engine, robots) -> None:
    robots.delay_s = 0.02
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                              channel="wecom", address=f"{robots.url}/wecom?key=k")
        for i in range(12):
            f.make_problem(s, sub, cls, code=f"P-TWO-{i:02d}", status="assigned",
                           assigned_at=NOW - timedelta(minutes=30 + i),
                           deadline=NOW + timedelta(days=3))
    engines = [make_engine(_url(engine)) for _ in range(2)]
    results: list = []
    errors: list = []
    start = threading.Barrier(2)

    def run(eng) -> None:
        try:
            start.wait()
            for _ in range(6):
                results.append(sender.run_once(eng, now=NOW))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    for e in engines:
        e.dispose()
    assert not errors, errors
    codes = Counter(h.json["markdown"]["content"].split("】")[1].split()[0] for h in robots.hits)
    assert codes == {f"P-TWO-{i:02d}": 1 for i in range(12)}
    assert sum(r.delivery.sent for r in results if r.delivery) == 12
    with session_factory(engine)() as s:
        assert {r.status for r in _outbox(s)} == {"sent"}


def test_the_daily_report_goes_out_at_the_configured_time(engine, robots, monkeypatch) -> None:
    calls: list = []

    def stub(session, day, lang, subdistrict_id=None) -> str:
        calls.append((day, lang, subdistrict_id))
        return f"daily {day} {lang} {subdistrict_id}"

    monkeypatch.setattr(events, "daily_report_markdown", stub)
    with session_scope(engine) as s:
        sub, _, _ = _world(s)
        _contacts(s, sub, robots)
    before = sender.run_once(engine, now=datetime(2026, 11, 25, 7, 59))
    assert before.queued == 0 and calls == []
    at = sender.run_once(engine, now=datetime(2026, 11, 25, 8, 0))
    assert at.queued == 4 and at.delivery.sent == 4
    assert sender.run_once(engine, now=datetime(2026, 11, 25, 9, 0)).queued == 0
    day = date(2026, 11, 24)
    assert sorted(calls, key=str) == sorted([(day, "zh", sub.id), (day, "zh", sub.id),
                                             (day, "en", sub.id), (day, "zh", None)], key=str)
    assert robots.on("/district")[0].json["text"] == "daily 2026-11-24 zh None"
    assert robots.on("/district")[0].json["subject"] == "【创城日报】2026-11-24 全区"
    assert robots.on("/hook")[0].json["subject"] == "[Daily report] 2026-11-24 Nanhu"
    later = sender.run_once(engine, now=datetime(2026, 11, 25, 10, 0), daily_at=time(10, 0))
    assert later.queued == 0  # one daily message per day, whatever the time setting


def test_contacts_are_office_only_audited_and_masked(engine) -> None:
    with session_scope(engine) as s:
        sub = f.make_subdistrict(s)
        staff = Actor("nanhu", "subdistrict", subdistrict_id=sub.id)
        with pytest.raises(PermissionDenied):
            contacts.save_contact(s, staff, scope="subdistrict", subdistrict_id=sub.id,
                                  channel="wecom", address="https://example.invalid/x")
        for bad in ("ftp://x/y", "not a url", ""):
            with pytest.raises(CivDataError):
                contacts.save_contact(s, OFFICE, scope="district", channel="webhook", address=bad)
        with pytest.raises(CivDataError):
            contacts.save_contact(s, OFFICE, scope="unit", unit="  ", channel="email",
                                  address="a@b.cn")
        with pytest.raises(CivDataError):
            contacts.save_contact(s, OFFICE, scope="district", channel="email", address="a@@b")
        assert s.scalar(select(func.count()).select_from(m.NotifyContact)) == 0
        row = contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                                    channel="dingtalk", secret=DING_SECRET,
                                    address="https://oapi.example/robot/send?access_token="
                                    "abcdef0123456789abcdef")
        contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                              channel="dingtalk", secret="", lang="en",
                              address="https://oapi.example/robot/send?access_token="
                              "abcdef0123456789abcdef")
        assert vault.unseal(row.secret) == DING_SECRET  # a blank secret keeps the stored one
        contacts.save_contact(s, OFFICE, scope="unit", unit="区城管局", channel="email",
                              address="cg@heping.example")
        table = contacts.contacts_table(s, OFFICE).set_index("channel")
        audit = " ".join(s.scalars(select(m.AuditLog.new_values)
                                   .where(m.AuditLog.table_name == "notify_contact")))
        with pytest.raises(PermissionDenied):
            contacts.contacts_table(s, staff)
    assert len(table) == 2 and table.loc["dingtalk", "lang"] == "en"
    assert table.loc["dingtalk", "secret"] == "••••6789"
    assert table.loc["dingtalk", "address"] == \
        "https://oapi.example/robot/send?access_token=••••cdef"
    assert table.loc["email", "secret"] == ""  # no secret: blank, not a missing value
    assert table.loc["email", "address"] == "cg@heping.example"
    assert DING_SECRET not in audit and "abcdef0123456789abcdef" not in audit
    assert audit.count("notify_contact") == 0 and "••••6789" in audit


def test_dingtalk_signature_matches_the_documented_recipe() -> None:
    import urllib.parse

    sign = dingtalk_sign("this is secret", 1_700_000_000_000)
    digest = hmac.new(b"this is secret", b"1700000000000\nthis is secret", hashlib.sha256).digest()
    assert sign == urllib.parse.quote_plus(base64.b64encode(digest))
    assert "%" in sign or sign.isalnum()


def test_notify_run_once_from_the_command_line(engine, robots, capsys) -> None:
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                              channel="webhook", address=f"{robots.url}/hook")
        f.make_problem(s, sub, cls, code="P-CLI", status="discovered",
                       deadline=datetime(2099, 1, 1))
        p = s.scalar(select(m.Problem).where(m.Problem.code == "P-CLI"))
        p.assigned_at = clock.now_local() - timedelta(hours=1)  # district time, as the run
    assert main(["--database-url", _url(engine), "notify", "run", "--once"]) == 0
    out = capsys.readouterr().out
    assert "queued 1, sent 1, retried 0, failed 0" in out
    assert json.loads(robots.hits[0].raw)["subject"].startswith("【交办】P-CLI")


def test_a_sender_stopped_for_three_days_queues_every_missed_event_once(
        engine, robots, monkeypatch) -> None:
    monkeypatch.setattr(events, "daily_report_markdown",
                        lambda s, day, lang, subdistrict_id=None: f"日报 {day}")
    start = datetime(2026, 11, 20, 9, 0)  # the last round before the sender stopped
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        sub_id, cls_id = sub.id, cls.id
        contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                              channel="wecom", address=f"{robots.url}/wecom?key=wecom-key-1")
        # overdue on the 21st at 09:00, its first rung (1 day overdue) on the 22nd at 09:00
        f.make_problem(s, sub, cls, code="P-LATE", status="rectifying",
                       assigned_at=start - timedelta(days=5), deadline=start + timedelta(days=1))
    first = sender.run_once(engine, now=start)
    assert first.queued == 2  # the daily report of the 19th and P-LATE's deadline 24 h away
    with session_scope(engine) as s:
        sub, cls = s.get(m.Subdistrict, sub_id), s.get(m.ProblemClass, cls_id)
        for day in range(3):  # one problem assigned on each day of the stop
            f.make_problem(s, sub, cls, code=f"P-DAY{day}", status="assigned",
                           assigned_at=start + timedelta(days=day, hours=4),
                           deadline=start + timedelta(days=10))
    back = start + timedelta(days=3, hours=3)  # the 23rd at 12:00
    again = sender.run_once(engine, now=back)
    with session_factory(engine)() as s:
        rows = _outbox(s)
    keys = Counter(r.event_key for r in rows)
    assert set(keys) == {
        "daily:2026-11-19", f"due_soon:{_id(engine, 'P-LATE')}:202611210900",
        *(f"assigned:{_id(engine, f'P-DAY{d}')}" for d in range(3)),
        f"overdue:{_id(engine, 'P-LATE')}", f"rung:subdistrict_head:{_id(engine, 'P-LATE')}",
        "daily:2026-11-20", "daily:2026-11-21", "daily:2026-11-22"}
    assert again.queued == 8 and set(keys.values()) == {1}
    assert again.delivery.sent == 8 and len(robots.on("/wecom")) == 10
    once_more = sender.run_once(engine, now=back + timedelta(minutes=1))
    assert once_more.queued == 0 and once_more.delivery.sent == 0
    assert len(robots.on("/wecom")) == 10
    with session_factory(engine)() as s:
        assert sender.scanned_until(s) == back + timedelta(minutes=1)


def _id(engine, code: str) -> int:
    """Return the id of the problem with this code."""
    with session_factory(engine)() as s:
        return s.scalar(select(m.Problem.id).where(m.Problem.code == code))


def _stored(engine) -> list[tuple]:
    """Return the contacts' channel, address and secret exactly as stored."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(
            m.NotifyContact.channel, m.NotifyContact.address, m.NotifyContact.secret)
            .order_by(m.NotifyContact.id))]


def test_channel_secrets_and_webhook_tokens_are_stored_encrypted(engine, robots) -> None:
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        _contacts(s, sub, robots, email=True)
        f.make_problem(s, sub, cls, code="P-SEALED", status="assigned",
                       assigned_at=NOW - timedelta(hours=1), deadline=NOW + timedelta(days=3))
    stored = _stored(engine)
    raw = repr(stored)
    for plain in (DING_SECRET, HOOK_SECRET, "ding-token-123456789", "wecom-key-123456789",
                  robots.url):
        assert plain not in raw
    for channel, address, secret in stored:
        assert address.startswith(vault.PREFIX) == (channel != "email")
        assert secret is None or secret.startswith(vault.PREFIX)
    assert "cg@heping.example" in raw  # an e-mail address is no secret: stored as typed
    result = sender.run_once(engine, now=NOW)  # opened again to send: the robots check it
    assert result.delivery.sent == 3 and result.delivery.failed == 0
    ding = robots.on("/ding")[0]
    assert ding.query["access_token"] == "ding-token-123456789"
    assert ding.query["sign"] == base64.b64encode(hmac.new(
        DING_SECRET.encode(), f"{ding.query['timestamp']}\n{DING_SECRET}".encode(),
        hashlib.sha256).digest()).decode()


def test_a_plain_secret_from_before_still_works_and_is_sealed_when_saved(engine, robots) -> None:
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        s.add(m.NotifyContact(scope="subdistrict", subdistrict_id=sub.id,
                              recipient=f"subdistrict:{sub.id}", channel="dingtalk",
                              address=f"{robots.url}/ding?access_token=old-token-0123456789",
                              secret=DING_SECRET, lang="zh", active=True, updated_at=NOW,
                              updated_by="office"))
        f.make_problem(s, sub, cls, code="P-OLD", status="assigned",
                       assigned_at=NOW - timedelta(hours=1), deadline=NOW + timedelta(days=3))
        sub_id = sub.id
    assert sender.run_once(engine, now=NOW).delivery.sent == 1
    ding = robots.on("/ding")[0]
    assert ding.query["access_token"] == "old-token-0123456789" and "sign" in ding.query
    with session_scope(engine) as s:
        table = contacts.contacts_table(s, OFFICE)
        assert table.loc[0, "secret"] == "••••6789"
        assert table.loc[0, "address"].endswith("access_token=••••6789")
        contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub_id,
                              channel="dingtalk", address="", secret="", lang="en")
    [(_, address, secret)] = _stored(engine)
    assert vault.is_sealed(address) and vault.is_sealed(secret)  # blank: kept, now sealed
    assert vault.unseal(address).endswith("old-token-0123456789")
    assert vault.unseal(secret) == DING_SECRET


def test_without_the_installation_secret_nothing_is_stored(engine, tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    monkeypatch.setenv("CIVDATA_SECRET", "")
    monkeypatch.setenv("CIVDATA_SECRET_FILE", str(blocker / "secret.key"))
    with session_scope(engine) as s:
        sub = f.make_subdistrict(s)
        sub_id = sub.id
    with session_scope(engine) as s, pytest.raises(CivDataError) as err:
        contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub_id,
                              channel="dingtalk", secret=DING_SECRET,
                              address="https://oapi.example/robot/send?access_token=abc0123456")
    assert err.value.code == "notify_no_secret"
    assert "安装密钥" in err.value.message("zh") and "Nothing was saved" in err.value.message("en")
    assert _stored(engine) == []
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(m.AuditLog)) == 0


def test_a_secret_sealed_under_another_installation_secret_is_not_sent(
        engine, robots, monkeypatch) -> None:
    with session_scope(engine) as s:
        sub, _, cls = _world(s)
        contacts.save_contact(s, OFFICE, scope="subdistrict", subdistrict_id=sub.id,
                              channel="dingtalk", secret=DING_SECRET,
                              address=f"{robots.url}/ding?access_token=ding-token-123456789")
        f.make_problem(s, sub, cls, code="P-KEY", status="assigned",
                       assigned_at=NOW - timedelta(hours=1), deadline=NOW + timedelta(days=3))
    monkeypatch.setenv("CIVDATA_SECRET", "another-installation-secret")
    result = sender.run_once(engine, now=NOW)
    assert result.queued == 1 and result.delivery.sent == 0 and robots.on("/ding") == []
    with session_factory(engine)() as s:
        [row] = _outbox(s)
        table = contacts.contacts_table(s, OFFICE, "en")
    assert row.status == "failed" and "cannot be decrypted" in row.last_error
    assert table.loc[0, "secret"] == "•••• (cannot be decrypted)"


def test_migration_0012_seals_the_plain_values_stored_before(engine) -> None:
    from sqlalchemy import text as sql

    from civdata.core import schema

    with session_scope(engine) as s:
        sub_id = f.make_subdistrict(s).id
    schema.downgrade(engine, "0011")
    hook = "https://qyapi.example/cgi-bin/webhook/send?key=plain-key-0123456789"
    with engine.begin() as conn:
        conn.execute(sql(
            "INSERT INTO notify_contact (scope, subdistrict_id, recipient, channel, address,"
            " secret, lang, active, updated_at, updated_by) VALUES ('subdistrict', :sub, :rcpt,"
            " :channel, :address, :secret, 'zh', :active, :at, 'office')"),
            [{"sub": sub_id, "rcpt": f"subdistrict:{sub_id}", "channel": "wecom",
              "address": hook, "secret": "plain-secret-0123", "active": True, "at": NOW},
             {"sub": sub_id, "rcpt": f"subdistrict:{sub_id}", "channel": "email",
              "address": "nh@heping.example", "secret": None, "active": True, "at": NOW}])
    schema.upgrade(engine)
    [(_, address, secret), email] = _stored(engine)
    assert vault.is_sealed(address) and vault.unseal(address) == hook
    assert vault.is_sealed(secret) and vault.unseal(secret) == "plain-secret-0123"
    assert email == ("email", "nh@heping.example", None)
    schema.downgrade(engine, "0011")  # and back: the older, shorter columns get plain text
    with engine.connect() as conn:
        assert conn.execute(sql("SELECT address FROM notify_contact WHERE channel = 'wecom'")
                            ).scalar() == hook
    schema.upgrade(engine)
