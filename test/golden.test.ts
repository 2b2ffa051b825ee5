/**
 * Golden data from real TensorFlow (tf.nn.conv{1,2,3}d_transpose) and ONNX Runtime
 * (ConvTranspose), made by scripts/golden/generate.py: the reference backend must match every case
 * and refuse every call the oracle refused.
 *
 * Tolerance: |actual − expected| ≤ tol · |expected| + tol · max(1, max|expected|) — relative tol
 * with an absolute floor scaled to the output's magnitude, since the oracles accumulate in float32.
 * tol = 1e-5 for the reference (float64 accumulation), 1e-4 for the native float32 backends (their
 * blocked kernels sum in other orders).
 *
 * Runs on every available backend: 'ts' always, 'onednn' and 'cudnn' where built.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv1dTranspose, conv2dTranspose, conv3dTranspose, convTranspose, type BackendName, type Tensor } from '../src/index.js';
import { nativeAddon } from '../src/backends/native.js';
import { backendsUnderTest } from './helpers/backends.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'golden');

interface TensorRef {
  shape: number[];
  offset: number;
}
interface GoldenCase {
  id: string;
  op: 'conv1dTranspose' | 'conv2dTranspose' | 'conv3dTranspose' | 'convTranspose';
  oracle: string;
  tensors: Record<string, TensorRef>;
  args: Record<string, unknown>;
}
interface GoldenError {
  id: string;
  op: GoldenCase['op'];
  oracle: string;
  shapes: Record<string, number[]>;
  args: Record<string, unknown>;
  message: string;
}
interface Manifest {
  versions: Record<string, string>;
  dataFile: string;
  cases: GoldenCase[];
  errors: GoldenError[];
}

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
const bytes = readFileSync(join(dir, manifest.dataFile));
const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const load = (ref: TensorRef) => ({ shape: ref.shape, data: all.slice(ref.offset, ref.offset + size(ref.shape)) });
const zeros = (shape: number[]) => ({ shape, data: new Float32Array(size(shape)) });

const TF = { conv1dTranspose, conv2dTranspose, conv3dTranspose } as const;
type Input = { shape: number[]; data: Float32Array };

/** Calls the op the way the golden script called the oracle. */
function call(op: GoldenCase['op'], args: Record<string, unknown>, t: Record<string, Input | undefined>, backend: BackendName): Tensor {
  if (op === 'convTranspose') {
    const attrs = (args.attrs ?? {}) as Record<string, unknown>;
    return convTranspose(t.X!, t.W!, t.B ?? null, { ...attrs, backend });
  }
  const options: Record<string, unknown> = { backend };
  if (args.dataFormat !== undefined) options.dataFormat = args.dataFormat;
  if (args.dilations !== undefined) options.dilations = args.dilations;
  return TF[op](t.input!, t.filters!, args.outputShape as number[], args.strides as number, (args.padding ?? 'SAME') as 'SAME', options);
}

// oneDNN twice: as plans choose (tiny problems, most of these, then run as plain loops), and with
// DECONV_ONEDNN_VARIANT=caller, so that oneDNN's own primitive meets every case too.
const runs = backendsUnderTest().flatMap((backend) =>
  backend === 'onednn' ? [{ backend, variant: undefined }, { backend, variant: 'caller' }] : [{ backend, variant: undefined }],
);

for (const { backend, variant } of runs) {
const tol = backend === 'ts' ? 1e-5 : 1e-4;
const label = variant ? `${backend} (DECONV_ONEDNN_VARIANT=${variant})` : backend;
describe(`golden cases on ${label} (TensorFlow ${manifest.versions.tensorflow}, ONNX Runtime ${manifest.versions.onnxruntime})`, () => {
  if (variant) {
    beforeAll(() => {
      process.env.DECONV_ONEDNN_VARIANT = variant;
      nativeAddon().addon!.clearPlanCache!();
    });
    afterAll(() => {
      delete process.env.DECONV_ONEDNN_VARIANT;
      nativeAddon().addon!.clearPlanCache!();
    });
  }
  it('cover every op', () => {
    const ops = new Set(manifest.cases.map((c) => c.op));
    expect([...ops].sort()).toEqual(['conv1dTranspose', 'conv2dTranspose', 'conv3dTranspose', 'convTranspose']);
    expect(manifest.cases.length).toBeGreaterThanOrEqual(200);
  });

  it.each(manifest.cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const tensors: Record<string, Input | undefined> = {};
    for (const [name, ref] of Object.entries(c.tensors)) tensors[name] = load(ref);
    const expected = c.op === 'convTranspose' ? tensors.Y! : tensors.output!;
    const y = call(c.op, c.args, tensors, backend);
    expect(y.shape).toEqual(expected.shape);
    let peak = 1;
    for (const v of expected.data) peak = Math.max(peak, Math.abs(v));
    let worst = 0;
    let at = -1;
    for (let i = 0; i < y.data.length; i++) {
      const e = Math.abs(y.data[i]! - expected.data[i]!) / (tol * Math.abs(expected.data[i]!) + tol * peak);
      if (!(e <= worst)) {
        worst = Number.isNaN(e) ? Infinity : e;
        at = i;
      }
    }
    expect(worst, `worst element ${at}: ${y.data[at]} vs ${expected.data[at]} (oracle ${c.oracle})`).toBeLessThanOrEqual(1);
  });
});

describe(`calls the oracles refused are refused on ${label} too`, () => {
  it.each(manifest.errors.map((e) => [e.id, e] as const))('%s', (_id, e) => {
    const tensors: Record<string, Input | undefined> = {};
    for (const [name, shape] of Object.entries(e.shapes)) tensors[name] = zeros(shape);
    let caught: unknown;
    try {
      call(e.op, e.args, tensors, backend);
    } catch (error) {
      caught = error;
    }
    expect(caught, `${e.oracle} said: ${e.message}`).toBeDefined();
    expect(caught instanceof TypeError || caught instanceof RangeError, `${(caught as Error).constructor.name}: ${(caught as Error).message}`).toBe(true);
  });
});
}
