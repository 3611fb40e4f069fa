"""The volunteers page through AppTest: figures equal the data layer, charts, drill-down, form."""

from __future__ import annotations

import base64
from datetime import timedelta

import numpy as np
import plotly.io as pio
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from civdata.domain import volunteers as vol
from tests.conftest import SAMPLE_AS_OF
from tests.pages import apptest
from tests.pages.apptest import DASHBOARD

APP = DASHBOARD
PAGE = "pages/volunteers.py"


def open_page(user: str = "office", subdistrict: str | None = None) -> AppTest:
    """Log in as user and open the volunteers page (optionally drilled down by URL)."""
    query = {"subdistrict": subdistrict} if subdistrict else None
    return apptest.open_page(apptest.signed_in(user, query), "volunteers")


def expected(url: str, sub_code: str | None = None, window: int = 30,
             team_code: str | None = None) -> dict:
    """Return the data layer's figures for the page's view."""
    eng = make_engine(url)
    with session_factory(eng)() as s:
        sub_id = None if sub_code is None else s.scalar(
            select(m.Subdistrict.id).where(m.Subdistrict.code == sub_code))
        team_id = None if team_code is None else s.scalar(
            select(m.VolunteerTeam.id).where(m.VolunteerTeam.code == team_code))
        day = SAMPLE_AS_OF
        first, last = vol.window_bounds(day, window)
        comms = vol.community_coverage(vol.community_activity(s, day, sub_id, window), day)
        sites = vol.site_coverage(vol.sites_with_open_problem_counts(s, sub_id),
                                  vol.activities_between(s, day - timedelta(days=364), day),
                                  vol.team_bases(s), day, window)
        out = {"comms": vol.coverage_share(comms), "sites": vol.coverage_share(sites),
               "gaps": vol.ranked_gaps(sites, comms),
               "acts": vol.activities_between(s, first, last, sub_id, team_id),
               "weekly": vol.weekly_trend(vol.daily_activity(
                   s, day - timedelta(days=7 * 52 - 1), day, sub_id, team_id), day, 52),
               "teams": vol.team_ranking(s, first, last, sub_id),
               "partners": vol.partner_ranking(s, first, last, sub_id)}
    eng.dispose()
    return out


def metrics(at: AppTest) -> list[str]:
    """Return the values of the page's metric cards."""
    return [mt.value for mt in at.metric]


def pct(pair: tuple[int, int]) -> str:
    """Return covered/total as the page formats it."""
    return f"{100 * pair[0] / pair[1]:.1f}%"


def charts(at: AppTest) -> list:
    """Return the page's plotly figures decoded from their protos."""
    return [pio.from_json(c.proto.spec) for c in at.get("plotly_chart")]


def values(array: object) -> list:
    """Return a plotly array as a list, decoding plotly 7's base64 'bdata' form."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def deck_layers(at: AppTest) -> dict[str, list]:
    """Return the map's layers by id with their data."""
    spec = apptest.deck_specs(at)[0]
    return {layer["id"]: layer["data"] for layer in spec["layers"]}


def test_page_figures_equal_the_data_layer(sample_db: str) -> None:
    at = open_page("office")
    want = expected(sample_db)
    acts = want["acts"]
    assert metrics(at) == [pct(want["comms"]), pct(want["sites"]), f"{len(acts):,}",
                           f"{acts['participants'].sum():,}",
                           f"{acts['volunteer_hours'].sum():,.1f}"]
    assert want["comms"] == (45, 110)
    trend, teams, partners = charts(at)
    assert values(trend.data[0].y) == want["weekly"]["activities"].tolist()
    assert values(trend.data[1].y) == want["weekly"]["participants"].tolist()
    assert values(trend.data[2].y) == pytest.approx(want["weekly"]["hours"].tolist())
    assert values(trend.data[0].x)[-1] == str(SAMPLE_AS_OF)
    top = want["teams"].head(15)
    assert values(teams.data[0].x)[::-1] == pytest.approx(top["hours"].tolist())
    assert values(teams.data[0].y)[::-1] == top["name_zh"].tolist()
    assert values(partners.data[0].x)[::-1] == want["partners"].head(15)["activities"].tolist()
    layers = deck_layers(at)
    assert {row["part"] for row in layers.pop("subdistrict-lines")} == set(range(12))
    assert {k: len(v) for k, v in layers.items()} == {
        "gaps": len(want["gaps"]), "activities": len(acts), "team-bases": 58, "stations": 78}
    gaps_table = at.dataframe[0].value
    assert len(gaps_table) == len(want["gaps"])
    assert gaps_table.iloc[:, 2].tolist()[:10] == want["gaps"]["name_zh"].tolist()[:10]
    assert len(at.dataframe[1].value) == 12  # coverage by subdistrict
    assert len(at.dataframe[2].value) == len(acts)
    spec = apptest.deck_specs(at)[0]
    assert "mapStyle" not in spec or spec["mapStyle"] in (None, "", "__MAP_STYLE__")


def test_window_and_surroundings_layer(sample_db: str) -> None:
    at = open_page("office")
    at.number_input(key="window").set_value(7).run()
    at.checkbox(key="vol_surroundings").check().run()
    want = expected(sample_db, window=7)
    assert metrics(at)[:3] == [pct(want["comms"]), pct(want["sites"]), f"{len(want['acts']):,}"]
    layers = deck_layers(at)
    assert len(layers["site-surroundings"]) == 381
    assert len(layers["gaps"]) == len(want["gaps"])


def test_drill_down_by_subdistrict_and_team(sample_db: str) -> None:
    at = open_page("office", subdistrict="nanhu")
    want = expected(sample_db, "nanhu")
    assert metrics(at)[:3] == [pct(want["comms"]), pct(want["sites"]), f"{len(want['acts']):,}"]
    assert "南湖" in at.title[0].value
    team_code = want["teams"]["code"].iloc[0]
    at.selectbox(key="vol_team").set_value(team_code).run()
    want_team = expected(sample_db, "nanhu", team_code=team_code)
    assert metrics(at)[2] == f"{len(want_team['acts']):,}"
    assert values(charts(at)[0].data[0].y) == want_team["weekly"]["activities"].tolist()
    assert len(deck_layers(at)["team-bases"]) == 1
    assert len(at.dataframe[-1].value) == len(want_team["acts"])


def _activity_count(url: str) -> int:
    """Return the number of stored activities."""
    eng = make_engine(url)
    with session_factory(eng)() as s:
        n = int(s.scalar(select(func.count(m.VolunteerActivity.id))))
    eng.dispose()
    return n


def test_the_form_records_an_activity_and_the_page_updates(sample_db: str) -> None:
    at = open_page("office")
    before = _activity_count(sample_db)
    acts_before = int(metrics(at)[2].replace(",", ""))
    at.text_input(key="vol_f_title").input("<b>敬老义剪</b>")
    at.number_input(key="vol_f_people").set_value(8)
    at.number_input(key="vol_f_hours").set_value(16.0)
    at.button(key="FormSubmitter:vol_activity_form-保存活动").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _activity_count(sample_db) == before + 1
    assert any("敬老义剪" in s.value for s in at.success)
    assert int(metrics(at)[2].replace(",", "")) == acts_before + 1
    tips = " ".join(d["tip"] for d in deck_layers(at)["activities"])
    # User text travels as plain text in a {field}; the map's tooltip (ui/deckchart.js) escapes
    # every field value in the browser (escaping here too would show entities), and the template
    # itself holds no user text.
    assert "<b>敬老义剪</b>" in tips and "&lt;" not in tips
    assert apptest.map_data(at)[0]["tooltip"] == {"html": "{tip}"}


def test_the_form_shows_clear_errors_and_writes_nothing(sample_db: str) -> None:
    at = open_page("office")
    before = _activity_count(sample_db)
    at.text_input(key="vol_f_title").input("健身操")
    at.number_input(key="vol_f_people").set_value(2)
    at.number_input(key="vol_f_hours").set_value(60.0)
    at.button(key="FormSubmitter:vol_activity_form-保存活动").click().run()
    assert [e.value for e in at.error] == [
        "志愿时长 60 小时超过了 2 人 × 24 小时 = 48 小时。"]
    at.number_input(key="vol_f_people").set_value(0)
    at.button(key="FormSubmitter:vol_activity_form-保存活动").click().run()
    assert "参与人数必须大于 0" in at.error[0].value
    assert _activity_count(sample_db) == before


def test_form_offers_subdistrict_staff_only_their_communities(sample_db: str) -> None:
    at = open_page("nanhu")
    eng = make_engine(sample_db)
    with session_factory(eng)() as s:
        nanhu = s.scalar(select(m.Subdistrict.id).where(m.Subdistrict.code == "nanhu"))
        own = set(vol.communities(s, nanhu)["id"])
    eng.dispose()
    assert set(at.selectbox(key="vol_f_comm").options) == {
        str(n) for n in vol_names(sample_db, own)}
    leader = open_page("leader")
    with pytest.raises(KeyError):
        leader.selectbox(key="vol_f_comm")


def vol_names(url: str, ids: set[int]) -> list[str]:
    """Return the Chinese names of the communities with these ids."""
    eng = make_engine(url)
    with session_factory(eng)() as s:
        names = s.scalars(select(m.Community.name_zh).where(m.Community.id.in_(ids))).all()
    eng.dispose()
    return list(names)


def test_the_page_in_english(sample_db: str) -> None:
    at = open_page("office")
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Volunteers and civilization practice · Whole district"
    assert [mt.label for mt in at.metric][:2] == ["Communities covered", "Sites covered"]
    tips = [d["tip"] for d in deck_layers(at)["stations"]]
    assert "theory preaching, education, culture, science popularisation, fitness" in tips[0]
    boundaries = {"subdistrict-lines"}  # drawn without a tooltip
    assert all("volunteers." not in tip for key, layer in deck_layers(at).items()
               if key not in boundaries for tip in (d["tip"] for d in layer))


def test_a_link_reproduces_window_and_team(sample_db: str) -> None:
    want = expected(sample_db, "nanhu", window=14)
    team_code = want["teams"]["code"].iloc[0]
    at = apptest.signed_in("office", {"subdistrict": "nanhu"})
    at.switch_page(PAGE)
    at.query_params["window"] = "14"
    at.query_params["team"] = team_code
    at.run()
    assert not at.exception
    want_team = expected(sample_db, "nanhu", window=14, team_code=team_code)
    assert at.number_input(key="window").value == 14
    assert at.selectbox(key="vol_team").value == team_code
    assert metrics(at)[:3] == [pct(want["comms"]), pct(want["sites"]),
                               f"{len(want_team['acts']):,}"]
