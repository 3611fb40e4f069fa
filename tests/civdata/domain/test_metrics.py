"""The pure figures of civdata.domain.metrics, each checked against a value worked by hand."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from civdata.domain import metrics


@pytest.mark.parametrize(("start", "end", "day", "expected"), [
    (date(2026, 9, 1), date(2026, 12, 30), date(2026, 9, 1), 0.0),     # not begun
    (date(2026, 9, 1), date(2026, 12, 30), date(2026, 10, 31), 50.0),  # 60 of 120 days
    (date(2026, 9, 1), date(2026, 12, 30), date(2026, 12, 30), 100.0),
    (date(2026, 9, 1), date(2026, 12, 30), date(2027, 1, 5), 100.0),
    (None, date(2026, 12, 30), date(2026, 10, 1), 0.0),                # no plan
])
def test_planned_percent_is_a_straight_line(start, end, day, expected) -> None:
    assert metrics.planned_percent(start, end, day) == pytest.approx(expected)


def _projects() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [1, 2, 3, 4],
        "programme": ["old_compound", "old_compound", "back_street", "back_street"],
        "batch": [1, 1, 1, 1],
        "subdistrict_id": [10, 20, 10, 10],
        "floor_area_m2": [3000.0, 1000.0, 0.0, 0.0],
        "length_m": [0.0, 0.0, 200.0, 0.0],  # project 4 has no length: weight 1
        "percent": [40.0, 100.0, 50.0, 10.0],
        "stage": ["under_construction", "completed", "under_construction", "bidding"],
        "planned_start": [date(2026, 9, 1)] * 4,
        "planned_end": [date(2026, 12, 30), date(2026, 12, 30), date(2026, 10, 31),
                        date(2026, 12, 30)],
    })


def test_weights_are_floor_area_for_compounds_and_length_for_streets() -> None:
    assert metrics.project_weights(_projects()).tolist() == [3000.0, 1000.0, 200.0, 1.0]


def test_weighted_progress_per_programme_and_batch() -> None:
    out = metrics.weighted_progress(_projects()).set_index("programme")
    # compounds: (40*3000 + 100*1000) / 4000 = 55; streets: (50*200 + 10*1) / 201
    assert out.loc["old_compound", "percent"] == pytest.approx(55.0)
    assert out.loc["back_street", "percent"] == pytest.approx(10010 / 201)
    assert out.loc["old_compound", "projects"] == 2 and out.loc["old_compound", "completed"] == 1
    assert out.index.tolist() == ["old_compound", "back_street"]  # the programmes' order


def test_progress_against_plan_on_a_day() -> None:
    out = metrics.progress_against_plan(_projects(), date(2026, 10, 31)).set_index(
        "subdistrict_id")
    # subdistrict 10 on 10-31: plans 50, 100 (street ends that day), 50; weights 3000, 200, 1
    actual = (40 * 3000 + 50 * 200 + 10 * 1) / 3201
    planned = (50 * 3000 + 100 * 200 + 50 * 1) / 3201
    assert out.loc[10, "actual"] == pytest.approx(actual)
    assert out.loc[10, "planned"] == pytest.approx(planned)
    assert out.loc[10, "ratio"] == pytest.approx(actual / planned)
    assert out.loc[20, "ratio"] == pytest.approx(2.0)  # 100 done against 50 planned


def test_slippage_marks_behind_and_overdue_projects() -> None:
    out = metrics.project_slippage(_projects(), date(2026, 11, 15)).set_index("id")
    # day 75 of 120: 62.5 % planned. 1 trails by 22.5 (behind); 2 is complete; 3's plan
    # ended 10-31 (overdue); 4 trails by 52.5 (behind).
    assert out.loc[1, "behind"] == pytest.approx(22.5)
    assert out["slip_reason"].to_dict() == {1: "behind", 2: None, 3: "overdue", 4: "behind"}
    assert out["slipping"].tolist() == [True, False, True, True]


def _targets() -> pd.DataFrame:
    return pd.DataFrame({"metric": ["on_time_rate", "overdue"], "target": [0.9, 2.0],
                         "weight": [0.75, 0.25], "higher_is_better": [True, False]})


def test_index_scores_cap_ratios_and_weigh_them() -> None:
    values = pd.DataFrame({"code": ["a", "b", "c"], "on_time_rate": [0.45, 0.9, float("nan")],
                           "overdue": [4.0, 0.0, 1.0]})
    out = metrics.index_scores(values, _targets()).set_index("code")
    # a: 0.45/0.9 = 0.5 and 2/4 = 0.5 -> 50. b: 1.0 and no overdue -> the cap 1.25:
    # 100 * (0.75*1 + 0.25*1.25) = 106.25. c: on-time rate missing, only 2/1 capped at 1.25.
    assert out.loc["a", "index"] == pytest.approx(50.0)
    assert out.loc["b", "index"] == pytest.approx(106.25)
    assert out.loc["c", "index"] == pytest.approx(125.0)
    assert out.loc["b", "overdue_ratio"] == metrics.INDEX_CAP
    assert out["rank"].to_dict() == {"c": 1, "b": 2, "a": 3}


def test_metric_values_are_ratios_of_the_raw_counts() -> None:
    raw = pd.DataFrame({"id": [1, 2], "code": ["a", "b"], "name_zh": ["甲", "乙"],
                        "name_en": ["A", "B"], "on_time_30d": [3, 0], "closed_30d": [4, 0],
                        "sites_with_open": [1, 0], "sites": [5, 0], "market_score": [88.0, None],
                        "communities_covered": [2, 1], "communities": [8, 4],
                        "open": [6, 0], "overdue": [2, 0]})
    ren = pd.DataFrame({"subdistrict_id": [1], "ratio": [0.8]})
    out = metrics.metric_values(raw, ren).set_index("code")
    assert out.loc["a", "on_time_rate"] == pytest.approx(0.75)
    assert out.loc["a", "clean_site_share"] == pytest.approx(0.8)
    assert out.loc["a", "volunteer_coverage"] == pytest.approx(0.25)
    assert out.loc["a", "renovation_vs_plan"] == pytest.approx(0.8)
    assert math.isnan(out.loc["b", "on_time_rate"])  # nothing closed: undefined, not 0
    assert math.isnan(out.loc["b", "renovation_vs_plan"])
    assert out["overdue"].tolist() == [2, 0]


def test_change_is_none_when_a_side_is_missing() -> None:
    assert metrics.change(0.8, 0.5) == pytest.approx(0.3)
    assert metrics.change(None, 0.5) is None
    assert metrics.change(0.8, float("nan")) is None
