"""Errors the data layer raises; their messages are the catalogue's texts "error.<code>"
(civdata/texts/errors.py)."""

from __future__ import annotations

from typing import Any

from civdata.texts import fill, text


class CivDataError(Exception):
    """A refused request: carries a message code and its parameters, shown in either language."""

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "zh") -> str:
        """Return the message in lang ('zh' or 'en')."""
        template = text(f"error.{self.code}", lang)
        if template == f"error.{self.code}":
            return self.code
        params = dict(self.params)
        if lang == "zh":  # a parameter's Chinese variant (name_zh for a record's name) wins
            params.update({k[:-3]: v for k, v in self.params.items() if k.endswith("_zh")})
        try:
            return fill(template, lang, params)
        except (KeyError, IndexError):
            return template

    def __str__(self) -> str:
        return self.message("en")


class PermissionDenied(CivDataError):
    """A write that the acting user's role does not allow."""


class StaleEdit(CivDataError):
    """An edit based on an older version of a record than the stored one."""
