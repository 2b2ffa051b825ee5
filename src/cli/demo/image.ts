/**
 * Pictures as float RGB in [0, 1], channels last ([H, W, 3]), and what the demo does to them:
 * the procedural test scene, nearest scaling, tiling into one figure, conversion to PNG bytes.
 */
export interface Image {
  width: number;
  height: number;
  /** H·W·3 floats, row-major, channels last. */
  data: Float32Array;
}

export function blank(width: number, height: number, value = 1): Image {
  return { width, height, data: new Float32Array(width * height * 3).fill(value) };
}

const smooth = (e0: number, e1: number, x: number): number => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};
const mix = (a: readonly number[], b: readonly number[], t: number): number[] => a.map((v, i) => v + (b[i]! - v) * t);

/**
 * A landscape made from formulas, so that the demo needs no download: a sky gradient, a sun, two
 * mountain ridges, a lake with ripples and a striped boat — smooth areas, sharp edges, thin lines
 * and fine texture, the things upsampling is judged on.
 */
export function testScene(size = 64): Image {
  const img = blank(size, size, 0);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const x = (px + 0.5) / size;
      const y = (py + 0.5) / size;
      let c = mix([0.25, 0.45, 0.85], [0.95, 0.75, 0.55], smooth(0.0, 0.55, y)); // sky
      const sun = Math.hypot(x - 0.72, y - 0.22);
      c = mix(c, [1.0, 0.95, 0.6], 1 - smooth(0.07, 0.09, sun)); // sun disc, soft edge
      const far = 0.45 + 0.08 * Math.sin(x * 9.0) + 0.04 * Math.sin(x * 23.0 + 1.3);
      if (y > far) c = mix([0.45, 0.5, 0.65], [0.35, 0.4, 0.55], smooth(far, far + 0.2, y)); // far ridge
      const near = 0.58 + 0.06 * Math.sin(x * 5.0 + 2.0) + 0.025 * Math.sin(x * 31.0);
      if (y > near) c = [0.18 + 0.1 * Math.sin(x * 60) * Math.sin(y * 50), 0.38, 0.2]; // near hill, textured
      if (y > 0.72) {
        const ripple = 0.05 * Math.sin(y * 140 + Math.sin(x * 12) * 3);
        c = [0.15 + ripple, 0.3 + ripple, 0.5 + ripple]; // lake
        if (Math.abs(x - 0.72) < 0.06 && y < 0.85) c = mix(c, [1.0, 0.9, 0.5], 0.5); // sun's reflection
      }
      const inHull = y > 0.8 && y < 0.86 && x > 0.2 + (y - 0.8) && x < 0.45 - (y - 0.8);
      if (inHull) c = Math.floor(px / 2) % 2 ? [0.85, 0.2, 0.15] : [0.95, 0.95, 0.9]; // striped boat
      if (Math.abs(x - 0.32) < 0.6 / size && y > 0.62 && y <= 0.8) c = [0.1, 0.1, 0.1]; // mast: one pixel wide
      img.data.set(c.map((v) => Math.min(1, Math.max(0, v))), (py * size + px) * 3);
    }
  }
  return img;
}

/** Each pixel repeated `factor` times along both axes. */
export function nearest(img: Image, factor: number): Image {
  const out = blank(img.width * factor, img.height * factor, 0);
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const from = (Math.floor(y / factor) * img.width + Math.floor(x / factor)) * 3;
      out.data.set(img.data.subarray(from, from + 3), (y * out.width + x) * 3);
    }
  }
  return out;
}

/** Images side by side in rows of `columns`, `gap` pixels of `background` between and around them. */
export function tile(images: readonly Image[], columns: number, gap = 4, background = 1): Image {
  const w = Math.max(...images.map((i) => i.width));
  const h = Math.max(...images.map((i) => i.height));
  const rows = Math.ceil(images.length / columns);
  const out = blank(columns * (w + gap) + gap, rows * (h + gap) + gap, background);
  images.forEach((img, k) => {
    const ox = gap + (k % columns) * (w + gap);
    const oy = gap + Math.floor(k / columns) * (h + gap);
    for (let y = 0; y < img.height; y++) out.data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((oy + y) * out.width + ox) * 3);
  });
  return out;
}

/** 8-bit RGB bytes for the PNG writer, clamped to [0, 1]. */
export function toBytes(img: Image): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, img.data[i]!)) * 255);
  return out;
}

/** A single-channel map (H·W values) as grey, mapped linearly from [lo, hi] to [0, 1]. */
export function greyImage(values: Float32Array, width: number, height: number, lo: number, hi: number): Image {
  const out = blank(width, height, 0);
  for (let i = 0; i < width * height; i++) out.data.fill((values[i]! - lo) / (hi - lo), i * 3, i * 3 + 3);
  return out;
}
