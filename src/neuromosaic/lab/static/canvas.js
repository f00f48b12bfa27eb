// Infinite canvas: drag to pan, wheel to zoom. The view is covered by 256-pixel tiles of a
// power-of-two world width; each tile is an ordinary painting (scale = its width, center = its
// centre), so it can be rendered at any zoom: the picture has no resolution. On the viewer's GPU
// (webgl.js) the net's shader draws the whole view at every frame instead, the tiles its fallback.
import { el, slider, select, text, number, check, queryOf, readParams, getJSON, apiFetch, status } from "./ui.js";
import { gpuPainter, gpuDefault, setGpuDefault, decodeShader } from "./webgl.js";
import { withDrops } from "./drop.js"; // a dropped PNG or poster .tif opens its picture here

const TILE = 256;
const MAX_INFLIGHT = 4;
const MAX_CACHE = 600;
const NET_DEFAULTS = { layers: 8, width: 16, activation: "tanh", out_activation: "sigmoid", init: "normal:1", inputs: "xyr", color: "rgb", seed: 0 };
const VIEW_DEFAULTS = { x: 0, y: 0, span: 1 };

async function mount(section, ctx) {
  const options = await getJSON("/api/paint/options");
  const defaults = { ...NET_DEFAULTS, ...VIEW_DEFAULTS };
  const state = readParams(ctx.params || [], defaults);
  const canvas = el("canvas", { id: "canvas-view", tabindex: 0 });
  const box = el("div", { class: "canvas-box" }, canvas);
  const info = el("p", { class: "status", id: "canvas-status" });
  const g = canvas.getContext("2d");
  let cache = new Map(); // "L/i/j" -> {bitmap|null, abort}
  let inflight = 0, active = false, netKey = "";
  // The output range every tile maps to colours (null: a bounded output activation; undefined:
  // not known yet). Asked once per net for the base view, so tiles at every zoom agree.
  let netRange;
  function fetchRange() {
    netRange = undefined;
    const forNet = netKey, q = tileQuery();
    q.set("size", String(TILE));
    apiFetch(`/api/paint/range?${q}`)
      .then(async (resp) => {
        const body = await resp.json();
        if (!resp.ok) throw new Error(body.detail);
        if (forNet === netKey) { netRange = body.range; if (active) requestAnimationFrame(draw); }
      })
      .catch((e) => status(info, e.message, true));
  }
  // The net's shader (GET /api/paint/glsl for the base view, so its colours map from the same
  // range as the tiles'); null until it comes.
  const painter = gpuPainter();
  const choice = { gpu: gpuDefault(painter) }; // the GPU switch
  const gpu = { shader: null, note: "" };
  function fetchShader() {
    gpu.shader = null;
    if (!choice.gpu) return;
    const forNet = netKey, q = tileQuery();
    q.set("size", String(TILE));
    q.set("storage", "auto"); // small nets' weights in the code: the fastest frames
    getJSON(`/api/paint/glsl?${q}`)
      .then((body) => { if (forNet === netKey) { gpu.shader = decodeShader(body); if (active) requestAnimationFrame(draw); } })
      .catch(gpuFailed);
  }
  function gpuFailed(e) { // no shader here (a notebook widget), or the GPU failed: tiles
    choice.gpu = false;
    gpu.note = ` · GPU off: ${e.message}`;
    gpuSwitch.sync();
    if (active) requestAnimationFrame(draw);
  }
  function drawGpu() {
    if (gpu.shader && canvas.width && canvas.height) {
      painter.draw(gpu.shader, canvas.width, canvas.height, { u_scale: state.span, u_center: [state.x, state.y] });
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.drawImage(painter.canvas, 0, 0);
    }
    status(info, `the view spans ${state.span.toPrecision(3)} units · ${gpu.shader ? "drawn by the GPU (WebGL2)" : "fetching the shader…"}`);
    canvas.dataset.ready = String(!!gpu.shader);
  }
  const tileQuery = () => queryOf(Object.fromEntries(Object.keys(NET_DEFAULTS).map((k) => [k, state[k]])), NET_DEFAULTS);

  const size = () => ({ W: canvas.clientWidth, H: canvas.clientHeight });
  const ppu = () => Math.min(size().W, size().H) / state.span; // screen pixels per world unit
  const level = () => Math.floor(Math.log2(ppu() / TILE));

  function visibleTiles() {
    const { W, H } = size(), p = ppu(), L = level(), S = 2 ** -L;
    const x0 = state.x - W / 2 / p, x1 = state.x + W / 2 / p, y0 = state.y - H / 2 / p, y1 = state.y + H / 2 / p;
    const tiles = [];
    for (let i = Math.floor(x0 / S); i <= Math.floor(x1 / S); i++)
      for (let j = Math.floor(y0 / S); j <= Math.floor(y1 / S); j++) {
        const d = ((i + 0.5) * S - state.x) ** 2 + ((j + 0.5) * S - state.y) ** 2;
        tiles.push({ L, i, j, S, d });
      }
    return tiles.sort((a, b) => a.d - b.d);
  }

  function draw() {
    const { W, H } = size(), dpr = window.devicePixelRatio || 1, p = ppu();
    if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
      canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    }
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = "#202124"; g.fillRect(0, 0, W, H);
    g.imageSmoothingEnabled = false;
    if (choice.gpu) {
      try { drawGpu(); return; } catch (e) { gpuFailed(e); return; }
    }
    let ready = 0;
    const tiles = visibleTiles();
    for (const t of tiles) {
      const sx = (t.i * t.S - state.x) * p + W / 2, sy = (t.j * t.S - state.y) * p + H / 2, side = t.S * p;
      const own = cache.get(`${t.L}/${t.i}/${t.j}`);
      if (own?.bitmap) { g.drawImage(own.bitmap, sx, sy, side + 0.5, side + 0.5); ready++; continue; }
      for (let up = 1; up <= 6; up++) { // a coarser ancestor, cropped, until this tile arrives
        const k = 2 ** up, pi = Math.floor(t.i / k), pj = Math.floor(t.j / k);
        const anc = cache.get(`${t.L - up}/${pi}/${pj}`);
        if (!anc?.bitmap) continue;
        const sub = TILE / k;
        g.drawImage(anc.bitmap, (t.i - pi * k) * sub, (t.j - pj * k) * sub, sub, sub, sx, sy, side + 0.5, side + 0.5);
        break;
      }
    }
    status(info, `the view spans ${state.span.toPrecision(3)} units · tile level ${level()} · ${ready}/${tiles.length} tiles sharp${gpu.note}`);
    canvas.dataset.ready = String(ready === tiles.length);
    pump(tiles);
  }

  function pump(tiles) {
    if (netRange === undefined) return; // the range comes first
    const wanted = new Set(tiles.map((t) => `${t.L}/${t.i}/${t.j}`));
    for (const [key, entry] of cache) if (!entry.bitmap && !entry.failed && !wanted.has(key)) { entry.abort.abort(); cache.delete(key); }
    for (const t of tiles) {
      if (inflight >= MAX_INFLIGHT) break;
      const key = `${t.L}/${t.i}/${t.j}`;
      if (cache.has(key)) continue;
      const q = tileQuery();
      q.set("size", String(TILE)); q.set("fast", "true"); q.set("scale", String(t.S));
      q.set("center", `${(t.i + 0.5) * t.S},${(t.j + 0.5) * t.S}`);
      if (netRange) q.set("range", netRange.join(","));
      const entry = { bitmap: null, abort: new AbortController() };
      cache.set(key, entry); inflight++;
      const forNet = netKey;
      apiFetch(`/api/paint.png?${q}`, { signal: entry.abort.signal })
        .then(async (resp) => {
          if (!resp.ok) throw new Error((await resp.json()).detail);
          const bitmap = await createImageBitmap(await resp.blob());
          if (forNet === netKey) { entry.bitmap = bitmap; trim(); }
        })
        .catch((e) => { if (e.name !== "AbortError") { status(info, e.message, true); entry.failed = true; } else if (cache.get(key) === entry) cache.delete(key); })
        .finally(() => { inflight--; if (active) requestAnimationFrame(draw); });
    }
  }

  function trim() {
    while (cache.size > MAX_CACHE) cache.delete(cache.keys().next().value);
  }

  const changedView = () => { ctx.setHash(queryOf(state, defaults)); requestAnimationFrame(draw); };
  const changedNet = () => {
    for (const entry of cache.values()) entry.abort?.abort();
    cache = new Map(); netKey = tileQuery().toString();
    fetchRange();
    fetchShader();
    changedView();
  };
  const zoomAt = (sx, sy, factor) => {
    const { W, H } = size(), p = ppu();
    const wx = state.x + (sx - W / 2) / p, wy = state.y + (sy - H / 2) / p;
    state.span = Math.min(1e4, Math.max(1e-6, state.span * factor));
    const q = ppu();
    state.x = wx - (sx - W / 2) / q; state.y = wy - (sy - H / 2) / q;
    changedView();
  };

  let drag = null;
  canvas.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY }; canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const p = ppu();
    state.x -= (e.clientX - drag.x) / p; state.y -= (e.clientY - drag.y) / p;
    drag = { x: e.clientX, y: e.clientY };
    changedView();
  });
  canvas.addEventListener("pointerup", () => { drag = null; });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(e.deltaY * 0.0015));
  }, { passive: false });
  new ResizeObserver(() => active && requestAnimationFrame(draw)).observe(box);

  const on = { onChange: changedNet };
  const controls = [
    slider(state, "layers", { label: "hidden layers", min: 0, max: 32, ...on }),
    slider(state, "width", { label: "neurons per layer", min: 1, max: 64, ...on }),
    select(state, "activation", { label: "activation", options: options.activations, ...on }),
    text(state, "init", { label: "weight init", ...on }),
    select(state, "inputs", { label: "inputs", options: options.inputs, ...on }),
    select(state, "color", { label: "colour", options: options.colors, ...on }),
    number(state, "seed", { label: "seed", min: 0, ...on }),
  ];
  const gpuSwitch = check(choice, "gpu", {
    label: painter ? "GPU (WebGL2) drawing" : "GPU (WebGL2): not available here",
    onChange: () => { gpu.note = ""; setGpuDefault(choice.gpu); fetchShader(); requestAnimationFrame(draw); },
  });
  gpuSwitch.input.disabled = !painter;
  const center = () => { const { W, H } = size(); return [W / 2, H / 2]; };
  section.append(
    el("div", { class: "controls" }, controls.map((c) => c.root), gpuSwitch.root,
      el("div", { class: "row" },
        el("button", { text: "Zoom in", onclick: () => zoomAt(...center(), 0.5) }),
        el("button", { text: "Zoom out", onclick: () => zoomAt(...center(), 2) }),
        el("button", { text: "Reset view", onclick: () => { Object.assign(state, VIEW_DEFAULTS); changedView(); } }),
        el("button", { text: "Random seed", onclick: () => { state.seed = Math.floor(Math.random() * 2 ** 31); controls.forEach((c) => c.sync()); changedNet(); } })),
      el("p", { class: "caption", text: "Drag to pan, scroll to zoom. Every tile is rendered on demand at its own zoom level, so zooming in never shows pixels — only the network's limit: float32 coordinates." })),
    el("div", { class: "view wide" }, box, info),
  );
  netKey = tileQuery().toString();
  fetchRange();
  fetchShader();

  return {
    query: () => queryOf(state, defaults),
    activate() { active = true; requestAnimationFrame(draw); },
    deactivate() { active = false; },
    load(params) { Object.assign(state, readParams(params, defaults)); controls.forEach((c) => c.sync()); changedNet(); },
  };
}

export default withDrops({ id: "canvas", title: "Infinite canvas", mount });
