// Every map of the app (ui/deckchart.py): a pydeck deck drawn by deck.gl, with the Deck and its
// WebGL context kept for the browser tab. A map that leaves the page gives its Deck back to a
// pool, and the next map takes it, so a visit does not build a new WebGL context and its GPU
// pipelines again (about 0.2-0.4 s per layer type a visit in a browser without a GPU).
// deck.gl is the project's own copy (ui/deckgl, from the npm registry): nothing is fetched from
// outside the server. The server sends one UTF-8 JSON document as bytes: {spec, tooltip, height,
// select, selection, h3, core, json}.
export default function(component) {
  const { parentElement, setStateValue } = component;
  const data = JSON.parse(new TextDecoder().decode(component.data));
  const pool = window.__civDeckPool ||
    (window.__civDeckPool = {free: [], lib: null, views: 0, mounts: 0, warm: null,
                            warmState: null, warmToken: 0, warmRound: 0, mapSeen: false});
  const load = (src) => new Promise((ok, fail) => {
    const s = document.createElement("script");
    s.src = src; s.onload = ok;
    s.onerror = () => { s.remove(); fail(new Error(`cannot load ${src}`)); };
    document.head.appendChild(s);
  });
  // deck.gl's bundles register themselves under a few globals, and check them for another copy
  // (Streamlit's own st.pydeck_chart, with a map style, sets them too): ours loads with those
  // names cleared and puts back what was there. A failed load is tried again by the next map.
  const library = () => pool.lib || (pool.lib = (async () => {
    // the three files are fetched at once (they run one after the other below, from the cache)
    for (const src of [data.h3, data.core, data.json]) {
      if (document.head.querySelector(`link[rel="preload"][href="${src}"]`)) continue;
      const link = document.createElement("link");
      link.rel = "preload"; link.as = "script"; link.href = src;
      document.head.appendChild(link);
    }
    // h3-js first: deck.gl's H3 layers read it from the global h3 when deck.gl loads
    if (!window.h3 || !window.h3.cellToLatLng) await load(data.h3);
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
  })().catch((error) => { pool.lib = null; throw error; }));

  // a Deck in a box of its own: the maps pass it from one to the next (pool.free)
  const newSlot = (lib) => {
    const wrap = document.createElement("div");
    wrap.style.cssText = "position:absolute;inset:0";
    const slot = {wrap, view: null, waiting: false, host: null, after: null};
    slot.deck = new lib.Deck({parent: wrap, width: "100%", height: "100%", controller: true,
      useDevicePixels: true,
      onAfterRender: () => {
        if (slot.after) slot.after();
        if (slot.waiting && slot.host) {
          slot.waiting = false; slot.host.dataset.drawn = "1";
          slot.host.style.background = "none"; } }});
    return slot;
  };
  // a Deck in the pool draws nothing, so its frame loop rests (it asked the browser for every
  // frame: 60 a second, some 4 % of a core on an idle page) and wakes when a map takes it. It
  // rests after its next drawn frame: deck.gl applies the emptied layers in a frame (stopped at
  // once, the last map's layers and rows stayed held, and were drawn once by the next map), and
  // a frame is drawn only once the loop has its device (stopped before that, it never gets one).
  const rest = (slot) => {
    pool.free.push(slot);
    slot.after = () => {
      slot.after = null;
      if (pool.free.includes(slot)) slot.deck.animationLoop.stop();
    };
  };
  const wake = (slot) => { slot.after = null; slot.deck.animationLoop.start(); return slot; };
  // the converter reads "@@=" and "@@#" strings as code and constants: it gets each layer
  // without its rows (which hold what users typed), and the rows are put back as they are
  const convert = (lib, specLayers) => lib.converter.convert({layers: specLayers.map((l) =>
    Object.assign({}, l, Array.isArray(l.data) ? {data: []} : {}))}).layers
    .map((layer, k) => Array.isArray(specLayers[k].data) ? layer.clone({data: specLayers[k].data})
      : layer);
  const specLayers = (data.spec.layers || []).filter((l) => l && typeof l === "object");

  // The warm-up (ui/deckchart.py warm_maps, on every signed-in page): once per tab, when the
  // page is idle and no map has been drawn yet, deck.gl loads and one Deck draws a layer of
  // each type the maps use, once, out of sight. Its canvas leaves the page in the same frame,
  // so the browser does not wait for the GPU process, which prepares the pipelines in the
  // background; the main thread spends about 0.2-0.3 s (deck.gl's script, linking the
  // programs), in idle time: after a quiet second with no input, in a visible tab. The Deck
  // then waits in the pool, and the first map takes it as a later map would (a map that
  // comes while the warm-up runs waits for it rather than build a second Deck).
  if (data.warm) {
    const token = ++pool.warmToken;  // this element's: its cleanup calls off only its own wait
    const cleanup = () => {
      if (pool.warmToken === token && pool.warmState === "waiting") {
        pool.warmState = "cancelled";  // left the page (signed out) before the page was idle
        pool.warm = null;
      }
    };
    if (pool.warm || pool.mapSeen || pool.free.length) return cleanup;  // waiting one adopted
    pool.warmState = "waiting";  // then "running", or "cancelled" by a map that came first
    const round = ++pool.warmRound;  // a wait called off and begun again is a new round
    const mine = () => pool.warmRound === round && pool.warmState === "waiting";
    pool.warm = new Promise((done) => {
      // idle: the script run is over, the page has not changed and nobody has clicked, typed
      // or scrolled for a second (charts that load their code late are drawn by then), and
      // the tab is in view (a hidden tab draws no frames)
      let changed = performance.now();
      const touch = () => { changed = performance.now(); };
      const quiet = new MutationObserver(touch);
      quiet.observe(document.body, {childList: true, subtree: true, attributes: true});
      const inputs = ["pointerdown", "keydown", "wheel", "touchstart"];
      for (const kind of inputs) window.addEventListener(kind, touch, {passive: true});
      const stopWatching = () => {
        quiet.disconnect();
        for (const kind of inputs) window.removeEventListener(kind, touch);
      };
      const idle = () => {
        const app = document.querySelector('[data-testid="stApp"]');
        return (!app || app.getAttribute("data-test-script-state") === "notRunning") &&
          document.visibilityState === "visible" && performance.now() - changed > 1000;
      };
      const warm = () => {
        stopWatching();
        if (!mine()) { done(); return; }
        pool.warmState = "running";
        library().then((lib) => new Promise((drawn) => {
          const box = document.createElement("div");
          box.style.cssText = "position:fixed;left:0;top:0;width:64px;height:64px;opacity:0;" +
            "pointer-events:none;z-index:-1";
          document.body.appendChild(box);
          const slot = newSlot(lib);
          box.appendChild(slot.wrap);
          const finish = (keep) => {
            slot.after = null;
            clearTimeout(late);
            slot.wrap.remove(); box.remove();
            if (keep) {
              slot.deck.setProps({layers: []});
              rest(slot);
            } else {
              try { slot.deck.finalize(); } catch (error) { /* nothing more to free */ }
            }
            drawn();
          };
          slot.after = () => finish(true);
          // a warm-up that has not drawn in 10 s (the tab went out of view, a slow machine)
          // stops, so that no map waits for it; a Deck with a WebGL device still goes to the
          // pool (it draws once a map shows it), one without (no WebGL) is let go
          const late = setTimeout(() => { if (slot.after) finish(!!slot.deck.device); }, 10000);
          slot.deck.setProps({layers: convert(lib, specLayers),
                              initialViewState: data.spec.initialViewState});
        })).catch(() => {}).finally(() => { pool.warmState = "done"; done(); });
      };  // a failed warm-up leaves the maps as they were
      const start = () => !mine() ? (stopWatching(), done())
        : idle() ? (window.requestIdleCallback
          ? window.requestIdleCallback(warm, {timeout: 2000}) : setTimeout(warm, 200))
          : setTimeout(start, 250);
      start();
    });
    return cleanup;
  }

  let host = parentElement.querySelector(":scope > div.civ-deck");
  if (!host) {
    host = document.createElement("div");
    host.className = "civ-deck";
    host.setAttribute("data-testid", "civDeckChart");
    // a light grey area until the map first draws (deck.gl loads once per tab: 2.1 MB)
    host.style.cssText = "position:relative;width:100%;overflow:hidden;border-radius:4px;" +
      "background:#f0f2f6";
    parentElement.appendChild(host);
  }
  host.style.height = `${data.height}px`;
  host.dataset.drawn = "0";
  const run = (host.__civRun || 0) + 1;
  host.__civRun = run;

  // tooltips as Streamlit wrote them: {"html": "... {field} ..."} or {"text": ...}, the field
  // read from the object or its properties, HTML-escaped in html (fields hold what users typed)
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

  const layers = specLayers;
  const rows = new Map(layers.filter((l) => l.id !== undefined)
    .map((l) => [String(l.id), Array.isArray(l.data) ? l.data : null]));
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  // what was picked, kept only where the layer still holds that object at that index (a filter
  // may have changed the data under it), as st.pydeck_chart does
  const kept = (selection) => {
    const out = {indices: {}, objects: {}};
    for (const [id, indices] of Object.entries((selection && selection.indices) || {})) {
      const objects = (selection.objects && selection.objects[id]) || [];
      const layerRows = rows.get(id);
      (indices || []).forEach((i, k) => {
        if (layerRows && i >= 0 && i < layerRows.length && same(layerRows[i], objects[k])) {
          (out.indices[id] = out.indices[id] || []).push(i);
          (out.objects[id] = out.objects[id] || []).push(objects[k]);
        }
      });
    }
    return out;
  };
  const now = data.select ? kept(data.selection) : null;
  if (data.select && !same(now, data.selection || {indices: {}, objects: {}}))
    setStateValue("selection", now);
  const click = data.select ? (info) => {
    const id = info && info.layer ? String(info.layer.id) : null;
    const picked = id !== null && info.index >= 0;
    const again = picked && now.indices[id] && now.indices[id][0] === info.index &&
      same(now.objects[id][0], info.object);
    const next = picked && !again
      ? {indices: {[id]: [info.index]}, objects: {[id]: [info.object]}}
      : {indices: {}, objects: {}};
    if (!same(next, now)) setStateValue("selection", next);
  } : null;

  // a warm-up under way is waited for (its Deck is this map's); one still waiting for the page
  // to be idle is called off, and none starts after a map (this map prepares its own Deck)
  pool.mapSeen = true;
  if (pool.warmState === "waiting") pool.warmState = "cancelled";
  Promise.resolve(pool.warmState === "running" ? pool.warm : null).then(library).then((lib) => {
    if (host.__civRun !== run) return;  // a newer run of this map took over
    let slot = host.__civSlot;
    const mounted = !slot;  // this map is new on the page (not a rerun): it starts at its view
    if (!slot) {
      slot = pool.free.length ? wake(pool.free.pop()) : newSlot(lib);
      host.__civSlot = slot;
      pool.mounts++;
    }
    slot.host = host;
    if (slot.wrap.parentElement !== host) host.appendChild(slot.wrap);
    const built = convert(lib, layers);
    const view = JSON.stringify(data.spec.initialViewState);
    const update = {layers: built, getTooltip: tooltip, onClick: click,
                    getCursor: ({isDragging, isHovering}) =>
                      isDragging ? "grabbing" : isHovering && click ? "pointer" : "grab"};
    // a new map, or a new view from the server (another place), moves the map; a rerun with the
    // same view keeps where the user panned to
    if (mounted || slot.view !== view) {
      slot.view = view;
      update.initialViewState = Object.assign({}, data.spec.initialViewState,
                                              {civView: ++pool.views});
    }
    slot.waiting = true;
    slot.deck.setProps(update);
    slot.deck.redraw("civ: new layers");
  }).catch((error) => {
    if (host.__civRun !== run) return;
    host.textContent = String(error && error.message || error);
    host.dataset.drawn = "error";
  });

  return () => {  // the map left the page: its Deck waits in the pool for the next map
    if (host.__civRun !== run) return;  // a later run of this map is the one on the page
    const slot = host.__civSlot;
    host.__civSlot = null;
    host.__civRun = run + 1;
    if (!slot) return;
    slot.host = null;
    slot.waiting = false;
    slot.wrap.remove();
    slot.deck.setProps({layers: [], onClick: null, getTooltip: null});
    rest(slot);
  };
}
