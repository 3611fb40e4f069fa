"""Entry point: page config, login, navigation offered by role, the shared sidebar."""

from pathlib import Path

import streamlit as st

from ui import auth_gate, data
from ui.filters import language_switch, subdistrict_filter
from ui.i18n import t
from ui.nav import page_path, pages_for

st.set_page_config(page_title="和平区文明城市创建指挥平台", page_icon=str(Path(__file__).parent / "assets" / "favicon.png"),
                   layout="wide")
language_switch()
actor = auth_gate.current_actor()
if actor is None:
    login = st.navigation([st.Page(auth_gate.login_page, title=t("auth.title"), url_path="login",
                                   default=True)], position="hidden")
    login.run()
    st.stop()

st.session_state["actor"] = actor
specs = pages_for(actor.role)
pages = [st.Page(page_path(s), title=t(s.title_key), icon=s.icon, url_path=s.url_path,
                 default=(i == 0)) for i, s in enumerate(specs)]
nav = st.navigation(pages)
subdistrict_filter(data.subdistricts(data.data_version()))
st.sidebar.caption(t("auth.signed_in_as", name=actor.display_name or actor.username,
                     role=t(f"role.{actor.role}")))
if st.sidebar.button(t("auth.sign_out"), key="sign_out"):
    auth_gate.logout(actor)
    st.rerun()
auth_gate.demo_banner()
nav.run()
