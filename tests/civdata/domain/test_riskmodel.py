"""Site risk and the mock evaluation (civdata.domain.riskmodel) against hand-worked values."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from civdata.core import models as m
from civdata.core.query import epoch_of
from civdata.domain import riskmodel as R
from civdata.domain.sites import refresh_site_link_counts
from tests.factories import make_problem, make_problem_class, make_site, make_subdistrict

NOW = datetime(2026, 11, 25, 9, 0)


def _unsummed(rows: pd.DataFrame, since: datetime) -> R.OpenLinks:
    """Return OpenLinks holding every link as one row (nothing summed)."""
    return R.OpenLinks(since, pd.DataFrame(columns=R.LATE_COLUMNS), rows)


def _links() -> pd.DataFrame:
    return pd.DataFrame({
        "site_id": [1, 1, 2],
        "problem_id": [10, 11, 12],
        "risk_weight": [2.0, 1.0, 3.0],
        "discovered_at": [datetime(2026, 11, 18, 9), datetime(2026, 11, 25, 9),
                          datetime(2026, 11, 11, 9)],
        "deadline": [datetime(2026, 11, 21, 9), None, datetime(2026, 11, 30, 9)],
    })


def test_problem_risk_grows_with_age_and_overdue() -> None:
    risk = R.problem_risk(_links(), NOW)
    # 10: weight 2, 7 days open (x2), overdue (x1.5) = 6; 11: found now, no deadline = 1;
    # 12: weight 3, 14 days open (x3), not yet due = 9
    assert risk.tolist() == pytest.approx([6.0, 1.0, 9.0])


def test_site_risk_ranks_the_riskiest_first() -> None:
    sites = pd.DataFrame({"id": [1, 2, 3], "code": ["S1", "S2", "S3"]})
    out = R.site_risk(sites, R.site_open_figures(_unsummed(_links(), NOW), NOW))
    assert out["code"].tolist() == ["S2", "S1", "S3"]
    assert out["risk"].tolist() == [9.0, 7.0, 0.0]
    assert out["open_in_radius"].tolist() == [1, 2, 0]
    assert out["overdue_in_radius"].tolist() == [0, 1, 0]
    assert out["rank"].tolist() == [1, 2, 3]


def test_site_scores_deduct_five_points_per_weight_with_a_floor() -> None:
    sites = pd.DataFrame({"id": [1, 2, 3]})
    links = pd.DataFrame({"site_id": [1, 1, 2] + [3] * 7,
                          "risk_weight": [2.0, 1.0, 3.0] + [3.0] * 7})
    # 1: 100 - 5*3 = 85; 2: 100 - 15 = 85; 3: 100 - 5*21 < 0 -> 0
    assert R.site_scores(sites, links).to_dict() == {1: 85.0, 2: 85.0, 3: 0.0}


def test_allocate_sample_is_proportional_with_at_least_one() -> None:
    sizes = pd.Series({"a": 50, "b": 30, "c": 20, "d": 1})
    out = R.allocate_sample(sizes, 10)
    # quotas 4.95, 2.97, 1.98, 0.099: floors 4, 2, 1, then d gets its one; largest remainders
    # go to b (0.97) and c (0.98), one by one, until 10
    assert out.to_dict() == {"a": 4, "b": 3, "c": 2, "d": 1}
    assert int(R.allocate_sample(sizes, 500).sum()) == 101  # never more than there are


def test_stratified_mean_weighs_each_stratum_mean() -> None:
    values = pd.Series([80.0, 100.0, 60.0])
    strata = pd.Series(["a", "a", "b"])
    weights = pd.Series({"a": 0.75, "b": 0.25})
    assert R.stratified_mean(values, strata, weights) == pytest.approx(0.75 * 90 + 0.25 * 60)


def test_bootstrap_groups_pool_the_strata_drawn_once() -> None:
    sample = pd.DataFrame({"k": ["a", "a", "b", "c"], "score": [1.0, 2.0, 3.0, 4.0]})
    weights = pd.Series({"a": 0.5, "b": 0.3, "c": 0.2})
    groups = R.bootstrap_groups(sample, "k", weights)
    assert [(w, v.tolist()) for w, v in groups] == [(0.5, [1.0, 2.0]), (0.5, [3.0, 4.0])]
    lone = R.bootstrap_groups(sample[sample["k"] != "c"], "k", weights)
    assert [(w, v.tolist()) for w, v in lone] == [(0.8, [1.0, 2.0, 3.0])]


def test_mock_evaluation_of_equal_scores_has_no_spread() -> None:
    sites = pd.DataFrame({"id": [1, 2, 3, 4], "category_code": ["x", "x", "y", "y"]})
    links = pd.DataFrame({"site_id": [1, 2, 3, 4], "risk_weight": [1.0] * 4})
    out = R.mock_evaluation(sites, links, n=2, seed=7, rounds=50)
    assert (out["estimate"], out["low"], out["high"], out["census"], out["n"]) \
        == (95.0, 95.0, 95.0, 95.0, 2)
    assert sorted(out["sample"]["category_code"]) == ["x", "y"]  # one per stratum


def test_read_open_links_reads_open_problems_in_radius(session) -> None:
    a, b = make_subdistrict(session), make_subdistrict(session)
    cls = make_problem_class(session, risk_weight=2.5)
    near_a, near_b = make_site(session, a), make_site(session, b)
    open_one = make_problem(session, a, cls, deadline=datetime(2026, 11, 26, 9))
    closed = make_problem(session, a, cls, status="closed", closed_at=NOW)
    for site, problem in ((near_a, open_one), (near_a, closed), (near_b, open_one)):
        session.add(m.ProblemSite(site_id=site.id, problem_id=problem.id, distance_m=50.0))
    session.flush()
    every = R.read_open_links(session, NOW)
    assert every.late.empty  # not yet overdue at NOW: one row per link
    assert sorted(every.rows["site_id"]) == sorted([near_a.id, near_b.id])
    assert set(every.rows["problem_id"]) == {open_one.id}
    assert set(every.rows["risk_weight"]) == {2.5}
    only_a = R.read_open_links(session, NOW, a.id)
    assert only_a.rows["site_id"].tolist() == [near_a.id] and only_a.late.empty


def _late_world(session) -> tuple[int, int, int]:
    """Two sites: one with problems overdue at NOW (two), not yet due, without a deadline,
    found after NOW and closed; one with one overdue problem. Return the site ids and the
    id of the problem found after NOW."""
    sub = make_subdistrict(session)
    heavy, light = (make_problem_class(session, risk_weight=2.0),
                    make_problem_class(session, risk_weight=1.0))
    s1, s2, quiet = make_site(session, sub), make_site(session, sub), make_site(session, sub)
    found = datetime(2026, 11, 18, 9)
    late1 = make_problem(session, sub, heavy, discovered_at=found,
                         deadline=datetime(2026, 11, 21, 9))
    late2 = make_problem(session, sub, light, discovered_at=datetime(2026, 11, 24, 9),
                         deadline=datetime(2026, 11, 25, 8))
    due = make_problem(session, sub, heavy, discovered_at=found,
                       deadline=datetime(2026, 11, 27, 9))
    none = make_problem(session, sub, light, discovered_at=found, deadline=None)
    later = make_problem(session, sub, light, discovered_at=datetime(2026, 11, 25, 12),
                         deadline=datetime(2026, 11, 25, 13))
    shut = make_problem(session, sub, heavy, discovered_at=found, status="closed",
                        closed_at=NOW, deadline=datetime(2026, 11, 19, 9))
    for site, problem in ((s1, late1), (s1, late2), (s1, due), (s1, none), (s1, later),
                          (s1, shut), (s2, late1), (quiet, shut)):
        session.add(m.ProblemSite(site_id=site.id, problem_id=problem.id, distance_m=50.0))
    session.flush()
    return s1.id, s2.id, later.id


def test_read_open_links_sums_the_links_overdue_at_since_per_site(session) -> None:
    s1, s2, later = _late_world(session)
    links = R.read_open_links(session, NOW)
    late = links.late.set_index("site_id")
    # s1: late1 (2.0, found 18th 09:00) and late2 (1.0, found 24th 09:00); s2: late1
    assert late["links"].to_dict() == {s1: 2, s2: 1}
    assert late["risk_weight"].to_dict() == {s1: 3.0, s2: 2.0}
    found1, found2 = epoch_of(datetime(2026, 11, 18, 9)), epoch_of(datetime(2026, 11, 24, 9))
    assert late.loc[s1, "weighted_found"] == pytest.approx(2 * found1 + found2, abs=1e-3)
    # not yet due, no deadline, found after since: one row each; the closed one nowhere
    assert sorted(links.rows["site_id"]) == [s1, s1, s1]
    assert later in set(links.rows["problem_id"])


def test_site_open_figures_by_hand_at_later_moments(session) -> None:
    s1, s2, _ = _late_world(session)
    links = R.read_open_links(session, NOW)
    at = datetime(2026, 11, 25, 21)  # 12 hours on: `later` (due 13:00) is overdue as well
    fig = R.site_open_figures(links, at).set_index("site_id")
    assert fig["open"].to_dict() == {s1: 5, s2: 1}
    assert fig["overdue"].to_dict() == {s1: 3, s2: 1}
    assert fig["risk_weight"].to_dict() == {s1: 7.0, s2: 2.0}
    days = lambda found: (at - found).total_seconds() / 86400  # noqa: E731
    risk_late1 = 2.0 * (1 + days(datetime(2026, 11, 18, 9)) / 7) * 1.5
    risk_late2 = 1.0 * (1 + days(datetime(2026, 11, 24, 9)) / 7) * 1.5
    risk_due = 2.0 * (1 + days(datetime(2026, 11, 18, 9)) / 7)
    risk_none = 1.0 * (1 + days(datetime(2026, 11, 18, 9)) / 7)
    risk_later = 1.0 * (1 + days(datetime(2026, 11, 25, 12)) / 7) * 1.5
    assert fig.loc[s1, "risk"] == pytest.approx(
        risk_late1 + risk_late2 + risk_due + risk_none + risk_later)
    assert fig.loc[s2, "risk"] == pytest.approx(risk_late1)
    with pytest.raises(ValueError):  # read at NOW, it cannot answer for an earlier moment
        R.site_open_figures(links, datetime(2026, 11, 25, 8))


def test_summed_links_give_the_figures_of_one_row_per_link(sample_session) -> None:
    since = datetime(2026, 11, 25, 12)
    summed = R.read_open_links(sample_session, since)
    every = R.read_open_links(sample_session, datetime(1900, 1, 1))  # nothing late: all rows
    assert every.late.empty and len(summed.late) > 0
    assert len(summed.rows) < len(every.rows)
    for later in (since, datetime(2026, 11, 26, 8, 30), datetime(2026, 12, 9, 12)):
        a = R.site_open_figures(summed, later).set_index("site_id").sort_index()
        b = R.site_open_figures(_unsummed(every.rows, later), later).set_index(
            "site_id").sort_index()
        assert a[["open", "overdue"]].equals(b[["open", "overdue"]])
        assert a["risk"].to_numpy() == pytest.approx(b["risk"].to_numpy(), rel=1e-9)
        assert a["risk_weight"].to_numpy() == pytest.approx(b["risk_weight"].to_numpy())


def test_open_weight_by_site_sums_open_problems_in_radius(session) -> None:
    a = make_subdistrict(session)
    heavy, light = make_problem_class(session, risk_weight=2.5), make_problem_class(session,
                                                                                  risk_weight=1)
    s1, s2, quiet = make_site(session, a), make_site(session, a), make_site(session, a)
    p1 = make_problem(session, a, heavy, deadline=datetime(2026, 11, 22, 9))
    p2 = make_problem(session, a, light, deadline=datetime(2026, 11, 22, 9))
    shut = make_problem(session, a, heavy, status="closed", closed_at=NOW)
    for site, problem in ((s1, p1), (s1, p2), (s1, shut), (s2, p2), (quiet, shut)):
        session.add(m.ProblemSite(site_id=site.id, problem_id=problem.id, distance_m=50.0))
    session.flush()
    refresh_site_link_counts(session)  # what every write of problem_site does
    sums = R.open_weight_by_site(session)
    # s1: 2.5 + 1 (the closed one left out), s2: 1, the quiet site has no open problem
    assert dict(zip(sums["site_id"], sums["risk_weight"], strict=True)) == {s1.id: 3.5, s2.id: 1.0}
    # the same scores as from the per-problem rows it replaces in the estimate's fallback
    sites = pd.DataFrame({"id": [s1.id, s2.id, quiet.id]})
    figures = R.site_open_figures(R.read_open_links(session, NOW), NOW)
    assert R.site_scores(sites, sums).tolist() == R.site_scores(
        sites, figures).tolist() == [82.5, 95.0, 100.0]
