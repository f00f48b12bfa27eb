// The page: a tab per panel; the visible panel and its state live in the URL hash
// (#paint?seed=3&layers=12), so a link reproduces the exact view.
import { el } from "./ui.js";
import paint from "./paint.js";
import canvas from "./canvas.js";
import breed from "./breed.js";
import regions from "./regions.js";
import fit from "./fit.js";
import towers from "./towers.js";
import explain from "./explain.js";
import digits from "./digits.js";

const PANELS = [paint, canvas, breed, regions, fit, towers, explain, digits];
const mounted = new Map();
let current = null;

function parseHash() {
  const [name, qs] = location.hash.slice(1).split("?");
  return { name, params: new URLSearchParams(qs || "") };
}

function setHash(id, query) {
  const qs = query.toString();
  history.replaceState(null, "", `#${id}${qs ? "?" + qs : ""}`);
}

async function show(id, params) {
  const panel = PANELS.find((p) => p.id === id) || PANELS[0];
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.panel === panel.id);
  for (const p of PANELS) document.getElementById(`panel-${p.id}`).hidden = p.id !== panel.id;
  if (current && current !== panel) mounted.get(current.id)?.deactivate?.();
  current = panel;
  const section = document.getElementById(`panel-${panel.id}`);
  let inst = mounted.get(panel.id);
  if (!inst) {
    inst = await panel.mount(section, { params, setHash: (q) => current === panel && setHash(panel.id, q) });
    mounted.set(panel.id, inst);
  } else if (params) {
    inst.load?.(params);
  }
  inst.activate?.();
  setHash(panel.id, inst.query());
}

function init() {
  const tabs = document.getElementById("tabs");
  const main = document.getElementById("panels");
  for (const p of PANELS) {
    tabs.append(el("button", { "data-panel": p.id, text: p.title, onclick: () => show(p.id, null) }));
    main.append(el("section", { id: `panel-${p.id}`, class: "panel", hidden: true }));
  }
  document.getElementById("share").addEventListener("click", async (ev) => {
    try { await navigator.clipboard.writeText(location.href); ev.target.textContent = "Link copied"; }
    catch { ev.target.textContent = "Copy the address bar"; }
    setTimeout(() => { ev.target.textContent = "Copy link"; }, 1500);
  });
  window.addEventListener("hashchange", () => { const h = parseHash(); show(h.name, h.params); });
  const h = parseHash();
  show(h.name, h.params);
}

init();
