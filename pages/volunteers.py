"""Volunteers: where volunteers are and where they are missing; coverage, gaps, trend, entry."""

import streamlit as st

from civdata.core import auth
from civdata.core.clock import today_local
from civdata.domain.volunteers import (
    COVERAGE_WINDOW_DAYS,
    activity_totals,
    coverage_share,
    window_bounds,
)
from ui import forms, readers
from ui import volunteers as volunteers_ui
from ui.auth_gate import require_page
from ui.deckchart import deck_chart
from ui.downloads import download_table
from ui.filters import selected_subdistrict, subdistrict_label
from ui.i18n import name_col, t
from ui.plain import escape_md
from ui.widgets import fmt_num, fmt_pct

require_page(__file__)
st.title(f"{t('volunteers.title')} · {subdistrict_label()}")
today = today_local()
sub_id, _ = selected_subdistrict()
version = readers.data_version()
actor = st.session_state.get("actor")
forms.show_flash()

left, right = st.columns([1, 3])
window = int(left.number_input(t("volunteers.window"), min_value=1, max_value=365,
                               value=COVERAGE_WINDOW_DAYS, step=1, key="window",
                               bind="query-params", help=t("volunteers.window_help")))
team_list = volunteers_ui.teams(version, sub_id)
team_code = volunteers_ui.team_select(right, team_list)
team = None if team_code is None else team_list[team_list["code"] == team_code].iloc[0]
team_id = None if team is None else int(team["id"])
first, last = window_bounds(today, window)
st.caption(t("volunteers.period", first=first, last=last, days=window))

cov = volunteers_ui.coverage(version, today, sub_id, window)
if cov["communities"].empty and cov["sites"].empty:
    st.info(t("common.no_data"))
    st.stop()
acts = volunteers_ui.activities(version, first, last, sub_id, team_id)
comm_covered, comm_total = coverage_share(cov["communities"])
site_covered, site_total = coverage_share(cov["sites"])
totals = activity_totals(acts)

k1, k2, k3, k4, k5 = st.columns(5)
k1.metric(t("volunteers.kpi.community_coverage"),
          fmt_pct(comm_covered / comm_total if comm_total else None), border=True,
          help=t("volunteers.kpi.community_help", covered=comm_covered, total=comm_total))
k2.metric(t("volunteers.kpi.site_coverage"),
          fmt_pct(site_covered / site_total if site_total else None), border=True,
          help=t("volunteers.kpi.site_help", covered=site_covered, total=site_total))
k3.metric(t("volunteers.kpi.activities"), fmt_num(totals["activities"]), border=True)
k4.metric(t("volunteers.kpi.participants"), fmt_num(totals["participants"]), border=True)
k5.metric(t("volunteers.kpi.hours"), fmt_num(totals["hours"], 1), border=True)

st.subheader(t("volunteers.map"))
o1, o2 = st.columns(2)
surroundings = o1.checkbox(t("volunteers.map.surroundings"), value=False, key="vol_surroundings")
show_gaps = o2.checkbox(t("volunteers.map.show_gaps"), value=True, key="vol_show_gaps")
stations = volunteers_ui.stations(version, sub_id)
bases = team_list if team is None else team_list[team_list["code"] == team_code]
outlines = readers.subdistrict_outlines(version)
deck_chart(volunteers_ui.volunteer_deck(outlines, stations, bases, acts, cov["sites"], cov["gaps"],
                                        surroundings, show_gaps),
           key="volunteers_map", height=volunteers_ui.MAP_HEIGHT)
st.caption(t("volunteers.map.legend"))

st.subheader(t("volunteers.gaps"))
st.caption(t("volunteers.gaps_help"))
if cov["gaps"].empty:
    st.success(t("volunteers.no_gaps"))
else:
    volunteers_ui.show_gap_table(cov["gaps"])
    download_table(volunteers_ui.gap_table(cov["gaps"]), "volunteer_gaps", key="gaps")
if sub_id is None:
    st.subheader(t("volunteers.by_subdistrict"))
    volunteers_ui.show_subdistrict_table(cov["by_subdistrict"])
    download_table(volunteers_ui.subdistrict_table(cov["by_subdistrict"]), "volunteer_coverage",
                   key="coverage")

st.subheader(t("volunteers.trend"))
st.plotly_chart(volunteers_ui.trend_figure(volunteers_ui.trend(version, today, sub_id, team_id)), width="stretch")

ranks = volunteers_ui.rankings(version, first, last, sub_id)
r1, r2 = st.columns(2)
with r1:
    st.subheader(t("volunteers.team_ranking"))
    st.plotly_chart(volunteers_ui.bar_figure(ranks["teams"], "hours", t("volunteers.hours")),
                    width="stretch")
with r2:
    st.subheader(t("volunteers.partners"))
    st.plotly_chart(volunteers_ui.bar_figure(ranks["partners"], "activities", t("volunteers.activities")),
                    width="stretch")

st.subheader(t("volunteers.recent") if team is None
             else t("volunteers.team_activities", team=escape_md(team[name_col()])))
if acts.empty:
    st.info(t("common.no_data"))
else:
    st.dataframe(volunteers_ui.activity_table(acts), hide_index=True, width="stretch", height=320)
    download_table(volunteers_ui.activity_table(acts), "volunteer_activities", key="activities")

if auth.can(actor, "activity.record"):
    choices = volunteers_ui.form_choices(version, actor.subdistrict_id)
    teams_all = dict(zip(choices["teams"]["id"], choices["teams"][name_col()], strict=True))
    comms = dict(zip(choices["communities"]["id"], choices["communities"][name_col()],
                     strict=True))
    partners = dict(zip(choices["partners"]["id"], choices["partners"][name_col()], strict=True))
    with st.expander(t("volunteers.form.title"), expanded=False), \
            st.form("vol_activity_form", clear_on_submit=False):
        f_team = st.selectbox(t("volunteers.form.team"), list(teams_all), key="vol_f_team",
                              format_func=teams_all.get)
        f_comm = st.selectbox(t("volunteers.form.community"), list(comms), key="vol_f_comm",
                              format_func=comms.get)
        f_day = st.date_input(t("volunteers.form.date"), value=today, max_value=today,
                              key="vol_f_date")
        f_title = st.text_input(t("volunteers.form.name"), key="vol_f_title", max_chars=128)
        f_place = st.text_input(t("volunteers.form.place"), key="vol_f_place", max_chars=128)
        f_people = st.number_input(t("volunteers.form.participants"), min_value=0, value=10,
                                   step=1, key="vol_f_people")
        f_hours = st.number_input(t("volunteers.form.hours"), min_value=0.0, value=20.0,
                                  step=0.5, key="vol_f_hours")
        f_partner = st.selectbox(t("volunteers.form.partner"), [None, *partners],
                                 key="vol_f_partner", format_func=lambda i: t(
                                     "volunteers.form.no_partner") if i is None else partners[i])
        if st.form_submit_button(t("volunteers.form.submit"), type="primary"):
            volunteers_ui.record_activity(actor, team_id=f_team, community_id=f_comm,
                                          held_on=f_day, title=f_title, place=f_place,
                                          participants=f_people, volunteer_hours=f_hours,
                                          partner_org_id=f_partner)
