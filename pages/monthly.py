"""Monthly scheduling and assessment (月调度 / 考核): scores and ranks, a month against the last."""

import streamlit as st

from civdata.core.clock import today_local
from ui import daily as daily_ui
from ui import forms, readers
from ui import monthly as monthly_ui
from ui.auth_gate import require_page
from ui.filters import selected_subdistrict
from ui.i18n import t

actor = require_page(__file__)
version = readers.data_version()
chosen = selected_subdistrict()[0]
sub_id = daily_ui.scope(actor, chosen)
st.title(f"{t('monthly.title')} · {daily_ui.scope_name(sub_id)}")
st.caption(t("monthly.what"))
forms.show_flash()
month = monthly_ui.month_choice(today_local())
snap = monthly_ui.snapshot(version, month)
st.caption(t("monthly.span", first=snap["first"], last=snap["last"],
             previous=snap["previous_month"]))
if snap.get("record"):
    st.info(monthly_ui.status_caption(snap), icon=":material/lock:")
else:
    st.success(monthly_ui.status_caption(snap), icon=":material/sensors:")
monthly_ui.downloads(snap)
monthly_ui.close_control(actor, snap)

if not snap["subdistricts"]:
    st.info(t("monthly.empty"))
    st.stop()
monthly_ui.draw_headline(snap, sub_id)

st.subheader(t("monthly.section.subdistricts"))
st.caption(t("monthly.rank_note"))
monthly_ui.subdistrict_ranking(snap, sub_id, own_only=actor.subdistrict_id is not None)

if actor.subdistrict_id is None:
    st.subheader(t("monthly.section.units"))
    monthly_ui.unit_ranking(snap)

st.subheader(t("monthly.section.indicators"))
monthly_ui.indicators_table(snap)
monthly_ui.settings_form(actor, monthly_ui.indicators(version))
