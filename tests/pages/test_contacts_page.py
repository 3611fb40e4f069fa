"""The contacts page (issue 21) through AppTest: office only; the form saves a contact that the
table then shows masked; a bad address is refused in the user's language and writes nothing;
a contact is removed; the outbox counts and the messages that finally failed are shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.db import make_engine, session_scope
from tests.pages.apptest import offered_pages, open_page, signed_in

OFFICE = Actor("office", "office")
TOKEN = "wecom-robot-key-0123456789abcd"
SECRET = "SECdingtalk-secret-0123456789abcdef"


def _texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("error", "success", "info", "caption")
                     for e in at.get(kind))


def _count(url: str, model) -> int:
    eng = make_engine(url)
    try:
        with session_scope(eng) as s:
            return int(s.scalar(select(func.count()).select_from(model)))
    finally:
        eng.dispose()


def _fill(at, *, scope: str, channel: str, address: str, secret: str = "") -> None:
    at.selectbox(key="contact_scope").set_value(scope)
    at.selectbox(key="contact_channel").set_value(channel)
    at.text_input(key="contact_address").input(address)
    at.text_input(key="contact_secret").input(secret)


def _submit(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception


def test_only_the_office_is_offered_the_page(sample_db) -> None:
    assert "contacts.py" in offered_pages(signed_in("office"))
    for user in ("leader", "nanhu", "market", "admin"):
        assert "contacts.py" not in offered_pages(signed_in(user)), user


def test_a_saved_contact_shows_masked_and_a_bad_one_is_refused(sample_db) -> None:
    at = open_page(signed_in("office"), "contacts")
    assert "尚未配置联系人" in _texts(at)
    assert [x.value for x in at.metric] == ["0", "0", "0"]
    _fill(at, scope="district", channel="webhook", address="ftp://nowhere/hook")
    _submit(at, "保存联系人")
    assert "须为 http:// 或 https:// 开头的地址" in _texts(at)
    assert _count(sample_db, m.NotifyContact) == 0
    _fill(at, scope="subdistrict", channel="wecom",
          address=f"https://qyapi.example/cgi-bin/webhook/send?key={TOKEN}", secret="")
    _submit(at, "保存联系人")
    assert "联系人已保存。" in _texts(at)
    table = at.dataframe[0].value
    assert list(table["渠道"]) == ["企业微信群机器人"]
    assert list(table["地址"]) == ["https://qyapi.example/cgi-bin/webhook/send?key=••••abcd"]
    assert TOKEN not in table.to_string()
    assert table["接收对象"].iloc[0].startswith("街道 · ")
    assert _count(sample_db, m.NotifyContact) == 1
    # a second contact, with a secret, beside the first without one
    _fill(at, scope="district", channel="dingtalk", secret=SECRET,
          address="https://oapi.example/robot/send?access_token=tok-0123456789abcdef")
    _submit(at, "保存联系人")
    table = at.dataframe[0].value
    assert list(table["接收对象"]) == ["区（创城指挥部）", table["接收对象"].iloc[1]]
    assert list(table["密钥"]) == ["••••cdef", ""]
    assert SECRET not in table.to_string() and "tok-0123456789abcdef" not in table.to_string()
    at.selectbox(key="contact_remove_id").select_index(0)  # the first: the district's
    _submit(at, "删除")
    assert "联系人已删除。" in _texts(at)
    assert _count(sample_db, m.NotifyContact) == 1
    assert list(at.dataframe[0].value["渠道"]) == ["企业微信群机器人"]


def test_the_outbox_and_its_failed_messages_are_shown(sample_db) -> None:
    eng = make_engine(sample_db)
    now = datetime(2026, 11, 25, 9, 0)
    with session_scope(eng) as s:
        common = {"kind": "overdue", "recipient": "district", "channel": "webhook",
                  "body": "…", "created_at": now, "next_try_at": now}
        s.add_all([m.OutboxMessage(event_key="overdue:1", subject="【逾期】P000001 占道经营",
                                   status="failed", attempts=6, last_error="HTTP 503", **common),
                   m.OutboxMessage(event_key="overdue:2", subject="【逾期】P000002",
                                   status="sent", attempts=1, **common),
                   m.OutboxMessage(event_key="overdue:3", subject="【逾期】P000003",
                                   status="pending", attempts=0, **common)])
    eng.dispose()
    at = open_page(signed_in("office"), "contacts")
    at.session_state["lang"] = "en"  # the language switch's source of truth
    at.run()
    assert not at.exception, at.exception
    assert {x.label: x.value for x in at.metric} == {"Waiting": "1", "Sent": "1", "Finally failed": "1"}
    failed = at.dataframe[-1].value
    assert list(failed["Subject"]) == ["【逾期】P000001 占道经营"]
    assert list(failed["Last error"]) == ["HTTP 503"]
    assert list(failed["Event"]) == ["problem overdue"]
    assert list(failed["Attempts"]) == [6]
    assert list(failed["Recipient"]) == ["District (headquarters)"]
