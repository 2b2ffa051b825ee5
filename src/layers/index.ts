/**
 * Training building blocks: Keras-style transposed-convolution layers, batch normalization,
 * activations, initializers, optimizers and (de)serialization.
 */
export type { Layer, Parameter, ApplyOptions } from './layer.js';
export { Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, ConvTranspose, kerasOutputSize, type ConvTransposeLayerConfig } from './conv-transpose.js';
export { BatchNormalization, type BatchNormalizationConfig } from './batch-norm.js';
export { Activation, type ActivationConfig } from './activation-layer.js';
export { ACTIVATION_NAMES, activationBackward, type ActivationName } from './activations.js';
export {
  INITIALIZER_NAMES,
  initialize,
  bilinearKernel,
  bilinearWeights,
  computeFans,
  type InitializerName,
  type InitializerConfig,
  type InitializerSpec,
  type InitializerContext,
} from './initializers.js';
export { sgd, adam, type Optimizer, type SgdConfig, type AdamConfig } from './optimizers.js';
export { Sequential } from './sequential.js';
export { foldBatchNorm, type FoldOptions } from './fold.js';
export { serializeLayers, deserializeLayers, saveLayers, loadLayers, layerFromConfig } from './serialization.js';
