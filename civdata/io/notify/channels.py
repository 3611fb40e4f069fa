"""The channels a message travels on: e-mail over SMTP, the WeCom and DingTalk group robots
(DingTalk signed), and a generic JSON webhook. Each send either returns or raises SendError."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, getaddresses

TIMEOUT_S = 10.0
WECOM_MAX_BYTES = 4096  # the WeCom robot refuses longer markdown content
DINGTALK_MAX_BYTES = 20000


class SendError(Exception):
    """A delivery that did not succeed; retry says whether trying again later may help."""

    def __init__(self, detail: str, retry: bool = True) -> None:
        super().__init__(detail)
        self.retry = retry


@dataclass(frozen=True)
class Outgoing:
    """What one send needs: the channel, where to, the secret, and the text."""

    channel: str
    address: str
    secret: str | None
    subject: str
    body: str
    event_key: str
    kind: str
    lang: str


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP relay every e-mail goes through (from the environment)."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False


def smtp_settings(environ: dict[str, str] | None = None) -> SmtpSettings | None:
    """Return the SMTP relay of CIVDATA_SMTP_* (None when CIVDATA_SMTP_HOST is not set)."""
    env = os.environ if environ is None else environ
    host = (env.get("CIVDATA_SMTP_HOST") or "").strip()
    if not host:
        return None
    ssl = env.get("CIVDATA_SMTP_SSL", "").lower() in ("1", "true", "yes")
    return SmtpSettings(host=host, port=int(env.get("CIVDATA_SMTP_PORT") or (465 if ssl else 25)),
                        sender=env.get("CIVDATA_SMTP_FROM") or "civdashboard@localhost",
                        user=env.get("CIVDATA_SMTP_USER") or None,
                        password=env.get("CIVDATA_SMTP_PASSWORD") or None,
                        starttls=env.get("CIVDATA_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
                        ssl=ssl)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's signature: HMAC-SHA256 of 'timestamp\\nsecret' keyed by the secret,
    base64, URL-encoded."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, digestmod=hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def dingtalk_url(webhook: str, secret: str | None, timestamp_ms: int | None = None) -> str:
    """Return the webhook URL with timestamp and sign appended when a secret is set."""
    if not secret:
        return webhook
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    sep = "&" if "?" in webhook else "?"
    return f"{webhook}{sep}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"


def webhook_signature(secret: str, body: bytes) -> str:
    """Return the generic webhook's signature header value: 'sha256=' + hex HMAC of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, digestmod=hashlib.sha256).hexdigest()


def _clip(text: str, max_bytes: int) -> str:
    """Return text cut to at most max_bytes of UTF-8 (whole characters), marked when cut."""
    raw = text.encode()
    if len(raw) <= max_bytes:
        return text
    return raw[: max_bytes - 8].decode(errors="ignore") + "\n…"


def _post_json(url: str, payload: dict, headers: dict[str, str] | None = None) -> dict | None:
    """POST payload as JSON; return the JSON reply (None when not JSON); raise SendError."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            text = resp.read(65536).decode(errors="replace")
    except urllib.error.HTTPError as err:
        retry = err.code >= 500 or err.code == 429
        raise SendError(f"HTTP {err.code}", retry=retry) from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise SendError(f"{type(err).__name__}: {getattr(err, 'reason', err)}"[:300]) from None
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


def _robot_reply_ok(reply: dict | None) -> None:
    """Raise SendError when a robot's reply carries a non-zero errcode."""
    if isinstance(reply, dict) and int(reply.get("errcode", 0) or 0) != 0:
        # 45009 / 130101: sent too often; worth trying later. Others: configuration errors.
        code = int(reply["errcode"])
        raise SendError(f"errcode {code}: {str(reply.get('errmsg', ''))[:200]}",
                        retry=code in (45009, 130101, -1))


def send_wecom(msg: Outgoing) -> None:
    """Send a markdown message to a WeCom group robot webhook."""
    content = _clip(f"**{msg.subject}**\n\n{msg.body}", WECOM_MAX_BYTES)
    _robot_reply_ok(_post_json(msg.address, {"msgtype": "markdown",
                                             "markdown": {"content": content}}))


def send_dingtalk(msg: Outgoing) -> None:
    """Send a markdown message to a DingTalk robot webhook, signed when a secret is set."""
    text = _clip(f"### {msg.subject}\n\n{msg.body}", DINGTALK_MAX_BYTES)
    _robot_reply_ok(_post_json(dingtalk_url(msg.address, msg.secret),
                               {"msgtype": "markdown",
                                "markdown": {"title": msg.subject[:64], "text": text}}))


def send_webhook(msg: Outgoing) -> None:
    """POST the event as JSON to a generic webhook (an HMAC signature header when a secret is set)."""
    payload = {"event": msg.event_key, "kind": msg.kind, "lang": msg.lang,
               "subject": msg.subject, "text": msg.body}
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"X-Civdata-Event": msg.event_key.encode("ascii", "replace").decode()}
    if msg.secret:
        headers["X-Civdata-Signature"] = webhook_signature(msg.secret, body)
    _post_json(msg.address, payload, headers)


def send_email(msg: Outgoing, smtp: SmtpSettings | None = None) -> None:
    """Send the message as a plain-text e-mail to the contact's address(es) through the relay."""
    smtp = smtp or smtp_settings()
    if smtp is None:
        raise SendError("CIVDATA_SMTP_HOST is not set", retry=False)
    recipients = [addr for _, addr in getaddresses([msg.address.replace(";", ",")]) if addr]
    if not recipients:
        raise SendError("no e-mail address", retry=False)
    mail = EmailMessage()
    mail["Subject"] = msg.subject
    mail["From"] = formataddr(("创城调度平台 Civilized City Dashboard", smtp.sender))
    mail["To"] = ", ".join(recipients)
    mail["X-Civdata-Event"] = msg.event_key
    mail.set_content(msg.body)
    try:
        cls = smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP
        with cls(smtp.host, smtp.port, timeout=TIMEOUT_S) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(mail, to_addrs=recipients)
    except smtplib.SMTPResponseException as err:
        raise SendError(f"SMTP {err.smtp_code}", retry=err.smtp_code >= 400 and err.smtp_code < 500
                        ) from None
    except (smtplib.SMTPException, OSError) as err:
        raise SendError(f"{type(err).__name__}: {err}"[:300]) from None


SENDERS = {"email": send_email, "wecom": send_wecom, "dingtalk": send_dingtalk,
           "webhook": send_webhook}


def send(msg: Outgoing) -> None:
    """Send msg on its channel; raise SendError when it did not go out."""
    SENDERS[msg.channel](msg)
