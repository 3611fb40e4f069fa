"""Stored text is drawn as text: Markdown in a site, a unit or a ladder name never renders
(issue 15.8: an image link made the browser fetch an outside URL)."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select, update

from civdata.core import models as m
from tests.pages.apptest import open_page, signed_in
from ui.plain import escape_md

IMAGE = "![x](http://example.invalid/p.png)"


def _store_image_links(url: str) -> None:
    """Write the image link into a site's name and responsibility, every problem's responsible
    unit and the first rung of the escalation ladder."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(update(m.Site).where(m.Site.code == "S060").values(
            name_zh=IMAGE, leader=IMAGE, unit_1=IMAGE, unit_2=IMAGE, unit_3=IMAGE))
        conn.execute(update(m.Problem).values(responsible_unit=IMAGE))
        first = select(func.min(m.EscalationRung.id)).scalar_subquery()
        conn.execute(update(m.EscalationRung).where(m.EscalationRung.id == first)
                     .values(name_zh=IMAGE, name_en=IMAGE))
    engine.dispose()


def _markdown_texts(at) -> list[str]:
    """Return every text of the run that Streamlit renders as Markdown: bodies and labels."""
    texts = []
    for root in (at.main, at.sidebar):
        for el in root:
            proto = getattr(el, "proto", None)
            for name in ("body", "label", "help"):
                if proto is not None and name in type(proto).DESCRIPTOR.fields_by_name:
                    texts.append(str(getattr(proto, name)))
    return texts


def _assert_shown_as_text(at) -> None:
    """The link is shown, escaped, and no Markdown text carries it unescaped."""
    texts = _markdown_texts(at)
    assert not [x for x in texts if "![x](http" in x or "](http://example.invalid" in x], texts
    assert any(escape_md(IMAGE) in x for x in texts)


def test_escape_md_leaves_no_markdown() -> None:
    assert escape_md(IMAGE) == r"\!\[x\]\(http\:\/\/example\.invalid\/p\.png\)"
    assert escape_md(":red[x] *b* `c` $x$ <img src=y>") == (
        r"\:red\[x\] \*b\* \`c\` \$x\$ \<img src\=y\>")
    assert escape_md(None) == "" and escape_md("南湖街道") == "南湖街道"


def test_site_card_shows_stored_markdown_as_text(sample_db) -> None:
    _store_image_links(sample_db)
    at = open_page(signed_in("office", {"site": "S060"}), "map")
    assert at.subheader[0].value == f"S060 · {escape_md(IMAGE)}"
    _assert_shown_as_text(at)


def test_ladder_and_responsible_unit_show_stored_markdown_as_text(sample_db) -> None:
    _store_image_links(sample_db)
    at = open_page(signed_in("office"), "problems")
    assert any(escape_md(IMAGE) in c.value for c in at.caption)  # the ladder line
    _assert_shown_as_text(at)
