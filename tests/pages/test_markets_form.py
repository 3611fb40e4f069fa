"""Issue 16, item 9: the inspection form opens on the market in view and starts afresh after a
save (no invitation to save the same inspection twice)."""

from __future__ import annotations

from sqlalchemy import select

from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from tests.pages.apptest import open_page, signed_in


def _market_id(url: str, code: str) -> int:
    eng = make_engine(url)
    try:
        with session_factory(eng)() as s:
            return int(s.scalar(select(m.Market.id).where(m.Market.code == code)))
    finally:
        eng.dispose()


def test_form_preselects_the_market_in_view(sample_db: str) -> None:
    m14 = _market_id(sample_db, "M14")  # 太原街农贸市场14
    at = open_page(signed_in("market"), "markets")
    assert at.selectbox(key="mi_market").value != m14
    at.selectbox(key="market_select").set_value(m14).run()
    assert not at.exception, at.exception
    assert at.selectbox(key="mi_market").value == m14
    assert at.selectbox(key="mi_market").proto.options[
        at.selectbox(key="mi_market").index] == "太原街农贸市场14"


def test_form_is_cleared_after_a_save(sample_db: str) -> None:
    m14 = _market_id(sample_db, "M14")
    at = open_page(signed_in("market"), "markets")
    at.selectbox(key="market_select").set_value(m14).run()
    at.selectbox(key="mi_inspector").set_value("曾文杰")
    at.number_input(key="mi_score_environment_hygiene").set_value(10.0)
    at.text_area(key="mi_notes").input("地面有积水")
    at.checkbox(key="mi_reinspection").check()
    at.button(key="mi_submit").click().run()
    assert not at.exception, at.exception
    assert any("总分 90" in s.value for s in at.success)
    assert at.text_area(key="mi_notes").value == ""
    assert at.number_input(key="mi_score_environment_hygiene").value > 10.0
    assert at.checkbox(key="mi_reinspection").value is False
    assert at.selectbox(key="mi_market").value == m14  # still the market in view
