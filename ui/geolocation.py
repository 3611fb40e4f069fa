"""The phone's position: the one tiny Streamlit component (components v2, inline JS, nothing
fetched from anywhere) that reads navigator.geolocation with its accuracy, used by /report and
/public. It keeps the answer as the component's state, so it survives reruns. The browser gives
WGS-84: no datum conversion."""

from __future__ import annotations

import streamlit as st

_JS = """
export default function(component) {
  const { data, parentElement, setStateValue } = component;
  let button = parentElement.querySelector("button");
  if (!button) {
    button = document.createElement("button");
    button.type = "button";
    button.setAttribute("data-testid", "civ-geolocate");
    button.style.cssText = "min-height:44px;width:100%;font-size:16px;border-radius:8px;" +
      "border:1px solid #c0c4cc;background:#fff;color:#262730;cursor:pointer";
    parentElement.appendChild(button);
  }
  button.textContent = data.label;
  // asked by itself (not a tap): the refusal the server already knows is not sent again, so
  // the page is not rerun for it (on a plain-http intranet every visit is refused)
  const refuse = (error, byItself) => {
    if (!(byItself && error === data.known)) setStateValue("position", {error, asked: Date.now()});
  };
  const locate = (byItself) => {
    if (!navigator.geolocation) { refuse("unsupported", byItself); return; }
    button.textContent = data.busy;
    navigator.geolocation.getCurrentPosition(
      (p) => { button.textContent = data.label;
               setStateValue("position", {lat: p.coords.latitude, lon: p.coords.longitude,
                                          accuracy: p.coords.accuracy, at: p.timestamp,
                                          asked: Date.now()}); },
      (e) => { button.textContent = data.label;
               refuse(e.code === 1 ? "denied" : "unavailable", byItself); },
      {enableHighAccuracy: true, timeout: 15000, maximumAge: 30000});
  };
  button.onclick = () => locate(false);
  if (data.auto && !parentElement.__civAsked) { parentElement.__civAsked = true; locate(true); }
}
"""


# refusals that the next visit will meet again: remembered for the session (not "unavailable",
# no fix in time, which may pass)
LASTING_REFUSALS = ("denied", "unsupported")


@st.cache_resource(show_spinner=False)
def _component():
    """Return the mount command of the geolocation component (registered once)."""
    return st.components.v2.component("civ_device_position", js=_JS)


def device_position(key: str, label: str, busy: str, auto: bool = True) -> dict | None:
    """Draw the "use my location" button (with auto, asking once by itself on the first draw);
    return the last answer: {lat, lon, accuracy, at, asked} or {error: denied|unavailable|
    unsupported, asked}, or None (asked: when the answer came, so each answer differs). With
    auto, a lasting refusal (denied, unsupported) is remembered for the session and answered
    at once on the next visit (asked: None), and the browser does not send the same refusal
    again by itself; any other answer forgets it."""
    refused = f"{key}_refused"
    known = st.session_state.get(refused) if auto else None
    result = _component()(key=key, data={"label": label, "busy": busy, "auto": auto,
                                         "known": known},
                          default={"position": None}, on_position_change=lambda: None)
    position = result.get("position") if result is not None else None
    if not isinstance(position, dict):
        return {"error": known, "asked": None} if known else None
    if auto and position.get("error") in LASTING_REFUSALS:
        st.session_state[refused] = str(position["error"])
    elif auto:  # a fix, or a refusal that may pass (no fix in time)
        st.session_state.pop(refused, None)
    return position


def fresh_position(key: str, label: str, busy: str, auto: bool = False) -> dict | None:
    """Draw the button like device_position; return the answer only on the first run after it
    came (a new fix, or a refusal), else None: a later choice, such as a tap on the map, is
    not overwritten by the same fix on every rerun."""
    position = device_position(key, label, busy, auto)
    stamp = repr(sorted(position.items())) if position else None
    seen = f"{key}_seen"
    if position is None or st.session_state.get(seen) == stamp:
        return None
    st.session_state[seen] = stamp
    return position
