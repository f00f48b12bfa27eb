// Small helpers shared by the panels: DOM building, controls bound to a state object,
// API calls that surface the server's one-line error, and a latest-wins scheduler.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function field(label, input, extra) {
  return el("label", { class: "field" }, el("span", { class: "name", text: label }), input, extra);
}

// A range input bound to state[key]; `log` makes the slider move in log10 space.
export function slider(state, key, { label, min, max, step = 1, log = false, onChange, digits = 3 }) {
  const toSlider = (v) => (log ? Math.log10(v) : v);
  const fromSlider = (v) => (log ? Number(Math.pow(10, v).toPrecision(digits)) : Number(v));
  const input = el("input", { type: "range", min: toSlider(min), max: toSlider(max), step: log ? 0.01 : step, name: key });
  const out = el("output", { class: "value" });
  const sync = () => { input.value = toSlider(state[key]); out.textContent = state[key]; };
  input.addEventListener("input", () => { state[key] = fromSlider(input.value); out.textContent = state[key]; onChange?.(key); });
  sync();
  return { root: field(label, input, out), sync, input };
}

export function select(state, key, { label, options, onChange }) {
  const input = el("select", { name: key }, options.map((o) => el("option", { value: o, text: o })));
  const sync = () => { input.value = state[key]; };
  input.addEventListener("change", () => { state[key] = input.value; onChange?.(key); });
  sync();
  return { root: field(label, input), sync, input };
}

export function text(state, key, { label, placeholder = "", onChange, list }) {
  const input = el("input", { type: "text", name: key, placeholder, list, spellcheck: "false" });
  const sync = () => { input.value = state[key] ?? ""; };
  input.addEventListener("change", () => { state[key] = input.value.trim(); onChange?.(key); });
  sync();
  return { root: field(label, input), sync, input };
}

export function number(state, key, { label, min, max, step = 1, onChange }) {
  const input = el("input", { type: "number", name: key, min, max, step });
  const sync = () => { input.value = state[key]; };
  input.addEventListener("change", () => { state[key] = Number(input.value); onChange?.(key); });
  sync();
  return { root: field(label, input), sync, input };
}

export function check(state, key, { label, onChange }) {
  const input = el("input", { type: "checkbox", name: key });
  const sync = () => { input.checked = !!state[key]; };
  input.addEventListener("change", () => { state[key] = input.checked; onChange?.(key); });
  sync();
  return { root: el("label", { class: "field check" }, input, el("span", { class: "name", text: label })), sync, input };
}

export function datalist(id, values) {
  return el("datalist", { id }, values.map((v) => el("option", { value: v })));
}

// The query string of the entries of `state` that differ from `defaults` (all of them if null).
export function queryOf(state, defaults = null) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) {
    if (v === "" || v === null || v === undefined) continue;
    if (defaults && String(defaults[k]) === String(v)) continue;
    q.set(k, String(v));
  }
  return q;
}

// Copy the URL parameters into state, converting to the type of each default.
export function readParams(params, defaults) {
  const state = { ...defaults };
  for (const [k, v] of params) {
    if (!(k in defaults)) continue;
    const d = defaults[k];
    state[k] = typeof d === "number" ? Number(v) : typeof d === "boolean" ? v === "true" : v;
  }
  return state;
}

export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function failure(resp) {
  let detail = `${resp.status} ${resp.statusText}`;
  try { detail = (await resp.json()).detail ?? detail; } catch { /* not JSON */ }
  return new ApiError(resp.status, `${resp.status}: ${detail}`);
}

// How the panels reach the library: over HTTP and a WebSocket in the lab. A Jupyter widget
// (neuromosaic.widgets) sets its own transport, messages to its kernel that the kernel answers
// with the same library calls, so the panels run unchanged in a notebook.
const HTTP = {
  fetch: (url, init) => fetch(url, init),
  socket: (path) => new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`),
  plotly: () => new Promise((resolve, reject) => { // plotly.js from the installed plotly package
    const s = el("script", { src: "/vendor/plotly.min.js" });
    s.onload = () => resolve(window.Plotly);
    s.onerror = () => reject(new Error("could not load plotly.js"));
    document.head.append(s);
  }),
};
let transport = HTTP;

// Replace some of fetch(url, init) → Response, socket(path) → a WebSocket-like object and
// plotly() → Promise<Plotly>; the others stay the lab's.
export function setTransport(t) { transport = { ...HTTP, ...t }; }
export function apiFetch(url, init) { return transport.fetch(url, init); }
export function openSocket(path) { return transport.socket(path); }

export async function getJSON(url) {
  const resp = await apiFetch(url);
  if (!resp.ok) throw await failure(resp);
  return resp.json();
}

export async function postJSON(url, body) {
  const resp = await apiFetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!resp.ok) throw await failure(resp);
  return resp.json();
}

export async function getBlob(url) {
  const resp = await apiFetch(url);
  if (!resp.ok) throw await failure(resp);
  return resp.blob();
}

// Run `task` now, or once more right after the running call if asked again meanwhile:
// a slider that moves fast never queues more than one stale request.
export function latest(task) {
  let running = false, again = false;
  const trigger = () => {
    if (running) { again = true; return; }
    running = true; again = false;
    Promise.resolve().then(task).catch((e) => console.warn(e)).finally(() => { running = false; if (again) trigger(); });
  };
  return trigger;
}

let plotlyPromise = null;
// plotly.js, loaded the first time a panel needs it.
export function loadPlotly() {
  if (!plotlyPromise) plotlyPromise = transport.plotly();
  return plotlyPromise;
}

export function status(node, message, isError = false) {
  node.textContent = message;
  node.classList.toggle("error", isError);
}
