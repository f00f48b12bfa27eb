// Breed panel: the picture and a 3×3 grid of its children (mutations of its net). Click a child:
// it becomes the picture; shift-click two: their cross does. The picture's lineage (its breeding
// steps, e.g. m0.3s17_c5f1(m0.3s9)) is in the URL beside the root's paint options, so a link, or
// the downloaded PNG with `neuromosaic paint --from`, gives the same picture again.
import { el, slider, select, text, number, queryOf, readParams, getJSON, postJSON, latest, status } from "./ui.js";

const SIDE = 128; // a child's preview; the picture is drawn at twice that
const ROOT = { seed: 0, layers: 8, width: 16, widths: "", activation: "tanh", init: "normal:1", inputs: "xyr", color: "rgb", scale: 1 };
const DEFAULTS = { ...ROOT, lineage: "", strength: 0.1, base: 0, size: "1024" };
const png = (b64) => `data:image/png;base64,${b64}`;

// The root picture's paint options (as /api/paint.png takes them), without the empty ones.
const rootOf = (state) => Object.fromEntries(Object.keys(ROOT).filter((k) => state[k] !== "").map((k) => [k, state[k]]));

async function mount(section, ctx) {
  const options = await getJSON("/api/paint/options");
  const state = readParams(ctx.params || [], DEFAULTS);
  const history = []; // earlier pictures: { picture: the root's options and lineage, lineage, png }, newest last
  let children = [], picked = null, shown = null;

  const parent = el("img", { id: "breed-parent", alt: "the picture", width: 2 * SIDE, height: 2 * SIDE });
  const cells = Array.from({ length: 9 }, (_, i) => {
    const img = el("img", { alt: `child ${i + 1}`, width: SIDE, height: SIDE });
    const button = el("button", { class: "breed-child", "data-index": i, title: "click: breed from this one · shift-click two: cross them" }, img);
    button.addEventListener("click", (ev) => choose(i, ev.shiftKey));
    return { button, img };
  });
  const strip = el("div", { class: "breed-history", id: "breed-history" });
  const record = el("code", { class: "breed-lineage", id: "breed-lineage" });
  const info = el("p", { class: "status", id: "breed-status" });
  const download = el("a", { class: "button", id: "breed-download", text: "Download full-size PNG" });
  const undo = el("button", { id: "breed-undo", text: "Undo", onclick: () => back(history.length - 1) });

  const render = latest(async () => {
    const body = { paint: rootOf(state), lineage: state.lineage, strength: state.strength, base: state.base, side: SIDE };
    const started = performance.now();
    let r;
    try { r = await postJSON("/api/breed", body); } catch (e) { status(info, e.message, true); return; }
    children = r.children;
    picked = null;
    await Promise.all([[parent, r.parent], ...cells.map((c, i) => [c.img, r.children[i].png])].map(([img, b64]) =>
      new Promise((resolve) => { img.onload = resolve; img.onerror = resolve; img.src = png(b64); })));
    cells.forEach((c, i) => { c.button.dataset.lineage = r.children[i].lineage; c.button.classList.remove("picked"); });
    shown = r.parent;
    parent.dataset.lineage = r.lineage;
    record.textContent = r.lineage || "(the root: no steps yet)";
    status(info, `${r.steps} step${r.steps === 1 ? "" : "s"} in its lineage · children of seeds ${state.base}–${state.base + 8} · ${Math.round(performance.now() - started)} ms`);
  });

  const changed = () => {
    ctx.setHash(queryOf(state, DEFAULTS));
    const q = queryOf(rootOf(state), null);
    if (state.lineage) q.set("lineage", state.lineage);
    q.set("size", state.size);
    q.set("download", "true");
    download.href = `/api/paint.png?${q}`;
    download.download = `neuromosaic-bred-seed${state.seed}.png`;
    undo.disabled = history.length === 0;
    strip.replaceChildren(...history.map((h, i) => el("img", {
      src: png(h.png), alt: `step back ${history.length - i}`, title: h.lineage || "the root", "data-lineage": h.lineage,
      onclick: () => back(i),
    })));
    render();
  };

  const picture = () => ({ ...rootOf(state), widths: state.widths, lineage: state.lineage });
  // Make `lineage` the picture, remembering the one shown now.
  const go = (lineage) => {
    if (shown !== null) history.push({ picture: picture(), lineage: state.lineage, png: shown });
    if (history.length > 24) history.shift();
    state.lineage = lineage;
    changed();
  };
  // Back to history[i], forgetting what came after it.
  const back = (i) => {
    if (i < 0 || i >= history.length) return;
    Object.assign(state, history[i].picture);
    history.length = i;
    controls.forEach((c) => c.sync());
    changed();
  };

  async function choose(i, shift) {
    const child = children[i];
    if (!child) return;
    if (!shift) { go(child.lineage); return; }
    if (picked === null || picked === i) {
      picked = picked === i ? null : i;
      cells.forEach((c, k) => c.button.classList.toggle("picked", k === picked));
      status(info, picked === null ? "" : "shift-click a second child to cross the two");
      return;
    }
    try {
      const r = await postJSON("/api/breed/cross", { a: children[picked].lineage, b: child.lineage, seed: state.base });
      go(r.lineage);
    } catch (e) { status(info, e.message, true); }
  }

  const on = { onChange: changed };
  const controls = [
    number(state, "seed", { label: "root seed", min: 0, ...on }),
    slider(state, "layers", { label: "hidden layers", min: 0, max: 32, ...on }),
    slider(state, "width", { label: "neurons per layer", min: 1, max: 128, ...on }),
    select(state, "activation", { label: "activation", options: options.activations, ...on }),
    text(state, "init", { label: "weight init", ...on }),
    select(state, "inputs", { label: "inputs", options: options.inputs, ...on }),
    select(state, "color", { label: "colour", options: options.colors, ...on }),
    slider(state, "strength", { label: "mutation strength", min: 0, max: 1, step: 0.01, ...on }),
    text(state, "size", { label: "download size", placeholder: "N or WxH", ...on }),
  ];
  const more = el("button", { id: "breed-more", text: "New children", onclick: () => { state.base += 9; changed(); } });
  const restart = el("button", { id: "breed-restart", text: "Start over", onclick: () => { if (state.lineage) go(""); } });

  section.append(
    el("div", { class: "controls" }, controls.map((c) => c.root), el("div", { class: "row" }, undo, more, restart, download),
      el("p", { class: "caption", text: "Each child adds noise to every weight of the picture's net: strength × the layer's own spread. Click a child to breed from it; shift-click two to cross them (each neuron from one or the other). Every picture is its root's paint options plus the steps below, which the URL and the PNG keep." }),
      el("h3", { text: "lineage" }), record),
    el("div", { class: "view" },
      el("div", { class: "breed-view" }, el("figure", {}, parent, el("figcaption", { text: "the picture" })),
        el("div", { class: "breed-grid", id: "breed-grid" }, cells.map((c) => c.button))),
      info, el("h3", { text: "history (click to go back)" }), strip),
  );
  changed();

  return {
    query: () => queryOf(state, DEFAULTS),
    load(params) { Object.assign(state, readParams(params, DEFAULTS)); controls.forEach((c) => c.sync()); changed(); },
  };
}

export default { id: "breed", title: "Breed", mount };
