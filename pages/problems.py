"""Problems page: filled in by its own issue."""

import streamlit as st

from ui.i18n import t

st.title(t("problems.title"))
st.info(t("common.coming", what=t("problems.what")))
