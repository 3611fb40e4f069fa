"""Sites map: the 381 sites with their 300 m surroundings, problems, boundaries, risk, mock test."""

import streamlit as st

from civdata.core.clock import this_minute
from civdata.domain import riskmodel
from civdata.domain.sites import PROBLEM_STATES, SITE_STATES, filter_sites
from ui import forms, readers
from ui import map as map_ui
from ui.auth_gate import require_page
from ui.deckchart import deck_chart
from ui.downloads import download_table, table_with_downloads
from ui.filters import selected_subdistrict, subdistrict_label
from ui.i18n import current_lang, name_col, t

require_page(__file__)
st.title(f"{t('map.title')} · {subdistrict_label()}")
now = this_minute()
sub_id, _ = selected_subdistrict()
version = readers.data_version()
cats, classes = map_ui.categories(version), readers.problem_classes(version)
class_names = dict(zip(classes["id"], classes[name_col()], strict=True))
cat_names = dict(zip(cats["id"], cats[name_col()], strict=True))
st.caption(t("common.as_of", at=now.strftime("%Y-%m-%d %H:%M")))
forms.show_flash()

c1, c2, c3, c4 = st.columns([3, 2, 3, 2])
cat_ids = tuple(c1.multiselect(t("map.filter.categories"), list(cats["id"]), key="map_categories",
                               format_func=cat_names.get,
                               placeholder=t("map.filter.all")))
states = tuple(c2.multiselect(t("map.filter.site_states"), list(SITE_STATES), key="map_states",
                              format_func=lambda s: t(f"map.state.{s}"),
                              placeholder=t("map.filter.all")))
class_ids = tuple(c3.multiselect(t("map.filter.classes"), list(classes["id"]), key="map_classes",
                                 format_func=class_names.get, placeholder=t("map.filter.all")))
pstate = c4.selectbox(t("map.filter.problem_state"), PROBLEM_STATES, key="map_problem_state",
                      format_func=lambda s: t(f"map.pstate.{s}"))
c5, c6 = st.columns([2, 5])
color_by = c5.radio(t("map.filter.color_by"), ["category", "state"], horizontal=True,
                    key="map_color_by", format_func=lambda s: t(f"map.color.{s}"))
show = tuple(c6.multiselect(t("map.filter.layers"), list(map_ui.LAYERS), default=list(map_ui.LAYERS),
                            key="map_layers", format_func=lambda s: t(f"map.layer.{s}")))

all_sites = map_ui.site_table(version, now)
shown = filter_sites(all_sites, sub_id, cat_ids or None, states or None)
ranking = map_ui.risk_ranking(version, now, all_sites, sub_id)
selected = map_ui.site_row(all_sites, map_ui.selected_site_code(ranking))

kind, raw = map_ui.problem_layer_data(version, now, sub_id, class_ids or None, pstate)
problems = (kind, map_ui.cell_records(raw) if kind == "cells" else map_ui.problem_records(raw, class_names))
subs = readers.subdistrict_outlines(version)
colors = map_ui.category_colors(cats)
deck = map_ui.build_deck(map_ui.site_records(shown, color_by, colors), problems, subs,
                     map_ui.view_state(subs, sub_id, selected), show, selected, sub_id)
if shown.empty:
    st.info(t("map.no_sites"))
if kind == "cells":
    st.caption(t("map.drawn_cells", sites=len(shown), problems=int(raw["problems"].sum()),
                 limit=f"{map_ui.MAX_RAW_POINTS:,}", cells=len(raw)))
else:
    st.caption(t("map.drawn", sites=len(shown), problems=len(raw)))
deck_chart(deck, key="site_map", height=620, pickable=True)
map_ui.draw_legend(color_by, cats, colors)
st.caption(t("map.click_hint"))

card = map_ui.site_card(version, int(selected["id"]), now) if selected else None
if card is not None:
    with st.container(border=True):
        map_ui.draw_site_card(card, class_names)
        map_ui.draw_move_form(card["detail"], int(card["detail"]["version"]))

risk_tab, mock_tab = st.tabs([t("map.tab.risk"), t("map.tab.mock")])
with risk_tab:
    st.caption(t("map.risk.help", scale=int(riskmodel.AGE_SCALE_DAYS),
                 overdue=riskmodel.OVERDUE_FACTOR))
    lang = current_lang()
    st.caption(t("map.risk.top", n=len(ranking)))
    st.dataframe(map_ui.ranking_table(ranking, lang), hide_index=True, width="stretch",
                 on_select="rerun", selection_mode="single-row", key="risk_table")
    download_table(map_ui.ranking_table(ranking, lang), "site_risk", key="risk")
with mock_tab:
    st.caption(t("map.mock.help", points=int(riskmodel.DEDUCTION_POINTS),
                 rounds=riskmodel.BOOTSTRAP_ROUNDS))
    m1, m2 = st.columns(2)
    n = m1.number_input(t("map.mock.n"), min_value=25, max_value=len(all_sites) or 25, value=60,
                        step=5, key="mock_n")
    seed = m2.number_input(t("map.mock.seed"), min_value=0, max_value=2**31 - 1,
                           value=riskmodel.DEFAULT_SEED, step=1, key="mock_seed")
    result = map_ui.mock_evaluation(version, now, int(n), int(seed))
    st.markdown(t("map.mock.seed_shown", seed=result["seed"]))
    k1, k2, k3 = st.columns(3)
    k1.metric(t("map.mock.estimate"), f"{result['estimate']:.1f}", border=True)
    k2.metric(t("map.mock.range"), f"{result['low']:.1f} – {result['high']:.1f}", border=True)
    k3.metric(t("map.mock.census"), f"{result['census']:.1f}", border=True)
    st.markdown(f"**{t('map.mock.by_category')}**")
    table_with_downloads(map_ui.sample_table(result["sample"], all_sites, lang),
                         f"mock_evaluation_seed_{result['seed']}", key="mock_sample")
