"""Moderation (office): citizens' reports from /public and 12345 hotline orders, accepted as
problems, rejected with a reason the citizen sees, or merged into an existing problem."""

import streamlit as st

from ui import forms, readers
from ui import moderation as moderation_ui
from ui.auth_gate import require_page
from ui.i18n import t

actor = require_page(__file__)
st.title(t("moderation.title"))
st.caption(t("moderation.what"))
forms.show_flash()
rows = moderation_ui.queue(readers.data_version())
st.metric(t("moderation.count", n=len(rows)), len(rows))
if rows.empty:
    st.info(t("moderation.empty"))
    st.stop()
st.dataframe(moderation_ui.queue_table(rows), hide_index=True, width="stretch")
moderation_ui.decision_form(actor, rows)
