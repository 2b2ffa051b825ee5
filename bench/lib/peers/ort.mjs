// ONNX Runtime (onnxruntime-node, CPU execution provider) as a peer: a one-node ConvTranspose model.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { convTransposeModel } from '../../onnx-model.mjs';

export async function startOrt(ctx) {
  try {
    const mod = await import('onnxruntime-node');
    const ort = mod.default ?? mod;
    const version = ort.env?.versions?.node ?? JSON.parse(readFileSync(path.join(ctx.root, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version;
    return { available: true, ort, version };
  } catch (e) {
    return { available: false, reason: `onnxruntime-node is not installed or does not load (${e.message.split('\n')[0]}): it is a devDependency, run \`npm install\`` };
  }
}

export function ortSession(ctx, L, w, { dynamicLast = false } = {}) {
  const { ort } = ctx.peers.ort;
  const xShape = dynamicLast ? [...L.xShape.slice(0, -1), 'T'] : L.xShape;
  const yShape = dynamicLast ? [...L.yShape.slice(0, -1), 'Tout'] : L.yShape;
  const model = convTransposeModel({
    xShape,
    wShape: L.wShape,
    w,
    yShape,
    attrs: { kernel_shape: L.K, strides: L.strides, pads: [...L.padsBegin, ...L.padsEnd], dilations: L.dilations, group: L.group, output_padding: L.outputPadding },
  });
  return ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: ctx.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
}
