// Drop a picture made by neuromosaic on the infinite canvas to open it there: a PNG, or a poster
// .tif of any size. Only the file's first megabyte is sent (its config comes before the pixels:
// a PNG's chunk, a TIFF's first directory); the lab answers with the canvas's parameters for
// that picture (its net, and a view on its centre spanning what it spans), and the panel loads
// them as it loads a shared link.
import { el, apiFetch, status } from "./ui.js";

export const HEAD_BYTES = 1 << 20; // the lab's cap on what it reads (POST /api/paint/from-file)

// The canvas parameters a dropped file carries; an Error with the lab's one-line detail if not.
export async function paramsOfFile(file) {
  const resp = await apiFetch("/api/paint/from-file", {
    method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file.slice(0, HEAD_BYTES),
  });
  let body = {};
  try { body = await resp.json(); } catch { /* not JSON */ }
  if (!resp.ok) throw new Error(`${resp.status}: ${body.detail ?? resp.statusText}`);
  return new URLSearchParams(body.canvas);
}

// Listen for files dropped on `target`; open each one's picture with `open(params)`.
export function acceptDrops(target, open, report) {
  const hasFiles = (e) => Array.from(e.dataTransfer?.types || []).includes("Files");
  const mark = (on) => { target.style.outline = on ? "2px dashed var(--accent)" : ""; };
  target.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault(); // allows the drop
    e.dataTransfer.dropEffect = "copy";
    mark(true);
  });
  target.addEventListener("dragleave", (e) => { if (!target.contains(e.relatedTarget)) mark(false); });
  target.addEventListener("drop", async (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault(); // the browser would open the file itself
    mark(false);
    const file = e.dataTransfer.files[0];
    if (!file) return;
    report(`reading ${file.name}…`);
    try {
      open(await paramsOfFile(file));
      report(`opened ${file.name}`);
    } catch (err) {
      report(`${file.name}: ${err.message}`, true);
    }
  });
}

// A panel whose mounted section takes dropped pictures and loads their parameters (load(params),
// what a shared link calls), with a status line of its own under the panel.
export function withDrops(panel) {
  return {
    ...panel,
    async mount(section, ctx) {
      const inst = await panel.mount(section, ctx);
      const line = el("p", { class: "status drop-status", style: "grid-column: 1 / -1" });
      section.append(line);
      acceptDrops(section, (params) => inst.load(params), (msg, isError) => status(line, msg, isError));
      return inst;
    },
  };
}
