// Digits panel: a net trained on scikit-learn's 8×8 digits, cut exactly on the plane through three
// test images. Linear regions in pattern colours, the decision boundary thick, the three images
// marked; click anywhere to see the image at that point of the plane (origin + s·u + t·v, computed
// here from the plane the server sends) and the class the net predicts there.
import { el, select, slider, text, queryOf, readParams, postJSON, latest, status } from "./ui.js";
import { drawRegions, regionAt } from "./regiondraw.js";

const DEFAULTS = { model: "mlp", epochs: 10, through: "0,3,4", seed: 0 };
const SIDE = 420, PIX = 8, ZOOM = 14;

async function mount(section, ctx) {
  const state = readParams(ctx.params || [], DEFAULTS);
  const canvas = el("canvas", { id: "digits-canvas", width: SIDE, height: SIDE });
  const image = el("canvas", { id: "digits-image", width: PIX * ZOOM, height: PIX * ZOOM });
  const count = el("span", { class: "count", id: "digits-count", text: "…" });
  const info = el("p", { class: "status", id: "digits-status" });
  const here = el("p", { class: "hover", id: "digits-here", text: "Click the plane to see the image there." });
  let data = null, pieces = null, mark = null;

  function body() {
    const through = state.through.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
    return { model: state.model, epochs: state.epochs, seed: state.seed, through: through.length ? through : null };
  }

  const compute = latest(async () => {
    status(info, "training and cutting… (a few seconds the first time)");
    try {
      data = await postJSON("/api/digits", body());
    } catch (e) {
      status(info, e.message, true);
      count.textContent = "—";
      return;
    }
    pieces = { domain: data.regions.domain, polygons: data.decision.pieces.map((p) => p.polygon) };
    count.textContent = `${data.regions.count} linear regions · ${data.decision.count} decision regions`;
    count.dataset.count = String(data.regions.count);
    count.dataset.decision = String(data.decision.count);
    const acc = data.test_accuracy[data.test_accuracy.length - 1];
    status(info, `${data.model} after ${data.epochs} epochs: test accuracy ${(100 * acc).toFixed(1)} % · images ` +
      data.images.map((m) => `#${m.index} (a ${m.label})`).join(", "));
    mark = null;
    redraw();
    showAt(...data.images[0].at);
  });

  function toScreen(s, t) {
    const [x0, x1, y0, y1] = data.regions.domain;
    return [((s - x0) / (x1 - x0)) * SIDE, SIDE - ((t - y0) / (y1 - y0)) * SIDE];
  }

  function redraw() {
    if (!data) return;
    drawRegions(canvas, data.regions, -1, { edge: "rgba(20,20,25,0.35)" });
    const g = canvas.getContext("2d");
    g.beginPath();
    for (const [a, b, c, d] of data.decision.segments) {
      const [p, q] = toScreen(a, b), [r, s] = toScreen(c, d);
      g.moveTo(p, q); g.lineTo(r, s);
    }
    g.lineWidth = 2.4; g.strokeStyle = "#111"; g.stroke();
    g.font = "bold 15px system-ui";
    for (const m of data.images) {
      const [x, y] = toScreen(...m.at);
      g.beginPath(); g.arc(x, y, 6, 0, 2 * Math.PI);
      g.fillStyle = "#fff"; g.fill(); g.lineWidth = 1.5; g.strokeStyle = "#111"; g.stroke();
      g.fillStyle = "#111"; g.fillText(String(m.label), x + 8, y - 8);
    }
    if (mark) {
      const [x, y] = toScreen(...mark);
      g.beginPath(); g.moveTo(x - 7, y); g.lineTo(x + 7, y); g.moveTo(x, y - 7); g.lineTo(x, y + 7);
      g.lineWidth = 2; g.strokeStyle = "#d00"; g.stroke();
    }
  }

  // The 64 pixels at plane point (s, t), clipped to the pixel range [0, 1].
  function pixelsAt(s, t) {
    const { origin, u, v } = data.plane;
    return origin.map((o, k) => Math.min(1, Math.max(0, o + s * u[k] + t * v[k])));
  }

  function showAt(s, t) {
    mark = [s, t];
    const px = pixelsAt(s, t), g = image.getContext("2d");
    for (let k = 0; k < PIX * PIX; k++) {
      const c = Math.round(255 * (1 - px[k])); // ink is dark, as the figures draw it
      g.fillStyle = `rgb(${c},${c},${c})`;
      g.fillRect((k % PIX) * ZOOM, Math.floor(k / PIX) * ZOOM, ZOOM, ZOOM);
    }
    image.dataset.pixels = px.map((p) => p.toFixed(4)).join(",");
    const [x, y] = toScreen(s, t), i = regionAt(pieces, x, y, SIDE, SIDE);
    const cls = i >= 0 ? data.decision.pieces[i].class : null;
    image.dataset.predicted = cls === null ? "" : String(cls);
    here.textContent = `(s, t) = (${s.toFixed(3)}, ${t.toFixed(3)}): the net predicts ${cls === null ? "—" : cls}`;
    redraw();
  }

  canvas.addEventListener("click", (e) => {
    if (!data) return;
    const r = canvas.getBoundingClientRect();
    const x = (e.clientX - r.left) * (SIDE / r.width), y = (e.clientY - r.top) * (SIDE / r.height);
    const [x0, x1, y0, y1] = data.regions.domain;
    showAt(x0 + (x / SIDE) * (x1 - x0), y0 + (1 - y / SIDE) * (y1 - y0));
  });

  const changed = () => { ctx.setHash(queryOf(state, DEFAULTS)); compute(); };
  const controls = [
    select(state, "model", { label: "model", options: ["mlp", "conv"], onChange: changed }),
    slider(state, "epochs", { label: "training epochs", min: 1, max: 30, onChange: changed }),
    text(state, "through", { label: "three test images (indices)", onChange: changed }),
  ];
  section.append(
    el("div", { class: "controls" }, controls.map((c) => c.root),
      el("p", { class: "caption", text: "scikit-learn's 8×8 digits (no download). The plane goes through three test images; " +
        "thin lines are the trained net's linear regions, thick ones where the predicted class changes (both exact)." })),
    el("div", { class: "view" }, el("p", {}, count), canvas, info),
    el("div", { class: "view" }, image, here),
  );
  compute();
  return {
    query: () => queryOf(state, DEFAULTS),
    load(params) { Object.assign(state, readParams(params, DEFAULTS)); controls.forEach((c) => c.sync()); compute(); },
  };
}

export default { id: "digits", title: "Real data", mount };
