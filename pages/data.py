"""Data page: import templates, validated uploads with a row-by-row check, Open311 exports."""

import streamlit as st

from civdata.core.auth import can
from ui import imports, readers
from ui.auth_gate import require_page
from ui.filters import selected_subdistrict
from ui.i18n import t

require_page(__file__)
st.title(t("data.title"))
actor = st.session_state.get("actor")
version = readers.data_version()
sub_id, _ = selected_subdistrict()

imports.templates_section(version)
st.divider()
if can(actor, "data.import"):
    imports.upload_section(actor, version)
else:
    st.info(t("data.not_allowed"))
st.divider()
imports.exports_section(version, sub_id)
