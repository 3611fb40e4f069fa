"""Site reads behind the map, the risk ranking and the mock evaluation."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from civdata.core import models as m
from civdata.domain import district, problems, riskmodel, sites
from tests import factories as f

NOW = datetime(2026, 11, 25, 12, 0)
GEOD = Geod(ellps="WGS84")


def _at(lon: float, lat: float, metres: float, azimuth: float = 90.0) -> tuple[float, float]:
    """Return (lat, lon) of the point metres from (lon, lat) along azimuth."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return lat2, lon2


@pytest.fixture
def world(session):
    """Two sites 2 km apart and problems around the first: open, overdue, closed, far away."""
    sub = f.make_subdistrict(session, code="nanhu")
    other = f.make_subdistrict(session, code="xita")
    market = f.make_category(session, code="market")
    bus = f.make_category(session, code="bus")
    heavy = f.make_problem_class(session, code="infra", risk_weight=1.2, time_limit_days=15)
    light = f.make_problem_class(session, code="pub", risk_weight=0.5, time_limit_days=5)
    a = f.make_site(session, sub, market, code="S1", lat=41.78, lon=123.40)
    b_lat, b_lon = _at(123.40, 41.78, 2000)
    b = f.make_site(session, other, bus, code="S2", lat=b_lat, lon=b_lon)
    p = {}
    p["open"] = f.make_problem(session, sub, heavy, lat=_at(123.40, 41.78, 100)[0],
                               lon=_at(123.40, 41.78, 100)[1], status="assigned",
                               discovered_at=NOW - timedelta(days=7),
                               description="<b>井盖</b> & 破损")
    p["overdue"] = f.make_problem(session, sub, light, lat=_at(123.40, 41.78, 299.9, 0)[0],
                                  lon=_at(123.40, 41.78, 299.9, 0)[1], status="rectifying",
                                  discovered_at=NOW - timedelta(days=14),
                                  deadline=NOW - timedelta(days=1))
    p["closed"] = f.make_problem(session, sub, light, lat=41.78, lon=123.40, status="closed",
                                 closed_at=NOW - timedelta(days=2))
    p["edge_out"] = f.make_problem(session, sub, light, lat=_at(123.40, 41.78, 300.1, 180)[0],
                                   lon=_at(123.40, 41.78, 300.1, 180)[1],
                                   deadline=NOW + timedelta(days=5))
    p["far"] = f.make_problem(session, other, heavy, lat=b_lat, lon=b_lon, status="closed",
                              closed_at=NOW - timedelta(days=1))
    for prob, at, frm, to in [(p["open"], NOW - timedelta(days=7), None, "discovered"),
                              (p["open"], NOW - timedelta(days=6), "discovered", "assigned"),
                              (p["overdue"], NOW - timedelta(days=3), "assigned", "rectifying"),
                              (p["far"], NOW - timedelta(hours=1), "submitted", "closed")]:
        session.add(m.ProblemEvent(problem_id=prob.id, at=at, actor="office", from_status=frm,
                                   to_status=to, note="n"))
    session.flush()
    sites.recompute_problem_sites(session)
    session.flush()
    return {"sub": sub, "other": other, "a": a, "b": b, "p": p, "heavy": heavy, "light": light,
            "market": market, "bus": bus}


def test_sites_with_problem_counts_and_state(session, world) -> None:
    frame = sites.sites_with_problem_counts(session, NOW).set_index("code")
    assert frame.loc["S1", ["open", "overdue", "closed"]].tolist() == [2, 1, 1]
    assert frame.loc["S1", "state"] == "overdue"
    assert frame.loc["S2", ["open", "overdue", "closed"]].tolist() == [0, 0, 1]
    assert frame.loc["S2", "state"] == "clean"
    only = sites.sites_with_problem_counts(session, NOW, world["other"].id)
    assert only["code"].tolist() == ["S2"]


def test_the_300_m_edge_in_the_links(session, world) -> None:
    links = {(r.problem_id, r.site_id) for r in session.query(m.ProblemSite)}
    a, p = world["a"].id, world["p"]
    assert (p["overdue"].id, a) in links  # 299.9 m
    assert (p["edge_out"].id, a) not in links  # 300.1 m
    session.expire_all()
    row = session.get(m.Problem, p["edge_out"].id)
    assert row.nearest_site_id == a and row.nearest_site_m == pytest.approx(300.1, abs=0.05)
    assert row.h3_cell is not None


def test_problem_reads_by_state_and_class(session, world) -> None:
    counts = {s: sites.count_problems_in_view(session, NOW, None, None, s)
              for s in sites.PROBLEM_STATES}
    assert counts == {"open": 3, "overdue": 1, "closed": 2, "all": 5}
    pts = sites.problems_in_view(session, NOW, None, None, "open")
    assert len(pts) == 3 and pts["overdue"].sum() == 1
    heavy = (world["heavy"].id,)
    assert sites.count_problems_in_view(session, NOW, None, heavy, "all") == 2
    assert sites.count_problems_in_view(session, NOW, world["other"].id, None, "all") == 1
    cells = sites.problem_cells_in_view(session, NOW, None, None, "all")
    assert cells["problems"].sum() == 5 and cells["overdue"].sum() == 1
    assert len(sites.problems_in_view(session, NOW, None, None, "all", limit=2)) == 2


def test_site_card_reads(session, world) -> None:
    a = world["a"]
    detail = sites.site_detail(session, a.id)
    assert detail["code"] == "S1" and detail["leader"] == "张三" and detail["grid_staff"] == 3
    assert detail["subdistrict_code"] == "nanhu" and detail["radius_m"] == 300
    assert sites.site_detail(session, 99999) is None
    assert sites.site_id_by_code(session, "S2") == world["b"].id
    probs = sites.site_problems(session, a.id, NOW)
    assert sorted(probs["status"]) == ["assigned", "closed", "rectifying"]
    assert probs["distance_m"].max() < 300
    events = sites.site_recent_events(session, a.id)
    assert events["to_status"].tolist() == ["rectifying", "assigned", "discovered"]
    assert list(events["at"]) == sorted(events["at"], reverse=True)


def test_filter_sites(session, world) -> None:
    frame = sites.sites_with_problem_counts(session, NOW)
    assert sites.filter_sites(frame, None, None, None)["code"].tolist() == ["S1", "S2"]
    assert sites.filter_sites(frame, None, (world["bus"].id,), None)["code"].tolist() == ["S2"]
    assert sites.filter_sites(frame, None, None, ("clean",))["code"].tolist() == ["S2"]
    assert sites.filter_sites(frame, world["sub"].id, None, None)["code"].tolist() == ["S1"]


def test_lookups(session, world) -> None:
    assert len(sites.site_categories(session)) == 2
    assert sorted(problems.problem_classes(session)["risk_weight"]) == [0.5, 1.2]
    bounds = sites.subdistrict_boundaries(session)
    assert set(bounds["code"]) == {"nanhu", "xita"} and bounds["boundary_geojson"].str.len().min()


def test_site_risk_ranks_by_weighted_age(session, world) -> None:
    frame = sites.sites_with_problem_counts(session, NOW)
    links = riskmodel.read_open_links(session, NOW)
    assert len(links.rows) + int(links.late["links"].sum()) == 2  # 300.1 m away: no site
    ranked = riskmodel.site_risk(frame, riskmodel.site_open_figures(links, NOW))
    # open (weight 1.2, 7 days) + overdue (weight 0.5, 14 days, x1.5)
    expected = 1.2 * (1 + 7 / 7) + 0.5 * (1 + 14 / 7) * 1.5
    top = ranked.iloc[0]
    assert top["code"] == "S1" and top["rank"] == 1
    assert top["risk"] == pytest.approx(expected, abs=0.01)
    assert ranked.iloc[1]["risk"] == 0 and ranked.iloc[1]["open_in_radius"] == 0
    only = riskmodel.read_open_links(session, NOW, world["other"].id)
    assert only.rows.empty and only.late.empty


def test_allocation_is_proportional_with_one_per_category() -> None:
    sizes = pd.Series({"a": 100, "b": 50, "c": 3, "d": 1})
    alloc = riskmodel.allocate_sample(sizes, 20)
    assert alloc.sum() == 20 and (alloc >= 1).all() and (alloc <= sizes).all()
    assert alloc["a"] > alloc["b"] > alloc["c"]
    assert riskmodel.allocate_sample(sizes, 2).sum() == 4  # at least one per category
    assert riskmodel.allocate_sample(sizes, 10_000).tolist() == sizes.tolist()


def _population(n_per: dict[str, int]) -> pd.DataFrame:
    """Return a synthetic site table with categories."""
    rows, i = [], 0
    for cat, n in n_per.items():
        for _ in range(n):
            i += 1
            rows.append({"id": i, "code": f"S{i:03d}", "category_code": cat})
    return pd.DataFrame(rows)


def test_stratified_sample_is_reproducible_from_the_seed() -> None:
    pop = _population({"market": 40, "bus": 30, "school": 5})
    one = riskmodel.draw_stratified_sample(pop, 15, seed=7)
    again = riskmodel.draw_stratified_sample(pop, 15, seed=7)
    other = riskmodel.draw_stratified_sample(pop, 15, seed=8)
    assert one["id"].tolist() == again["id"].tolist()
    assert one["id"].tolist() != other["id"].tolist()
    assert one.groupby("category_code").size().to_dict() == {"bus": 6, "market": 8, "school": 1}
    assert one["id"].is_unique


def test_mock_evaluation_estimate_and_range() -> None:
    pop = _population({"market": 40, "bus": 30, "school": 10})
    rng = np.random.default_rng(0)
    site_ids = rng.choice(pop["id"], 60)
    links = pd.DataFrame({"site_id": site_ids, "problem_id": range(60),
                          "risk_weight": rng.choice([0.5, 1.0, 1.2], 60),
                          "discovered_at": NOW, "deadline": NOW})
    scores = riskmodel.site_scores(pop, links)
    assert scores.min() >= 0 and scores.max() == 100
    result = riskmodel.mock_evaluation(pop, links, 30, seed=11)
    assert result["census"] == pytest.approx(scores.mean(), abs=0.01)
    assert result["low"] <= result["estimate"] <= result["high"]
    assert result["n"] == 30 and result["seed"] == 11
    assert result == {**result, **{k: riskmodel.mock_evaluation(pop, links, 30, 11)[k]
                                   for k in ("estimate", "low", "high")}}
    full = riskmodel.mock_evaluation(pop, links, len(pop), seed=1)
    assert full["estimate"] == pytest.approx(full["census"], abs=0.01)


def _scored_population(strata: int, per_stratum: int, seed: int) -> tuple[pd.DataFrame,
                                                                         pd.DataFrame]:
    """Return sites in strata whose scores spread widely, and the problem links behind them."""
    pop = _population({f"c{k:02d}": per_stratum for k in range(strata)})
    rng = np.random.default_rng(seed)
    counts = rng.poisson(3, len(pop))
    site_ids = np.repeat(pop["id"].to_numpy(), counts)
    links = pd.DataFrame({"site_id": site_ids, "problem_id": range(len(site_ids)),
                          "risk_weight": 1.0, "discovered_at": NOW, "deadline": NOW})
    return pop, links


def test_one_draw_per_stratum_still_gives_a_range() -> None:
    pop, links = _scored_population(20, 6, seed=3)
    result = riskmodel.mock_evaluation(pop, links, 20, seed=5)
    assert result["sample"].groupby("category_code").size().max() == 1
    assert result["low"] < result["estimate"] < result["high"]
    assert result["high"] - result["low"] > 2  # scores spread by tens of points


def test_single_draw_strata_are_pooled_for_the_bootstrap() -> None:
    sample = pd.DataFrame({"category_code": ["a", "a", "b", "c"], "score": [90.0, 80, 70, 60]})
    weights = pd.Series({"a": 0.5, "b": 0.3, "c": 0.2})
    groups = riskmodel.bootstrap_groups(sample, "category_code", weights)
    assert [(round(w, 2), sorted(v)) for w, v in groups] == [(0.5, [80, 90]), (0.5, [60, 70])]
    lone = riskmodel.bootstrap_groups(sample[sample["category_code"] != "c"], "category_code",
                                      weights)
    assert [(round(w, 2), sorted(v)) for w, v in lone] == [(0.8, [70, 80, 90])]


def test_range_covers_the_census_in_most_draws() -> None:
    pop, links = _scored_population(25, 8, seed=9)
    census = riskmodel.mock_evaluation(pop, links, 30, seed=0)["census"]
    covered = [r["low"] <= census <= r["high"] for r in
               (riskmodel.mock_evaluation(pop, links, 30, seed=s, rounds=400) for s in range(40))]
    assert sum(covered) >= 32  # a 95% range; 80% allows for the bootstrap's small-sample bias


def test_sample_counts_agree_with_the_overview(sample_session) -> None:
    end_of_day = datetime(2026, 11, 25, 23, 59)
    frame = sites.sites_with_problem_counts(sample_session, end_of_day)
    assert len(frame) == 381 and frame["category_code"].nunique() == 25
    assert int((frame["open"] > 0).sum()) == district.sites_with_open_problems_at(
        sample_session, end_of_day, None)
    figures = riskmodel.site_open_figures(riskmodel.read_open_links(sample_session, end_of_day),
                                          end_of_day)
    assert int(figures["open"].sum()) == int(frame["open"].sum())
    result = riskmodel.mock_evaluation(frame, figures, 60, riskmodel.DEFAULT_SEED)
    assert result["n"] == 60 and result["sample"]["category_code"].nunique() == 25


def test_move_site_converts_the_datum_and_recomputes_links(session, world) -> None:
    from civdata.core.auth import Actor
    from civdata.core.errors import CivDataError, PermissionDenied, StaleEdit
    from civdata.domain import geo

    office = Actor("office", "office", None)
    a, b, p = world["a"], world["b"], world["p"]
    outline = geo.district_outline()
    # Move S2 onto the far problem's spot... it is already there; move S1 2 km east instead,
    # given in GCJ-02 as copied from a web map.
    new_lat, new_lon = _at(123.40, 41.78, 2000, 180)
    glat, glon = geo.from_wgs84(new_lat, new_lon, "gcj02")
    n = sites.move_site(session, office, a.id, glat, glon, "gcj02", expected_version=1,
                        outline=outline)
    assert n == 5
    session.expire_all()
    moved = session.get(m.Site, a.id)
    assert geo.distance_m(moved.lon, moved.lat, new_lon, new_lat) < 1.0 and moved.version == 2
    links = {(r.problem_id, r.site_id) for r in session.query(m.ProblemSite)}
    assert (p["open"].id, a.id) not in links and (p["far"].id, b.id) in links
    audit_row = session.query(m.AuditLog).filter_by(table_name="site").one()
    assert audit_row.action == "site.edit" and '"gcj02"' in audit_row.new_values
    with pytest.raises(StaleEdit) as stale:
        sites.move_site(session, office, a.id, new_lat, new_lon, expected_version=1,
                        outline=outline)
    assert "office" in stale.value.message("en")
    with pytest.raises(CivDataError) as outside:
        sites.move_site(session, office, a.id, 41.78, 123.0, outline=outline)
    assert outside.value.code == "outside_district"
    with pytest.raises(PermissionDenied):
        sites.move_site(session, Actor("leader", "leader", None), a.id, new_lat, new_lon,
                        outline=outline)
    session.expire_all()
    assert session.get(m.Site, a.id).version == 2  # refused writes changed nothing
