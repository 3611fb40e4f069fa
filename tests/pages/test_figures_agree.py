"""Issue 16, item 11: a sample loaded at night holds nothing after that moment, and the open
problems of one subdistrict agree on the overview, its ranking, the map and the work queue."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from civdata.core import clock
from civdata.core.db import make_engine, session_scope
from civdata.core.schema import init_db
from civdata.io.sample import load_sample
from tests.conftest import SAMPLE_AS_OF
from tests.pages.apptest import open_page, signed_in

NIGHT = datetime.combine(SAMPLE_AS_OF, datetime.min.time()) + timedelta(hours=1)


@pytest.fixture
def night_db(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Return the URL of the sample loaded at 01:00 district time, the app's clock at 01:00."""
    url = f"sqlite:///{tmp_path / 'night.db'}"
    eng = make_engine(url)
    init_db(eng)
    monkeypatch.setattr(clock, "now_local", lambda: NIGHT)
    with session_scope(eng) as s:
        load_sample(s, as_of=SAMPLE_AS_OF)  # today by the clock: loaded as of 01:00
    eng.dispose()
    monkeypatch.setenv("CIVDATA_DATABASE_URL", url)
    monkeypatch.setenv("CIVDATA_TODAY", SAMPLE_AS_OF.isoformat())
    monkeypatch.setenv("CIVDATA_SECRET", "test-secret-not-for-production")
    monkeypatch.setattr(clock, "now_local", lambda: NIGHT + timedelta(seconds=30))
    return url


def test_open_problems_of_nanhu_agree_on_every_page(night_db: str) -> None:
    at = signed_in("office", {"subdistrict": "nanhu"})
    assert at.title[0].value.endswith("南湖")
    overview = int(next(m.value for m in at.metric if m.label == "未结问题").replace(",", ""))
    ranking = next(df.value for df in at.dataframe if "综合指数" in df.value.columns)
    in_ranking = int(ranking.loc[ranking["街道"] == "南湖", "未结问题"].iloc[0])

    open_page(at, "map")
    caption = next(c.value for c in at.caption if c.value.startswith("地图显示"))
    on_map = int(re.search(r"、(\d+) 个问题", caption).group(1))

    open_page(at, "problems")
    queue = next(df.value for df in at.dataframe if "剩余小时" in df.value.columns)
    metric = int(next(m.value for m in at.metric if m.label == "未结问题").replace(",", ""))

    assert overview > 0
    assert (overview, in_ranking, on_map, len(queue), metric) == (overview,) * 5
