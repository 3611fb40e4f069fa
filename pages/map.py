"""Map page: filled in by its own issue."""

import streamlit as st

from ui.i18n import t

st.title(t("map.title"))
st.info(t("common.coming", what=t("map.what")))
