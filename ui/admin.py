"""Users and audit: reads and forms for the admin and audit pages."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from civdata.core import auth
from civdata.core.auth import Actor
from ui import forms, readers
from ui.i18n import t

ROLES = ["leader", "office", "subdistrict", "market", "admin"]


def users() -> pd.DataFrame:
    """Return every account (no password hashes)."""
    with readers.session() as s:
        return auth.users_table(s)


def audit_rows(actor: Actor, username: str | None, table: str | None, since: date | None,
               until: date | None) -> pd.DataFrame:
    """Return audit rows for the filters (the data layer checks the permission)."""
    with readers.session() as s:
        return auth.audit_log(s, actor, username or None, table or None, since, until)


def create_user_form(actor: Actor, subdistrict_codes: dict[str, str]) -> None:
    """Draw the form that creates an account."""
    with st.form("create_user", clear_on_submit=True):
        st.subheader(t("users.create"))
        c1, c2, c3 = st.columns(3)
        username = c1.text_input(t("auth.username"), key="new_username")
        display = c2.text_input(t("users.display_name"), key="new_display")
        email = c3.text_input(t("users.email"), key="new_email")
        c4, c5, c6 = st.columns(3)
        role = c4.selectbox(t("users.role"), ROLES, key="new_role",
                            format_func=lambda r: t(f"role.{r}"))
        sub = c5.selectbox(t("common.subdistrict"), ["", *subdistrict_codes], key="new_sub",
                           format_func=lambda c: subdistrict_codes.get(c, "—"))
        password = c6.text_input(t("auth.password"), type="password", key="new_password")
        if st.form_submit_button(t("users.create"), type="primary"):
            forms.submit(lambda s: auth.create_user(s, actor, username, password, role, sub or None,
                                                    display or None, email or None),
                         t("users.saved"))


def manage_user_form(actor: Actor, usernames: list[str]) -> None:
    """Draw the form that resets a password or enables/disables an account."""
    with st.form("manage_user", clear_on_submit=True):
        st.subheader(t("users.manage"))
        c1, c2, c3 = st.columns(3)
        username = c1.selectbox(t("auth.username"), usernames, key="manage_username")
        password = c2.text_input(t("users.new_password"), type="password", key="manage_password")
        active = c3.selectbox(t("users.active"), ["keep", "enable", "disable"], key="manage_active",
                              format_func=lambda v: t(f"users.active.{v}"))
        if st.form_submit_button(t("users.apply")):
            forms.submit(lambda s: _apply_changes(s, actor, username, password, active),
                         t("users.saved"))


def _apply_changes(session, actor: Actor, username: str, password: str, active: str) -> None:
    """Set a new password and/or the active flag in one transaction."""
    if password:
        auth.set_password(session, actor, username, password)
    if active != "keep":
        auth.set_user_active(session, actor, username, active == "enable")
