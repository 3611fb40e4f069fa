"""Renovation: weighted progress per programme and batch, slipping projects, drill-down by
subdistrict and project (card, reports against plan, report form), timeline, key-road
quantities."""

import streamlit as st

from civdata.core.clock import this_minute
from civdata.domain.metrics import SLIP_POINTS
from ui import readers
from ui import renovation as renovation_ui
from ui.auth_gate import require_page
from ui.downloads import download_table
from ui.filters import selected_subdistrict, subdistrict_label
from ui.i18n import t

require_page(__file__)
st.title(f"{t('renovation.title')} · {subdistrict_label()}")
now = this_minute()
today = now.date()
sub_id, _ = selected_subdistrict()
version = readers.data_version()
st.caption(t("common.as_of", at=now.strftime("%Y-%m-%d %H:%M")))
st.caption(f'{t("renovation.weights")} {t("renovation.slip_rule", points=f"{SLIP_POINTS:g}")}')

summary = renovation_ui.programme_table(version, today, sub_id)
if summary.empty:
    st.info(t("common.no_data"))
    st.stop()

st.subheader(t("renovation.bars"))
renovation_ui.draw_programme_bars(summary)

projects = renovation_ui.project_table(version, today, sub_id)
st.subheader(t("renovation.slipping"))
slipping = renovation_ui.project_frame(projects, slipping_only=True)
if slipping.empty:
    st.success(t("renovation.slipping_none"))
else:
    st.caption(t("renovation.slipping_count", n=len(slipping)))
    renovation_ui.draw_table(slipping, key="renovation_slipping")

st.subheader(t("renovation.drill"))
group = renovation_ui.group_picker(summary, projects)
chosen = renovation_ui.in_group(projects, group)
by_sub = renovation_ui.subdistrict_table(version, today, group)
st.caption(t("renovation.by_subdistrict"))
st.plotly_chart(renovation_ui.subdistrict_chart(by_sub), width="stretch", key="renovation_by_subdistrict")
st.caption(t("renovation.projects"))
renovation_ui.draw_table(renovation_ui.project_frame(chosen), key="renovation_projects")

st.subheader(t("renovation.card"))
project = renovation_ui.project_picker(chosen)
if project is None:
    st.info(t("common.no_data"))
else:
    history = renovation_ui.reports(version, int(project["id"]))
    renovation_ui.draw_project_card(project, history, today)
    renovation_ui.progress_form(st.session_state.get("actor"), project, today)
    renovation_ui.drawings_form(st.session_state.get("actor"), project, today)
    if not history.empty:
        with st.expander(t("renovation.reports")):
            renovation_ui.draw_report_photos(history)
            st.dataframe(renovation_ui.report_list(history), hide_index=True, width="stretch")
            download_table(renovation_ui.report_list(history), f"progress_{project['code']}",
                           key="progress_reports")

st.subheader(t("renovation.timeline"))
by = st.radio(t("renovation.timeline_by"), ["section", "project"], horizontal=True,
              key="renovation_timeline_by",
              format_func=lambda v: t(f"renovation.by_{v}"))
rows = renovation_ui.timeline_rows(chosen, by_section=(by == "section"))
st.plotly_chart(renovation_ui.gantt_chart(rows, today), width="stretch", key="renovation_gantt")

st.subheader(t("renovation.quantities"))
qty = renovation_ui.quantities(version, "key_road")
if qty.empty:
    st.info(t("common.no_data"))
else:
    st.plotly_chart(renovation_ui.quantity_chart(qty), width="stretch", key="renovation_quantities")
