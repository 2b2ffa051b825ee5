/**
 * deconv: transposed convolution for Node.js with TensorFlow's and ONNX's exact semantics.
 *
 * - `conv1dTranspose`, `conv2dTranspose`, `conv3dTranspose`: as `tf.nn.conv{1,2,3}d_transpose`.
 * - `convTranspose`: as the ONNX `ConvTranspose` operator.
 * - `backends()`: which backends this process can use, and why not.
 * - `toDevice()`: GPU-resident tensors for the cuDNN backend.
 */
export { Tensor, tensor, type TensorLike, type DType } from './tensor.js';
export {
  DeviceTensor,
  toDevice,
  isDeviceTensor,
  deviceMemory,
  synchronize,
  setWorkspaceLimit,
  type DeviceDType,
  type ToDeviceOptions,
  type DeviceMemoryInfo,
} from './device-tensor.js';
export {
  conv1dTranspose,
  conv2dTranspose,
  conv3dTranspose,
  conv1dTransposeAsync,
  conv2dTransposeAsync,
  conv3dTransposeAsync,
  type Conv1DTransposeOptions,
  type Conv2DTransposeOptions,
  type Conv3DTransposeOptions,
  type TfConvTransposeOptions,
  type TfStrides,
} from './ops/tf.js';
export { convTranspose, convTransposeAsync, type ConvTransposeOptions } from './ops/onnx.js';
export {
  convTransposeBackward,
  convTransposeBackwardAsync,
  conv1dTransposeBackward,
  conv2dTransposeBackward,
  conv3dTransposeBackward,
  conv1dTransposeBackwardAsync,
  conv2dTransposeBackwardAsync,
  conv3dTransposeBackwardAsync,
  type BackwardOptions,
  type ConvTransposeGradients,
  type ConvTransposeBackwardOptions,
  type TfConvTransposeBackwardOptions,
} from './ops/backward.js';
export {
  ConvTransposePlan,
  conv1dTransposePlan,
  conv2dTransposePlan,
  conv3dTransposePlan,
  convTransposePlan,
  type PlanRunOptions,
} from './ops/plan.js';
export { setNumThreads, getNumThreads, planCacheStats, setPlanCacheCapacity } from './runtime.js';
export type { ExecutionOptions } from './ops/execute.js';
export { backends } from './backends/registry.js';
export type { BackendChoice, BackendInfo, BackendName, BackendCallOptions } from './backends/types.js';
export { cudnnStatus } from './backends/cudnn.js';
export type {
  Activation,
  MathMode,
  ConvTransposeProblem,
  ConvTransposeAttributes,
  GradientName,
  OnnxAutoPad,
  TfPadding,
  TfDataFormat1D,
  TfDataFormat2D,
  TfDataFormat3D,
} from './problem/index.js';
export { normalizeTfCall, normalizeOnnxCall } from './problem/index.js';
export * from './layers/index.js';
