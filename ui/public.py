"""The public report page's parts (no sign-in): the location (phone geolocation or a tap on the
map), the report form, the status look-up by code, and the client's address for the limits."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache

import h3
import pandas as pd
import pydeck as pdk
import shapely
import streamlit as st

from civdata.core.errors import CivDataError
from civdata.domain import geo
from civdata.domain import public_reports as pr
from ui import basemap, forms, points, readers
from ui.deckchart import deck_chart
from ui.geolocation import fresh_position
from ui.i18n import current_lang, name_col, t
from ui.plain import escape_md

POINT = "public_point"  # (lat, lon, how, accuracy m) of the report being written
SESSION = "public_session"  # a random id of this browser session (the limit counts by it)
CODE = "code"  # ?code=K7M2-Q9XA opens the status of a report
MAP_HEIGHT = 320
TAP_RESOLUTION = 10  # H3 cells of about 66 m a side: what a tap on the map picks


def address_from(peer: str | None, forwarded_for: str | None) -> str | None:
    """Return the client's address: the peer's, or behind our own proxy (a loopback peer: the
    nginx in deploy/ on the same machine) the last X-Forwarded-For entry, the one nginx itself
    appended (entries left of it are whatever the client sent)."""
    try:
        proxied = peer is not None and ipaddress.ip_address(peer).is_loopback
    except ValueError:
        proxied = False
    if proxied and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        return last or peer
    return peer


def client_address() -> str | None:
    """Return this session's client address (st.context; X-Forwarded-For behind the proxy)."""
    peer = st.context.ip_address
    forwarded = st.context.headers.get("X-Forwarded-For")
    return address_from(peer if isinstance(peer, str) else None,
                        forwarded if isinstance(forwarded, str) else None)


def browser_session() -> str:
    """Return the random id of this browser session (made on its first run)."""
    if SESSION not in st.session_state:
        st.session_state[SESSION] = secrets.token_hex(16)
    return st.session_state[SESSION]


@lru_cache(maxsize=1)
def tap_cells() -> pd.DataFrame:
    """Return the H3 cells covering the district (what a tap on the map picks), once."""
    outline = shapely.geometry.mapping(geo.district_outline())
    cells = sorted(h3.geo_to_cells(outline, TAP_RESOLUTION))
    return pd.DataFrame({"cell": cells})


def tap_deck(point: tuple | None) -> pdk.Deck:
    """Return the map to tap: the district's cells (pickable), the chosen point on top."""
    layers = [pdk.Layer("H3HexagonLayer", id="tap-cells", data=tap_cells(), get_hexagon="cell",
                        filled=True, stroked=False, extruded=False,
                        get_fill_color=[70, 110, 200, 28], pickable=True, auto_highlight=True,
                        highlight_color=[255, 140, 0, 140])]
    if point is not None:
        layers.append(points.point_layer("chosen-point", [{"lat": point[0], "lon": point[1]}],
                                         radius=25, fill=[220, 40, 40], line=[255, 255, 255],
                                         radius_min_pixels=7, stroked=True,
                                         line_width_min_pixels=2))
    if point is not None:
        view = pdk.ViewState(latitude=point[0], longitude=point[1], zoom=15)
    else:  # the whole district on a phone-wide map
        view = pdk.ViewState(**geo.view_for_bounds(*geo.district_outline().bounds,
                                                   width_px=360, height_px=MAP_HEIGHT))
    return basemap.deck(layers, view)


def _take_tap(selection: dict) -> None:
    """Store the centre of a tapped cell (the map's selection) as the report's point."""
    picked = (selection.get("objects") or {}).get("tap-cells") or []
    if picked:
        lat, lon = h3.cell_to_latlng(picked[0]["cell"])
        st.session_state[POINT] = (round(lat, 6), round(lon, 6), "map", None)


def location_picker() -> tuple | None:
    """Draw the location controls (phone position, map tap); return the chosen point or None.

    A phone's GPS gives WGS-84, as the map cells are: no datum conversion."""
    st.markdown(f"**{t('public.location')}**")
    position = fresh_position("public_geo", t("public.locate"), t("public.locating"))
    if position and position.get("error"):
        st.warning(t("public.locate_failed"))
    elif position:
        st.session_state[POINT] = (round(float(position["lat"]), 6),
                                   round(float(position["lon"]), 6), "gps",
                                   float(position.get("accuracy") or 0))
    st.caption(t("public.tap_map"))
    _take_tap(deck_chart(tap_deck(st.session_state.get(POINT)), key="public_map",
                         height=MAP_HEIGHT, pickable=True))
    point = st.session_state.get(POINT)
    if point is None:
        st.info(t("public.no_point"))
    elif point[2] == "gps":
        st.success(t("public.point_gps", lat=f"{point[0]:.5f}", lon=f"{point[1]:.5f}",
                     acc=f"{point[3]:.0f}"))
    else:
        st.success(t("public.point_map", lat=f"{point[0]:.5f}", lon=f"{point[1]:.5f}"))
    return point


def report_form() -> None:
    """Draw the report: photo, location, class, description, optional phone; file it."""
    forms.show_flash()
    upload = st.file_uploader(t("public.photo"), type=["jpg", "jpeg", "png", "webp"],
                              key="public_photo", help=t("public.photo_help"))
    point = location_picker()
    cls = readers.problem_classes(readers.data_version())
    labels = dict(zip(cls["code"], cls[name_col()], strict=True))
    with st.form("public_form", border=False):
        class_code = st.selectbox(t("public.class"), list(labels), format_func=labels.get,
                                  key="public_class")
        text = st.text_area(t("public.description"), key="public_text",
                            max_chars=pr.MAX_DESCRIPTION)
        phone = st.text_input(t("public.phone"), key="public_phone", help=t("public.phone_help"),
                              max_chars=32)
        st.caption(t("public.limit", n=pr.RATE_LIMIT))
        sent = st.form_submit_button(t("public.submit"), type="primary", width="stretch")
    if not sent:
        return
    if point is None:
        st.error(CivDataError("public_point_required").message(current_lang()))
        return
    photo = upload.getvalue() if upload is not None else None
    forms.submit(lambda s: pr.submit_public_report(
        s, class_code=class_code, lat=point[0], lon=point[1], description=text, photo=photo,
        phone=phone, client_address=client_address(), browser_session=browser_session()),
        lambda report: t("public.done", code=report.code),
        clear=("public_text", "public_phone", "public_photo", POINT))


@st.cache_data(ttl=60, show_spinner=False)
def status(version: tuple, code: str) -> dict | None:
    """Return what the citizen may see of a report (cached per data version)."""
    with readers.session() as s:
        return pr.report_status(s, code)


def status_lookup() -> None:
    """Draw the look-up by code and the report's status (nothing personal)."""
    code = st.text_input(t("public.code"), key="public_code",
                         value=st.query_params.get(CODE, ""), placeholder="K7M2-Q9XA")
    st.caption(t("public.privacy"))
    if not code.strip():
        return
    info = status(readers.data_version(), pr.normal_code(code))
    if info is None:
        st.warning(t("public.not_found"))
        return
    lang = current_lang()
    facts = [(t("public.code"), info["code"]),
             (t("public.col.filed"), info["submitted_on"].isoformat()),
             (t("public.col.class"), info[f"class_{lang}"] or "—"),
             (t("public.col.status"), t(f"public.status.{info['status']}"))]
    if info["reason"]:
        facts.append((t("public.col.reason"), info["reason"]))
    if info["problem_code"]:
        facts.append((t("public.col.case"), info["problem_code"]))
        facts.append((t("public.col.progress"), t(f"problem.status.{info['problem_status']}")))
    with st.container(border=True, key="public_status"):
        for label, value in facts:  # stored text (the reason) shown escaped, literally
            st.markdown(f"**{label}**　{escape_md(value)}")
