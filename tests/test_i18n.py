"""Every text key has Chinese and English, and every key the code asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

from ui.i18n import catalogue

ROOT = Path(__file__).resolve().parent.parent
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")


def test_every_key_has_both_languages() -> None:
    missing = [k for k, pair in catalogue().items()
               if len(pair) != 2 or not str(pair[0]).strip() or not str(pair[1]).strip()]
    assert missing == []
    assert len(catalogue()) > 50


def test_chinese_is_chinese() -> None:
    latin_only = [k for k, (zh, _) in catalogue().items()
                  if not re.search(r"[\u4e00-\u9fff]", zh) and not re.fullmatch(r"[\W\d{}_a-zA-Z%·]*", zh)]
    assert latin_only == []


def test_every_literal_key_used_in_code_exists() -> None:
    used = set()
    for folder in ("pages", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    used |= set(LITERAL_KEY.findall((ROOT / "dashboard.py").read_text(encoding="utf-8")))
    unknown = sorted(k for k in used if not k.endswith(".") and k not in catalogue())
    assert unknown == []
