// WebGL2 painting on the viewer's GPU: a CPPN as the fragment shader neuromosaic.to_glsl writes
// (GET /api/paint/glsl: its source, its RGBA32F weight texture, its uniforms' defaults). One
// offscreen canvas serves every panel; a panel copies each frame into its own <img> or 2-D
// canvas. The server still paints the exact PNG for download: float32 on a GPU is not
// bit-equal to the CPU (tests/browser/test_glsl_webgl.py measures how close).

const VERTEX = `#version 300 es
void main() {  // one triangle over the whole viewport
  gl_Position = vec4(gl_VertexID == 1 ? 3.0 : -1.0, gl_VertexID == 2 ? 3.0 : -1.0, 0.0, 1.0);
}`;
const MAX_PROGRAMS = 8; // compiled shaders kept (a seed change keeps the source: only weights move)

const PREFERENCE = "neuromosaic.gpu"; // the viewer's last choice of the GPU switch: "on" | "off"
const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render/i;

let shared; // the page's painter; null where WebGL2 is missing

// The page's painter, or null where WebGL2 is missing.
export function gpuPainter() {
  if (shared === undefined) {
    try { shared = new Painter(document.createElement("canvas")); } catch { shared = null; }
  }
  return shared;
}

// Whether the panels draw on the GPU: the viewer's last choice, else where WebGL2 runs on a
// hardware GPU. Software WebGL (SwiftShader, llvmpipe) is slower than the server's compiled CPU
// kernel, so there the server paints until the switch is turned on.
export function gpuDefault(painter) {
  if (!painter) return false;
  let choice = null;
  try { choice = localStorage.getItem(PREFERENCE); } catch { /* no storage here */ }
  return choice === "on" || choice === "off" ? choice === "on" : !painter.software;
}

export function setGpuDefault(on) {
  try { localStorage.setItem(PREFERENCE, on ? "on" : "off"); } catch { /* no storage here */ }
}

// A shader from /api/paint/glsl with its texture decoded (base64 float32, little-endian).
export function decodeShader(json) {
  const bytes = Uint8Array.from(atob(json.texture.data), (c) => c.charCodeAt(0));
  return { ...json, texture: { ...json.texture, data: new Float32Array(bytes.buffer) } };
}

export class Painter {
  constructor(canvas) {
    const gl = canvas.getContext("webgl2", { antialias: false, alpha: false, depth: false, stencil: false,
      premultipliedAlpha: false, preserveDrawingBuffer: true });
    if (!gl) throw new Error("WebGL2 is not available");
    this.canvas = canvas;
    this.gl = gl;
    this.programs = new Map(); // source -> {program, uniforms: [{name, type, location}]}
    this.texture = gl.createTexture();
    this.loaded = null; // the shader whose weights are in the texture
    this.maxTexture = gl.getParameter(gl.MAX_TEXTURE_SIZE);
    const debug = gl.getExtension("WEBGL_debug_renderer_info");
    this.renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    this.software = SOFTWARE.test(this.renderer);
  }

  program(source) {
    let entry = this.programs.get(source);
    if (entry) return entry;
    const gl = this.gl;
    const stage = (type, text) => {
      const s = gl.createShader(type);
      gl.shaderSource(s, text);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS) && !gl.isContextLost())
        throw new Error(`the shader does not compile: ${gl.getShaderInfoLog(s)}`);
      return s;
    };
    const program = gl.createProgram();
    const stages = [stage(gl.VERTEX_SHADER, VERTEX), stage(gl.FRAGMENT_SHADER, source)];
    for (const s of stages) gl.attachShader(program, s);
    gl.linkProgram(program);
    for (const s of stages) gl.deleteShader(s); // the program keeps what it needs
    if (!gl.getProgramParameter(program, gl.LINK_STATUS) && !gl.isContextLost())
      throw new Error(`the shader does not link: ${gl.getProgramInfoLog(program)}`);
    const uniforms = [];
    for (let i = 0; i < gl.getProgramParameter(program, gl.ACTIVE_UNIFORMS); i++) {
      const info = gl.getActiveUniform(program, i);
      uniforms.push({ name: info.name.replace(/\[0\]$/, ""), type: info.type, location: gl.getUniformLocation(program, info.name) });
    }
    entry = { program, uniforms };
    this.programs.set(source, entry);
    if (this.programs.size > MAX_PROGRAMS) {
      const [oldest, old] = this.programs.entries().next().value;
      gl.deleteProgram(old.program);
      this.programs.delete(oldest);
    }
    return entry;
  }

  // Draw `shader` (decodeShader's) at width × height pixels; `uniforms` override its defaults.
  draw(shader, width, height, uniforms = {}) {
    const gl = this.gl;
    if (gl.isContextLost()) throw new Error("the WebGL2 context was lost");
    const { program, uniforms: active } = this.program(shader.source);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    if (this.loaded !== shader && shader.texture.width) { // none: the weights are in the code
      const t = shader.texture;
      if (t.width > this.maxTexture || t.height > this.maxTexture)
        throw new Error(`the net's ${t.width}×${t.height} weight texture is over this GPU's ${this.maxTexture} texels`);
      gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA32F, t.width, t.height, 0, gl.RGBA, gl.FLOAT, t.data);
      for (const p of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, p, gl.NEAREST);
      this.loaded = shader;
    }
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    gl.viewport(0, 0, width, height);
    gl.useProgram(program);
    const values = { ...shader.uniforms, ...uniforms, u_resolution: [width, height] };
    for (const u of active) {
      const v = values[u.name];
      if (u.type === gl.SAMPLER_2D) gl.uniform1i(u.location, 0);
      else if (v === undefined) continue;
      else if (u.type === gl.FLOAT) gl.uniform1f(u.location, v);
      else if (u.type === gl.BOOL) gl.uniform1i(u.location, v ? 1 : 0);
      else if (u.type === gl.FLOAT_VEC2) gl.uniform2fv(u.location, v);
      else if (u.type === gl.FLOAT_VEC4) gl.uniform4fv(u.location, new Float32Array(v));
    }
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  // The last frame's RGBA bytes, rows from the bottom (readPixels' order).
  pixels() {
    const gl = this.gl, { width, height } = this.canvas;
    const out = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, out);
    return out;
  }
}

// The frame as a PNG blob (for an <img>).
export function frameBlob(painter) {
  return new Promise((resolve, reject) => painter.canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("no frame"))), "image/png"));
}
