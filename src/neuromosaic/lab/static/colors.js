// A region's colour from its activation pattern: the same function as Python's
// neuromosaic.figures.regions.pattern_colors (FNV-1a over the pattern bytes → hue, saturation,
// lightness → RGB as CSS computes hsl()), so a region has one colour in the lab and in a PNG.
// No imports: the tests run this file in Node beside the Python function.

export function patternHash(hex) {
  let h = 0x811c9dc5;
  for (let i = 0; i + 1 < hex.length; i += 2) {
    h ^= parseInt(hex.substr(i, 2), 16);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}

// [r, g, b] in 0..255 of the pattern whose bytes are `hex`
export function patternRGB(hex) {
  const h = patternHash(hex);
  const hue = h % 360, s = (45 + ((h >>> 9) % 30)) / 100, l = (55 + ((h >>> 17) % 20)) / 100;
  const a = s * Math.min(l, 1 - l);
  const f = (n) => { const k = (n + hue / 30) % 12; return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)); };
  return [f(0), f(8), f(4)].map((v) => Math.floor(v * 255 + 0.5));
}

export function patternColor(hex, alpha = 1) {
  const [r, g, b] = patternRGB(hex);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
