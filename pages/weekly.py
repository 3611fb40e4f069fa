"""Weekly meeting: one week beside the last, red/black lists, overdue, follow-ups, exports."""

import streamlit as st

from civdata.core.clock import today_local
from ui import readers
from ui import weekly as weekly_ui
from ui.auth_gate import require_page
from ui.filters import selected_subdistrict
from ui.i18n import t
from ui.live import live_status

require_page(__file__)
actor = st.session_state.get("actor")
version = readers.data_version()
present = weekly_ui.presenting()
if present:
    week = weekly_ui.normalised_week(st.query_params.get("week"))
else:
    st.title(t("weekly.title"))
    week = weekly_ui.week_choice(today_local())
snap = weekly_ui.snapshot(version, week, weekly_ui.taken_at(week))
info = weekly_ui.meeting(version, week)

if present:
    st.title(f"{t('weekly.title')} · {week}")
    if not snap.get("record"):
        live_status(version, "weekly", caption=False)  # the wall screen follows the data too
    weekly_ui.presentation(snap, actor)
    st.stop()

st.caption(t("weekly.span", monday=snap["monday"], sunday=snap["sunday"],
             previous=snap["previous_week"]))
if snap.get("record"):
    st.info(weekly_ui.status_caption(snap), icon=":material/lock:")
else:
    st.success(weekly_ui.status_caption(snap), icon=":material/sensors:")
    live_status(version, "weekly")  # a live week refreshes itself; a record never changes
weekly_ui.subdistrict_note(snap, selected_subdistrict()[1])
weekly_ui.meeting_controls(actor, week, info, snap)
if not snap["index"]:
    st.info(t("common.no_data"))
    st.stop()
for name in weekly_ui.SECTIONS:
    weekly_ui.draw_section(name, snap, actor)
weekly_ui.targets_form(actor, weekly_ui.targets(version))
