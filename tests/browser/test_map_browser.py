"""The map in a real browser: boundaries, sites, buffers, problems drawn offline; click a site."""

from __future__ import annotations

import math

from civdata.core.clock import now_local
from civdata.core.db import make_engine, session_factory
from civdata.domain import geo
from civdata.domain import sites as site_reads
from tests.browser.conftest import WEBGL_CANVASES, login, map_ink, screenshot, wait_ready

DECK = '[data-testid="civDeckChart"]'


def _pixel(view: dict, lon: float, lat: float) -> tuple[float, float]:
    """Return the offset in CSS pixels of (lon, lat) from the map's centre (web Mercator)."""
    scale = 512 * 2 ** view["zoom"]

    def merc(lat_deg: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat_deg) / 2))

    return ((lon - view["longitude"]) / 360 * scale,
            (merc(view["latitude"]) - merc(lat)) / (2 * math.pi) * scale)


def _loneliest_nanhu_site(database_url: str) -> tuple[dict, dict]:
    """Return (the Nanhu site farthest from any other site, the view the page fits to Nanhu)."""
    eng = make_engine(database_url)
    with session_factory(eng)() as s:
        subs = site_reads.subdistrict_boundaries(s)
        frame = site_reads.sites_with_problem_counts(s, now_local())
    eng.dispose()
    nanhu = subs[subs["code"] == "nanhu"].iloc[0]
    view = geo.view_for_bounds(*geo.geometry_from_geojson(nanhu["boundary_geojson"]).bounds)
    mine = frame[frame["subdistrict_code"] == "nanhu"].reset_index(drop=True)
    xy = geo.project_xy(mine["lon"], mine["lat"])
    gaps = [min(math.dist(xy[i], xy[j]) for j in range(len(xy)) if j != i)
            for i in range(len(xy))]
    return mine.iloc[max(range(len(gaps)), key=gaps.__getitem__)].to_dict(), view


def test_map_draws_offline_and_a_click_opens_the_site_card(web, app_server) -> None:
    login(web, "office")
    page = web.page
    page.goto(web.base_url + "/map?subdistrict=nanhu")
    wait_ready(page, DECK)
    canvas = page.locator(f"{DECK} canvas").first
    canvas.wait_for()
    page.wait_for_timeout(3000)  # let deck.gl draw its layers
    box = canvas.bounding_box()
    assert box["width"] > 600 and box["height"] > 400
    shot = screenshot(web, "map")
    assert shot.stat().st_size > 40_000
    assert web.outside_requests == []

    target, view = _loneliest_nanhu_site(app_server.database_url)
    box = canvas.bounding_box()  # again: the full-page screenshot may have moved things
    dx, dy = _pixel(view, target["lon"], target["lat"])
    x, y = box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
    page.mouse.move(x, y)
    tooltip = page.locator(".deck-tooltip")
    tooltip.wait_for(timeout=10_000)
    # the template's markup is rendered, the site's text is shown as text (escaped)
    assert tooltip.locator("b").inner_text().startswith(target["code"])
    assert "<b>" not in tooltip.inner_text()
    page.mouse.click(x, y)
    heading = page.locator("h3").filter(has_text=target["code"])
    heading.first.wait_for(timeout=30_000)
    wait_ready(page, DECK)
    assert target["name_zh"] in heading.first.inner_text()
    screenshot(web, "map_site_card")
    assert web.outside_requests == []


# the layer ids of the map on screen, read from the Deck ui/deckchart.js lent it
_SHOWN_LAYERS = """() => [...document.querySelectorAll('[data-testid="civDeckChart"]')]
  .map((host) => host.__civSlot ? host.__civSlot.deck.props.layers.map((l) => l.id) : null)"""


def test_every_map_draws_in_one_webgl_context_kept_for_the_tab(web) -> None:
    """A visit to a map page takes the Deck (and WebGL context) the last map left: the sites
    map, markets, volunteers and the sites map again build one WebGL canvas in all, and each
    shows its own layers, drawn."""
    page = web.page
    page.context.add_init_script(script=WEBGL_CANVASES)
    login(web, "office")  # every canvas of the tab counts: the warm-up's is the maps' one
    for path, layer in (("map", "sites"), ("markets", "market-points"),
                        ("volunteers", "subdistrict-lines"), ("map", "sites")):
        page.locator(f'[data-testid="stSidebarNav"] a[href="{web.base_url}/{path}"]').click()
        page.wait_for_url(f"{web.base_url}/{path}*")
        wait_ready(page, DECK)
        page.wait_for_selector(f'{DECK}[data-drawn="1"]', timeout=60_000)
        [shown] = page.evaluate(_SHOWN_LAYERS)
        assert layer in shown, (path, shown)
        assert map_ink(page.locator(DECK)) > 0.02, path  # drawn on screen, not only mounted
        assert page.evaluate("window.__webglCanvases") == 1, path
    # the tooltip fills the fixed template with the object's fields, escaped: user text shows
    # as text, never as markup
    html = page.evaluate(_TOOLTIP_OF, {"title": '<img src=x onerror="alert(1)">', "line1": "a&b",
                                       "line2": "'q'", "line3": "路口"})
    assert html == ('<b>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</b><br/>a&amp;b<br/>'
                    '&#x27;q&#x27;<br/>路口')
    assert web.outside_requests == []


# the html tooltip the sites map on screen gives for an object
_TOOLTIP_OF = """(object) => {
  const host = document.querySelector('[data-testid="civDeckChart"]');
  return host.__civSlot.deck.props.getTooltip({object}).html; }"""


# the programs linked in the tab so far, by deck.gl's shader names (each is a GPU pipeline)
_LINKED = """(() => { window.__linked = [];
  for (const C of [window.WebGL2RenderingContext, window.WebGLRenderingContext]) {
    if (!C) continue;
    const P = C.prototype, source = P.shaderSource, attach = P.attachShader,
      link = P.linkProgram;
    P.shaderSource = function (shader, text) {
      const name = /SHADER_NAME\\s+(\\S+)/.exec(text);
      shader.__name = name ? name[1].replace(/-(vertex|fragment)-shader$/, "") : "?";
      return source.call(this, shader, text); };
    P.attachShader = function (program, shader) {
      program.__name = shader.__name; return attach.call(this, program, shader); };
    P.linkProgram = function (program) {
      window.__linked.push(program.__name); return link.call(this, program); };
  } })()"""
_WARMED = """() => { const pool = window.__civDeckPool;
  return !!pool && pool.warmState === "done" && pool.free.length === 1; }"""
# counts the animation frames the page asks for (a Deck's frame loop asks for every one)
_FRAMES = """(() => { window.__frames = 0; const ask = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (callback) => { window.__frames++; return ask(callback); };
})()"""


def _frames_in_a_second(page) -> int:
    """Return the animation frames the page asks for in a second."""
    before = page.evaluate("window.__frames")
    page.wait_for_timeout(1000)
    return page.evaluate("window.__frames") - before


# the map's drawing buffer is as large as the map on screen (not the warm-up's 64 px)
_BUFFER_FITS = """() => { const c = document.querySelector('[data-testid="civDeckChart"] canvas');
  return Math.abs(c.width - c.clientWidth * devicePixelRatio) <= 2 && c.clientWidth > 300; }"""


def _open(page, base_url: str, path: str) -> None:
    """Click a page in the sidebar and wait until its map has drawn."""
    page.locator(f'[data-testid="stSidebarNav"] a[href="{base_url}/{path}"]').click()
    page.wait_for_url(f"{base_url}/{path}*")
    wait_ready(page, DECK)
    page.wait_for_selector(f'{DECK}[data-drawn="1"]', timeout=60_000)


def test_the_first_map_of_the_tab_draws_with_what_the_warm_up_prepared(web) -> None:
    """On a page without a map, once it is idle, the warm-up loads deck.gl and links each
    layer type's program in a Deck kept out of the page; the first map of the tab then takes
    that Deck and links nothing more, and neither does the report's tap map (H3 cells)."""
    page = web.page
    page.context.add_init_script(script=WEBGL_CANVASES)
    page.context.add_init_script(script=_LINKED)
    page.context.add_init_script(script=_FRAMES)
    login(web, "office")  # the overview: no map on it
    page.wait_for_function(_WARMED, timeout=60_000)
    assert _frames_in_a_second(page) <= 2  # the Deck in the pool rests: no frame loop
    assert page.evaluate("window.__webglCanvases") == 1
    assert sorted(page.evaluate("window.__linked")) == [
        "column-layer", "line-layer", "multi-icon-layer", "scatterplot-layer"]
    # nothing of it is on the page
    assert page.evaluate("window.__civDeckPool.free[0].wrap.isConnected") is False
    assert page.locator(DECK).count() == 0
    _open(page, web.base_url, "map")
    assert map_ink(page.locator(DECK)) > 0.02
    assert page.evaluate(_BUFFER_FITS)
    _open(page, web.base_url, "report")
    assert map_ink(page.locator(DECK)) > 0.05  # the tap map's cells
    assert len(page.evaluate("window.__linked")) == 4  # no program more on either map
    assert page.evaluate("window.__webglCanvases") == 1
    assert page.evaluate("window.__civDeckPool.mounts") == 2
    assert _frames_in_a_second(page) >= 30  # a map on the page: its Deck draws every frame
    page.locator(f'[data-testid="stSidebarNav"] a[href="{web.base_url}/"]').click()
    wait_ready(page)
    page.wait_for_function("() => window.__civDeckPool.free.length === 1")
    assert _frames_in_a_second(page) <= 2  # back in the pool, it rests again
    # having let go of the last map's layers first (deck.gl applies them in a frame)
    assert page.evaluate("window.__civDeckPool.free[0].deck.layerManager.getLayers().length") == 0
    _open(page, web.base_url, "map")  # and wakes for the next map
    assert map_ink(page.locator(DECK)) > 0.02
    assert page.evaluate("window.__webglCanvases") == 1


def test_a_map_that_comes_first_calls_the_warm_up_off(web) -> None:
    """A map page opened as the first page of a tab (here a reload of the sites map) shows its
    map in the same run that puts the warm-up in the sidebar: the warm-up, waiting for the
    page to be idle, is called off (or never begins), and the map builds the tab's one Deck
    itself: one WebGL canvas in the tab."""
    page = web.page
    page.context.add_init_script(script=WEBGL_CANVASES)
    login(web, "office", "/map")
    page.wait_for_selector(f'{DECK}[data-drawn="1"]', timeout=60_000)
    # the map and the warm-up mount in either order from one load to the next: three loads
    for load in (1, 2, 3):
        page.reload()
        wait_ready(page, DECK)
        page.wait_for_selector(f'{DECK}[data-drawn="1"]', timeout=60_000)
        # an idle page: a warm-up still waiting would have begun by now (a quiet second,
        # then at most 2 s for the browser's idle callback)
        page.wait_for_timeout(3500)
        assert page.evaluate("window.__civDeckPool.warmState") in ("cancelled", None), load
        assert page.evaluate("window.__webglCanvases") == 1, load
        assert page.evaluate("window.__civDeckPool.mounts") == 1, load
        assert map_ink(page.locator(DECK)) > 0.02, load
        assert page.evaluate(_BUFFER_FITS), load
