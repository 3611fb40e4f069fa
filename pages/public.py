"""Report a problem (no sign-in): a citizen sends a photo, a location, a class, a description
and an optional phone number, gets a code, and looks up the status by that code."""

import streamlit as st

from ui import public as public_ui
from ui.i18n import t

st.title(t("public.title"))
st.caption(t("public.intro"))
report_tab, status_tab = st.tabs([t("public.tab.report"), t("public.tab.status")])
with report_tab:
    public_ui.report_form()
with status_tab:
    public_ui.status_lookup()
