/**
 * Property-based fuzzing (fast-check) of the public API and of the addon's own entry points.
 *
 * - Random calls, valid and invalid mixed, of every op (TF 1-3-D, ONNX), sync, async and through
 *   plans, on every available backend: a valid call (valid by construction) matches the reference
 *   on every backend; an invalid one (a valid call with one known-bad change) throws (or rejects)
 *   a TypeError or RangeError on every backend; and every backend agrees with the reference.
 * - Random packed problems and arrays straight into the addon: nothing but a result or a
 *   TypeError/RangeError comes back (run under `npm run sanitize`, this is where out-of-bounds
 *   access in the native code would show).
 *
 * `npm test` runs a reduced count; `npm run fuzz` the full one (DECONV_FUZZ_RUNS, default 10,000
 * calls per property). DECONV_FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as deconv from '../src/index.js';
import { nativeAddon } from '../src/backends/native.js';
import { backendsUnderTest, nativeBackendsUnderTest } from './helpers/backends.js';
import { randomData } from './helpers/naive.js';

const RUNS = Number(process.env.DECONV_FUZZ_RUNS ?? 400);
const SEED = process.env.DECONV_FUZZ_SEED === undefined ? undefined : Number(process.env.DECONV_FUZZ_SEED);
const backends = backendsUnderTest();
const natives = nativeBackendsUnderTest();
const params = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };
const FUZZ_TIMEOUT = Math.max(60_000, RUNS * 60);

/** Calls made per backend, reported at the end (the figure `npm run fuzz` quotes). */
const tally = { calls: 0, valid: 0, invalid: 0, native: 0 };

type Tensorish = { shape: unknown; data: unknown };
interface Call {
  op: 'tf1' | 'tf2' | 'tf3' | 'onnx';
  variant: 'sync' | 'async' | 'plan' | 'planAsync';
  input: Tensorish;
  filters: Tensorish;
  bias: Tensorish | null;
  /** TF: outputShape, strides, padding, options; ONNX: attrs. */
  outputShape?: unknown;
  strides?: unknown;
  padding?: unknown;
  options: Record<string, unknown>;
  outShape: number[];
  /** Output channels. */
  M: number;
}

const ACTIVATIONS = ['none', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'elu', 'linear'] as const;
const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);

const axis = fc.record({
  in: fc.integer({ min: 1, max: 6 }),
  k: fc.integer({ min: 1, max: 4 }),
  s: fc.integer({ min: 1, max: 3 }),
  d: fc.integer({ min: 1, max: 2 }),
  p0: fc.nat(3),
  p1: fc.nat(3),
  extra: fc.nat(3),
});

const validCall = fc
  .record({
    op: fc.constantFrom('tf1', 'tf2', 'tf3', 'onnx'),
    variant: fc.constantFrom('sync', 'async', 'plan', 'planAsync'),
    rank: fc.constantFrom(1, 2, 3),
    batch: fc.integer({ min: 0, max: 2 }),
    unbatched: fc.boolean(),
    groups: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 3 }),
    mg: fc.integer({ min: 1, max: 3 }),
    axes: fc.array(axis, { minLength: 3, maxLength: 3 }),
    channelsLast: fc.boolean(),
    tfPadding: fc.constantFrom('SAME', 'VALID', 'same', 'EXPLICIT'),
    autoPad: fc.constantFrom('NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID', 'OUTPUT_SHAPE'),
    bias: fc.boolean(),
    out: fc.boolean(),
    activation: fc.constantFrom(...ACTIVATIONS),
    alpha: fc.option(fc.double({ min: -2, max: 2, noNaN: true }), { nil: undefined }),
    seed: fc.nat(1_000_000),
    specials: fc.constantFrom('none', 'none', 'none', 'nan', 'inf'),
  })
  .map((c): Call => {
    const rank = c.op === 'onnx' ? c.rank : (Number(c.op[2]) as 1 | 2 | 3);
    // 3-D problems kept smaller: the reference computes each one on the JS thread.
    const axes = c.axes.slice(0, rank).map((a) => (rank === 3 ? { ...a, in: 1 + ((a.in - 1) % 3), k: 1 + ((a.k - 1) % 3) } : a));
    const C = c.groups * c.cg;
    const M = c.groups * c.mg;
    const data = (shape: number[], seed: number) => {
      const d = randomData(prod(shape), seed);
      if (c.specials === 'nan' && d.length > 0) d[seed % d.length] = NaN;
      if (c.specials === 'inf' && d.length > 0) d[seed % d.length] = -Infinity;
      return { shape, data: d };
    };
    const bias = c.bias ? data([M], c.seed + 2) : null;
    const common: Record<string, unknown> = { activation: c.activation };
    if (c.alpha !== undefined) common.alpha = c.alpha;
    const withOutTensor = (options: Record<string, unknown>, shape: number[]) => (c.out ? { ...options, out: { shape, data: new Float32Array(prod(shape)) } } : options);
    if (c.op === 'onnx') {
      const eff = axes.map((a) => (a.k - 1) * a.d + 1);
      const outputPadding = axes.map((a) => a.extra % Math.max(a.s, a.d));
      const full = axes.map((a, i) => (a.in - 1) * a.s + eff[i]! + outputPadding[i]!);
      // Pads that leave at least one output position.
      const pads = axes.map((a, i) => Math.min(a.p0, Math.floor((full[i]! - 1) / 2)));
      const padsEnd = axes.map((a, i) => Math.min(a.p1, full[i]! - 1 - pads[i]!));
      const attrs: Record<string, unknown> = { ...common, strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d), group: c.groups };
      let outSpatial: number[];
      if (c.autoPad === 'OUTPUT_SHAPE') {
        // Any size from 1 up to the full output plus less than one stride.
        outSpatial = axes.map((a, i) => 1 + ((a.p0 * 7 + a.p1 * 3 + a.extra) % (full[i]! + a.s - 1)));
        attrs.outputShape = outSpatial;
        attrs.outputPadding = outputPadding;
      } else if (c.autoPad === 'SAME_UPPER' || c.autoPad === 'SAME_LOWER') {
        attrs.autoPad = c.autoPad;
        outSpatial = axes.map((a) => a.in * a.s);
      } else if (c.autoPad === 'VALID') {
        attrs.autoPad = 'VALID';
        attrs.output_padding = outputPadding;
        outSpatial = full;
      } else {
        attrs.pads = [...pads, ...padsEnd];
        attrs.outputPadding = outputPadding;
        outSpatial = full.map((f, i) => f - pads[i]! - padsEnd[i]!);
      }
      const outShape = [c.batch, M, ...outSpatial];
      return {
        op: 'onnx',
        variant: c.variant,
        input: data([c.batch, C, ...axes.map((a) => a.in)], c.seed),
        filters: data([C, c.mg, ...axes.map((a) => a.k)], c.seed + 1),
        bias,
        options: withOutTensor(attrs, outShape),
        outShape,
        M,
      };
    }
    const spatialIn = axes.map((a) => a.in);
    const inShape = c.channelsLast ? [c.batch, ...spatialIn, C] : [c.batch, C, ...spatialIn];
    const padding = c.tfPadding === 'EXPLICIT' && rank !== 2 ? 'VALID' : c.tfPadding;
    // Explicit pads that leave at least one output position.
    const full = axes.map((a) => (a.in - 1) * a.s + (a.k - 1) * a.d + 1);
    const p0 = axes.map((a, i) => Math.min(a.p0, Math.floor((full[i]! - 1) / 2)));
    const p1 = axes.map((a, i) => Math.min(a.p1, full[i]! - 1 - p0[i]!));
    const outSpatial = axes.map((a, i) => {
      const e = a.extra % a.s;
      if (padding === 'VALID') return full[i]! + e;
      if (padding === 'EXPLICIT') return full[i]! - p0[i]! - p1[i]! + e;
      return a.in * a.s - e;
    });
    const formats = { 1: ['NWC', 'NCW'], 2: ['NHWC', 'NCHW'], 3: ['NDHWC', 'NCDHW'] }[rank];
    let outShape = c.channelsLast ? [c.batch, ...outSpatial, M] : [c.batch, M, ...outSpatial];
    let input = data(inShape, c.seed);
    if (c.unbatched && c.batch === 1) {
      input = { shape: inShape.slice(1), data: input.data };
      outShape = outShape.slice(1);
    }
    const tfPadding = padding === 'EXPLICIT'
      ? c.channelsLast
        ? [[0, 0], ...axes.map((_, i) => [p0[i]!, p1[i]!]), [0, 0]]
        : [[0, 0], [0, 0], ...axes.map((_, i) => [p0[i]!, p1[i]!])]
      : padding;
    const strides = c.seed % 3 === 0 ? axes.map((a) => a.s) : c.seed % 3 === 1 ? (c.channelsLast ? [1, ...axes.map((a) => a.s), 1] : [1, 1, ...axes.map((a) => a.s)]) : axes.map((a) => a.s);
    return {
      op: c.op,
      variant: c.variant,
      input,
      filters: data([...axes.map((a) => a.k), c.mg, C], c.seed + 1),
      bias,
      outputShape: outShape,
      strides,
      padding: tfPadding,
      options: withOutTensor({ ...common, dataFormat: formats[c.channelsLast ? 0 : 1], dilations: axes.map((a) => a.d), ...(bias ? { bias } : {}) }, outShape),
      outShape,
      M,
    };
  });

/** Changes that make any valid call invalid. */
const MUTATIONS: { name: string; apply: (call: Call, n: number) => Call }[] = [
  { name: 'a negative input dimension', apply: (c) => ({ ...c, input: { ...c.input, shape: (c.input.shape as number[]).map((d, i) => (i === 1 ? -1 : d)) } }) },
  { name: 'a fractional filter dimension', apply: (c) => ({ ...c, filters: { ...c.filters, shape: (c.filters.shape as number[]).map((d, i) => (i === 0 ? d + 0.5 : d)) } }) },
  { name: 'a NaN input dimension', apply: (c) => ({ ...c, input: { ...c.input, shape: (c.input.shape as number[]).map((d, i) => (i === 0 ? NaN : d)) } }) },
  { name: 'input data one element longer', apply: (c) => ({ ...c, input: { ...c.input, data: new Float32Array((c.input.data as Float32Array).length + 1) } }) },
  { name: 'filter data one element shorter', apply: (c) => ({ ...c, filters: { ...c.filters, data: new Float32Array(Math.max(0, (c.filters.data as Float32Array).length - 1)) } }) },
  { name: 'Float64Array input data', apply: (c) => ({ ...c, input: { ...c.input, data: Float64Array.from(c.input.data as Float32Array) } }) },
  { name: 'a plain-array filter', apply: (c) => ({ ...c, filters: { ...c.filters, data: Array.from(c.filters.data as Float32Array) } }) },
  { name: 'a huge input dimension', apply: (c, n) => ({ ...c, input: { ...c.input, shape: (c.input.shape as number[]).map((d, i) => (i === 1 ? 2 ** (31 + (n % 23)) : d)) } }) },
  { name: 'an element count over 2^31', apply: (c) => ({ ...c, filters: { ...c.filters, shape: [65536, 65536, ...(c.filters.shape as number[]).slice(2)] } }) },
  { name: 'an unknown option', apply: (c) => ({ ...c, options: { ...c.options, strdes: 2 } }) },
  { name: 'an unknown activation', apply: (c) => ({ ...c, options: { ...c.options, activation: 'gelu' } }) },
  { name: 'a NaN alpha', apply: (c) => ({ ...c, options: { ...c.options, alpha: NaN } }) },
  { name: 'an unknown backend', apply: (c) => ({ ...c, options: { ...c.options, backend: 'gpu' } }) },
  { name: 'a bias of the wrong length', apply: (c) => withBias(c, { shape: [c.M + 1], data: new Float32Array(c.M + 1) }) },
  { name: 'a bias with Int32Array data', apply: (c) => withBias(c, { shape: [c.M], data: new Int32Array(c.M) }) },
  { name: 'an out of the wrong shape', apply: (c) => withOut(c, { shape: [...c.outShape.slice(0, -1), c.outShape[c.outShape.length - 1]! + 1], data: new Float32Array(prod([...c.outShape.slice(0, -1), c.outShape[c.outShape.length - 1]! + 1])) }) },
  { name: 'an out over a detached buffer', apply: (c) => withOut(c, prod(c.outShape) > 0 ? { shape: c.outShape, data: detached(prod(c.outShape)) } : { shape: [...c.outShape, 2], data: detached(2) }) },
  { name: 'strides of 0', apply: (c) => (c.op === 'onnx' ? { ...c, options: { ...c.options, strides: (c.options.strides as number[]).map(() => 0) } } : { ...c, strides: 0 }) },
  { name: 'dilations of 0', apply: (c) => ({ ...c, options: { ...c.options, dilations: (c.options.dilations as number[]).map((d, i) => (i === 0 ? 0 : d)) } }) },
  { name: 'filters whose input channels differ', apply: (c) => ({ ...c, filters: moreInChannels(c) }) },
  { name: 'a padding mode that does not exist', apply: (c) => (c.op === 'onnx' ? { ...c, options: { ...c.options, autoPad: 'FULL' } } : { ...c, padding: 'FULL' }) },
  { name: 'another batch in the output shape / a group that divides nothing', apply: (c) => (c.op === 'onnx' ? { ...c, options: { ...c.options, group: 1000 } } : { ...c, outputShape: (c.outputShape as number[]).length === c.outShape.length && c.outShape.length === (c.input.shape as number[]).length && (c.input.shape as number[]).length === Number(c.op[2]) + 2 ? [c.outShape[0]! + 1, ...c.outShape.slice(1)] : [7, 7, 7, 7, 7, 7, 7] }) },
  { name: 'a string where a tensor belongs', apply: (c) => ({ ...c, input: 'tensor' as unknown as Tensorish }) },
];

function withBias(c: Call, bias: Tensorish): Call {
  return c.op === 'onnx' ? { ...c, bias } : { ...c, bias, options: { ...c.options, bias } };
}
function withOut(c: Call, out: Tensorish): Call {
  // Plans take out at run time; the op runners below route it there.
  return { ...c, options: { ...c.options, out } };
}
function moreInChannels(c: Call): Tensorish {
  const shape = [...(c.filters.shape as number[])];
  if (c.op === 'onnx') shape[0] = shape[0]! + 1;
  else shape[shape.length - 1] = shape[shape.length - 1]! + 1;
  return { shape, data: new Float32Array(prod(shape)) };
}
function detached(n: number): Float32Array {
  const a = new Float32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** Runs a call on one backend: the result, or the error it threw or rejected with. */
async function run(c: Call, backend: string): Promise<{ result?: deconv.Tensor; error?: unknown }> {
  tally.calls++;
  // The call's own backend option (a mutation) wins; a valid out is fresh for each backend.
  const options: Record<string, unknown> = { backend, ...c.options };
  const given = options.out as Tensorish | undefined;
  if (given?.data instanceof Float32Array && given.data.length > 0) options.out = { shape: given.shape, data: new Float32Array(given.data.length) };
  const { out, ...planOptions } = options;
  try {
    if (c.op === 'onnx') {
      const [X, W, B] = [c.input, c.filters, c.bias] as [deconv.TensorLike, deconv.TensorLike, deconv.TensorLike | null];
      switch (c.variant) {
        case 'sync':
          return { result: deconv.convTranspose(X, W, B, options) };
        case 'async':
          return { result: await deconv.convTransposeAsync(X, W, B, options) };
        default: {
          const xShape = typeof X === 'object' && X !== null ? X.shape : (X as unknown as number[]);
          const plan = deconv.convTransposePlan(xShape, W, B, planOptions);
          try {
            const runOptions = out === undefined ? undefined : { out: out as deconv.TensorLike };
            return { result: c.variant === 'plan' ? plan.run(X, runOptions) : await plan.runAsync(X, runOptions) };
          } finally {
            plan.dispose();
          }
        }
      }
    }
    const rank = Number(c.op[2]) as 1 | 2 | 3;
    const name = `conv${rank}dTranspose` as const;
    const args = [c.input, c.filters, c.outputShape, c.strides, c.padding] as const;
    switch (c.variant) {
      case 'sync':
        return { result: (deconv[name] as (...a: unknown[]) => deconv.Tensor)(...args, options) };
      case 'async':
        return { result: await (deconv[`${name}Async`] as (...a: unknown[]) => Promise<deconv.Tensor>)(...args, options) };
      default: {
        const inputShape = typeof c.input === 'object' && c.input !== null ? c.input.shape : c.input;
        const plan = (deconv[`${name}Plan`] as (...a: unknown[]) => deconv.ConvTransposePlan)(inputShape, ...args.slice(1), planOptions);
        try {
          const runOptions = out === undefined ? undefined : { out: out as deconv.TensorLike };
          return { result: c.variant === 'plan' ? plan.run(c.input as deconv.TensorLike, runOptions) : await plan.runAsync(c.input as deconv.TensorLike, runOptions) };
        } finally {
          plan.dispose();
        }
      }
    }
  } catch (error) {
    return { error };
  }
}

/**
 * Within tolerance of the reference, with NaN and ±∞ exactly where the reference has them —
 * except that a NaN through a fused sigmoid, tanh, elu or leakyRelu may come out of oneDNN's
 * kernels as any value (their vectorized exp/clamp code does not always keep NaN).
 */
function close(a: Float32Array, r: Float32Array, activation: unknown): boolean {
  if (a.length !== r.length) return false;
  const nanMayVanish = activation === 'sigmoid' || activation === 'tanh' || activation === 'elu' || activation === 'leakyRelu';
  let peak = 1;
  for (const v of r) if (Number.isFinite(v)) peak = Math.max(peak, Math.abs(v));
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]!, r[i]!];
    if (Number.isNaN(y) && nanMayVanish) continue;
    if (Number.isNaN(y) || Number.isNaN(x)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return false;
      continue;
    }
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (x !== y) return false;
      continue;
    }
    if (Math.abs(x - y) > 1e-4 * (Math.abs(y) + peak)) return false;
  }
  return true;
}

const isArgumentError = (e: unknown) => e instanceof TypeError || e instanceof RangeError;
const describeError = (e: unknown) => (e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e));

const fuzzCall = fc.tuple(validCall, fc.option(fc.nat(MUTATIONS.length - 1), { freq: 2 }), fc.nat(1000)).map(([call, m, n]) => ({
  call: m === null ? call : MUTATIONS[m]!.apply(call, n),
  mutation: m === null ? null : MUTATIONS[m]!.name,
}));

describe('fuzzing the public API', () => {
  it(`${RUNS} random calls, valid and invalid, on ${backends.join(', ')}: valid ones match the reference, invalid ones throw`, async () => {
    await fc.assert(
      fc.asyncProperty(fuzzCall, async ({ call, mutation }) => {
        const ref = await run(call, 'ts');
        if (mutation === null) {
          tally.valid++;
          expect(ref.error === undefined ? undefined : describeError(ref.error), 'a valid call failed on the reference').toBeUndefined();
          expect(ref.result!.shape).toEqual(call.outShape);
        } else {
          tally.invalid++;
          expect(ref.error, `${mutation}: the reference accepted it`).toBeDefined();
          expect(isArgumentError(ref.error), `${mutation}: ${describeError(ref.error)}`).toBe(true);
        }
        for (const backend of natives) {
          tally.native++;
          const got = await run(call, backend);
          if (ref.error !== undefined) {
            // The same refusal: checks happen before any backend sees the call.
            expect(got.error === undefined ? 'no error' : describeError(got.error)).toBe(describeError(ref.error));
          } else {
            expect(got.error === undefined ? undefined : describeError(got.error), `${backend} failed`).toBeUndefined();
            expect(got.result!.shape).toEqual(ref.result!.shape);
            expect(close(got.result!.data, ref.result!.data, call.options.activation), `${backend} differs from the reference`).toBe(true);
          }
        }
      }),
      params,
    );
    console.warn(`[deconv fuzz] public API: ${tally.calls} calls (${tally.valid} valid and ${tally.invalid} invalid cases, ${tally.native} of the calls on native backends), 0 crashes`);
  }, FUZZ_TIMEOUT);
});

/** Addon entry points that take a problem (the packed 32-slot form), with the arrays they need. */
const addon = nativeAddon().addon;
const PACKED = 32;

const slot = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 2, arbitrary: fc.integer({ min: -3, max: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0.5, -0, 2 ** 31, 2 ** 53, -(2 ** 63), 1e308, 2 ** 62) },
);

const rawCall = fc.record({
  entry: fc.constantFrom('checkProblem', 'onednnRun', 'onednnRunAsync', 'onednnPack', 'onednnDescribePlan'),
  slots: fc.array(slot, { minLength: PACKED, maxLength: PACKED }),
  consistent: fc.boolean(),
  length: fc.oneof(fc.constant(PACKED), fc.constant(PACKED), fc.constant(PACKED), fc.nat(40)),
  math: fc.constantFrom('float32', 'float32', 'float32', 'bf16', undefined, 42, 'fp8'),
  arrays: fc.constantFrom('exact', 'exact', 'exact', 'short', 'long', 'f64', 'null', 'detached'),
});

/** Makes random slots into a problem that validates more often than not (when `consistent`). */
function packedFrom(slots: number[], consistent: boolean, length: number): Float64Array {
  const v = new Float64Array(Math.max(length, 0));
  const s = slots.slice();
  if (consistent) {
    s[0] = 1;
    const rank = 1 + (Math.abs(s[1]!) % 3);
    s[1] = rank;
    for (const i of [2, 3, 4, 5]) s[i] = Number.isFinite(s[i]!) ? Math.max(1, Math.min(4, Math.abs(Math.trunc(s[i]!)))) : s[i]!;
    s[5] = 1 + ((s[5]! - 1) % 2);
    s[3] = s[5]! * s[3]!;
    s[4] = s[5]! * s[4]!;
    for (let d = 0; d < 3; d++) {
      const at = (a: number) => 6 + a * 3 + d;
      if (d >= rank) {
        for (let a = 0; a < 7; a++) s[at(a)] = a >= 5 ? 0 : 1;
        continue;
      }
      for (const a of [0, 2, 3, 4]) s[at(a)] = Number.isFinite(s[at(a)]!) ? 1 + (Math.abs(Math.trunc(s[at(a)]!)) % 4) : s[at(a)]!;
      const full = (s[at(0)]! - 1) * s[at(3)]! + (s[at(2)]! - 1) * s[at(4)]! + 1;
      s[at(5)] = Math.min(Math.abs(Math.trunc(s[at(5)]!)) % 3, full - 1) - (s[at(5)]! < 0 ? 1 : 0);
      s[at(6)] = Math.min(Math.abs(Math.trunc(s[at(6)]!)) % 3, full - 1 - Math.max(0, s[at(5)]!)) - (s[at(6)]! < 0 ? 1 : 0);
      s[at(1)] = full - s[at(5)]! - s[at(6)]!;
    }
    s[27] = Math.abs(s[27]!) % 2;
    s[28] = Math.abs(s[28]!) % 2;
    s[29] = Math.abs(s[29]!) % 2;
    s[30] = Math.abs(s[30]!) % 6;
  }
  v.set(s.slice(0, v.length));
  return v;
}

function arrayFor(elements: number, kind: string): unknown {
  if (!Number.isSafeInteger(elements) || elements < 0 || elements > 1 << 16) return new Float32Array(3);
  switch (kind) {
    case 'short':
      return new Float32Array(Math.max(0, elements - 1));
    case 'long':
      return new Float32Array(elements + 1);
    case 'f64':
      return new Float64Array(elements);
    case 'null':
      return null;
    case 'detached':
      return detached(elements);
    default:
      return randomData(elements, elements);
  }
}

describe.runIf(natives.includes('onednn') && addon !== undefined)("fuzzing the addon's entry points directly", () => {
  it(`${RUNS} random packed problems and arrays: a result or a TypeError/RangeError, never a crash`, async () => {
    const a = addon as unknown as Record<string, (...args: unknown[]) => unknown>;
    let computed = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(rawCall, async (c) => {
        const p = packedFrom(c.slots, c.consistent, c.length);
        // Element counts as the addon will compute them, when the problem is plausible.
        const [rank, N, C, M, G] = [p[1]!, p[2]!, p[3]!, p[4]!, p[5]!];
        const dims = (a0: number) => [0, 1, 2].slice(0, rank).map((d) => p[6 + a0 * 3 + d]!);
        const x = N * C * prod(dims(0));
        const y = N * M * prod(dims(1));
        const w = C * (M / G) * prod(dims(2));
        const bias = p[29] ? M : 0;
        const args: Record<string, unknown[]> = {
          checkProblem: [p],
          onednnRun: [p, c.math, arrayFor(x, c.arrays), arrayFor(w, c.arrays), bias ? arrayFor(bias, c.arrays) : null, arrayFor(y, c.arrays === 'exact' ? 'exact' : c.arrays)],
          onednnRunAsync: [p, c.math, arrayFor(x, c.arrays), arrayFor(w, c.arrays), bias ? arrayFor(bias, c.arrays) : null],
          onednnPack: [p, c.math, arrayFor(w, c.arrays), bias ? arrayFor(bias, c.arrays) : null],
          onednnDescribePlan: [p, c.math],
        };
        try {
          const result = await a[c.entry]!(...args[c.entry]!);
          if (c.entry === 'onednnPack') {
            const y2 = new Float32Array(Number.isSafeInteger(y) ? y : 0);
            try {
              a.onednnRunPacked!(result, arrayFor(x, 'exact'), y2);
            } catch (e) {
              if (!isArgumentError(e)) throw e;
            }
            a.onednnDispose!(result);
          }
          computed++;
        } catch (error) {
          // bf16 on a CPU without it is a plain Error that says so; everything else is the caller's.
          if (!(isArgumentError(error) || /bf16/.test(String((error as Error)?.message)))) throw error;
          refused++;
        }
      }),
      params,
    );
    console.warn(`[deconv fuzz] addon entry points: ${computed + refused} calls (${computed} computed, ${refused} refused), 0 crashes`);
    expect(computed).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, FUZZ_TIMEOUT);
});
