"""Every text key has Chinese and English, and every key the code asks for exists: the pages'
t() keys, the codes the data layer raises, the permissions, roles, statuses and stages."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from civdata import texts
from civdata.core import auth
from civdata.core import models as m
from civdata.core.errors import CivDataError, PermissionDenied
from civdata.domain import metrics, workflow
from civdata.io import importers
from civdata.texts import Term, catalogue, text
from ui.i18n import catalogue as ui_catalogue

ROOT = Path(__file__).resolve().parent.parent
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")
TEXT_KEY = re.compile(r"""\btext\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")
RAISED_CODE = re.compile(r"""\b(?:CivDataError|PermissionDenied|StaleEdit)\(\s*["']([a-z0-9_]+)["']""")


def _sources(*folders: str) -> str:
    """Return the text of every Python file under folders (and dashboard.py)."""
    parts = [(ROOT / "dashboard.py").read_text(encoding="utf-8")]
    for folder in folders:
        parts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / folder).rglob("*.py"))]
    return "\n".join(parts)


def _fields(template: str) -> set[str]:
    """Return the parameter names a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_has_both_languages() -> None:
    missing = [k for k, pair in catalogue().items()
               if len(pair) != 2 or not str(pair[0]).strip() or not str(pair[1]).strip()]
    assert missing == []
    assert len(catalogue()) > 50


def test_chinese_is_chinese() -> None:
    latin_only = [k for k, (zh, _) in catalogue().items()
                  if not re.search(r"[\u4e00-\u9fff]", zh) and not re.fullmatch(r"[\W\d{}_a-zA-Z%·]*", zh)]
    assert latin_only == []


def test_both_languages_take_the_same_parameters() -> None:
    differ = [k for k, (zh, en) in catalogue().items() if _fields(zh) != _fields(en)]
    assert differ == []


def test_the_pages_read_the_one_catalogue() -> None:
    assert ui_catalogue is catalogue


def test_every_literal_key_used_in_code_exists() -> None:
    used = set(LITERAL_KEY.findall(_sources("pages", "ui")))
    used |= set(TEXT_KEY.findall(_sources("civdata", "ui")))
    unknown = sorted(k for k in used if not k.endswith(".") and k not in catalogue())
    assert unknown == []


def test_every_error_code_raised_has_a_message() -> None:
    codes = set(RAISED_CODE.findall(_sources("civdata", "ui", "pages")))
    codes |= {rule.refusal for rule in auth.SCOPE_RULES.values()}
    assert len(codes) > 100
    assert sorted(c for c in codes if f"error.{c}" not in catalogue()) == []


def test_every_permission_role_status_and_stage_is_named() -> None:
    keys = ([f"permission.{a}" for a in auth.PERMISSIONS] + [f"role.{r}" for r in m.ROLES]
            + [f"problem.status.{s}" for tr in workflow.TRANSITIONS.values()
               for s in (tr.from_status, tr.to_status)]
            + [f"workflow.action.{a}" for a in (*workflow.TRANSITIONS, "reopen")]
            + [f"project.stage.{s}" for s in metrics.STAGE_ORDER]
            + [f"import.kind.{k}" for k in importers.KINDS])
    assert sorted(k for k in keys if k not in catalogue()) == []


def test_a_key_defined_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import civdata.texts.common as common

    monkeypatch.setitem(common.TEXTS, "role.leader", ("区领导", "Leader"))
    texts.catalogue.cache_clear()
    try:
        with pytest.raises(KeyError, match="role.leader"):
            texts.catalogue()
    finally:
        monkeypatch.undo()
        texts.catalogue.cache_clear()


def test_text_formats_terms_in_the_language_asked() -> None:
    assert text("no.such.key", "en") == "no.such.key"
    err = CivDataError("bad_transition", state=Term("problem.status.submitted"),
                       action=Term("workflow.action.assign"))
    assert err.message("zh") == "问题状态为“待复核”，不能执行“交办”。"
    assert err.message("en") == "The problem is 'submitted'; 'assign' is not possible now."
    assert CivDataError("no_such_code").message("en") == "no_such_code"


def test_a_refusal_names_role_and_action_from_the_catalogue() -> None:
    err = auth._refusal(auth.Actor("x", "office"), "user.manage")
    assert isinstance(err, PermissionDenied)
    assert err.message("zh") == "无权操作：区文明办角色不能管理用户。"
    assert err.message("en") == "Not allowed: the civilization office role may not manage users."
    stranger = auth._refusal(auth.Actor("x", "visitor"), "user.manage")
    assert stranger.message("en") == "Not allowed: the visitor role may not manage users."


def test_statuses_roles_and_stages_are_named_once() -> None:
    """A problem status, a role or a project stage has one text, in vocabulary.py, that every
    page, message and export reads (they were restated per page and per module, and drifted)."""
    word = re.compile(r"(?:[a-z_]+\.)*(?:status\.(?:discovered|assigned|rectifying|submitted|closed)"
                      r"|stage\.(?:planned|bidding|under_construction|completed)"
                      r"|role\.(?:leader|office|subdistrict|market|admin))")
    restated = [k for k in catalogue() if word.fullmatch(k)
                and not k.startswith(("problem.status.", "project.stage.", "role."))]
    assert restated == []


def test_a_field_name_in_a_message_follows_its_language() -> None:
    from civdata.domain import volunteers

    with pytest.raises(CivDataError) as err:
        volunteers._required_text("x" * (volunteers.MAX_TEXT + 1), "title")
    assert err.value.message("zh") == f"无效的值：活动名称（> {volunteers.MAX_TEXT}）。"
    assert err.value.message("en") == f"Invalid value: title (> {volunteers.MAX_TEXT})."
