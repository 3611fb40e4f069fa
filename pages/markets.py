"""Markets: latest scores on a map with their 300 m surroundings, ranking, trends, checklist
losses, the five-grasp figures, a market's card and the inspection form."""

from datetime import timedelta

import streamlit as st

from civdata.core.auth import can
from civdata.core.clock import today_local
from civdata.domain.markets import WEEK_DAYS, count_below, weighted_mean_score
from ui import markets as markets_ui
from ui import readers
from ui.auth_gate import require_page
from ui.filters import selected_subdistrict, subdistrict_label
from ui.i18n import t
from ui.widgets import kpi

require_page(__file__)
scope = subdistrict_label()
st.title(f"{t('markets.title')} · {scope}")
today = today_local()
sub_id, _ = selected_subdistrict()
version = readers.data_version()
st.caption(t("common.as_of", at=today.isoformat()))

latest = markets_ui.latest_scores(version, today, sub_id)
if latest.empty:
    st.info(t("common.no_data"))
    st.stop()
market_id = markets_ui.market_picker(latest)
actor = st.session_state.get("actor")
may_inspect = can(actor, "market.inspect")
tabs = st.tabs([t("markets.tab.dashboard"), t("markets.tab.card"),
                *([t("markets.tab.form")] if may_inspect else [])])

trend_first = today - timedelta(days=markets_ui.TREND_DAYS - 1)
window_first = today - timedelta(days=markets_ui.WINDOW_DAYS - 1)
scope_daily = markets_ui.scope_daily_scores(version, trend_first, today, sub_id)

with tabs[0]:
    week_first = today - timedelta(days=WEEK_DAYS - 1)
    c1, c2, c3, c4, c5 = st.columns(5)
    with c1:
        kpi(t("markets.kpi.markets"), len(latest), None)
    with c2:
        kpi(t("markets.kpi.latest_mean"), latest["score"].mean(), None, fmt="score",
            help_text=t("markets.kpi.latest_help"))
    with c3:
        kpi(t("markets.kpi.week_mean"), weighted_mean_score(scope_daily, week_first, today),
            weighted_mean_score(scope_daily, week_first - timedelta(days=WEEK_DAYS),
                                week_first - timedelta(days=1)), fmt="score")
    with c4:
        kpi(t("markets.kpi.below_80"), count_below(latest["score"], 80.0), None, inverse=True)
    with c5:
        kpi(t("markets.kpi.open_problems"), int(latest["open_nearby"].sum()), None, inverse=True)

    st.subheader(t("markets.map"))
    markets_ui.show_map(latest, readers.subdistrict_outlines(version))
    st.caption(t("markets.legend"))
    st.subheader(t("markets.ranking"))  # full width: every column shows whole
    st.caption(t("markets.ranking_help"))
    markets_ui.ranking_table(markets_ui.ranking(version, today, sub_id))

    st.subheader(t("markets.trend"))
    per_market = markets_ui.daily_scores(version, trend_first, today, sub_id, market_id)
    st.plotly_chart(markets_ui.trend_figure(per_market, scope_daily, scope), width="stretch",
                    key="markets_trend")

    st.subheader(t("markets.losses"))
    losses = markets_ui.item_losses(version, window_first, today, sub_id, market_id)
    if losses.empty:
        st.info(t("common.no_data"))
    else:
        st.plotly_chart(markets_ui.losses_figure(losses), width="stretch", key="markets_losses")

    st.subheader(t("markets.five"))
    deploy = markets_ui.deployment(version, window_first, today, sub_id)
    on_roll = markets_ui.staff_on_roll(version)
    markets_ui.five_grasp_kpis(deploy, on_roll, markets_ui.rates(version, window_first, today, sub_id))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('markets.deployment')}**")
        st.plotly_chart(markets_ui.deployment_figure(deploy, on_roll), width="stretch",
                        key="markets_deployment")
    with right:
        st.markdown(f"**{t('markets.hardware')}**")
        st.plotly_chart(markets_ui.hardware_figure(markets_ui.hardware(version, sub_id)), width="stretch",
                        key="markets_hardware")

with tabs[1]:
    if market_id is None:
        st.info(t("markets.pick_market"))
    else:
        markets_ui.market_card(version, latest[latest["id"] == market_id].iloc[0])

if may_inspect:
    with tabs[2]:
        markets_ui.inspection_form(actor, latest, markets_ui.checklist(version), markets_ui.staff(version), market_id,
                           today)
