"""The widgets' front end: the lab's own ES modules, loaded in the notebook without a build step.

:func:`widget_esm` returns the ``_esm`` of every widget: a small loader (``LOADER`` below) with
the text of the lab's modules — the files in ``lab/static`` that the lab serves at ``/static/``,
read here from disk, unchanged — and the lab's stylesheet. Each view of a widget

1. loads the modules from ``blob:`` URLs, each import of ``"./x.js"`` pointed at x.js's URL
   (the only rewrite; a view gets its own copies, so two widgets on a page never share state);
2. gives ``ui.js`` a transport (``setTransport``) that carries the panel's requests to the
   kernel as custom messages — ``fetch`` and the Fit panel's socket — which the widget answers
   with the lab's own functions (see :mod:`.base`);
3. mounts the panel in a shadow root, so the lab's stylesheet styles the panel and nothing else
   of the notebook, and keeps the panel's URL state in the ``query`` trait.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

PANELS = ("paint", "canvas", "regions", "fit")  # the lab's panels a widget shows
IMPORT = re.compile(r'from\s+"\./([\w-]+\.js)"')


def static_dir() -> Path:
    """The folder the lab serves at ``/static/`` (``neuromosaic.lab.app.STATIC``)."""
    from ..lab.app import STATIC

    return STATIC


def lab_modules(entries=tuple(f"{p}.js" for p in PANELS)) -> dict[str, str]:
    """The text of ``entries`` and of every module they import, by file name, as on disk."""
    sources: dict[str, str] = {}
    todo = list(entries)
    while todo:
        name = todo.pop()
        if name not in sources:
            sources[name] = (static_dir() / name).read_text(encoding="utf-8")
            todo.extend(IMPORT.findall(sources[name]))
    return dict(sorted(sources.items()))


@functools.cache
def widget_esm() -> str:
    """The ES module every widget runs in the browser (see the module docstring)."""
    css = (static_dir() / "style.css").read_text(encoding="utf-8")
    return (LOADER.replace("__SOURCES__", json.dumps(lab_modules()))
            .replace("__CSS__", json.dumps(css)))


LOADER = r"""
// neuromosaic.widgets: one of the lab's panels in a notebook cell (see neuromosaic/widgets/esm.py).
const SOURCES = __SOURCES__; // the lab's modules (lab/static), by file name, unchanged
const LAB_CSS = __CSS__;     // the lab's style.css
const WIDGET_CSS = `
:host { display: block; font: 14px/1.4 var(--font); color: var(--ink); background: var(--bg);
        padding: 0.6rem; border-radius: 8px; }
.panel { grid-template-columns: 300px minmax(0, 1fr); }
.canvas-box { height: 480px; }`;

// Blob URLs for a module and those it imports, each "./x.js" pointed at x.js's own URL.
function moduleGraph() {
  const urls = new Map();
  const url = (name) => {
    if (!urls.has(name)) {
      const text = SOURCES[name].replace(/(from\s+)"\.\/([\w-]+\.js)"/g, (_, from, dep) => `${from}"${url(dep)}"`);
      urls.set(name, URL.createObjectURL(new Blob([text], { type: "text/javascript" })));
    }
    return urls.get(name);
  };
  return { url, revoke: () => urls.forEach((u) => URL.revokeObjectURL(u)) };
}

// plotly.js once per page: its text from the kernel (the lab's own copy), run as a classic script.
const PLOTLY = Symbol.for("neuromosaic.plotly");
function pagePlotly(fetchFn) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  globalThis[PLOTLY] ??= fetchFn("/vendor/plotly.min.js")
    .then((resp) => (resp.ok ? resp.blob() : Promise.reject(new Error("could not load plotly.js"))))
    .then((blob) => new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = URL.createObjectURL(blob);
      s.onload = () => resolve(window.Plotly);
      s.onerror = () => { globalThis[PLOTLY] = undefined; reject(new Error("could not load plotly.js")); };
      document.head.append(s);
    }));
  return globalThis[PLOTLY];
}

// plotly keeps its stylesheet in <head>; a plot in a shadow root needs a copy of its rules.
function plotlyInShadow(Plotly, root) {
  const adopt = () => {
    const sheet = document.getElementById("plotly.js-style-global")?.sheet;
    if (!sheet) return;
    let own = root.querySelector("style[data-plotly]");
    if (!own) { own = document.createElement("style"); own.dataset.plotly = ""; root.prepend(own); }
    own.textContent = Array.from(sheet.cssRules, (r) => r.cssText).join("\n");
  };
  return { ...Plotly, react: async (...args) => { const out = await Plotly.react(...args); adopt(); return out; } };
}

// The lab's transport, over the widget's messages: request → response (body as a binary buffer),
// and the Fit panel's socket as "socket" messages both ways.
function kernelTransport(model, root) {
  const view = Math.random().toString(36).slice(2);
  const pending = new Map();
  const sockets = new Set();
  let next = 0;
  model.on("msg:custom", (msg, buffers) => {
    if (msg.kind === "response" && pending.has(msg.id)) {
      const resolve = pending.get(msg.id);
      pending.delete(msg.id);
      const body = buffers && buffers.length ? buffers[0] : "";
      resolve(new Response(body, { status: msg.status, headers: { "Content-Type": msg.type } }));
    } else if (msg.kind === "socket") {
      sockets.forEach((s) => s.readyState === 1 && s.onmessage?.({ data: msg.text }));
    }
  });
  const abortError = () => new DOMException("the request was aborted", "AbortError");
  const transport = {
    fetch(url, init = {}) {
      return new Promise((resolve, reject) => {
        const id = `${view}:${++next}`, signal = init.signal;
        if (signal?.aborted) { reject(abortError()); return; }
        pending.set(id, resolve);
        signal?.addEventListener("abort", () => { if (pending.delete(id)) reject(abortError()); });
        model.send({ kind: "request", id, method: init.method || "GET", url, body: init.body ?? null });
      });
    },
    socket(path) {
      const s = { readyState: 0, onopen: null, onclose: null, onmessage: null,
        send: (text) => model.send({ kind: "socket", path, text }),
        close() { s.readyState = 3; sockets.delete(s); s.onclose?.({}); } };
      sockets.add(s);
      setTimeout(() => { s.readyState = 1; s.onopen?.({}); });
      return s;
    },
    plotly: () => pagePlotly(transport.fetch).then((P) => plotlyInShadow(P, root)),
    close() { sockets.forEach((s) => { s.readyState = 3; }); sockets.clear(); pending.clear(); },
  };
  return transport;
}

async function render({ model, el }) {
  const root = el.shadowRoot ?? el.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = LAB_CSS.replace(/:root\b/g, ":host") + WIDGET_CSS;
  const section = document.createElement("section");
  section.className = "panel";
  root.replaceChildren(style, section);
  // keys typed in the panel stay in it (not the notebook's shortcuts)
  el.addEventListener("keydown", (e) => e.stopPropagation());

  const graph = moduleGraph();
  const ui = await import(graph.url("ui.js"));
  const panel = (await import(graph.url(`${model.get("panel")}.js`))).default;
  graph.revoke();
  const transport = kernelTransport(model, root);
  ui.setTransport(transport);
  // a download link of the lab (the Paint panel's full-size PNG) is fetched from the kernel too
  root.addEventListener("click", async (e) => {
    const a = e.target.closest?.("a[download]"), href = a?.getAttribute("href");
    if (!href?.startsWith("/api/")) return;
    e.preventDefault();
    const resp = await transport.fetch(href);
    if (!resp.ok) return;
    const save = Object.assign(document.createElement("a"), { href: URL.createObjectURL(await resp.blob()), download: a.download });
    save.click();
    setTimeout(() => URL.revokeObjectURL(save.href), 60_000);
  });
  const inst = await panel.mount(section, {
    params: new URLSearchParams(model.get("query")),
    upload: model.get("upload"),
    setHash: (q) => { model.set("query", q.toString()); model.save_changes(); },
  });
  inst.activate?.();
  model.on("change:query", () => {
    const q = model.get("query");
    if (q !== inst.query().toString()) inst.load?.(new URLSearchParams(q));
  });
  return () => { inst.deactivate?.(); transport.close(); };
}

export default { render };
"""
