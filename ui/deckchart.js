// Every map of the app (ui/deckchart.py): a pydeck deck drawn by deck.gl, with the Deck and its
// WebGL context kept for the browser tab. A map that leaves the page gives its Deck back to a
// pool, and the next map takes it, so a visit does not build a new WebGL context and its GPU
// pipelines again (about 0.2-0.4 s per layer type a visit in a browser without a GPU).
// deck.gl is the project's own copy (ui/deckgl, from the npm registry): nothing is fetched from
// outside the server.
export default function(component) {
  const { data, parentElement, setStateValue } = component;
  const pool = window.__civDeckPool || (window.__civDeckPool = {free: [], lib: null, views: 0});
  let host = parentElement.querySelector(":scope > div.civ-deck");
  if (!host) {
    host = document.createElement("div");
    host.className = "civ-deck";
    host.setAttribute("data-testid", "civDeckChart");
    host.style.cssText = "position:relative;width:100%;overflow:hidden;border-radius:4px";
    parentElement.appendChild(host);
  }
  host.style.height = `${data.height}px`;
  host.dataset.drawn = "0";
  const run = (host.__civRun || 0) + 1;
  host.__civRun = run;

  const load = (src) => new Promise((ok, fail) => {
    const s = document.createElement("script");
    s.src = src; s.onload = ok; s.onerror = () => fail(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
  // deck.gl's bundles register themselves under a few globals, and check them for another copy
  // (Streamlit's own st.pydeck_chart, with a map style, sets them too): ours loads with those
  // names cleared and puts back what was there.
  const library = () => pool.lib || (pool.lib = (async () => {
    const names = ["deck", "luma", "loaders", "_loadersgl_", "probe", "mathgl"];
    const kept = names.map((n) => [n, Object.prototype.hasOwnProperty.call(window, n), window[n]]);
    for (const n of names) delete window[n];
    try {
      await load(data.core);
      const core = window.deck;
      await load(data.json);
      const lib = Object.assign({}, core, window.deck);
      lib.converter = new lib.JSONConverter({configuration: {classes: lib}});
      return lib;
    } finally {
      for (const [n, had, v] of kept) { if (had) window[n] = v; else delete window[n]; }
    }
  })());

  // tooltips as Streamlit writes them: {"html": "... {field} ..."} or {"text": ...}, the field
  // read from the object or its properties (HTML-escaped in html)
  const escape = (v) => String(v).replace(/[&<>"']/g,
    (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})[c]);
  const fill = (info, template, html) => template.replace(/{(.*?)}/g, (whole, name) => {
    const o = info.object;
    const v = o && Object.hasOwn(o, name) ? o[name]
      : o && o.properties && Object.hasOwn(o.properties, name) ? o.properties[name] : undefined;
    return v === undefined ? whole : html ? escape(v) : String(v);
  });
  const tooltip = data.tooltip ? (info) => {
    if (!info || !info.object) return null;
    const t = Object.assign({}, data.tooltip);
    if (t.html) t.html = fill(info, t.html, true);
    else if (t.text) t.text = fill(info, t.text, false);
    else return null;
    return t;
  } : null;

  const click = data.select ? (info) => {
    const now = data.selection || {indices: {}, objects: {}};
    const id = info && info.layer ? String(info.layer.id) : null;
    let next = {indices: {}, objects: {}};
    if (id !== null && info.index >= 0 && !(now.indices[id] && now.indices[id][0] === info.index))
      next = {indices: {[id]: [info.index]}, objects: {[id]: [info.object]}};
    if (JSON.stringify(next) !== JSON.stringify(now)) setStateValue("selection", next);
  } : null;

  library().then((lib) => {
    if (host.__civRun !== run) return;  // a newer run of this map took over
    let slot = host.__civSlot;
    const mounted = !slot;  // this map is new on the page (not a rerun): it starts at its view
    if (!slot) {
      slot = pool.free.pop();
      if (!slot) {
        const wrap = document.createElement("div");
        wrap.style.cssText = "position:absolute;inset:0";
        slot = {wrap, view: null, waiting: false, host: null};
        slot.deck = new lib.Deck({parent: wrap, width: "100%", height: "100%", controller: true,
          useDevicePixels: true,
          onAfterRender: () => { if (slot.waiting && slot.host) {
            slot.waiting = false; slot.host.dataset.drawn = "1"; } }});
      }
      host.__civSlot = slot;
    }
    slot.host = host;
    if (slot.wrap.parentElement !== host) host.appendChild(slot.wrap);
    const spec = JSON.parse(data.spec);
    const props = lib.converter.convert({layers: spec.layers || []});
    const view = JSON.stringify(spec.initialViewState);
    const update = {layers: props.layers, getTooltip: tooltip, onClick: click,
                    getCursor: ({isDragging, isHovering}) =>
                      isDragging ? "grabbing" : isHovering && click ? "pointer" : "grab"};
    // a new map, or a new view from the server (another place), moves the map; a rerun with the
    // same view keeps where the user panned to
    if (mounted || slot.view !== view) {
      slot.view = view;
      update.initialViewState = Object.assign({}, spec.initialViewState, {civView: ++pool.views});
    }
    slot.waiting = true;
    slot.deck.setProps(update);
    slot.deck.redraw("civ: new layers");
  }).catch((error) => {
    host.textContent = String(error && error.message || error);
    host.dataset.drawn = "error";
  });

  return () => {  // the map left the page: its Deck waits in the pool for the next map
    const slot = host.__civSlot;
    host.__civSlot = null;
    host.__civRun = (host.__civRun || 0) + 1;
    if (!slot) return;
    slot.host = null;
    slot.waiting = false;
    slot.wrap.remove();
    slot.deck.setProps({layers: [], onClick: null, getTooltip: null});
    pool.free.push(slot);
  };
}
