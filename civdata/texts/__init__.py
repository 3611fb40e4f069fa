"""The one text catalogue: each module here maps its keys to (Chinese, English) texts.

Pages read it through `ui.i18n.t`; the data layer, the command line and the reports through
`text(key, lang, **params)`. A parameter may be a `Term` (another key, shown in the message's
language), and an English template may write `{name:lower}` to lower-case a name in a sentence.
A new area adds a module with `TEXTS = {key: (zh, en)}`; a key defined twice raises.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

LANGS = ("zh", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, tuple[str, str]]:
    """Return every text key with its (zh, en) pair, merged from civdata/texts/*.py."""
    merged: dict[str, tuple[str, str]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for key, pair in module.TEXTS.items():
            if key in merged:
                raise KeyError(f"text key {key!r} defined twice (second time in {info.name}.py)")
            merged[key] = pair
    return merged


@dataclass(frozen=True)
class Term:
    """A catalogue key given as a parameter, shown in the language of the text it fills
    (default: what to show when the catalogue has no such key; the key itself when None)."""

    key: str
    default: str | None = None


class _Word(str):
    """A parameter's text; the format spec 'lower' lower-cases it (names inside sentences)."""

    def __format__(self, spec: str) -> str:
        return self.lower() if spec == "lower" else str.__format__(str(self), spec)


def _value(value: Any, lang: str) -> Any:
    """Return a parameter ready for str.format in lang: a Term as its text, text as a _Word."""
    if isinstance(value, Term):
        pair = catalogue().get(value.key)
        if pair is None:
            return _Word(value.key if value.default is None else value.default)
        return _Word(pair[0] if lang == "zh" else pair[1])
    return _Word(value) if isinstance(value, str) else value


def fill(template: str, lang: str, params: dict[str, Any]) -> str:
    """Return template formatted with params in lang (raises KeyError on a missing parameter)."""
    return template.format(**{k: _value(v, lang) for k, v in params.items()})


def text(key: str, lang: str = "zh", /, **params: Any) -> str:
    """Return the text of key in lang ('zh' or 'en'), formatted with params; the key when unknown."""
    pair = catalogue().get(key)
    if pair is None:
        return key
    template = pair[0] if lang == "zh" else pair[1]
    return fill(template, lang, params) if params else template


def both(key: str, **params: Any) -> tuple[str, str]:
    """Return the (zh, en) texts of key, formatted with params."""
    return text(key, "zh", **params), text(key, "en", **params)
