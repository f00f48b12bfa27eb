// Towers panel: Nielsen's construction (n × n towers, any steepness, square or k-gon towers,
// one or two layers) drawn in 3-D beside the target it approximates.
import { el, slider, select, text, queryOf, readParams, postJSON, getJSON, datalist, latest, loadPlotly, status } from "./ui.js";

const DEFAULTS = { target: "x1**2 + x2**2", n: 8, steepness: 100, shape: "square", sides: 6, layers: 2 };

async function mount(section, ctx) {
  const options = await getJSON("/api/fit/options");
  const state = readParams(ctx.params || [], DEFAULTS);
  const plot = el("div", { class: "plot wide-plot", id: "towers-3d" });
  const info = el("p", { class: "status", id: "towers-status" });

  const compute = latest(async () => {
    const body = { target: state.target, n: state.n, steepness: state.steepness, layers: Number(state.layers),
      sides: state.shape === "polygon" ? state.sides : null };
    let r;
    try { r = await postJSON("/api/towers", body); } catch (e) { status(info, e.message, true); return; }
    status(info, `${state.n}×${state.n} towers of ${r.expression} · ${r.hidden_units} hidden units · sup error ≥ 5 % of a cell from the edges ${r.sup_error === null ? "n/a" : r.sup_error.toPrecision(3)}`);
    info.dataset.supError = String(r.sup_error);
    const Plotly = await loadPlotly();
    const surface = (z, scene, name) => ({ type: "surface", x: r.x, y: r.y, z, scene, name, colorscale: "Viridis", showscale: false });
    await Plotly.react(plot, [surface(r.towers, "scene", "towers"), surface(r.target, "scene2", "target")], {
      margin: { l: 0, r: 0, t: 30, b: 0 }, uirevision: "keep",
      annotations: [{ text: "the tower network", x: 0.2, y: 1, xref: "paper", yref: "paper", showarrow: false },
        { text: "the target", x: 0.8, y: 1, xref: "paper", yref: "paper", showarrow: false }],
      scene: { domain: { x: [0, 0.5] } }, scene2: { domain: { x: [0.5, 1] } },
    }, { displaylogo: false });
  });

  const changed = () => { ctx.setHash(queryOf(state, DEFAULTS)); compute(); };
  const on = { onChange: changed };
  const controls = [
    text(state, "target", { label: "target", list: "towers-targets", ...on }),
    slider(state, "n", { label: "towers per side", min: 1, max: 30, ...on }),
    slider(state, "steepness", { label: "steepness", min: 1, max: 100000, log: true, digits: 2, ...on }),
    select(state, "shape", { label: "tower shape", options: ["square", "polygon"], ...on }),
    slider(state, "sides", { label: "polygon sides", min: 3, max: 48, ...on }),
    select(state, "layers", { label: "hidden layers", options: ["2", "1"], ...on }),
  ];
  section.append(
    el("div", { class: "controls" }, controls.map((c) => c.root), datalist("towers-targets", Object.keys(options.targets)),
      el("p", { class: "caption", text: "Two steps make a bump, an x-bump plus a y-bump a plateau with skirts; a second layer thresholds away the skirts: a tower. One layer keeps the skirts (Q2). Polygon towers of many sides approach cylinders (Q3). Steeper steps make the towers exact, and more towers make the surface smooth (Q1)." })),
    el("div", { class: "view" }, info, plot),
  );
  changed();
  return {
    query: () => queryOf(state, DEFAULTS),
    load(params) { Object.assign(state, readParams(params, DEFAULTS)); controls.forEach((c) => c.sync()); changed(); },
  };
}

export default { id: "towers", title: "Towers", mount };
