"""Entry point: page config, login, navigation offered by role, the shared sidebar."""

from pathlib import Path

import streamlit as st

from ui import auth_gate, readers, warmup
from ui.deckchart import warm_maps
from ui.filters import language_switch, subdistrict_filter
from ui.i18n import t
from ui.nav import page_path, pages_for
from ui.plain import escape_md

st.set_page_config(page_title=t("auth.page_title"),
                   page_icon=str(Path(__file__).parent / "assets" / "favicon.png"), layout="wide")
language_switch()
warmup.start_import_warmup()  # once per process: the pages' modules load while people sign in
actor = auth_gate.current_actor()
if actor is None:
    st.session_state.pop("actor", None)
    # The login form answers at every page's URL: the link keeps its page and its query.
    gate = st.navigation(auth_gate.login_pages(), position="hidden")
    auth_gate.remember_target(gate.url_path, st.query_params.to_dict())
    gate.run()
    st.stop()

st.session_state["actor"] = actor
specs = pages_for(actor.role)
pages = {s.url_path: st.Page(page_path(s), title=t(s.title_key), icon=s.icon, url_path=s.url_path,
                             default=(i == 0)) for i, s in enumerate(specs)}
nav = st.navigation(list(pages.values()), expanded=True)  # every page in view, no "View more"
target = auth_gate.take_target()  # the page a signed-out link asked for, after sign-in
if target and target["page"] in pages and (pages[target["page"]] is not nav
                                           or target["query"] != st.query_params.to_dict()):
    st.switch_page(pages[target["page"]], query_params=target["query"])
subdistrict_filter(readers.subdistricts(readers.data_version()))
st.sidebar.caption(t("auth.signed_in_as", name=escape_md(actor.display_name or actor.username),
                     role=t(f"role.{actor.role}")))
if st.sidebar.button(t("auth.sign_out"), key="sign_out"):
    auth_gate.logout(actor)
    st.rerun()
with st.sidebar:
    warm_maps()  # nothing shows: the browser prepares the maps while the page is read
auth_gate.demo_banner()
with auth_gate.drawing_page():  # a page draws only inside this run (auth_gate.require_page)
    nav.run()
