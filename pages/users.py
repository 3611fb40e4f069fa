"""Users (admin): accounts, roles and subdistricts; create, reset, disable."""

import streamlit as st

from ui import forms, readers
from ui.admin import create_user_form, manage_user_form, users
from ui.auth_gate import require_page
from ui.i18n import name_col, t

require_page(__file__)
st.title(t("users.title"))
st.caption(t("users.what"))
actor = st.session_state["actor"]
forms.show_flash()
accounts = users()
if accounts.empty:
    st.info(t("common.no_data"))
else:
    st.dataframe(accounts.rename(columns={c: t(f"users.col.{c}") for c in accounts.columns}),
                 hide_index=True, width="stretch")
subs = readers.subdistricts(readers.data_version())
create_user_form(actor, dict(zip(subs["code"], subs[name_col()], strict=True)))
manage_user_form(actor, list(accounts["username"]))
