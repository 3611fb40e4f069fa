"""Overview: headline figures against last week, renovation progress, ranking, trend."""

from datetime import timedelta

import plotly.graph_objects as go
import streamlit as st

from civdata.core.clock import this_minute
from ui import readers, readiness
from ui.auth_gate import require_page
from ui.downloads import download_table
from ui.filters import selected_subdistrict, subdistrict_label
from ui.i18n import name_col, t
from ui.live import live_status
from ui.widgets import fmt_pct, kpi, progress_rows, styled, why_missing

require_page(__file__)
st.title(f"{t('overview.title')} · {subdistrict_label()}")
now = this_minute()
sub_id, _ = selected_subdistrict()
version = readers.data_version()
fig_now = readers.headline_figures(version, now, sub_id)
fig_before = readers.headline_figures(version, now - timedelta(days=7), sub_id)
st.caption(f'{t("common.as_of", at=now.strftime("%Y-%m-%d %H:%M"))} · {t("overview.deltas")}')
live_status(version, "overview")

c1, c2, c3, c4, c5 = st.columns(5)
with c1:
    kpi(t("overview.kpi.sites_with_open"), fig_now["sites_with_open"],
        fig_before["sites_with_open"], inverse=True, help_text=t("overview.kpi.sites_help"))
with c2:
    kpi(t("overview.kpi.open"), fig_now["open"], fig_before["open"], inverse=True)
with c3:
    kpi(t("overview.kpi.overdue"), fig_now["overdue"], fig_before["overdue"], inverse=True)
with c4:
    kpi(t("overview.kpi.closed_on_time"), fig_now["closed_on_time_week"],
        fig_before["closed_on_time_week"],
        help_text=t("overview.kpi.on_time_rate", rate=fmt_pct(fig_now["on_time_rate_week"])))
with c5:
    kpi(t("overview.kpi.market_score"), fig_now["market_score_week"],
        fig_before["market_score_week"], fmt="score")

left, right = st.columns([3, 2])
with left:
    st.subheader(t("overview.progress"))
    progress = readers.renovation_summary(version, now.date(), sub_id)
    if progress.empty:
        st.info(t("common.no_data"))
    for (label, percent), row in zip(progress_rows(progress), progress.itertuples(), strict=True):
        before = fig_before.get(f"progress_{row.programme}_{row.batch}")
        gained = "" if before is None else f" · +{percent - before:.1f} pt"
        st.progress(min(percent / 100, 1.0),
                    text=f"{label}: {percent:.1f}% ({row.completed}/{row.projects}){gained}")
with right:
    readiness.overview_headline(version, now, sub_id)
    kpi(t("overview.kpi.coverage"), fig_now["volunteer_coverage"],
        fig_before["volunteer_coverage"], fmt="pct",
        help_text=t("overview.kpi.coverage_help", covered=int(fig_now["communities_covered"]),
                    total=int(fig_now["communities"])))
    kpi(t("overview.kpi.new_week"), fig_now["new_week"], fig_before["new_week"], inverse=True)

st.subheader(t("overview.ranking"))
st.caption(t("overview.ranking_help"))
ranking = readers.subdistrict_ranking(version, now.date())
cols = ["rank", name_col(), "index", "on_time_rate", "clean_site_share", "market_score",
        "volunteer_coverage", "renovation_vs_plan", "open", "overdue"]
table = ranking[cols].rename(columns={name_col(): t("overview.col.name"),
                                      **{c: t(f"overview.col.{c}") for c in cols
                                         if c != name_col()}})
PCT = ("on_time_rate", "clean_site_share", "volunteer_coverage", "renovation_vs_plan")
st.dataframe(styled(table, pct=tuple(t(f"overview.col.{c}") for c in PCT),
                    digits={t("overview.col.market_score"): 1}),
             hide_index=True, width="stretch", height=35 * (len(table) + 1) + 3, column_config={
    t("overview.col.index"): st.column_config.ProgressColumn(min_value=0, max_value=125,
                                                             format="%.1f"),
    **{t(f"overview.col.{c}"): why_missing(t(f"overview.missing.{c}"))
       for c in ("on_time_rate", "market_score", "volunteer_coverage", "renovation_vs_plan")},
})
download_table(table, t("overview.ranking"), key="overview_ranking")

st.subheader(t("overview.trend"))
flow = readers.weekly_problem_flow(version, now, 12, sub_id)
chart = go.Figure([
    go.Bar(x=flow["week_end"].astype(str), y=flow["new"], name=t("overview.new")),
    go.Scatter(x=flow["week_end"].astype(str), y=flow["closed"], name=t("overview.closed"),
               mode="lines+markers"),
])
chart.update_layout(xaxis_title=t("overview.week_end"), yaxis_title=t("overview.count"),
                    height=340, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                    legend={"orientation": "h"})
st.plotly_chart(chart, width="stretch")
