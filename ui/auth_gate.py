"""The login gate: the signed session cookie, the login form, logout and single sign-on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from civdata.core import auth
from civdata.core.auth import Actor
from civdata.core.config import PROJECT_ROOT
from ui import nav, readers
from ui.i18n import current_lang, t

COOKIE = "civ_session"
ENTRY_POINT = str(PROJECT_ROOT / "dashboard.py")
TARGET_KEY = "civ_target"  # the page and query a signed-out visitor asked for
_COOKIE_JS = """
export default function(component) {
  const { data } = component;
  if (!data || !data.name) { return; }
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  const value = data.value ? encodeURIComponent(data.value) : "";
  document.cookie = data.name + "=" + value + "; Path=/; Max-Age=" + data.max_age +
    "; SameSite=Strict" + secure;
}
"""
_drawing = threading.local()  # .page is True while dashboard.py runs the page of this thread


@st.cache_resource(show_spinner=False)
def _cookie_writer():
    """Return the mount command of the tiny component that writes the session cookie."""
    return st.components.v2.component("civ_cookie_writer", js=_COOKIE_JS)


def _write_cookie(value: str, max_age: int) -> None:
    """Set (or, with max_age 0, delete) the session cookie in the browser."""
    _cookie_writer()(key="civ_cookie", data={"name": COOKIE, "value": value, "max_age": max_age})


def sso_configured() -> bool:
    """Return True when .streamlit/secrets.toml has an [auth] section."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, Exception):
        return False


def current_actor() -> Actor | None:
    """Return the signed-in actor from this session, the session cookie or single sign-on."""
    logged_out = bool(st.session_state.get("civ_logged_out"))
    token = st.session_state.get("civ_token")
    if not logged_out and not token:
        token = st.context.cookies.get(COOKIE)
    with readers.session() as s:
        actor = auth.actor_from_token(s, token)
        if actor is None and sso_configured() and getattr(st.user, "is_logged_in", False):
            actor = auth.actor_for_email(s, st.user.get("email"))
            if actor is not None:
                token = auth.issue_token(s, actor.username)
    # The cookie component is mounted at most once per run, here.
    if actor is not None and token:
        st.session_state["civ_token"] = token
        if st.context.cookies.get(COOKIE) != token:
            _write_cookie(token, auth.TOKEN_MAX_AGE_S)
    elif logged_out and st.context.cookies.get(COOKIE):
        _write_cookie("", 0)
    return actor


def login_page() -> None:
    """Draw the login form; on success store the token and rerun."""
    st.title(t("auth.title"))
    st.caption(t("auth.subtitle"))
    with st.form("login", clear_on_submit=False):
        username = st.text_input(t("auth.username"), key="login_username")
        password = st.text_input(t("auth.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary")
    if submitted:
        with readers.session() as s:
            result = auth.authenticate(s, username or "", password or "")
            s.commit()
            if result.delay_s:
                time.sleep(result.delay_s)
            if result.error is not None:
                st.error(result.error.message(current_lang()))
                return
            token = auth.issue_token(s, result.actor.username)
        st.session_state["civ_token"] = token
        st.session_state.pop("civ_logged_out", None)
        st.rerun()
    if sso_configured():
        st.divider()
        if st.button(t("auth.sso")):
            st.login()


def logout(actor: Actor) -> None:
    """End this user's sessions, delete the cookie and return to the login page."""
    with readers.session() as s:
        auth.end_sessions(s, actor.username)
        s.commit()
    st.session_state.pop("civ_token", None)
    st.session_state["civ_logged_out"] = True  # the next run deletes the cookie
    if sso_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def demo_banner() -> None:
    """Show a warning while demo accounts exist."""
    with readers.session() as s:
        demo = auth.demo_accounts_exist(s)
    if demo:
        st.sidebar.warning(t("auth.demo_banner"))


def login_pages() -> list[st.Page]:
    """Return the login form registered at /login (default) and at every page's URL path, so
    that a signed-out link opens the login form, never "Page not found"."""
    title = t("auth.title")
    return [st.Page(login_page, title=title, url_path="login", default=True),
            *(st.Page(login_page, title=title, url_path=s.url_path, visibility="hidden")
              for s in nav.PAGES),
            # issue 20: the public report page, the one page served without sign-in
            *(st.Page(nav.page_path(s), title=t(s.title_key), url_path=s.url_path,
                      visibility="hidden") for s in nav.PUBLIC_PAGES)]


def remember_target(url_path: str, query: dict[str, str]) -> None:
    """Remember the page (if it is one of the app's) and query a signed-out visitor opened."""
    if nav.spec_for_path(url_path) is not None:
        st.session_state[TARGET_KEY] = {"page": url_path, "query": dict(query)}


def take_target() -> dict | None:
    """Return and forget the page and query remembered before sign-in, if any."""
    return st.session_state.pop(TARGET_KEY, None)


@contextmanager
def drawing_page() -> Iterator[None]:
    """Mark the script run of this thread as dashboard.py drawing the page it navigated to."""
    _drawing.page = True
    try:
        yield
    finally:
        _drawing.page = False


def inside_app() -> bool:
    """Return True when dashboard.py's navigation is drawing the page now running."""
    return bool(getattr(_drawing, "page", False))


def _refuse() -> None:
    """Show the refusal and stop the script: nothing of the page is drawn."""
    st.error(t("auth.page_refused"))
    st.stop()


def require_page(page_file: str) -> Actor:
    """Return the signed-in actor, or stop the page: a page draws only for a signed-in user
    whose role ui.nav offers it."""
    spec = nav.spec_for_file(page_file)
    actor = st.session_state.get("actor")  # set by dashboard.py after checking the session
    allowed = actor is not None and spec is not None and actor.role in spec.roles
    if not allowed and not inside_app():
        # Run on its own: Streamlit's legacy pages/ mode serves pages/*.py directly until the
        # entry point has called st.navigation once. Go to the entry point, which signs in
        # first and then opens the page asked for.
        query = st.query_params.to_dict()
        if spec is not None:
            remember_target(spec.url_path, query)
        try:
            st.switch_page(ENTRY_POINT, query_params=query)
        except st.errors.StreamlitAPIException:  # no app around this page (a test runs it alone)
            _refuse()
    if not allowed:
        _refuse()
    return actor
