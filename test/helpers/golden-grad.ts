/** Loads test/fixtures/golden-grad (made by scripts/golden/generate_grad.py from real TF/Keras). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'golden-grad');

export interface TensorRef {
  shape: number[];
  offset: number;
}
export interface GoldenGradCase {
  id: string;
  kind: 'gradient' | 'keras' | 'batchnorm';
  op?: 'conv1dTranspose' | 'conv2dTranspose' | 'conv3dTranspose';
  layer?: 'Conv1DTranspose' | 'Conv2DTranspose' | 'Conv3DTranspose';
  oracle: string;
  note?: string;
  args?: Record<string, unknown>;
  config?: Record<string, unknown>;
  inputShape?: number[];
  outputShape?: number[];
  tensors: Record<string, TensorRef>;
}

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { cases: GoldenGradCase[]; dataFile: string };
const bytes = readFileSync(join(dir, manifest.dataFile));
const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);

export const goldenGradCases = manifest.cases;

/** A stored tensor (a copy, so a test may change it). */
export function loadTensor(c: GoldenGradCase, name: string): { shape: number[]; data: Float32Array } {
  const ref = c.tensors[name];
  if (!ref) throw new Error(`golden case ${c.id} has no tensor '${name}'`);
  const size = ref.shape.reduce((a, b) => a * b, 1);
  return { shape: ref.shape, data: all.slice(ref.offset, ref.offset + size) };
}

/**
 * Largest |a − e| / (tol·|e| + tol·max(1, max|e|)): ≤ 1 is within tolerance (relative with an
 * absolute floor scaled to the tensor's magnitude, as TF accumulates in float32).
 */
export function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): number {
  if (actual.length !== expected.length) return Infinity;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!) / (tol * Math.abs(expected[i]!) + tol * scale);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}
