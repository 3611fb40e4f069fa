"""Evaluation readiness: the score the district would get if the evaluators came today, with its
range; the parts, points at risk, the six-lists ledger, the survey, the materials and the site
inspections (forms for inspections, rounds, uploads and reviews)."""

import streamlit as st

from civdata.core.clock import this_minute
from ui import forms, readers
from ui import map as map_ui
from ui import readiness as readiness_ui
from ui.auth_gate import require_page
from ui.downloads import table_with_downloads
from ui.filters import selected_subdistrict
from ui.i18n import t

actor = require_page(__file__)
version = readers.data_version()
now = this_minute()
chosen = selected_subdistrict()[0]
sub_id = readiness_ui.scope(actor, chosen)
st.title(f"{t('readiness.title')} · {readiness_ui.scope_name(sub_id)}")
st.caption(f"{t('common.as_of', at=now.strftime('%Y-%m-%d %H:%M'))} · {t('readiness.what')}")
if sub_id != chosen:
    st.caption(t("readiness.own_scope", name=readiness_ui.scope_name(sub_id)))
forms.show_flash()
if readiness_ui.inspection_only():  # ?view=inspect: the inspection form alone, first on a phone
    readiness_ui.inspect_form(actor, readiness_ui.site_choices(version, sub_id), now)
    st.link_button(t("readiness.inspect.back"), "?")
    st.stop()
readiness_ui.inspect_link(actor)

est = readiness_ui.estimate(version, now, sub_id)
if not readiness_ui.has_system(est):
    st.info(t("readiness.no_system"))
    st.stop()
before = readiness_ui.last_week(version, now.date(), sub_id)  # last week's stored close
readiness_ui.draw_headline(est, before)
st.plotly_chart(readiness_ui.range_chart(est), width="stretch", key="readiness_range")
readiness_ui.fallback_note(est, map_ui.categories(version))
st.caption(t("readiness.edition", edition=est.edition))

left, right = st.columns([3, 2])
with left:
    st.subheader(t("readiness.parts"))
    st.plotly_chart(readiness_ui.parts_chart(est.parts), width="stretch", key="readiness_parts")
    with st.expander(t("readiness.parts_table")):
        table_with_downloads(readiness_ui.parts_frame(est.parts), t("readiness.parts"),
                             key="readiness_parts")
with right:
    st.subheader(t("readiness.trend"))
    weeks = readiness_ui.trend(version, now.date(), sub_id)
    if weeks.empty:
        st.info(t("common.no_data"))
    else:
        st.plotly_chart(readiness_ui.trend_chart(weeks, est.max_points), width="stretch",
                        key="readiness_trend")

risk_tab, ledger_tab, survey_tab, materials_tab, inspect_tab = st.tabs(
    [t(f"readiness.tab.{k}") for k in ("risk", "ledger", "survey", "materials", "inspections")])
with risk_tab:
    st.subheader(t("readiness.risk"))
    risk = readiness_ui.risk(version, now, sub_id)
    readiness_ui.draw_risk(risk)

with ledger_tab:
    st.subheader(t("readiness.ledger"))
    st.caption(t("readiness.ledger.help"))
    everything = readiness_ui.ledger(version, now, sub_id, None, None, False)
    content, status, overdue_only = readiness_ui.ledger_filters(everything, risk)
    readiness_ui.draw_ledger(readiness_ui.ledger(version, now, sub_id, content, status, overdue_only),
                   readers.subdistricts(version))

with survey_tab:
    st.subheader(t("readiness.survey"))
    readiness_ui.draw_survey(readiness_ui.survey_rates(version, sub_id))

with materials_tab:
    st.subheader(t("readiness.materials"))
    required = readiness_ui.material_table(version, now, sub_id)
    readiness_ui.draw_materials(required, readers.subdistricts(version))
    readiness_ui.upload_form(actor, required)
    readiness_ui.review_form(actor, required)

with inspect_tab:
    st.subheader(t("readiness.rounds"))
    picked = readiness_ui.draw_rounds(readiness_ui.rounds(version))
    if picked is not None:
        table_with_downloads(readiness_ui.round_frame(readiness_ui.round_sites(version, picked)),
                             t("readiness.rounds"), key="readiness_round_sites")
    readiness_ui.draw_form(actor, now.date())
    readiness_ui.inspect_form(actor, readiness_ui.site_choices(version, sub_id), now)
