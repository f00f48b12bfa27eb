// Fit panel: train a small net live. The server streams frames over a WebSocket (ui.js's
// openSocket); each frame redraws the learned surface (or decision map) with its exact linear
// regions and the loss curves.
import { el, slider, select, text, number, check, datalist, queryOf, readParams, getJSON, openSocket, loadPlotly, status } from "./ui.js";
import { drawRegions } from "./regiondraw.js";

const DEFAULTS = { task: "regression", target: "paraboloid", noise: 0, layers: 2, units: 8, activation: "relu",
  lr: 0.01, batch: 0, steps: 5000, n_train: 500, speed: 5, seed: 0, three_d: false };
const SIDE = 400;
const ORANGE = [245, 147, 34], BLUE = [8, 119, 189], WHITE = [232, 234, 235];

// Classes beyond two: matplotlib's tab10, as the fit figure draws them.
const CLASS_COLORS = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
function classColor(k, light) { const c = CLASS_COLORS[Math.round(k) % 10]; return light ? mix(c, [255, 255, 255], 0.45) : c; }

function mix(a, b, t) { return a.map((v, i) => Math.round(v + (b[i] - v) * t)); }
// Diverging map of the TensorFlow Playground: orange (low) → white → blue (high).
function colorAt(t) { t = Math.min(1, Math.max(0, t)); return t < 0.5 ? mix(ORANGE, WHITE, t * 2) : mix(WHITE, BLUE, (t - 0.5) * 2); }

function config(state) {
  return {
    target: state.target, task: state.task, noise: state.noise, activation: state.activation,
    hidden: Array(state.layers).fill(state.units), lr: state.lr, batch_size: state.batch > 0 ? state.batch : null,
    steps: state.steps, n_train: state.n_train, n_test: Math.max(100, Math.round(state.n_train / 2)), seed: state.seed,
  };
}

async function mount(section, ctx) {
  const options = await getJSON("/api/fit/options");
  const state = readParams(ctx.params || [], DEFAULTS);
  const map = el("canvas", { id: "fit-map", width: SIDE, height: SIDE });
  const curves = el("canvas", { id: "fit-loss", width: 360, height: 200 });
  const plot = el("div", { class: "plot", id: "fit-3d", hidden: true });
  const info = el("p", { class: "status", id: "fit-status" });
  const stats = el("p", { id: "fit-stats", class: "hover" });
  const play = el("button", { id: "fit-play", class: "primary", text: "Play" });
  let ws = null, data = null, last = null, playing = false, last3d = 0;

  function send(msg) { if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); }
  function setPlaying(p) { playing = p; play.textContent = p ? "Pause" : "Play"; }

  function connect() {
    ws = openSocket("/api/fit/ws");
    ws.onopen = () => { send({ type: "speed", steps: state.speed }); send({ type: "config", config: config(state) }); };
    ws.onclose = () => { setPlaying(false); status(info, "connection closed — reload the page to reconnect", true); };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "error") { status(info, msg.detail, true); setPlaying(false); }
      else if (msg.type === "data") { data = msg; status(info, `${msg.x.length} training points shown`); }
      else if (msg.type === "frame") { last = msg; drawFrame(msg); if (msg.metrics.done) setPlaying(false); }
    };
  }

  function drawFrame(f) {
    const g = map.getContext("2d"), n = f.grid.n, v = f.grid.values;
    let lo = 0, hi = 1;
    if (f.metric === "test_rmse") { // regression: colours span the targets' range, fixed while training
      const ys = data ? data.y : v;
      lo = Math.min(...ys); hi = Math.max(...ys); if (hi - lo < 1e-9) hi = lo + 1;
    }
    const multi = f.classes > 2; // grid values are the predicted classes
    const img = new ImageData(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const c = multi ? classColor(v[i * n + j], true) : colorAt((v[i * n + j] - lo) / (hi - lo)), o = ((n - 1 - i) * n + j) * 4; // row i is y_i: y up
      img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2]; img.data[o + 3] = 255;
    }
    const off = new OffscreenCanvas(n, n);
    off.getContext("2d").putImageData(img, 0, 0);
    g.imageSmoothingEnabled = !multi;
    g.clearRect(0, 0, SIDE, SIDE);
    g.drawImage(off, 0, 0, SIDE, SIDE);
    if (f.regions?.polygons) drawRegions(map, f.regions, -1, { fill: false, clear: false, edge: "rgba(0,0,0,0.35)" });
    if (f.decision?.segments) drawBoundary(g, f.decision.segments, f.grid.domain);
    if (data) drawPoints(g, lo, hi, multi);
    drawCurves(f.history);
    const m = f.metrics, loss = m.test_loss;
    stats.dataset.testLoss = String(loss);
    stats.dataset.step = String(m.step);
    const metric = f.metric === "test_rmse" ? `test RMSE ${m.test_rmse?.toPrecision(3)}` : `test accuracy ${(100 * m.test_accuracy).toFixed(1)} %`;
    let regions = f.regions ? (f.regions.count === null ? f.regions.note : `${f.regions.count} linear regions`) : "regions: smooth activation or 3-input task";
    if (f.decision) regions += `\n${f.decision.count} decision regions of ${f.classes} classes`;
    stats.textContent = `step ${m.step} / ${m.total_steps}\ntrain loss ${m.train_loss?.toPrecision(4)}\ntest loss ${loss?.toPrecision(4)}\n${metric}\n${regions}`;
    if (state.three_d && performance.now() - last3d > 250) { last3d = performance.now(); draw3d(f); }
  }

  // The exact decision boundary (segments in domain coordinates), thick.
  function drawBoundary(g, segments, domain) {
    const [x0, x1, y0, y1] = domain, px = (x) => ((x - x0) / (x1 - x0)) * SIDE, py = (y) => SIDE - ((y - y0) / (y1 - y0)) * SIDE;
    g.beginPath();
    for (const [a, b, c, d] of segments) { g.moveTo(px(a), py(b)); g.lineTo(px(c), py(d)); }
    g.lineWidth = 2.2; g.strokeStyle = "#111"; g.stroke();
  }

  function drawPoints(g, lo, hi, multi) {
    const [x0, x1, y0, y1] = data.domain;
    for (let k = 0; k < data.x.length; k++) {
      const [x, y] = data.x[k], t = data.task === "regression" ? (data.y[k] - lo) / (hi - lo) : data.y[k];
      const c = multi ? classColor(data.y[k], false) : colorAt(t);
      g.beginPath();
      g.arc(((x - x0) / (x1 - x0)) * SIDE, SIDE - ((y - y0) / (y1 - y0)) * SIDE, 2.6, 0, 2 * Math.PI);
      g.fillStyle = `rgb(${c})`; g.fill();
      g.lineWidth = 0.8; g.strokeStyle = "rgba(0,0,0,0.6)"; g.stroke();
    }
  }

  function drawCurves(h) {
    const g = curves.getContext("2d"), W = curves.width, H = curves.height, pad = 34;
    g.clearRect(0, 0, W, H);
    const all = [...h.train_loss, ...h.test_loss].filter((x) => x > 0);
    if (!all.length) return;
    const lmin = Math.log10(Math.min(...all)), lmax = Math.max(lmin + 1e-6, Math.log10(Math.max(...all)));
    const smax = Math.max(1, h.step[h.step.length - 1]);
    const px = (s) => pad + (s / smax) * (W - pad - 8), py = (v) => 8 + (1 - (Math.log10(v) - lmin) / (lmax - lmin)) * (H - pad);
    g.strokeStyle = "#bbb"; g.lineWidth = 1; g.strokeRect(pad, 8, W - pad - 8, H - pad);
    g.fillStyle = "#666"; g.font = "11px system-ui";
    g.fillText(`${Math.pow(10, lmax).toPrecision(2)}`, 2, 16); g.fillText(`${Math.pow(10, lmin).toPrecision(2)}`, 2, H - pad + 8);
    g.fillText(`step ${smax}`, W - 70, H - 8);
    for (const [key, color] of [["train_loss", "#2a6df4"], ["test_loss", "#e8710a"]]) {
      g.beginPath(); g.strokeStyle = color; g.lineWidth = 1.6;
      h[key].forEach((v, k) => { if (v > 0) (k ? g.lineTo(px(h.step[k]), py(v)) : g.moveTo(px(h.step[k]), py(v))); });
      g.stroke();
      g.fillStyle = color; g.fillText(key.replace("_", " "), key === "train_loss" ? pad + 6 : pad + 70, H - 8);
    }
  }

  async function draw3d(f) {
    const Plotly = await loadPlotly();
    const n = f.grid.n, [x0, x1, y0, y1] = f.grid.domain;
    const xs = Array.from({ length: n }, (_, j) => x0 + ((x1 - x0) * j) / (n - 1));
    const ys = Array.from({ length: n }, (_, i) => y0 + ((y1 - y0) * i) / (n - 1));
    const z = ys.map((_, i) => f.grid.values.slice(i * n, (i + 1) * n));
    const traces = [{ type: "surface", x: xs, y: ys, z, colorscale: "Viridis", showscale: false, opacity: 0.9 }];
    if (data && data.task === "regression") traces.push({ type: "scatter3d", mode: "markers", x: data.x.map((p) => p[0]), y: data.x.map((p) => p[1]), z: data.y, marker: { size: 2, color: "#111" } });
    await Plotly.react(plot, traces, { margin: { l: 0, r: 0, t: 0, b: 0 }, uirevision: "keep", scene: { xaxis: { title: { text: "x1" } }, yaxis: { title: { text: "x2" } } } }, { displaylogo: false });
  }

  const sendConfig = () => { ctx.setHash(queryOf(state, DEFAULTS)); setPlaying(false); send({ type: "config", config: config(state) }); };
  const names = Object.keys(options.targets);
  const on = { onChange: sendConfig };
  const controls = [
    select(state, "task", { label: "task", options: ["regression", "surface", "classification"], onChange: () => {
      const isSet = options.datasets.includes(state.target);
      if (state.task === "classification" && !isSet) state.target = "circle";
      if (state.task !== "classification" && isSet) state.target = "paraboloid";
      controls.forEach((c) => c.sync()); sendConfig();
    } }),
    text(state, "target", { label: "target or data set", list: "fit-targets", ...on }),
    slider(state, "noise", { label: "noise", min: 0, max: 0.5, step: 0.01, ...on }),
    slider(state, "layers", { label: "hidden layers", min: 1, max: 6, ...on }),
    slider(state, "units", { label: "units per layer", min: 1, max: 64, ...on }),
    select(state, "activation", { label: "activation", options: options.activations, ...on }),
    slider(state, "lr", { label: "learning rate", min: 0.0001, max: 1, log: true, digits: 2, ...on }),
    number(state, "batch", { label: "batch (0 = all)", min: 0, ...on }),
    number(state, "n_train", { label: "training points", min: 10, max: 10000, ...on }),
    number(state, "steps", { label: "total steps", min: 1, ...on }),
    number(state, "seed", { label: "seed", min: 0, ...on }),
    slider(state, "speed", { label: "steps per update", min: 1, max: 100, onChange: () => { ctx.setHash(queryOf(state, DEFAULTS)); send({ type: "speed", steps: state.speed }); } }),
    check(state, "three_d", { label: "3-D surface", onChange: () => { ctx.setHash(queryOf(state, DEFAULTS)); plot.hidden = !state.three_d; if (state.three_d && last) draw3d(last); } }),
  ];
  play.addEventListener("click", () => { setPlaying(!playing); send({ type: playing ? "play" : "pause" }); });
  const step = el("button", { id: "fit-step", text: "Step", onclick: () => { setPlaying(false); send({ type: "step", n: state.speed }); } });
  const reset = el("button", { id: "fit-reset", text: "Reset", title: "Back to step 0 with the same initial weights", onclick: () => { setPlaying(false); send({ type: "reset" }); } });

  section.append(
    el("div", { class: "controls" }, controls.map((c) => c.root),
      datalist("fit-targets", [...Object.keys(options.targets), ...options.datasets]),
      el("div", { class: "row" }, play, step, reset),
      el("p", { class: "caption", text: `Named targets: ${names.join(", ")}; or type an expression in x1, x2 such as x1**2 + x2**2 + 3. Data sets (classification): ${options.datasets.join(", ")}.` })),
    el("div", { class: "view" }, info,
      el("div", { class: "figures" }, map, el("div", {}, stats, curves), plot)),
  );
  plot.hidden = !state.three_d;
  connect();

  return {
    query: () => queryOf(state, DEFAULTS),
    deactivate() { if (playing) { setPlaying(false); send({ type: "pause" }); } },
    load(params) { Object.assign(state, readParams(params, DEFAULTS)); controls.forEach((c) => c.sync()); sendConfig(); },
  };
}

export default { id: "fit", title: "Fit", mount };
