"""Problems: the closed loop — funnel, overdue and escalation, time to close, red and black
lists, the work queue and the forms that move problems through the workflow."""

import streamlit as st

from civdata.core.clock import this_minute
from ui import forms, readers
from ui import problems as problems_ui
from ui.auth_gate import require_page
from ui.downloads import download_table
from ui.filters import selected_subdistrict, subdistrict_label
from ui.i18n import t
from ui.widgets import fmt_num, fmt_pct

require_page(__file__)
st.title(f"{t('problems.title')} · {subdistrict_label()}")
actor = st.session_state.get("actor")
sub_id, _ = selected_subdistrict()
version = readers.data_version()
now = this_minute()
st.caption(t("common.as_of", at=now.strftime("%Y-%m-%d %H:%M")))
forms.show_flash()
problems_ui.problem_finder()

days = st.segmented_control(t("problems.window"), [7, 30, 90], default=30, key="problems_window",
                            format_func=lambda d: t("problems.window_days", days=d)) or 30
since = problems_ui.period_start(now, days)
rates = problems_ui.close_rates(version, now, days)
by_sub = problems_ui.close_stats(version, since, now, sub_id, "subdistrict")
by_class = problems_ui.close_stats(version, since, now, sub_id, "class")
overdue = problems_ui.overdue(version, now, sub_id)
overall = problems_ui.close_stats(version, since, now, sub_id, "all")
figures = problems_ui.kpis(rates, overall, sub_id)

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
        st.plotly_chart(problems_ui.funnel_chart(problems_ui.status_counts(version, since, sub_id)),
                        width="stretch", key="chart_funnel")
    with right:
        st.subheader(t("problems.ageing"))
        st.plotly_chart(problems_ui.ageing_chart(problems_ui.ages(version, now, sub_id)), width="stretch",
                        key="chart_ageing")
    st.subheader(t("problems.matrix"))
    table = problems_ui.matrix_table(problems_ui.matrix(version, since))
    if table.empty:
        st.info(t("common.no_data"))
    else:
        st.plotly_chart(problems_ui.matrix_chart(table), width="stretch", key="chart_matrix")

with late:
    ladder = problems_ui.rungs(version)
    st.caption(problems_ui.ladder_caption(ladder))
    st.subheader(t("problems.overdue_list"))
    if overdue.empty:
        st.info(t("problems.no_overdue"))
    else:
        problems_ui.overdue_table(overdue)
        st.subheader(t("problems.ladder"))
        st.dataframe(problems_ui.rung_table(overdue, ladder), width="stretch")
        download_table(problems_ui.rung_table(overdue, ladder), "escalation_rungs", key="rungs")

with speed:
    st.subheader(t("problems.by_subdistrict"))
    named_sub = problems_ui.named(by_sub, readers.subdistricts(version))
    if named_sub.empty:
        st.info(t("common.no_data"))
    else:
        st.plotly_chart(problems_ui.rate_chart(named_sub), width="stretch", key="chart_rates")
        problems_ui.stats_table(named_sub)
    st.subheader(t("problems.by_class"))
    problems_ui.stats_table(problems_ui.named(by_class, readers.problem_classes(version)), "problems.col.class")

with ranking:
    st.caption(t("problems.lists_help", n=problems_ui.MIN_PROBLEMS))
    lists = problems_ui.lists(version, now, days)
    red_col, black_col = st.columns(2)
    with red_col:
        st.subheader(f":red[{t('problems.red')}]")
        problems_ui.show_list(lists, "red")
    with black_col:
        st.subheader(t("problems.black"))
        problems_ui.show_list(lists, "black")
    st.subheader(t("problems.ranking"))
    problems_ui.show_list(lists)

with work:
    own = actor.subdistrict_id if actor else None  # an account bound to one subdistrict
    queue_sub = own if own is not None else sub_id
    if queue_sub is None:
        st.info(t("problems.queue_pick"))
    else:
        st.subheader(t("problems.queue") if own is not None
                     else t("problems.queue_for", name=subdistrict_label()))
        rows = problems_ui.queue(version, queue_sub, now)
        if rows.empty:
            st.info(t("problems.queue_empty"))
        else:
            problems_ui.queue_table(rows)
    if not problems_ui.may_change(actor):
        st.caption(t("problems.no_rights"))
    else:
        with st.expander(t("problems.report"), expanded=False):
            problems_ui.report_form(actor, sub_id)
        st.subheader(t("problems.change"))
        problems_ui.action_form(actor, sub_id)
        with st.expander(t("problems.reopen")):
            problems_ui.reopen_form(actor, sub_id)
        with st.expander(t("problems.settings")):
            problems_ui.settings_form(actor)
