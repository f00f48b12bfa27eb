// Regions panel: the exact partition of a piecewise-linear net drawn on a canvas, the count beside
// the theory's bounds, hover for a region's activation pattern and affine map, a 3-D toggle.
import { el, text, select, number, check, queryOf, readParams, postJSON, latest, loadPlotly, status } from "./ui.js";
import { drawRegions, regionAt, patternColor, surfaceTrace, decodePattern } from "./regiondraw.js";

const DEFAULTS = { widths: "16,16", activation: "relu", init: "default", seed: 0, domain: "-1,1,-1,1", three_d: false };
const PWL = ["relu", "leaky_relu", "abs", "hardtanh", "prelu", "identity"];
const SIDE = 400;

async function mount(section, ctx) {
  const state = readParams(ctx.params || [], DEFAULTS);
  let upload = ctx.upload || null; // {name, base64}: a file chosen here, or a notebook's net
  let data = null, hovered = -1;
  const canvas = el("canvas", { id: "regions-canvas", width: SIDE, height: SIDE });
  const plot = el("div", { class: "plot", id: "regions-3d", hidden: true });
  const count = el("span", { class: "count", id: "regions-count", text: "…" });
  const info = el("p", { class: "status", id: "regions-status" });
  const hover = el("div", { class: "hover", id: "regions-hover", text: "Hover a region to see its activation pattern and affine map." });
  const bounds = el("table", { class: "bounds" });
  const file = el("input", { type: "file", accept: ".npz", id: "regions-upload" });
  const clear = el("button", { text: "Use the architecture", hidden: !upload });

  function body() {
    const domain = state.domain.split(",").map(Number);
    if (upload) return { weights: upload.base64, domain };
    const widths = state.widths.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
    return { widths, out_dim: 1, activation: state.activation, init: state.init, seed: state.seed, domain };
  }

  const compute = latest(async () => {
    status(info, "cutting…");
    const started = performance.now();
    try {
      data = await postJSON("/api/regions", body());
    } catch (e) {
      status(info, e.message, true);
      count.textContent = "—";
      return;
    }
    hovered = -1;
    count.textContent = String(data.count);
    count.dataset.count = String(data.count);
    const st = data.stats;
    status(info, `${data.count} regions, cut in ${Math.round(data.seconds * 1000)} ms (round trip ${Math.round(performance.now() - started)} ms)${upload ? " · " + upload.name : ""}` +
      (st ? ` · ${st.regions_per_unit_area.toPrecision(3)} per unit area, sides ${st.sides.mean.toFixed(2)} (max ${st.sides.max}), neighbours ${st.neighbours.mean.toFixed(2)} (max ${st.neighbours.max})` : ""));
    // the labels of the one bounds table (neuromosaic.theory.bounds.Bound.label), as the CLI prints them
    bounds.replaceChildren(el("tr", {}, el("th", { text: "bound" }), el("th", { text: "value" })),
      ...data.bounds.map((b) => el("tr", { title: b.source + (b.note ? " — " + b.note : ""), "data-kind": b.kind },
        el("td", { text: b.label }), el("td", { text: b.value === null ? "n/a" : String(b.value) }))));
    redraw();
    if (state.three_d) draw3d();
  });

  function redraw() { if (data) drawRegions(canvas, data, hovered); }

  async function draw3d() {
    if (!data) return;
    const Plotly = await loadPlotly();
    await Plotly.react(plot, [surfaceTrace(data)], {
      margin: { l: 0, r: 0, t: 0, b: 0 },
      scene: { xaxis: { title: { text: "x1" } }, yaxis: { title: { text: "x2" } }, zaxis: { title: { text: "output" } } },
    }, { displaylogo: false });
  }

  canvas.addEventListener("mousemove", (e) => {
    if (!data) return;
    const r = canvas.getBoundingClientRect();
    const i = regionAt(data, (e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height), canvas.width, canvas.height);
    if (i === hovered) return;
    hovered = i;
    redraw();
    if (i < 0) return;
    const [a, b] = data.grads[i], c = data.offsets[i];
    const layers = decodePattern(data, i).map((bits, k) => `layer ${k + 1}: ${bits}`).join("\n");
    const term = (v, name) => `${v < 0 ? " − " : " + "}${Math.abs(v).toFixed(4)}${name}`;
    hover.textContent = `region ${i} · area ${data.areas[i].toPrecision(3)}\n${layers}\noutput = ${a.toFixed(4)}·x1${term(b, "·x2")}${term(c, "")}`;
    hover.style.borderLeft = `6px solid ${patternColor(data.patterns[i])}`;
  });

  const changed = () => { ctx.setHash(queryOf(state, DEFAULTS)); plot.hidden = !state.three_d; compute(); };
  const on = { onChange: changed };
  const controls = [
    text(state, "widths", { label: "hidden widths", placeholder: "e.g. 32,32,32", ...on }),
    select(state, "activation", { label: "activation", options: PWL, ...on }),
    text(state, "init", { label: "weight init", ...on }),
    number(state, "seed", { label: "seed", min: 0, ...on }),
    text(state, "domain", { label: "domain x0,x1,y0,y1", ...on }),
    check(state, "three_d", { label: "3-D surface", onChange: () => { changed(); if (state.three_d) draw3d(); } }),
  ];
  file.addEventListener("change", () => {
    const f = file.files[0];
    if (!f) return;
    const reader = new FileReader();
    reader.onload = () => { upload = { name: f.name, base64: String(reader.result).split(",")[1] || "" }; clear.hidden = false; compute(); };
    reader.readAsDataURL(f);
  });
  clear.addEventListener("click", () => { upload = null; file.value = ""; clear.hidden = true; compute(); });

  section.append(
    el("div", { class: "controls" }, controls.map((c) => c.root),
      el("h3", { text: "or upload weights" }), file, clear,
      el("div", { class: "row" }, el("button", { text: "Random seed", onclick: () => { state.seed = Math.floor(Math.random() * 2 ** 31); controls.forEach((c) => c.sync()); changed(); } })),
      el("p", { class: "caption", text: ".npz with W0, b0, W1, b1, … (PyTorch layout, out × in), optional 'activation'; read without pickle." })),
    el("div", { class: "view" },
      el("p", {}, count, " linear regions"), info,
      el("div", { class: "figures" }, canvas, el("div", {}, hover, bounds, el("p", { class: "legend", text: "The bounds count regions in all of the plane: a lower bound is what SOME net of this architecture reaches, an upper bound what none exceeds. A random net shows far fewer, and a box shows only part of them." })), plot)),
  );
  changed();

  return {
    query: () => queryOf(state, DEFAULTS),
    load(params) { Object.assign(state, readParams(params, DEFAULTS)); controls.forEach((c) => c.sync()); changed(); },
  };
}

export default { id: "regions", title: "Regions", mount };
