/**
 * Shared helpers of the conformance suite (test/conformance/*.test.ts).
 *
 * Tolerance, for every numeric comparison of the suite: an element passes when
 *   |actual − expected| ≤ max(1e-5, 1e-5 · |expected|)
 * (relative 1e-5 with an absolute floor of 1e-5).
 *
 * `referenceConvTranspose` is this suite's own statement of the operation (scatter form, float64),
 * used only where a source test checks a property rather than listing numbers (random inputs, or
 * "this call must work"). It shares no code with src/.
 */
import { expect } from 'vitest';

export const RTOL = 1e-5;
export const ATOL = 1e-5;

export interface T {
  shape: number[];
  data: Float32Array;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A tensor from a flat list of values (row-major). */
export function t(shape: number[], values: ArrayLike<number>): T {
  if (values.length !== size(shape)) throw new Error(`test bug: ${values.length} values for shape [${shape}]`);
  return { shape, data: Float32Array.from(values as ArrayLike<number>) };
}

export function fill(shape: number[], value: number): T {
  return { shape, data: new Float32Array(size(shape)).fill(value) };
}

/** 0, 1, 2, ... in row-major order (numpy's arange(prod(shape)).reshape(shape)). */
export function arange(shape: number[]): T {
  return { shape, data: Float32Array.from({ length: size(shape) }, (_, i) => i) };
}

/** Deterministic pseudo-random values in [lo, hi) (mulberry32). */
export function random(shape: number[], seed: number, lo = -1, hi = 1): T {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return { shape, data: Float32Array.from({ length: size(shape) }, () => lo + (hi - lo) * next()) };
}

/** `times` copies of `values` one after the other. */
export function repeat(values: readonly number[], times: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push(...values);
  return out;
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Every multi-index of a shape, last dimension fastest. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  const total = size(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < total; n++) {
    yield [...idx];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Reorders a tensor's axes: out.shape[i] = in.shape[perm[i]]. */
export function transpose(x: T, perm: readonly number[]): T {
  const outShape = perm.map((p) => x.shape[p]!);
  const inStrides = strides(x.shape);
  const out = new Float32Array(x.data.length);
  let o = 0;
  for (const idx of indices(outShape)) {
    let src = 0;
    for (let i = 0; i < perm.length; i++) src += idx[i]! * inStrides[perm[i]!]!;
    out[o++] = x.data[src]!;
  }
  return { shape: outShape, data: out };
}

/** Channels-last activations [N, ...S, C] → channels-first [N, C, ...S]. */
export function toChannelsFirst(x: T): T {
  const r = x.shape.length;
  return transpose(x, [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)]);
}

/** Channels-first activations [N, C, ...S] → channels-last [N, ...S, C]. */
export function toChannelsLast(x: T): T {
  const r = x.shape.length;
  return transpose(x, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]);
}

/** TensorFlow filter [...K, M/g, C] → ONNX filter [C, M/g, ...K]. */
export function tfFilterToOnnx(w: T): T {
  const r = w.shape.length;
  return transpose(w, [r - 1, r - 2, ...Array.from({ length: r - 2 }, (_, i) => i)]);
}

export interface RefProblem {
  /** Group count (divides C and M). */
  groups?: number;
  strides: number[];
  dilations?: number[];
  /** Positions cropped from the start of the full output, per spatial axis. */
  padsBegin: number[];
  /** Spatial output size. */
  outSpatial: number[];
}

/**
 * The definition of transposed convolution, in scatter form and float64:
 *   y[n, g·Mg + m, i·s + k·d − padBegin] += x[n, g·Cg + c, i] · w[g·Cg + c, m, k]
 * for every target inside the output. x is [N, C, ...S] and w is [C, M/g, ...K] (ONNX order).
 */
export function referenceConvTranspose(x: T, w: T, p: RefProblem, bias?: ArrayLike<number>): T {
  const rank = x.shape.length - 2;
  const [N, C] = x.shape as [number, number];
  const groups = p.groups ?? 1;
  const Mg = w.shape[1]!;
  const M = Mg * groups;
  const Cg = C / groups;
  const inSpatial = x.shape.slice(2);
  const kernel = w.shape.slice(2);
  const dil = p.dilations ?? new Array<number>(rank).fill(1);
  const outShape = [N, M, ...p.outSpatial];
  const out = new Float64Array(size(outShape));
  const xs = strides(x.shape);
  const ws = strides(w.shape);
  const os = strides(outShape);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const g = Math.floor(c / Cg);
      for (const i of indices(inSpatial)) {
        let xo = n * xs[0]! + c * xs[1]!;
        for (let a = 0; a < rank; a++) xo += i[a]! * xs[a + 2]!;
        const xv = x.data[xo]!;
        for (let m = 0; m < Mg; m++) {
          for (const k of indices(kernel)) {
            let oo = n * os[0]! + (g * Mg + m) * os[1]!;
            let inside = true;
            for (let a = 0; a < rank; a++) {
              const pos = i[a]! * p.strides[a]! + k[a]! * dil[a]! - p.padsBegin[a]!;
              if (pos < 0 || pos >= p.outSpatial[a]!) {
                inside = false;
                break;
              }
              oo += pos * os[a + 2]!;
            }
            if (!inside) continue;
            let wo = c * ws[0]! + m * ws[1]!;
            for (let a = 0; a < rank; a++) wo += k[a]! * ws[a + 2]!;
            out[oo]! += xv * w.data[wo]!;
          }
        }
      }
    }
  }
  if (bias) {
    const per = size(p.outSpatial);
    for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) for (let j = 0; j < per; j++) out[(n * M + m) * per + j]! += bias[m]!;
  }
  return { shape: outShape, data: Float32Array.from(out) };
}

/** TensorFlow's SAME padding of the forward convolution: floor(total / 2) before. */
export function tfSamePadBefore(outSize: number, inSize: number, kernel: number, stride: number, dilation = 1): number {
  const eff = (kernel - 1) * dilation + 1;
  return Math.floor(Math.max(0, (inSize - 1) * stride + eff - outSize) / 2);
}

/** Asserts shape and values, with the suite's tolerance; reports the first few mismatches. */
export function expectClose(
  actual: { shape: readonly number[]; data: ArrayLike<number> },
  expectedShape: readonly number[],
  expected: ArrayLike<number>,
): void {
  expect([...actual.shape]).toEqual([...expectedShape]);
  expect(actual.data.length).toBe(expected.length);
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual.data[i]!;
    const e = expected[i]!;
    const ok = Math.abs(a - e) <= Math.max(ATOL, RTOL * Math.abs(e));
    if (!ok) {
      count++;
      if (bad.length < 8) bad.push(`[${i}] expected ${e}, got ${a}`);
    }
  }
  if (count > 0) {
    expect.fail(`${count} of ${expected.length} elements differ (rtol ${RTOL}, atol ${ATOL}): ${bad.join('; ')}`);
  }
}

/**
 * Asserts that `fn` throws an error of class `cls` whose message names the argument (`names`, a
 * regular expression matched against the message).
 */
export function expectThrows(fn: () => unknown, cls: typeof TypeError | typeof RangeError, names: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected the call to throw').toBeDefined();
  expect(caught).toBeInstanceOf(cls);
  expect((caught as Error).message).toMatch(names);
}
