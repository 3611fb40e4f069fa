"""Data page: import templates, validated uploads with a row-by-row check, Open311 exports."""

import streamlit as st

from civdata.auth import can
from ui import data
from ui import data_page as dp
from ui.auth_gate import require_page
from ui.filters import selected_subdistrict
from ui.i18n import t

require_page(__file__)
st.title(t("data.title"))
actor = st.session_state.get("actor")
version = data.data_version()
sub_id, _ = selected_subdistrict()

dp.templates_section(version)
st.divider()
if can(actor, "data.import"):
    dp.upload_section(actor, version)
else:
    st.info(t("data.not_allowed"))
st.divider()
dp.exports_section(version, sub_id)
