"""Channel secrets at rest: webhook URLs (their tokens) and signing secrets are stored sealed
with Fernet (AES-128-CBC and HMAC-SHA256), keyed by a key derived from the installation's
secret (CIVDATA_SECRET or data/secret.key), as civdata.io.backup derives its signing key.

A sealed value starts with PREFIX; a value stored before sealing existed (plain text) is read
as it is, and migration 0012 seals those. Without the installation's secret nothing is stored:
a clear refusal, never plain text."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from civdata.core.errors import CivDataError

PREFIX = "enc:v1:"
SEALED_CHANNELS = ("wecom", "dingtalk", "webhook")  # their address carries the robot's token


def _installation_secret() -> str:
    """Return the installation's secret ('' when it is not set and cannot be made)."""
    from civdata.core.auth import secret_key

    try:
        return secret_key()
    except OSError:
        return ""


def key_from(secret: str) -> bytes:
    """Return the Fernet key derived from an installation secret (raise when it is blank)."""
    if not (secret or "").strip():
        raise CivDataError("notify_no_secret")
    digest = hashlib.sha256(b"civdata-notify-secrets\x00" + secret.strip().encode("utf-8"))
    return base64.urlsafe_b64encode(digest.digest())


def _fernet(installation: str | None = None) -> Fernet:
    """Return the Fernet of this installation (or of the given installation secret)."""
    return Fernet(key_from(_installation_secret() if installation is None else installation))


def is_sealed(value: str | None) -> bool:
    """Return whether a stored value is sealed."""
    return bool(value) and value.startswith(PREFIX)


def seal(value: str | None, installation: str | None = None) -> str | None:
    """Return value sealed for storage (None and '' stay None; a sealed value stays as it is)."""
    if not value:
        return None
    if is_sealed(value):
        return value
    return PREFIX + _fernet(installation).encrypt(value.encode("utf-8")).decode("ascii")


def unseal(value: str | None, installation: str | None = None) -> str | None:
    """Return a stored value in plain text (a plain value from before sealing as it is); raise
    CivDataError when it was sealed with another installation's secret."""
    if not is_sealed(value):
        return value or None
    try:
        return _fernet(installation).decrypt(value[len(PREFIX):].encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        raise CivDataError("notify_secret_unreadable") from None


def seal_address(channel: str, address: str, installation: str | None = None) -> str:
    """Return an address as stored: a robot or webhook URL sealed, an e-mail address as is."""
    return seal(address, installation) if channel in SEALED_CHANNELS else address
