"""Problems: the closed loop — funnel, overdue and escalation, time to close, red and black
lists, the work queue and the forms that move problems through the workflow."""

import streamlit as st

from civdata.clock import this_minute
from ui import data
from ui import problems as up
from ui.auth_gate import require_page
from ui.downloads import download_table
from ui.filters import selected_subdistrict, subdistrict_label
from ui.i18n import t
from ui.widgets import fmt_num, fmt_pct

require_page(__file__)
st.title(f"{t('problems.title')} · {subdistrict_label()}")
actor = st.session_state.get("actor")
sub_id, _ = selected_subdistrict()
version = data.data_version()
now = this_minute()
st.caption(t("common.as_of", at=now.strftime("%Y-%m-%d %H:%M")))
up.show_flash()
up.problem_finder()

days = st.segmented_control(t("problems.window"), [7, 30, 90], default=30, key="problems_window",
                            format_func=lambda d: t("problems.window_days", days=d)) or 30
since = up.period_start(now, days)
rates = up.close_rates(version, now, days)
by_sub = up.close_stats(version, since, now, sub_id, "subdistrict")
by_class = up.close_stats(version, since, now, sub_id, "class")
overdue = up.overdue(version, now, sub_id)
overall = up.close_stats(version, since, now, sub_id, "all")
figures = up.kpis(rates, overall, sub_id)

c1, c2, c3, c4 = st.columns(4)
c1.metric(t("problems.kpi.open"), fmt_num(figures["open"]), border=True)
c2.metric(t("problems.kpi.overdue"), fmt_num(figures["overdue"]), border=True)
c3.metric(t("problems.kpi.on_time"), fmt_pct(figures["on_time_rate"]), border=True)
c4.metric(t("problems.kpi.median"), fmt_num(figures["median_hours"], 1), border=True)

loop, late, speed, ranking, work = st.tabs([t("problems.tab.loop"), t("problems.tab.overdue"),
                                            t("problems.tab.speed"), t("problems.tab.lists"),
                                            t("problems.tab.work")])
with loop:
    left, right = st.columns(2)
    with left:
        st.subheader(t("problems.funnel"))
        st.plotly_chart(up.funnel_chart(up.status_counts(version, since, sub_id)),
                        width="stretch", key="chart_funnel")
    with right:
        st.subheader(t("problems.ageing"))
        st.plotly_chart(up.ageing_chart(up.ages(version, now, sub_id)), width="stretch",
                        key="chart_ageing")
    st.subheader(t("problems.matrix"))
    table = up.matrix_table(up.matrix(version, since))
    if table.empty:
        st.info(t("common.no_data"))
    else:
        st.plotly_chart(up.matrix_chart(table), width="stretch", key="chart_matrix")

with late:
    ladder = up.rungs(version)
    st.caption(up.ladder_caption(ladder))
    st.subheader(t("problems.overdue_list"))
    if overdue.empty:
        st.info(t("problems.no_overdue"))
    else:
        up.overdue_table(overdue)
        st.subheader(t("problems.ladder"))
        st.dataframe(up.rung_table(overdue, ladder), width="stretch")
        download_table(up.rung_table(overdue, ladder), "escalation_rungs", key="rungs")

with speed:
    st.subheader(t("problems.by_subdistrict"))
    named_sub = up.named(by_sub, data.subdistricts(version))
    if named_sub.empty:
        st.info(t("common.no_data"))
    else:
        st.plotly_chart(up.rate_chart(named_sub), width="stretch", key="chart_rates")
        up.stats_table(named_sub)
    st.subheader(t("problems.by_class"))
    up.stats_table(up.named(by_class, up.classes(version)), "problems.col.class")

with ranking:
    st.caption(t("problems.lists_help", n=up.MIN_PROBLEMS))
    lists = up.lists(version, now, days)
    red_col, black_col = st.columns(2)
    with red_col:
        st.subheader(f":red[{t('problems.red')}]")
        up.show_list(lists, "red")
    with black_col:
        st.subheader(t("problems.black"))
        up.show_list(lists, "black")
    st.subheader(t("problems.ranking"))
    up.show_list(lists)

with work:
    queue_sub = actor.subdistrict_id if actor and actor.role == "subdistrict" else sub_id
    if queue_sub is None:
        st.info(t("problems.queue_pick"))
    else:
        st.subheader(t("problems.queue") if actor and actor.role == "subdistrict"
                     else t("problems.queue_for", name=subdistrict_label()))
        rows = up.queue(version, queue_sub, now)
        if rows.empty:
            st.info(t("problems.queue_empty"))
        else:
            up.queue_table(rows)
    if actor is None or actor.role in ("leader", "admin"):
        st.caption(t("problems.no_rights"))
    else:
        with st.expander(t("problems.report"), expanded=False):
            up.report_form(actor, sub_id)
        st.subheader(t("problems.change"))
        up.action_form(actor, sub_id)
        with st.expander(t("problems.reopen")):
            up.reopen_form(actor, sub_id)
        with st.expander(t("problems.settings")):
            up.settings_form(actor)
