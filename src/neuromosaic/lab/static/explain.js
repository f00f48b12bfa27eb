// Explain panel: the mean-field phase diagram χ1(σ_w, σ_b) with a movable point, the numbers at
// that point, and the CPPN drawn with those σ's: order paints flat colour, chaos paints structure.
import { el, slider, select, queryOf, readParams, getJSON, getBlob, latest, loadPlotly, status } from "./ui.js";

const DEFAULTS = { activation: "tanh", sigma_w: 4, sigma_b: 0.15, layers: 8, width: 16, seed: 0 };
const ACTIVATIONS = ["tanh", "relu", "sigmoid", "sin", "gelu", "softplus", "elu", "abs", "leaky_relu", "hardtanh", "gaussian", "identity"];

// The paint init whose weights have variance σ_w²/width: normal:S with S = σ_w/√width.
function paintQuery(state) {
  const q = new URLSearchParams({ size: "256", layers: state.layers, width: state.width, activation: state.activation,
    init: `normal:${(state.sigma_w / Math.sqrt(state.width)).toPrecision(6)}`,
    bias_init: state.sigma_b > 0 ? `normal:${state.sigma_b}` : "zeros", seed: state.seed, fast: "true", inputs: "xy" });
  return q;
}

async function mount(section, ctx) {
  const state = readParams(ctx.params || [], DEFAULTS);
  const plot = el("div", { class: "plot", id: "explain-phase" });
  const image = el("img", { id: "explain-image", width: 256, height: 256, alt: "the CPPN at this point" });
  const numbers = el("div", { class: "hover", id: "explain-numbers" });
  const info = el("p", { class: "status", id: "explain-status" });
  let phase = null, shown = null;

  const drawPhase = async () => {
    const Plotly = await loadPlotly();
    const z = phase.chi1.map((row) => row.map((v) => (v === null || v <= 0 ? null : Math.log10(v))));
    await Plotly.react(plot, [
      { type: "heatmap", x: phase.sigma_w, y: phase.sigma_b, z, colorscale: "RdBu", zmid: 0,
        colorbar: { title: { text: "log10 χ1" } }, hovertemplate: "σ_w %{x:.3f}<br>σ_b %{y:.3f}<br>log10 χ1 %{z:.3f}<extra></extra>" },
      { type: "scatter", mode: "lines", x: phase.critical_sigma_w, y: phase.sigma_b, line: { color: "black", width: 2 }, name: "edge of chaos (χ1 = 1)", hoverinfo: "skip" },
      { type: "scatter", mode: "markers", x: [state.sigma_w], y: [state.sigma_b], marker: { size: 14, color: "#ffd400", line: { color: "black", width: 2 } }, name: "this net", hoverinfo: "skip" },
    ], { margin: { l: 50, r: 10, t: 10, b: 45 }, xaxis: { title: { text: "σ_w" }, type: "log" }, yaxis: { title: { text: "σ_b" } }, showlegend: false, uirevision: "keep" },
    { displaylogo: false });
  };

  const loadPhase = latest(async () => {
    status(info, "computing the phase diagram…");
    try { phase = await getJSON(`/api/explain/phase?activation=${state.activation}`); } catch (e) { status(info, e.message, true); return; }
    status(info, "click the diagram or move the sliders");
    await drawPhase();
    if (!plot.dataset.bound) {
      plot.dataset.bound = "1";
      plot.on("plotly_click", (ev) => {
        const p = ev.points?.[0];
        if (!p) return;
        state.sigma_w = Number(p.x.toPrecision(3)); state.sigma_b = Number(p.y.toPrecision(3));
        controls.forEach((c) => c.sync()); changedPoint();
      });
    }
  });

  const loadPoint = latest(async () => {
    try {
      const m = await getJSON(`/api/explain/point?activation=${state.activation}&sigma_w=${state.sigma_w}&sigma_b=${state.sigma_b}`);
      const f = (v) => (v === null ? "∞" : Number(v).toPrecision(4));
      numbers.textContent = `σ_w = ${m.sigma_w}, σ_b = ${m.sigma_b}\nq* = ${f(m.q_star)}\nχ1 = ${f(m.chi1)} → ${m.phase}\nc* = ${f(m.c_star)}\nξ_q = ${f(m.xi_q)} layers, ξ_c = ${f(m.xi_c)} layers`;
      numbers.dataset.phase = m.phase;
      const blob = await getBlob(`/api/paint.png?${paintQuery(state)}`);
      const url = URL.createObjectURL(blob);
      image.src = url;
      if (shown) URL.revokeObjectURL(shown);
      shown = url;
    } catch (e) { status(info, e.message, true); }
  });

  const changedPoint = () => { ctx.setHash(queryOf(state, DEFAULTS)); loadPoint(); if (phase) drawPhase(); };
  const controls = [
    select(state, "activation", { label: "activation", options: ACTIVATIONS, onChange: () => { ctx.setHash(queryOf(state, DEFAULTS)); loadPhase(); loadPoint(); } }),
    slider(state, "sigma_w", { label: "σ_w", min: 0.1, max: 8, log: true, onChange: changedPoint }),
    slider(state, "sigma_b", { label: "σ_b", min: 0, max: 2, step: 0.01, onChange: changedPoint }),
    slider(state, "layers", { label: "CPPN layers", min: 1, max: 24, onChange: changedPoint }),
    slider(state, "width", { label: "CPPN width", min: 2, max: 64, onChange: changedPoint }),
    slider(state, "seed", { label: "seed", min: 0, max: 99, onChange: changedPoint }),
  ];
  section.append(
    el("div", { class: "controls" }, controls.map((c) => c.root),
      el("p", { class: "caption", text: "χ1 < 1 (blue): ordered — nearby inputs merge layer after layer and the CPPN paints flat colour (the article's grey goo). χ1 > 1 (red): chaotic — they separate and the picture fills with structure. The black line is the edge of chaos (Poole et al. 2016; Schoenholz et al. 2017). The CPPN uses weights N(0, σ_w²/width) and biases N(0, σ_b²)." })),
    el("div", { class: "view" }, info, el("div", { class: "figures" }, plot, el("div", {}, image, numbers))),
  );
  loadPhase();
  loadPoint();
  return {
    query: () => queryOf(state, DEFAULTS),
    load(params) { Object.assign(state, readParams(params, DEFAULTS)); controls.forEach((c) => c.sync()); loadPhase(); loadPoint(); },
  };
}

export default { id: "explain", title: "Explain", mount };
