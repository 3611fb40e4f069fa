"""Audit log (office, admin): who changed what and when, with old and new values."""

from datetime import timedelta

import streamlit as st

from civdata.core.clock import today_local
from ui.admin import audit_rows
from ui.auth_gate import require_page
from ui.downloads import download_table
from ui.i18n import t
from ui.problems import problem_links

require_page(__file__)
st.title(t("audit.title"))
st.caption(t("audit.what"))
actor = st.session_state["actor"]
c1, c2, c3 = st.columns([1, 1, 2])
username = c1.text_input(t("audit.user"), key="audit_user")
table = c2.text_input(t("audit.table"), key="audit_table")
today = today_local()
period = c3.date_input(t("audit.period"), value=(today - timedelta(days=30), today),
                       key="audit_period")
since, until = (period if isinstance(period, tuple) and len(period) == 2 else (None, None))
rows = audit_rows(actor, username.strip(), table.strip(), since, until)
st.metric(t("audit.count"), len(rows))
if rows.empty:
    st.info(t("common.no_data"))
else:
    st.dataframe(problem_links(rows).rename(columns={c: t(f"audit.col.{c}") for c in rows.columns}
                                            | {"problem": t("audit.col.problem")}),
                 hide_index=True, width="stretch", column_config={
                     t("audit.col.problem"): st.column_config.LinkColumn(
                         display_text=r"problem=(\w+)", help=t("audit.problem_help"))})
    download_table(rows, "audit_log", key="audit")
