"""Report from the street (phone page): photo, location, the place it falls in, duplicates
within 50 m ("same problem" confirms instead of filing again), a new problem; and my tasks."""

import streamlit as st

from civdata.core.clock import this_minute
from civdata.domain import geo
from ui import forms, readers
from ui import report as report_ui
from ui.auth_gate import require_page
from ui.i18n import t

actor = require_page(__file__)
report_ui.phone_style()
st.title(t("report.title"))
forms.show_flash()
version = readers.data_version()
now = this_minute()
device, accuracy = report_ui.phone_position()
new_tab, tasks_tab = st.tabs([t("report.tab.new"), t("report.tab.tasks")])

with new_tab:
    photo = report_ui.photo_input("report_photo")
    intake = report_ui.checked_photo(photo)
    tap = st.session_state.get(report_ui.TAP)
    where = report_ui.resolve(device, intake, tap)
    if where is None or where[2] == "tap":
        if where is None:
            st.info(t("report.loc.none"))
        outlines = readers.subdistrict_outlines(version)
        own = outlines[outlines["id"] == actor.subdistrict_id]
        area = own["boundary_geojson"].iloc[0] if len(own) else geo.district_outline_geojson()
        tap = report_ui.tap_picker(area)
        where = report_ui.resolve(device, intake, tap)
    if where is not None:
        report_ui.show_place(where, accuracy, report_ui.place(version, where[0], where[1]))
    class_code = report_ui.class_choice()
    text = st.text_area(t("report.description"), key="report_text", max_chars=500,
                        placeholder=t("report.description.placeholder"))
    if where is not None:
        near = report_ui.nearby(version, class_code, where[0], where[1], now)
        report_ui.duplicates(actor, near, photo, device, accuracy, tap)
    report_ui.report_button(actor, photo, class_code, text, device, tap)

with tasks_tab:
    here = device or (where[:2] if where is not None else None)
    lat, lon = (round(here[0], 4), round(here[1], 4)) if here else (None, None)
    queue = report_ui.tasks(version, actor.role, actor.username, actor.subdistrict_id, now,
                            lat, lon)
    if queue.empty:
        st.info(t("report.tasks.none"))
    else:
        order = t("report.tasks.by_distance" if here else "report.tasks.by_deadline")
        st.caption(t("report.tasks.count", n=len(queue), order=order))
        shown = queue.head(report_ui.MAX_TASKS_SHOWN)
        for _, row in shown.iterrows():
            report_ui.task_card(row)
        pick = st.selectbox(t("report.tasks.pick"), shown.index.tolist(), key="report_task",
                            format_func=lambda i: report_ui.task_label(shown.loc[i]))
        report_ui.task_actions(actor, shown.loc[pick])
    report_ui.show_outcomes(report_ui.outcomes(version, actor.role, actor.username,
                                               actor.subdistrict_id, report_ui.week_before(now)))
