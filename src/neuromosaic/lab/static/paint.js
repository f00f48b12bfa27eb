// Paint panel: every paint option as a control; a 256-pixel preview re-renders as they move,
// drawn by the viewer's GPU (WebGL2, the net as a shader: webgl.js) or painted by the server.
import { el, slider, select, text, number, check, datalist, queryOf, readParams, getJSON, getBlob, latest, status, ApiError } from "./ui.js";
import { gpuPainter, gpuDefault, setGpuDefault, decodeShader, frameBlob } from "./webgl.js";

const PREVIEW = 256;
// what the GPU takes as uniforms (or ignores): a change of these alone asks the server nothing
const VIEW_KEYS = ["scale", "center", "raw_coords", "size", "fast", "device"];

// The uniforms of the view in `state` (scale, centre, raw coordinates).
function viewUniforms(state) {
  const center = String(state.center).split(",").map(Number);
  if (center.length !== 2 || !center.every(Number.isFinite)) throw new ApiError(422, `center must be X,Y, got ${state.center}`);
  return { u_scale: Number(state.scale), u_center: center, u_raw_coords: !!state.raw_coords };
}

// PaintConfig JSON (from the server) → the flat text/number state the controls and URL use.
export function flatConfig(cfg) {
  return {
    size: `${cfg.size[0]}x${cfg.size[1]}`, layers: cfg.layers, width: cfg.width,
    widths: cfg.widths ? cfg.widths.join(",") : "", activation: cfg.activation,
    out_activation: cfg.out_activation, init: cfg.init, bias_init: cfg.bias_init ?? "",
    inputs: cfg.inputs, z_dim: cfg.z_dim, z: cfg.z ? cfg.z.join(",") : "", scale: cfg.scale,
    center: cfg.center.join(","), raw_coords: cfg.raw_coords, color: cfg.color, seed: cfg.seed, fast: cfg.fast,
    device: cfg.device,
  };
}

function previewSize(size) {
  const [w, h] = String(size).toLowerCase().split("x").map(Number);
  const W = w || 512, H = h || W;
  const k = PREVIEW / Math.max(W, H);
  return `${Math.max(1, Math.round(W * k))}x${Math.max(1, Math.round(H * k))}`;
}

async function mount(section, ctx) {
  const options = await getJSON("/api/paint/options");
  const defaults = { ...flatConfig(options.defaults), size: "512x512" };
  const state = readParams(ctx.params || [], defaults);
  const image = el("img", { id: "paint-image", alt: "the painting", width: PREVIEW, height: PREVIEW });
  const info = el("p", { class: "status", id: "paint-status" });
  const download = el("a", { class: "button", id: "paint-download", download: "neuromosaic.png", text: "Download full-size PNG" });
  const caption = el("p", { class: "caption" });
  let shownUrl = null;
  const painter = gpuPainter();
  const choice = { gpu: gpuDefault(painter) }; // the GPU switch
  const gpu = { shader: null, key: null, query: null, note: "" };

  async function show(blob, q, how) {
    const url = URL.createObjectURL(blob);
    await new Promise((resolve) => { image.onload = resolve; image.onerror = resolve; image.src = url; });
    if (shownUrl) URL.revokeObjectURL(shownUrl);
    shownUrl = url;
    image.dataset.query = q.toString();
    image.dataset.renderer = how;
  }

  // Draw on the GPU; the shader comes from the server when the net changes (or, for an
  // unbounded output, the view: its colours map from the view's own range).
  async function renderGpu(q, started) {
    const net = new URLSearchParams(q);
    for (const k of VIEW_KEYS) net.delete(k);
    if (gpu.key !== net.toString() || (!gpu.shader.fixed_range && gpu.query !== q.toString())) {
      gpu.shader = decodeShader(await getJSON(`/api/paint/glsl?${q}`));
      gpu.key = net.toString();
      gpu.query = q.toString();
    }
    const [w, h] = q.get("size").split("x").map(Number), k = Math.min(2, window.devicePixelRatio || 1);
    painter.draw(gpu.shader, Math.round(w * k), Math.round(h * k), viewUniforms(state));
    await show(await frameBlob(painter), q, "gpu");
    status(info, `${q.get("size")} preview drawn by the GPU (WebGL2) in ${Math.round(performance.now() - started)} ms`);
  }

  const render = latest(async () => {
    const q = queryOf(state, defaults);
    q.set("size", previewSize(state.size));
    q.set("fast", "true");
    const started = performance.now();
    try {
      if (choice.gpu) {
        try {
          await renderGpu(q, started);
          return;
        } catch (e) {
          if (e instanceof ApiError && (e.status === 422 || e.status === 413)) throw e; // a bad value
          choice.gpu = false; // no shader here (a notebook widget), or the GPU failed: the server paints
          gpu.note = ` · GPU off: ${e.message}`;
          gpuSwitch.sync();
        }
      }
      await show(await getBlob(`/api/paint.png?${q}`), q, "server");
      status(info, `${q.get("size")} preview in ${Math.round(performance.now() - started)} ms${gpu.note}`);
    } catch (e) {
      status(info, e.message, true);
    }
  });

  const changed = () => {
    const q = queryOf(state, defaults);
    ctx.setHash(q);
    const full = queryOf(state, null);
    full.set("download", "true");
    download.href = `/api/paint.png?${full}`;
    download.download = `neuromosaic-seed${state.seed}.png`;
    render();
  };

  const recipeSelect = el("select", { name: "recipe" }, el("option", { value: "", text: "— the article's recipes —" }),
    options.recipes.map((r) => el("option", { value: r.name, text: r.title })));
  recipeSelect.addEventListener("change", () => {
    const r = options.recipes.find((x) => x.name === recipeSelect.value);
    if (!r) return;
    Object.assign(state, { ...flatConfig(r.fields), size: state.size });
    caption.textContent = r.caption;
    controls.forEach((c) => c.sync());
    changed();
  });

  const on = { onChange: changed };
  const controls = [
    slider(state, "layers", { label: "hidden layers", min: 0, max: 32, ...on }),
    slider(state, "width", { label: "neurons per layer", min: 1, max: 256, ...on }),
    text(state, "widths", { label: "widths (overrides)", placeholder: "e.g. 128,64,32", ...on }),
    select(state, "activation", { label: "activation", options: options.activations, ...on }),
    select(state, "out_activation", { label: "output activation", options: options.activations, ...on }),
    text(state, "init", { label: "weight init", list: "paint-inits", ...on }),
    text(state, "bias_init", { label: "bias init", placeholder: "PyTorch default", list: "paint-inits", ...on }),
    select(state, "inputs", { label: "inputs", options: options.inputs, ...on }),
    slider(state, "z_dim", { label: "z size (xyrz)", min: 1, max: 32, ...on }),
    text(state, "z", { label: "z (xyrz)", placeholder: "from the seed", ...on }),
    slider(state, "scale", { label: "scale (zoom)", min: 0.001, max: 100, log: true, ...on }),
    text(state, "center", { label: "centre X,Y", ...on }),
    check(state, "raw_coords", { label: "raw pixel coordinates", ...on }),
    select(state, "color", { label: "colour", options: options.colors, ...on }),
    number(state, "seed", { label: "seed", min: 0, ...on }),
    text(state, "size", { label: "download size", placeholder: "N or WxH", ...on }),
    check(state, "fast", { label: "fast tanh for the download", ...on }),
    select(state, "device", { label: "device", options: ["auto", "cpu", "cuda"], ...on }),
  ];
  const gpuSwitch = check(choice, "gpu", {
    label: painter ? "GPU (WebGL2) preview" : "GPU (WebGL2): not available here",
    onChange: () => { gpu.note = ""; setGpuDefault(choice.gpu); render(); },
  });
  gpuSwitch.input.disabled = !painter;
  const randomSeed = el("button", {
    id: "paint-random", text: "Random seed",
    onclick: () => { state.seed = Math.floor(Math.random() * 2 ** 31); controls.forEach((c) => c.sync()); changed(); },
  });

  section.append(
    el("div", { class: "controls" }, el("label", { class: "field" }, el("span", { class: "name", text: "recipe" }), recipeSelect),
      controls.map((c) => c.root), gpuSwitch.root, datalist("paint-inits", options.inits), el("div", { class: "row" }, randomSeed, download)),
    el("div", { class: "view" }, image, info, caption),
  );
  changed();

  return {
    query: () => queryOf(state, defaults),
    load(params) { Object.assign(state, readParams(params, defaults)); controls.forEach((c) => c.sync()); changed(); },
  };
}

export default { id: "paint", title: "Paint", mount };
