// Drawing an exact partition (the JSON of /api/regions or a fit frame) on a 2-D canvas and in 3-D.
// Colours are hashed from the activation pattern (colors.js, the same function as the PNGs'), so a
// region keeps its colour across redraws and between the lab and a file.
import { patternColor } from "./colors.js";

export { patternColor };

function toScreen(data, W, H) {
  const [x0, x1, y0, y1] = data.domain;
  return [(x) => ((x - x0) / (x1 - x0)) * W, (y) => H - ((y - y0) / (y1 - y0)) * H];
}

// Fill each region with its pattern colour (or leave it clear with fill=false) and stroke the edges.
export function drawRegions(canvas, data, hovered = -1, { fill = true, clear = true, edge = "rgba(20,20,25,0.55)" } = {}) {
  const g = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  const [sx, sy] = toScreen(data, W, H);
  if (clear) g.clearRect(0, 0, W, H);
  g.lineWidth = data.polygons.length > 5000 ? 0.3 : 0.7;
  g.strokeStyle = edge;
  data.polygons.forEach((p, i) => {
    g.beginPath();
    g.moveTo(sx(p[0]), sy(p[1]));
    for (let k = 2; k < p.length; k += 2) g.lineTo(sx(p[k]), sy(p[k + 1]));
    g.closePath();
    if (fill) { g.fillStyle = patternColor(data.patterns[i]); g.fill(); }
    g.stroke();
  });
  if (hovered >= 0) {
    const p = data.polygons[hovered];
    g.beginPath();
    g.moveTo(sx(p[0]), sy(p[1]));
    for (let k = 2; k < p.length; k += 2) g.lineTo(sx(p[k]), sy(p[k + 1]));
    g.closePath();
    g.lineWidth = 2.5; g.strokeStyle = "#111"; g.stroke();
  }
}

function bboxes(data) {
  if (!data._bbox) {
    data._bbox = data.polygons.map((p) => {
      let a = Infinity, b = -Infinity, c = Infinity, d = -Infinity;
      for (let k = 0; k < p.length; k += 2) { a = Math.min(a, p[k]); b = Math.max(b, p[k]); c = Math.min(c, p[k + 1]); d = Math.max(d, p[k + 1]); }
      return [a, b, c, d];
    });
  }
  return data._bbox;
}

// The region under canvas pixel (px, py), or -1. Regions are convex: inside = left of every edge.
export function regionAt(data, px, py, W, H) {
  const [x0, x1, y0, y1] = data.domain;
  const x = x0 + (px / W) * (x1 - x0), y = y0 + (1 - py / H) * (y1 - y0);
  const boxes = bboxes(data);
  for (let i = 0; i < boxes.length; i++) {
    const [a, b, c, d] = boxes[i];
    if (x < a || x > b || y < c || y > d) continue;
    const p = data.polygons[i], n = p.length / 2;
    let inside = true;
    for (let k = 0; k < n && inside; k++) {
      const ax = p[2 * k], ay = p[2 * k + 1], bx = p[(2 * k + 2) % p.length], by = p[(2 * k + 3) % p.length];
      inside = (bx - ax) * (y - ay) - (by - ay) * (x - ax) >= -1e-12;
    }
    if (inside) return i;
  }
  return -1;
}

// Each cutting layer's pattern of region i as a string of 0/1 (or argmax digits for maxout).
export function decodePattern(data, i) {
  const hex = data.patterns[i];
  const bytes = [];
  for (let k = 0; k < hex.length; k += 2) bytes.push(parseInt(hex.slice(k, k + 2), 16));
  return data.layout.map((lay) => {
    const chunk = bytes.slice(lay.offset, lay.offset + lay.nbytes);
    if (lay.kind !== "bits") return chunk.join(",");
    let bits = "";
    for (const b of chunk) bits += b.toString(2).padStart(8, "0");
    return bits.slice(0, lay.units * lay.per_unit);
  });
}

// A plotly Mesh3d of the exact piecewise-planar surface: each convex polygon fanned into
// triangles, lifted by its own affine map, coloured by its pattern.
export function surfaceTrace(data) {
  const x = [], y = [], z = [], i = [], j = [], k = [], facecolor = [];
  data.polygons.forEach((p, r) => {
    const [a, b] = data.grads[r], c = data.offsets[r], base = x.length, n = p.length / 2;
    for (let v = 0; v < n; v++) { x.push(p[2 * v]); y.push(p[2 * v + 1]); z.push(a * p[2 * v] + b * p[2 * v + 1] + c); }
    const color = patternColor(data.patterns[r]);
    for (let t = 1; t < n - 1; t++) { i.push(base); j.push(base + t); k.push(base + t + 1); facecolor.push(color); }
  });
  return { type: "mesh3d", x, y, z, i, j, k, facecolor, flatshading: true, hoverinfo: "skip" };
}
