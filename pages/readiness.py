"""Evaluation readiness: the score the district would get if the evaluators came today, with its
range; the parts, points at risk, the six-lists ledger, the survey, the materials and the site
inspections (forms for inspections, rounds, uploads and reviews)."""

from datetime import timedelta

import streamlit as st

from civdata.clock import this_minute
from ui import data
from ui import map as umap
from ui import readiness as ur
from ui.auth_gate import require_page
from ui.downloads import table_with_downloads
from ui.filters import selected_subdistrict
from ui.i18n import t

actor = require_page(__file__)
version = data.data_version()
now = this_minute()
chosen = selected_subdistrict()[0]
sub_id = ur.scope(actor, chosen)
st.title(f"{t('readiness.title')} · {ur.scope_name(sub_id)}")
st.caption(f"{t('common.as_of', at=now.strftime('%Y-%m-%d %H:%M'))} · {t('readiness.what')}")
if sub_id != chosen:
    st.caption(t("readiness.own_scope", name=ur.scope_name(sub_id)))
ur.show_flash()
if ur.inspection_only():  # ?view=inspect: the inspection form alone, first on a phone
    ur.inspect_form(actor, ur.site_choices(version, now, sub_id), now)
    st.link_button(t("readiness.inspect.back"), "?")
    st.stop()
ur.inspect_link(actor)

est = ur.estimate(version, now, sub_id)
if not ur.has_system(est):
    st.info(t("readiness.no_system"))
    st.stop()
before = ur.estimate(version, now - timedelta(days=7), sub_id)
ur.draw_headline(est, before)
st.plotly_chart(ur.range_chart(est), width="stretch", key="readiness_range")
ur.fallback_note(est, umap.categories(version))
st.caption(t("readiness.edition", edition=est.edition))

left, right = st.columns([3, 2])
with left:
    st.subheader(t("readiness.parts"))
    st.plotly_chart(ur.parts_chart(est.parts), width="stretch", key="readiness_parts")
    with st.expander(t("readiness.parts_table")):
        table_with_downloads(ur.parts_frame(est.parts), t("readiness.parts"),
                             key="readiness_parts")
with right:
    st.subheader(t("readiness.trend"))
    weeks = ur.trend(version, now.date(), sub_id)
    if weeks.empty:
        st.info(t("common.no_data"))
    else:
        st.plotly_chart(ur.trend_chart(weeks, est.max_points), width="stretch",
                        key="readiness_trend")

risk_tab, ledger_tab, survey_tab, materials_tab, inspect_tab = st.tabs(
    [t(f"readiness.tab.{k}") for k in ("risk", "ledger", "survey", "materials", "inspections")])
with risk_tab:
    st.subheader(t("readiness.risk"))
    risk = ur.risk(version, now, sub_id)
    ur.draw_risk(risk)

with ledger_tab:
    st.subheader(t("readiness.ledger"))
    st.caption(t("readiness.ledger.help"))
    everything = ur.ledger(version, now, sub_id, None, None, False)
    content, status, overdue_only = ur.ledger_filters(everything, risk)
    ur.draw_ledger(ur.ledger(version, now, sub_id, content, status, overdue_only),
                   data.subdistricts(version))

with survey_tab:
    st.subheader(t("readiness.survey"))
    ur.draw_survey(ur.survey_rates(version, sub_id))

with materials_tab:
    st.subheader(t("readiness.materials"))
    required = ur.material_table(version, now, sub_id)
    ur.draw_materials(required, data.subdistricts(version))
    ur.upload_form(actor, required)
    ur.review_form(actor, required)

with inspect_tab:
    st.subheader(t("readiness.rounds"))
    picked = ur.draw_rounds(ur.rounds(version))
    if picked is not None:
        table_with_downloads(ur.round_frame(ur.round_sites(version, picked)),
                             t("readiness.rounds"), key="readiness_round_sites")
    ur.draw_form(actor, now.date())
    ur.inspect_form(actor, ur.site_choices(version, now, sub_id), now)
