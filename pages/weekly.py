"""Weekly meeting: one week beside the last, red/black lists, overdue, follow-ups, exports."""

import streamlit as st

from civdata.clock import this_minute, today_local
from ui import data
from ui import weekly as wk
from ui.auth_gate import require_page
from ui.filters import selected_subdistrict
from ui.i18n import t
from ui.live import live_status

require_page(__file__)
actor = st.session_state.get("actor")
version = data.data_version()
present = wk.presenting()
if present:
    week = wk.normalised_week(st.query_params.get("week"))
else:
    st.title(t("weekly.title"))
    week = wk.week_choice(today_local())
snap = wk.snapshot(version, week, this_minute().isoformat())
info = wk.meeting(version, week)

if present:
    st.title(f"{t('weekly.title')} · {week}")
    if not snap.get("record"):
        live_status(version, "weekly", caption=False)  # the wall screen follows the data too
    wk.presentation(snap, actor)
    st.stop()

st.caption(t("weekly.span", monday=snap["monday"], sunday=snap["sunday"],
             previous=snap["previous_week"]))
if snap.get("record"):
    st.info(wk.status_caption(snap), icon=":material/lock:")
else:
    st.success(wk.status_caption(snap), icon=":material/sensors:")
    live_status(version, "weekly")  # a live week refreshes itself; a record never changes
wk.subdistrict_note(snap, selected_subdistrict()[1])
wk.meeting_controls(actor, week, info, snap)
if not snap["index"]:
    st.info(t("common.no_data"))
    st.stop()
for name in wk.SECTIONS:
    wk.draw_section(name, snap, actor)
wk.targets_form(actor, wk.targets(version))
