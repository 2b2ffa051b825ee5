/**
 * The problem module: the single place where shapes, padding and attributes are understood.
 * Front ends call normalize*, backends receive only the ConvTransposeProblem it returns.
 */
export type { ConvTransposeProblem, Activation, MathMode } from './types.js';
export { problemSizes } from './types.js';
export { normalizeTfCall, type TfCall, type TfPadding, type TfDataFormat1D, type TfDataFormat2D, type TfDataFormat3D } from './tf.js';
export { normalizeOnnxCall, type ConvTransposeAttributes, type OnnxAutoPad, ONNX_ATTRIBUTES, ONNX_SNAKE_CASE } from './onnx.js';
export { checkTensor, checkOptions, checkEnum, checkInt, overlaps, isDeviceTensorRef, MAX_ELEMENTS, ShapeOnly, type CheckedTensor, type DeviceTensorRef } from './checks.js';
export { effectiveKernel, fullOutputSize, tfForwardWindow, onnxPadsForOutput } from './geometry.js';
export {
  backwardProblem,
  checkOutputGradient,
  checkWantedGradients,
  GRADIENT_NAMES,
  type GradientName,
  type WantedGradients,
} from './backward.js';
