"""Daily report (日报): a chosen day against the day before, with Word and group-message exports."""

import streamlit as st

from civdata.core.clock import today_local
from ui import daily as daily_ui
from ui import readers
from ui.auth_gate import require_page
from ui.filters import selected_subdistrict
from ui.i18n import t

actor = require_page(__file__)
version = readers.data_version()
chosen = selected_subdistrict()[0]
sub_id = daily_ui.scope(actor, chosen)
st.title(f"{t('daily.title')} · {daily_ui.scope_name(sub_id)}")
st.caption(t("daily.what"))
day = daily_ui.day_choice(today_local())
rep = daily_ui.report(version, day, sub_id)
st.caption(daily_ui.status_caption(rep))
daily_ui.downloads(rep)

st.subheader(t("daily.section.summary"))
daily_ui.draw_figures(rep)

st.subheader(t("daily.section.serious"))
daily_ui.draw_serious(rep)

left, right = st.columns([3, 2])
with left:
    st.subheader(t("daily.section.classes"))
    daily_ui.show_table(daily_ui.class_table(rep), t("daily.section.classes"), key="daily_classes")
with right:
    st.subheader(t("daily.section.escalations"))
    daily_ui.show_table(daily_ui.escalation_table(rep))

if sub_id is None:
    st.subheader(t("daily.section.subdistricts"))
    daily_ui.show_table(daily_ui.subdistrict_table(rep), t("daily.section.subdistricts"),
                        key="daily_subdistricts")

left, right = st.columns(2)
with left:
    st.subheader(t("daily.section.markets"))
    failed = daily_ui.failed_table(rep)
    if failed.empty:
        st.info(t("daily.empty_rows"))
    else:
        daily_ui.show_table(failed)
with right:
    st.subheader(t("daily.section.slipping"))
    slipping = daily_ui.slipping_table(rep)
    if slipping.empty:
        st.info(t("daily.empty_rows"))
    else:
        daily_ui.show_table(slipping)
