"""The phone page's parts (/report): photo, location (phone, EXIF GPS, or a tap on the map), the
place a point falls in, duplicate suggestions with "same problem", and my tasks."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import h3
import pandas as pd
import pydeck as pdk
import streamlit as st

from civdata.core.auth import Actor, can
from civdata.core.errors import CivDataError
from civdata.domain import geo, street
from civdata.io import photos
from ui import basemap, forms, points, readers
from ui.deckchart import deck_chart
from ui.geolocation import device_position
from ui.i18n import current_lang, name_col, t
from ui.plain import escape_md

PHOTO_TYPES = ["jpg", "jpeg", "png", "webp", "heic", "heif"]
GEO_KEY = "report_geo"
TAP = "report_tap"  # (lat, lon) picked on the map
TAP_CELL = "report_tap_cell"  # the area picked by the first tap
COARSE_RES, FINE_RES = 9, 12  # H3 cells of ~170 m, then ~10 m a side
MAX_TASKS_SHOWN = 20
# Touch targets of at least 44 px (WCAG 2.5.5, Apple's guidelines) on this page's controls.
PHONE_CSS = """<style>
.stButton button, .stFormSubmitButton button, [data-testid="stFileUploaderDropzone"] button,
[data-testid="stButtonGroup"] button, [data-testid="stCameraInputButton"],
button[data-baseweb="tab"], [data-testid="stSelectbox"] [role="group"],
[data-testid="stSelectbox"] [role="combobox"], [data-testid="stSelectbox"] button,
[data-testid="stTextInputRootElement"], .stTextArea textarea
{ min-height: 44px; }
[data-testid="stFileUploaderDropzone"] { min-height: 88px; }
</style>"""


def phone_style() -> None:
    """Apply the page's touch-target sizes (a style only; draws nothing)."""
    st.html(PHONE_CSS)


# --- photo -----------------------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def _intake(data: bytes) -> tuple[street.Intake | None, str | None, dict]:
    """Return (the checked photo, None, {}) or (None, error code, params) for a photo's bytes."""
    try:
        return street.intake_photo(data), None, {}
    except CivDataError as err:
        return None, err.code, dict(err.params)


def photo_input(key: str) -> bytes | None:
    """Draw the photo input (the phone's camera or gallery, or the in-page camera); return its
    bytes, or None."""
    mode = st.segmented_control(t("report.photo.mode"), ["file", "camera"], default="file",
                                key=f"{key}_mode", format_func=lambda v: t(f"report.photo.{v}"),
                                width="stretch") or "file"
    if mode == "camera":
        shot = st.camera_input(t("report.photo"), key=f"{key}_camera")
        return shot.getvalue() if shot is not None else None
    upload = st.file_uploader(t("report.photo"), type=PHOTO_TYPES, key=key)
    st.caption(t("report.photo.help"))  # a caption, not a 16 px help icon to hit on a phone
    return upload.getvalue() if upload is not None else None


def checked_photo(data: bytes | None) -> street.Intake | None:
    """Return the checked photo, showing its size and time; show why a photo is refused."""
    if data is None:
        return None
    intake, code, params = _intake(data)
    if intake is None:
        st.error(CivDataError(code, **params).message(current_lang()))
        return None
    note = t("report.photo.ok", width=intake.width, height=intake.height)
    if intake.taken_at is not None:
        note += " · " + t("report.photo.taken", at=f"{intake.taken_at:%Y-%m-%d %H:%M}")
    st.caption(note)
    return intake


# --- location --------------------------------------------------------------------------------

def phone_position() -> tuple[tuple[float, float] | None, float | None]:
    """Draw the location button; return the phone's (lat, lon) and accuracy in metres, or None."""
    pos = device_position(GEO_KEY, t("report.locate"), t("report.locating"))
    # one slot whatever the answer: the page below keeps its place when the answer comes, so
    # the tap map is not mounted (and drawn) a second time
    status = st.empty()
    if not pos:
        return None, None
    if pos.get("error"):
        status.caption(t("report.geo.denied"))
        return None, None
    try:
        point = (float(pos["lat"]), float(pos["lon"]))
        accuracy = float(pos.get("accuracy") or 0)
    except (KeyError, TypeError, ValueError):
        return None, None
    return (point, accuracy) if all(map(math.isfinite, point)) else (None, None)


def resolve(device: tuple[float, float] | None, intake: street.Intake | None,
            tap: tuple[float, float] | None) -> tuple[float, float, str] | None:
    """Return (lat, lon, source) in the order phone, EXIF, tap; show a refusal (outside the
    district) and return None then, or when there is no point yet."""
    if device is None and (intake is None or intake.gps is None) and tap is None:
        return None
    try:
        return street.resolve_location(device, intake.gps if intake else None, tap)
    except CivDataError as err:
        st.error(err.message(current_lang()))
        return None


@readers.cached_by_domains("sites", "settings", show_spinner=False)
def place(version: tuple, lat: float, lon: float) -> street.Place:
    """Return the subdistrict, community and nearest site of a point (cached)."""
    with readers.session() as s:
        return street.place_of(s, lat, lon)


def show_place(where: tuple[float, float, str], accuracy: float | None,
               info: street.Place) -> None:
    """Show where the point is from, the point and what it falls in."""
    lang = current_lang()
    source = (t("report.loc.device", accuracy=f"{accuracy:.0f}") if where[2] == "device"
              else t(f"report.loc.{where[2]}"))
    st.success(t("report.loc.source", source=source))
    site = "—"
    if info.site_id is not None:
        name = getattr(info, f"site_{lang}") or info.site_code
        radius = f"{info.site_radius_m or geo.CHECK_RADIUS_M:.0f}"
        site = (t("report.place.site_value", name=escape_md(name), distance=f"{info.site_m:.0f}")
                + " · " + t("report.place.within" if info.within_site else
                            "report.place.outside", radius=radius))
    st.markdown(
        f"{t('report.place.subdistrict')}：{escape_md(getattr(info, f'subdistrict_{lang}'))}  \n"
        f"{t('report.place.community')}：{escape_md(getattr(info, f'community_{lang}') or '—')}"
        f"  \n{t('report.place.site')}：{site}")
    st.caption(t("report.loc.point", lat=f"{where[0]:.6f}", lon=f"{where[1]:.6f}"))


@st.cache_data(show_spinner=False)
def _coarse_cells(outline: str) -> list[str]:
    """Return the coarse H3 cells covering an area (GeoJSON text), for the first tap."""
    return sorted(h3.geo_to_cells(geo.geometry_from_geojson(outline), COARSE_RES))


def _tap_deck(cells: list[str], layer: str, view: pdk.ViewState,
              point: tuple[float, float] | None) -> pdk.Deck:
    """Return a deck of tappable cells (and the picked point), with no base map from outside."""
    layers = [pdk.Layer("H3HexagonLayer", id=layer, data=[{"cell": c} for c in cells],
                        get_hexagon="cell", filled=True, stroked=True, extruded=False,
                        get_fill_color=[70, 110, 200, 40], get_line_color=[70, 110, 200, 90],
                        line_width_min_pixels=1, pickable=True, auto_highlight=True,
                        highlight_color=[255, 140, 0, 150])]
    if point is not None:
        layers.append(points.point_layer("tap-point", [{"lat": point[0], "lon": point[1]}],
                                         radius=6, fill=[220, 40, 40], line=[255, 255, 255],
                                         radius_min_pixels=7, stroked=True,
                                         line_width_min_pixels=2))
    return basemap.deck(layers, view)


def _picked(selection: dict, layer: str) -> str | None:
    """Return the cell tapped on a layer in a map's selection, or None."""
    objects = (selection.get("objects") or {}).get(layer) or []
    return str(objects[0]["cell"]) if objects else None


def tap_picker(outline: str) -> tuple[float, float] | None:
    """Draw the map to tap (an area first, then the exact place); return the picked point."""
    st.markdown(f"**{t('report.tap.title')}**")
    st.caption(t("report.tap.help"))
    area = st.session_state.get(TAP_CELL)
    if area is None:
        center = geo.geometry_from_geojson(outline).centroid
        view = pdk.ViewState(latitude=center.y, longitude=center.x, zoom=12.3)
        selection = deck_chart(_tap_deck(_coarse_cells(outline), "tap-areas", view, None),
                               key="report_tap_areas", height=300, pickable=True)
        cell = _picked(selection, "tap-areas")
        if cell:
            st.session_state[TAP_CELL] = cell
            st.rerun()
        return None
    lat, lon = h3.cell_to_latlng(area)
    fine = sorted(c for ring in h3.grid_disk(area, 1) for c in h3.cell_to_children(ring, FINE_RES))
    point = st.session_state.get(TAP)
    selection = deck_chart(_tap_deck(fine, "tap-places", pdk.ViewState(
        latitude=lat, longitude=lon, zoom=16.2), point), key="report_tap_places", height=300,
        pickable=True)
    cell = _picked(selection, "tap-places")
    if cell:
        plat, plon = h3.cell_to_latlng(cell)
        st.session_state[TAP] = (round(plat, 6), round(plon, 6))
        point = st.session_state[TAP]
    if st.button(t("report.tap.again"), key="report_tap_again", width="stretch"):
        st.session_state.pop(TAP_CELL, None)
        st.session_state.pop(TAP, None)
        st.rerun()
    return point


# --- duplicates, confirmation and the new report ----------------------------------------------

@readers.cached_by_domains("problems", show_spinner=False)
def nearby(version: tuple, class_code: str, lat: float, lon: float,
           now: datetime) -> pd.DataFrame:
    """Return the open problems of a class within 50 m of a point (cached)."""
    with readers.session() as s:
        return street.nearby_open_problems(s, class_code, lat, lon, now=now)


def _thumbnail(name: str | None) -> str | None:
    """Return a stored photo's thumbnail file when it exists, else None."""
    if not name:
        return None
    try:
        path = photos.thumbnail_path(name)
    except CivDataError:
        return None
    return str(path) if path.exists() else None


def age_text(days: float) -> str:
    """Return how long ago a problem was found, in hours below two days, else in days."""
    if days < 2:
        return t("report.age.hours", n=max(0, int(days * 24)))
    return t("report.age.days", n=int(days))


def duplicates(actor: Actor, frame: pd.DataFrame, photo: bytes | None,
               device: tuple[float, float] | None, accuracy: float | None,
               tap: tuple[float, float] | None) -> None:
    """List the open problems of the class within 50 m, each with its photo, age and a
    "same problem" button that adds this photo to it as a confirmation."""
    if frame.empty:
        st.caption(t("report.dups.none"))
        return
    st.warning(f"**{t('report.dups.title')}**  \n{t('report.dups.help')}")
    for row in frame.itertuples(index=False):
        with st.container(border=True, key=f"report_dup_{row.id}"):
            thumb = _thumbnail(row.photo_before)
            if thumb is not None:
                st.image(thumb, width=160)
            st.markdown("**" + escape_md(t("report.dups.item", code=row.code,
                                               distance=f"{row.distance_m:.0f}",
                                               age=age_text(row.age_days))) + "**")
            st.text(row.description)
            if row.confirmations:
                st.caption(t("report.dups.confirmations", n=int(row.confirmations)))
            allowed = can(actor, "problem.confirm", row._asdict())
            if st.button(t("report.same"), key=f"report_same_{row.id}", width="stretch",
                         disabled=photo is None or not allowed):
                problem_id, code = int(row.id), row.code
                forms.submit(lambda s, pid=problem_id: _confirm(s, actor, pid, photo, device,
                                                                accuracy, tap),
                             lambda n, code=code: t("report.confirmed", code=code, n=n),
                             clear=("report_photo", "report_text", TAP, TAP_CELL))


def _confirm(session, actor: Actor, problem_id: int, photo: bytes,
             device: tuple[float, float] | None, accuracy: float | None,
             tap: tuple[float, float] | None) -> int:
    """Add the confirmation; return the problem's confirmations now."""
    street.confirm_problem(session, actor, problem_id, photo=photo, device=device, tap=tap,
                           accuracy_m=accuracy)
    return street.confirmation_count(session, problem_id)


def class_choice() -> str:
    """Draw the class picker (the six classes); return the chosen code."""
    cls = readers.problem_classes(readers.data_version())
    labels = dict(zip(cls["code"], cls[name_col()], strict=True))
    return st.selectbox(t("report.class"), list(labels), format_func=labels.get,
                        key="report_class")


def report_button(actor: Actor, photo: bytes | None, class_code: str, text: str,
                  device: tuple[float, float] | None, tap: tuple[float, float] | None) -> None:
    """Draw the button that files a new problem; file it when pressed."""
    if not st.button(t("report.submit"), type="primary", key="report_submit", width="stretch"):
        return
    if photo is None:
        st.error(t("report.need.photo"))
        return
    forms.submit(lambda s: street.report_from_street(s, actor, photo=photo,
                                                     class_code=class_code, description=text,
                                                     device=device, tap=tap),
                 lambda problem: t("report.reported", code=problem.code),
                 clear=("report_photo", "report_text", TAP, TAP_CELL))


# --- my tasks --------------------------------------------------------------------------------

@readers.cached_by_domains("problems", "settings", show_spinner=False)
def tasks(version: tuple, role: str, username: str, subdistrict_id: int | None, now: datetime,
          lat: float | None, lon: float | None) -> pd.DataFrame:
    """Return the person's work queue, nearest first from (lat, lon) when known (cached)."""
    with readers.session() as s:
        return street.my_tasks(s, Actor(username, role, subdistrict_id), now, lat, lon)


@readers.cached_by_domains("problems", show_spinner=False)
def outcomes(version: tuple, role: str, username: str, subdistrict_id: int | None,
             since: datetime) -> pd.DataFrame:
    """Return the reviews since a moment of what this person submitted (cached)."""
    with readers.session() as s:
        return street.my_review_outcomes(s, Actor(username, role, subdistrict_id), since)


def countdown(hours: float | None) -> str:
    """Return the time to the deadline (or past it): hours below two days, else days."""
    if hours is None or pd.isna(hours):
        return t("report.no_deadline")
    left = abs(float(hours))
    unit, n = ("hours", math.floor(left)) if left < 48 else ("days", math.floor(left / 24))
    return t(f"report.{'left' if hours >= 0 else 'over'}.{unit}", n=n)


def task_label(row: pd.Series) -> str:
    """Return a task's one-line label: code, class, countdown and distance."""
    parts = [row["code"], row[f"class_{current_lang()}"], countdown(row["hours_left"])]
    if not pd.isna(row["distance_m"]):
        parts.append(t("report.distance", n=f"{row['distance_m']:.0f}"))
    return " · ".join(str(p) for p in parts)


def task_card(row: pd.Series) -> None:
    """Draw one task: label (red when overdue), description, status and the last review."""
    label = escape_md(task_label(row))
    overdue = row["hours_left"] is not None and not pd.isna(row["hours_left"]) \
        and row["hours_left"] < 0
    with st.container(border=True, key=f"report_task_{row['id']}"):
        st.markdown(f":red[**{label}**]" if overdue else f"**{label}**")
        st.text(row["description"])
        st.caption(t(f"problem.status.{row['status']}"))
        if row.get("outcome") == "returned" and row["status"] == "rectifying":
            st.error(t("report.returned", reason=escape_md(row["reason"] or "—")))


def task_actions(actor: Actor, row: pd.Series) -> None:
    """Draw what can be done on a task now: start it, or rectify it with an after-photo."""
    pid, version, code = int(row["id"]), int(row["version"]), row["code"]
    if row["status"] == "assigned":
        if st.button(t("report.start"), type="primary", key="report_start", width="stretch"):
            forms.submit(lambda s: street.start_task(s, actor, pid, version),
                         t("report.started", code=code))
    elif row["status"] == "rectifying":
        photo = photo_input("report_after")
        checked_photo(photo)
        note = st.text_area(t("report.rectify_note"), key="report_note", max_chars=500)
        if st.button(t("report.rectify"), type="primary", key="report_rectify", width="stretch"):
            forms.submit(lambda s: street.rectify_task(s, actor, pid, version, note=note,
                                                       photo=photo or b""),
                         t("report.rectified", code=code), clear=("report_after", "report_note"))
    else:
        st.info(t("report.waiting"))


def show_outcomes(frame: pd.DataFrame) -> None:
    """List the last week's review outcomes: passed, or returned with its reason."""
    st.subheader(t("report.outcomes"))
    if frame.empty:
        st.caption(t("report.outcomes.none"))
        return
    for row in frame.itertuples(index=False):
        when = f"{row.reviewed_at:%m-%d %H:%M}"
        if row.outcome == "passed":
            st.success(f"{escape_md(row.code)} · {when} · {t('report.passed')}")
        else:
            st.error(f"{escape_md(row.code)} · {when} · "
                     + t("report.returned", reason=escape_md(row.reason or "—")))


def week_before(now: datetime) -> datetime:
    """Return the moment seven days before now."""
    return now - timedelta(days=7)
