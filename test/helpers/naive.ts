/**
 * The definition of transposed convolution, written as plainly as possible for tests: scatter form
 * in float64 over logical (channels-first, ONNX-filter) indices,
 *   out[n, g·Mg + m, i·s + k·d − padBegin] += x[n, g·Cg + c, i] · w[g·Cg + c, m, k].
 * Independent of src/ on purpose: it shares no code with the reference backend.
 */
export interface NaiveProblem {
  batch: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  inSpatial: number[];
  outSpatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
}

function prod(a: readonly number[]): number {
  return a.reduce((x, y) => x * y, 1);
}

/** Multi-index → flat offset for a row-major shape. */
function offset(shape: readonly number[], index: readonly number[]): number {
  let o = 0;
  for (let i = 0; i < shape.length; i++) o = o * shape[i]! + index[i]!;
  return o;
}

/** Every multi-index of a shape, last dimension fastest. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  const total = prod(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let t = 0; t < total; t++) {
    yield [...idx];
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      if (idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/**
 * x: [N, C, ...in] (channels first); w: [C, M/g, ...k] (ONNX order); returns [N, M, ...out] as
 * float64, bias added if given.
 */
export function naiveConvTranspose(p: NaiveProblem, x: ArrayLike<number>, w: ArrayLike<number>, bias?: ArrayLike<number>): Float64Array {
  const Cg = p.inChannels / p.groups;
  const Mg = p.outChannels / p.groups;
  const outShape = [p.batch, p.outChannels, ...p.outSpatial];
  const inShape = [p.batch, p.inChannels, ...p.inSpatial];
  const wShape = [p.inChannels, Mg, ...p.kernel];
  const out = new Float64Array(prod(outShape));
  for (let n = 0; n < p.batch; n++) {
    for (let c = 0; c < p.inChannels; c++) {
      const g = Math.floor(c / Cg);
      for (const i of indices(p.inSpatial)) {
        const xv = x[offset(inShape, [n, c, ...i])]!;
        for (const k of indices(p.kernel)) {
          const o = i.map((iv, d) => iv * p.strides[d]! + k[d]! * p.dilations[d]! - p.padsBegin[d]!);
          if (o.some((ov, d) => ov < 0 || ov >= p.outSpatial[d]!)) continue;
          for (let m = 0; m < Mg; m++) {
            out[offset(outShape, [n, g * Mg + m, ...o])]! += xv * w[offset(wShape, [c, m, ...k])]!;
          }
        }
      }
    }
  }
  if (bias) {
    const spatial = prod(p.outSpatial);
    for (let n = 0; n < p.batch; n++)
      for (let m = 0; m < p.outChannels; m++)
        for (let s = 0; s < spatial; s++) out[(n * p.outChannels + m) * spatial + s]! += bias[m]!;
  }
  return out;
}

/** Permutes the axes of a row-major array: axis i of the result is axis perm[i] of the input. */
function permute(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): { data: Float32Array; shape: number[] } {
  const newShape = perm.map((p) => shape[p]!);
  const out = new Float32Array(data.length);
  let t = 0;
  for (const idx of indices(newShape)) {
    const src = new Array<number>(shape.length);
    perm.forEach((p, i) => (src[p] = idx[i]!));
    out[t++] = data[offset(shape, src)]!;
  }
  return { data: out, shape: newShape };
}

/** Moves axis `from` of a row-major array to position `to`. */
export function moveAxis(data: ArrayLike<number>, shape: readonly number[], from: number, to: number): { data: Float32Array; shape: number[] } {
  const perm = shape.map((_, i) => i);
  perm.splice(from, 1);
  perm.splice(to, 0, from);
  return permute(data, shape, perm);
}

/** TF filter [K..., M/g, C] → ONNX filter [C, M/g, K...]. */
export function tfFilterToOnnx(data: ArrayLike<number>, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  const r = shape.length - 2;
  return permute(data, shape, [r + 1, r, ...Array.from({ length: r }, (_, i) => i)]);
}

/** Deterministic uniform values in [-1, 1). */
export function randomData(size: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Largest |a − b| / (atol + rtol·|b|); ≤ 1 means every element is within tolerance. */
export function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!) / (atol + rtol * Math.abs(expected[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/**
 * The gradients of naiveConvTranspose given dy = ∂L/∂out ([N, M, ...out], channels first), by the
 * same scatter loop: every product x·w that reaches out[o] sends dy[o]·w to dx and dy[o]·x to dw.
 * dx: [N, C, ...in]; dw: [C, M/g, ...k] (ONNX order); db: [M]. Float64 throughout.
 */
export function naiveConvTransposeGradients(
  p: NaiveProblem,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  dy: ArrayLike<number>,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const Cg = p.inChannels / p.groups;
  const Mg = p.outChannels / p.groups;
  const outShape = [p.batch, p.outChannels, ...p.outSpatial];
  const inShape = [p.batch, p.inChannels, ...p.inSpatial];
  const wShape = [p.inChannels, Mg, ...p.kernel];
  const dx = new Float64Array(prod(inShape));
  const dw = new Float64Array(prod(wShape));
  const db = new Float64Array(p.outChannels);
  for (let n = 0; n < p.batch; n++) {
    for (let c = 0; c < p.inChannels; c++) {
      const g = Math.floor(c / Cg);
      for (const i of indices(p.inSpatial)) {
        const xi = offset(inShape, [n, c, ...i]);
        for (const k of indices(p.kernel)) {
          const o = i.map((iv, d) => iv * p.strides[d]! + k[d]! * p.dilations[d]! - p.padsBegin[d]!);
          if (o.some((ov, d) => ov < 0 || ov >= p.outSpatial[d]!)) continue;
          for (let m = 0; m < Mg; m++) {
            const g0 = dy[offset(outShape, [n, g * Mg + m, ...o])]!;
            const wi = offset(wShape, [c, m, ...k]);
            dx[xi]! += g0 * w[wi]!;
            dw[wi]! += g0 * x[xi]!;
          }
        }
      }
    }
  }
  const spatial = prod(p.outSpatial);
  for (let n = 0; n < p.batch; n++)
    for (let m = 0; m < p.outChannels; m++)
      for (let s = 0; s < spatial; s++) db[m]! += dy[(n * p.outChannels + m) * spatial + s]!;
  return { dx, dw, db };
}
