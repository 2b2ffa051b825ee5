/**
 * Inference-time folding of a BatchNormalization into the transposed convolution before it: with
 * s = γ/√(moving variance + ε) per output channel, the kernel's output channel m is scaled by s[m]
 * and the bias becomes (b − moving mean)·s + β. The result is one layer (one backend call, with
 * the following activation fused into it) that computes what the pair computed in inference mode.
 */
import { rangeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { ActivationName } from './activations.js';
import { BatchNormalization } from './batch-norm.js';
import { ConvTranspose } from './conv-transpose.js';
import { layerFromConfig } from './serialization.js';

export interface FoldOptions {
  /** Activation of the folded layer (the one that followed the batch norm). Default 'linear'. */
  activation?: ActivationName;
  alpha?: number;
  /** Name of the folded layer (default: the convolution's name with '_folded'). */
  name?: string;
}

export function foldBatchNorm(conv: ConvTranspose, bn: BatchNormalization, options: FoldOptions = {}): ConvTranspose {
  if (!conv.built || !bn.built) throw new Error('foldBatchNorm needs built layers (apply them once or load their weights)');
  if (conv.activation !== 'linear') {
    throw rangeError('conv.activation', "'linear' (a batch norm after a nonlinearity cannot be folded into the weights)", conv.activation);
  }
  const channelAxis = conv.dataFormat === 'channelsLast' ? [-1, conv.rank + 1] : [1, -(conv.rank + 1)];
  if (!channelAxis.includes(bn.axis)) throw rangeError('bn.axis', `the convolution's channel axis (${channelAxis[0]})`, bn.axis);
  const { gamma, beta, movingMean, movingVariance } = bn.statistics();
  const M = conv.filters;
  if (movingMean.length !== M) throw rangeError('bn channels', `the convolution's ${M} filters`, movingMean.length);
  const scale = new Float64Array(M);
  for (let m = 0; m < M; m++) scale[m] = gamma[m]! / Math.sqrt(movingVariance[m]! + bn.epsilon);

  const { kernel, bias: convBias } = conv.weights(); // host copies, wherever the layer lives
  const Mg = M / conv.groups;
  const C = kernel!.shape[kernel!.shape.length - 1]!;
  const Cg = C / conv.groups;
  const folded = new Float32Array(kernel!.data.length);
  // TF layout [tap][Mg][C]: output channel of (m, c) is g·Mg + m with g = ⌊c/Cg⌋.
  for (let i = 0; i < folded.length; i++) {
    const c = i % C;
    const m = Math.floor(i / C) % Mg;
    folded[i] = kernel!.data[i]! * scale[Math.floor(c / Cg) * Mg + m]!;
  }
  const bias = new Float32Array(M);
  const oldBias = convBias?.data;
  for (let m = 0; m < M; m++) bias[m] = ((oldBias ? oldBias[m]! : 0) - movingMean[m]!) * scale[m]! + beta[m]!;

  const config = {
    ...conv.getConfig(),
    name: options.name ?? `${conv.name}_folded`,
    useBias: true,
    activation: options.activation ?? 'linear',
    ...(options.alpha !== undefined ? { alpha: options.alpha } : { alpha: undefined }),
  };
  const layer = layerFromConfig(conv.className, config) as ConvTranspose;
  layer.backend = conv.backend;
  const ones = new Array<number>(conv.rank).fill(1);
  layer.build(conv.dataFormat === 'channelsLast' ? [1, ...ones, C] : [1, C, ...ones]);
  layer.setWeights({ kernel: new Tensor(kernel.shape, folded), bias: new Tensor([M], bias) });
  return layer;
}
