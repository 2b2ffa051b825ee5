/**
 * The one normalized description of a transposed convolution that every front end (TensorFlow's
 * conv{1,2,3}d_transpose, ONNX ConvTranspose, the layers) produces and every backend consumes.
 * Backends do no shape inference of their own: everything they need is here.
 *
 * The computation it describes, per spatial dimension, in scatter form:
 *   out[n, g·Mg + m, i·s + k·d − padsBegin] += x[n, g·Cg + c, i] · w[g, c, m, k]
 * for every input position i and kernel tap k whose target lies inside [0, outSpatial); then
 * `bias[m]` is added to every output element of channel m.
 */
/** The elementwise functions a transposed convolution can apply to its output. */
export type Activation = 'none' | 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'elu';
export type MathMode = 'float32' | 'bf16';

export interface ConvTransposeProblem {
  /** Number of spatial dimensions: 1, 2 or 3. */
  readonly rank: 1 | 2 | 3;
  /** Batch size N (may be 0: the output is then empty). */
  readonly batch: number;
  /** Input channels C (all groups together). */
  readonly inChannels: number;
  /** Output channels M (all groups together). */
  readonly outChannels: number;
  /** Number of groups; divides both C and M. Depthwise when groups === C. */
  readonly groups: number;
  /** Input spatial size, `rank` entries, outermost first (D, H, W). */
  readonly inSpatial: readonly number[];
  /** Output spatial size, `rank` entries. */
  readonly outSpatial: readonly number[];
  /** Kernel spatial size, `rank` entries. */
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /**
   * Cropped from the start of the full ("VALID", unpadded) output. Negative when ONNX's
   * output_shape or SAME_* asks for more than the full output: those leading positions get only
   * the bias.
   */
  readonly padsBegin: readonly number[];
  /**
   * Cropped from the end of the full output. Negative means the output extends past the full
   * output with positions no input reaches (TF VALID with a larger outputShape, ONNX
   * output_padding or output_shape): those get only the bias. Always satisfies
   * outSpatial = (inSpatial − 1)·s + (kernel − 1)·d + 1 − padsBegin − padsEnd.
   */
  readonly padsEnd: readonly number[];
  /** Layout of input and output activations. */
  readonly layout: 'channelsLast' | 'channelsFirst';
  /**
   * Layout of the filter data:
   * - 'spatialOutIn': TensorFlow, [K..., M/groups, C]
   * - 'inOutSpatial': ONNX, [C, M/groups, K...]
   */
  readonly filterLayout: 'spatialOutIn' | 'inOutSpatial';
  /** Whether a bias of M values is added. */
  readonly hasBias: boolean;
  /** Applied to every output element after the bias (fused into the backend's kernel). */
  readonly activation: Activation;
  /** leakyRelu's slope below zero, elu's scale; unused otherwise. */
  readonly activationAlpha: number;
  /** Arithmetic inside the backend: float32, or bf16 with float32 accumulation (oneDNN only). */
  readonly math: MathMode;
  /** The shape of the output tensor as the front end reports it (already in its layout). */
  readonly outputShape: readonly number[];
}

/** Element counts of the three tensors a problem touches. */
export function problemSizes(p: ConvTransposeProblem): { input: number; filter: number; output: number } {
  const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);
  return {
    input: p.batch * p.inChannels * prod(p.inSpatial),
    filter: p.inChannels * (p.outChannels / p.groups) * prod(p.kernel),
    output: p.batch * p.outChannels * prod(p.outSpatial),
  };
}
