"""Contacts: where the district, a subdistrict or a responsible unit receives messages, per
channel. Office only; every write is checked and audited; secrets are never read back whole."""

from __future__ import annotations

import re
import urllib.parse
from email.utils import getaddresses

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, audit, require
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError
from civdata.core.live import mark_changed
from civdata.io.notify import vault
from civdata.texts import text

SCOPES = m.NOTIFY_SCOPES
CHANNELS = m.NOTIFY_CHANNELS
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FIELDS = {"scope": ("接收对象", "recipient"), "unit": ("责任单位", "responsible unit"),
           "channel": ("渠道", "channel"), "address": ("地址", "address"),
           "lang": ("语言", "language"), "secret": ("密钥", "secret")}


def _invalid(field: str, detail_zh: str, detail_en: str) -> CivDataError:
    """Return the error for an invalid contact field, in both languages."""
    zh, en = _FIELDS[field]
    return CivDataError("invalid_value", field=en, field_zh=zh, detail=detail_en,
                        detail_zh=detail_zh)


def recipient_of(scope: str, subdistrict_id: int | None = None, unit: str | None = None) -> str:
    """Return the recipient key of a scope: 'district', 'subdistrict:<id>' or 'unit:<name>'."""
    if scope == "district":
        return "district"
    if scope == "subdistrict":
        return f"subdistrict:{subdistrict_id}"
    return f"unit:{(unit or '').strip()}"


def mask_secret(secret: str | None) -> str:
    """Return a secret as dots and at most its last four characters ('' when unset)."""
    if not secret:
        return ""
    return "••••" + (secret[-4:] if len(secret) >= 12 else "")


def mask_address(channel: str, address: str) -> str:
    """Return an address safe to show: e-mail as is; a URL with its query values and long path
    parts (the robots' tokens) cut to their last four characters."""
    if channel == "email":
        return address
    parts = urllib.parse.urlsplit(address)
    path = "/".join(mask_secret(p) if len(p) >= 16 else p for p in parts.path.split("/"))
    query = "&".join(f"{k}={mask_secret(v) or '••••'}"
                     for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def _clean_address(channel: str, address: str) -> str:
    """Return address stripped; raise when it is no e-mail list or no http(s) URL."""
    text = (address or "").strip()
    if not text:
        raise CivDataError("required_field", field=_FIELDS["address"][1],
                           field_zh=_FIELDS["address"][0])
    if len(text) > 500:
        raise _invalid("address", "超过 500 个字符", "longer than 500 characters")
    if channel == "email":
        found = [a for _, a in getaddresses([text.replace(";", ",")])]
        if not found or not all(_EMAIL.match(a) for a in found):
            raise _invalid("address", f"不是有效的邮箱地址：{text}",
                           f"not a valid e-mail address: {text}")
        return ", ".join(found)
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        raise _invalid("address", "须为 http:// 或 https:// 开头的地址",
                       "must be an http:// or https:// URL")
    return text


def _check(session: Session, scope: str, channel: str, subdistrict_id: int | None,
           unit: str | None, lang: str) -> None:
    """Raise when the scope, channel, subdistrict, unit or language is not valid."""
    if scope not in SCOPES:
        raise _invalid("scope", scope, scope)
    if channel not in CHANNELS:
        raise _invalid("channel", channel, channel)
    if lang not in ("zh", "en"):
        raise _invalid("lang", lang, lang)
    if scope == "subdistrict" and (subdistrict_id is None
                                   or session.get(m.Subdistrict, subdistrict_id) is None):
        raise CivDataError("not_found", what=f"subdistrict {subdistrict_id}")
    if scope == "unit" and not (unit or "").strip():
        raise CivDataError("required_field", field=_FIELDS["unit"][1], field_zh=_FIELDS["unit"][0])
    if scope == "unit" and len(unit.strip()) > 96:
        raise _invalid("unit", "超过 96 个字符", "longer than 96 characters")


def shown_address(channel: str, stored: str, lang: str = "zh") -> str:
    """Return a stored (maybe sealed) address masked for showing."""
    try:
        return mask_address(channel, vault.unseal(stored) or "")
    except CivDataError:
        return "•••• " + text("contacts.unreadable", lang)


def shown_secret(stored: str | None, lang: str = "zh") -> str:
    """Return a stored (maybe sealed) secret masked for showing ('' when unset)."""
    try:
        return mask_secret(vault.unseal(stored))
    except CivDataError:
        return "•••• " + text("contacts.unreadable", lang)


def _shown(row: m.NotifyContact) -> dict:
    """Return a contact as the audit log records it (address and secret masked)."""
    return {"recipient": row.recipient, "channel": row.channel,
            "address": shown_address(row.channel, row.address),
            "secret": shown_secret(row.secret), "lang": row.lang, "active": row.active}


def save_contact(session: Session, actor: Actor, *, scope: str, channel: str, address: str,
                 subdistrict_id: int | None = None, unit: str | None = None,
                 secret: str | None = None, lang: str = "zh", active: bool = True
                 ) -> m.NotifyContact:
    """Create or change the contact of a recipient on a channel (a blank secret, or a blank
    address of a stored contact, keeps the stored one); webhook URLs and secrets are stored
    sealed (civdata.io.notify.vault); audited with both masked."""
    require(actor, "notify.manage")
    _check(session, scope, channel, subdistrict_id, unit, lang)
    recipient = recipient_of(scope, subdistrict_id, unit)
    row = session.scalar(select(m.NotifyContact).where(m.NotifyContact.recipient == recipient,
                                                       m.NotifyContact.channel == channel))
    keep_address = row is not None and not (address or "").strip()
    clean = None if keep_address else _clean_address(channel, address)
    secret = (secret or "").strip() or None
    if secret is not None and len(secret) > 255:
        raise _invalid("secret", "超过 255 个字符", "longer than 255 characters")
    # sealed before anything is written: without the installation's secret, nothing is stored
    stored_address = row.address if keep_address else vault.seal_address(channel, clean)
    stored_secret = vault.seal(secret) if secret is not None else (
        None if row is None else _sealed_again(row.secret))
    old = None if row is None else _shown(row)
    if row is None:
        row = m.NotifyContact(scope=scope, recipient=recipient, channel=channel)
        session.add(row)
    row.subdistrict_id = subdistrict_id if scope == "subdistrict" else None
    row.unit = unit.strip() if scope == "unit" and unit else None
    row.address = _sealed_again(stored_address) if channel in vault.SEALED_CHANNELS \
        else stored_address
    row.secret = stored_secret
    row.lang = lang
    row.active = bool(active)
    row.updated_at = now_local()
    row.updated_by = actor.username
    session.flush()
    audit(session, actor, "notify.contact.save", "notify_contact", row.id, old, _shown(row))
    mark_changed(session, "settings")
    return row


def _sealed_again(stored: str | None) -> str | None:
    """Return a stored value sealed (a plain value from before sealing gets sealed now)."""
    return stored if stored is None or vault.is_sealed(stored) else vault.seal(stored)


def remove_contact(session: Session, actor: Actor, contact_id: int) -> None:
    """Delete a contact (its queued messages then fail instead of going out); audited."""
    require(actor, "notify.manage")
    row = session.get(m.NotifyContact, contact_id)
    if row is None:
        raise CivDataError("not_found", what=f"contact {contact_id}")
    old = _shown(row)
    session.execute(delete(m.NotifyContact).where(m.NotifyContact.id == contact_id))
    audit(session, actor, "notify.contact.remove", "notify_contact", contact_id, old, None)
    mark_changed(session, "settings")
    session.flush()


def contacts_table(session: Session, actor: Actor, lang: str = "zh") -> pd.DataFrame:
    """Return every contact with its subdistrict names; addresses and secrets masked."""
    require(actor, "notify.manage")
    rows = session.execute(
        select(m.NotifyContact.id, m.NotifyContact.scope, m.NotifyContact.subdistrict_id,
               m.Subdistrict.name_zh, m.Subdistrict.name_en, m.NotifyContact.unit,
               m.NotifyContact.channel, m.NotifyContact.address, m.NotifyContact.secret,
               m.NotifyContact.lang, m.NotifyContact.active, m.NotifyContact.updated_at,
               m.NotifyContact.updated_by)
        .outerjoin(m.Subdistrict, m.Subdistrict.id == m.NotifyContact.subdistrict_id)
        .order_by(m.NotifyContact.scope, m.NotifyContact.subdistrict_id, m.NotifyContact.unit,
                  m.NotifyContact.channel)).all()
    masked = [(*r[:7], shown_address(r.channel, r.address, lang),
               shown_secret(r.secret, lang), *r[9:])
              for r in rows]  # before pandas: a missing secret must not become NaN
    return pd.DataFrame(masked, columns=["id", "scope", "subdistrict_id", "name_zh", "name_en",
                                         "unit", "channel", "address", "secret", "lang",
                                         "active", "updated_at", "updated_by"])


def outbox_counts(session: Session, actor: Actor) -> dict[str, int]:
    """Return how many outbox messages are in each state."""
    require(actor, "notify.manage")
    rows = session.execute(select(m.OutboxMessage.status, func.count())
                           .group_by(m.OutboxMessage.status)).all()
    found = {status: int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in m.OUTBOX_STATUSES}


def failed_messages(session: Session, actor: Actor, limit: int = 200) -> pd.DataFrame:
    """Return the messages that finally failed, newest first."""
    require(actor, "notify.manage")
    o = m.OutboxMessage
    rows = session.execute(select(o.id, o.created_at, o.kind, o.recipient, o.channel, o.subject,
                                  o.attempts, o.last_error)
                           .where(o.status == "failed").order_by(o.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=["id", "created_at", "kind", "recipient", "channel",
                                       "subject", "attempts", "last_error"])
