"""Login, role navigation, the users page and the audit page through AppTest."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from civdata.core import models as m
from tests.conftest import ROOT
from tests.pages.apptest import DASHBOARD, offered_pages, open_page, signed_in
from ui.nav import PAGES

DOMAIN_PAGES = {"overview.py", "map.py", "problems.py", "renovation.py", "markets.py",
                "volunteers.py", "weekly.py"}
RHYTHM_PAGES = {"daily.py", "monthly.py"}  # issue 21: leader, office, subdistrict staff
NAVIGATION = {
    "leader": DOMAIN_PAGES | {"readiness.py"} | RHYTHM_PAGES,
    "office": DOMAIN_PAGES | {"readiness.py", "data.py", "audit.py", "contacts.py", "report.py",
                              "moderation.py"} | RHYTHM_PAGES,
    "nanhu": DOMAIN_PAGES | {"readiness.py", "data.py", "report.py"} | RHYTHM_PAGES,
    "market": DOMAIN_PAGES | {"data.py", "report.py"},
    "admin": DOMAIN_PAGES | {"audit.py", "users.py"},
}


@pytest.mark.parametrize("user", sorted(NAVIGATION))
def test_each_role_gets_its_navigation(sample_db, user: str) -> None:
    at = signed_in(user)
    assert offered_pages(at) == NAVIGATION[user]
    assert at.title[0].value.startswith("创城总览")
    missing = {"data.py", "audit.py", "users.py"} - NAVIGATION[user]
    for page in missing:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{page}")


def test_login_page_comes_first_and_wrong_password_is_refused(sample_db) -> None:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    assert at.title[0].value == "登录"
    # nothing but the login form, answering at /login and at every page's URL, and the one
    # public page (issue 20: citizens report without an account)
    assert {p["script_path"] for p in at._registered_pages.values()} == {
        "", str(ROOT / "pages" / "public.py")}
    assert {p["url_pathname"] for p in at._registered_pages.values()} == {
        "", *(s.url_path for s in PAGES), "public"}
    at.text_input(key="login_username").input("office")
    at.text_input(key="login_password").input("not-the-password")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    assert at.title[0].value == "登录"
    at.text_input(key="login_username").input("nobody")
    at.text_input(key="login_password").input("whatever")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == ["用户名或密码错误。"]


def test_demo_banner_is_visible(sample_db) -> None:
    at = signed_in("leader")
    assert any("演示账号" in w.value for w in at.sidebar.warning)


def test_admin_creates_a_user_and_the_audit_page_lists_it(sample_db, sample_session) -> None:
    at = open_page(signed_in("admin"), "users")
    assert "nanhu" in list(at.dataframe[0].value["用户名"])
    at.text_input(key="new_username").input("xita-staff")
    at.text_input(key="new_password").input("s3cret-pass")
    at.selectbox(key="new_role").select("subdistrict")
    at.selectbox(key="new_sub").select("xita")
    at.button[0].click()  # the create form's submit button comes first
    at.run()
    assert not at.error, [e.value for e in at.error]
    user = sample_session.scalar(select(m.User).where(m.User.username == "xita-staff"))
    assert user is not None and user.role == "subdistrict"
    assert "s3cret-pass" not in user.password_hash
    assert "xita-staff" in list(at.dataframe[0].value["用户名"])
    open_page(at, "audit")
    rows = at.dataframe[0].value
    assert "xita-staff" in " ".join(rows["新值"].astype(str))
    assert set(rows["操作人"]) >= {"admin"}


def test_weak_password_shows_message_and_writes_nothing(sample_db, sample_session) -> None:
    at = open_page(signed_in("admin"), "users")
    before = len(sample_session.scalars(select(m.User)).all())
    at.text_input(key="new_username").input("weak")
    at.text_input(key="new_password").input("123")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == ["密码至少需要 8 个字符。"]
    sample_session.expire_all()
    assert len(sample_session.scalars(select(m.User)).all()) == before


SSO_SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                        "cookie_secret": "x" * 32, "client_id": "dashboard",
                        "client_secret": "y" * 16,
                        "server_metadata_url": "https://sso.example.org/.well-known/openid-configuration"}}


def test_single_sign_on_maps_the_email_to_a_role(sample_db, sample_session) -> None:
    from civdata.core import auth

    auth.create_user(sample_session, auth.Actor("t", "admin"), "sso-market", "password123",
                     "market", email="inspector@heping.example")
    sample_session.commit()
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.secrets.update(SSO_SECRETS)
    at.user = {"is_logged_in": True, "email": "inspector@heping.example"}
    at.run()
    assert not at.exception
    assert at.title[0].value.startswith("创城总览")
    assert "data.py" in offered_pages(at) and "users.py" not in offered_pages(at)


def test_single_sign_on_button_and_unknown_email(sample_db) -> None:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.secrets.update(SSO_SECRETS)
    at.user = {"is_logged_in": True, "email": "stranger@example.org"}
    at.run()
    assert at.title[0].value == "登录"
    assert "使用单点登录" in [b.proto.label for b in at.button]


def test_tables_offer_csv_and_excel_downloads(sample_db) -> None:
    at = signed_in("office")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("下载 CSV") >= 1 and labels.count("下载 Excel") >= 1
    for page in ("markets", "renovation", "problems"):
        open_page(at, page)
        assert len(at.get("download_button")) >= 2, page


REFUSAL = "请先登录：此页面只对有权查看它的已登录账号显示。"


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_a_page_file_run_on_its_own_shows_nothing_but_a_refusal(sample_db, spec) -> None:
    """Streamlit's legacy pages/ mode runs a page file without dashboard.py (issue 15.1)."""
    at = AppTest.from_file(str(ROOT / spec.file), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [REFUSAL]
    assert list(at.main.children.values()) == [at.error[0]]  # nothing else is drawn
    assert not at.sidebar.children


@pytest.mark.parametrize("inside", [True, False])
def test_a_page_refuses_a_role_that_navigation_does_not_offer_it(sample_db, monkeypatch,
                                                                 inside: bool) -> None:
    """The guard checks the role against ui.nav: a leader may not see users or audit."""
    from civdata.core.auth import Actor
    from ui import auth_gate

    monkeypatch.setattr(auth_gate, "inside_app", lambda: inside)
    for page in ("users", "audit", "data"):
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
        at.session_state["actor"] = Actor("leader", "leader")
        at.run()
        assert not at.exception, at.exception
        assert [e.value for e in at.error] == [REFUSAL]
        assert list(at.main.children.values()) == [at.error[0]]


@pytest.mark.parametrize(("lang", "title"), [("zh", "和平区文明城市创建指挥平台"),
                                             ("en", "Heping Civilized City Dashboard")])
def test_the_browser_tab_title_follows_the_language(sample_db, monkeypatch, lang: str,
                                                     title: str) -> None:
    """Issue 16.7: set_page_config's page_title comes from the catalogue."""
    import streamlit as st

    titles: list[str] = []
    real = st.set_page_config

    def record(*args, **kwargs):
        titles.append(kwargs.get("page_title"))
        return real(*args, **kwargs)

    monkeypatch.setattr(st, "set_page_config", record)
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    assert titles == [title]
