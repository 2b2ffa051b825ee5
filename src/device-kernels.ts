/**
 * The device kernels training needs (native/cudnn/training_kernels.h): optimizer updates, a
 * standalone activation with its derivative, and batch normalization, on device tensors. Each
 * only enqueues on the device's stream; reading a result back (or any later op) is ordered after it.
 */
import { addonWithCudnn, type Addon } from './backends/native.js';
import { DeviceTensor, uploadInto } from './device-tensor.js';

type KernelAddon = Required<
  Pick<Addon, 'cudnnSgd' | 'cudnnAdam' | 'cudnnActivationForward' | 'cudnnActivationBackward' | 'cudnnBatchNormForward' | 'cudnnBatchNormBackward'>
>;

function kernels(): KernelAddon {
  return addonWithCudnn<KernelAddon>('cudnnSgd', 'device kernels');
}

/** Throws unless `other` is a device tensor shaped, typed and placed like `reference`. */
export function checkDeviceLike(argument: string, other: unknown, reference: DeviceTensor, referenceName: string): DeviceTensor {
  if (!(other instanceof DeviceTensor)) {
    throw new TypeError(`${argument} must be a device tensor like ${referenceName} (on device ${reference.device}), but got a host value`);
  }
  if (other.dtype !== reference.dtype) throw new TypeError(`${argument} holds ${other.dtype} but ${referenceName} holds ${reference.dtype}`);
  if (other.device !== reference.device) throw new RangeError(`${argument} is on device ${other.device} but ${referenceName} is on device ${reference.device}`);
  if (other.size !== reference.size) {
    throw new RangeError(`${argument} must have ${referenceName}'s shape [${reference.shape.join(', ')}], but got [${other.shape.join(', ')}]`);
  }
  return other;
}

/** A float32 device tensor of zeros shaped like `like`, on its device (optimizer state). */
export function deviceZeros(like: DeviceTensor): DeviceTensor {
  const zeros = DeviceTensor.empty(like.shape, 'float32', like.device);
  uploadInto(zeros, new Float32Array(zeros.size));
  return zeros;
}

/** w ← w − lr·g, or with a float32 velocity: v ← momentum·v − lr·g; w ← w + v (or Nesterov's). */
export function sgdOnDevice(w: DeviceTensor, g: DeviceTensor, velocity: DeviceTensor | undefined, lr: number, momentum: number, nesterov: boolean): void {
  kernels().cudnnSgd(w.handle('parameter'), g.handle('gradient'), velocity ? velocity.handle('velocity') : null, lr, momentum, nesterov);
}

/** Adam's update with float32 moments; `lr` carries the bias corrections. */
export function adamOnDevice(w: DeviceTensor, g: DeviceTensor, m: DeviceTensor, v: DeviceTensor, lr: number, beta1: number, beta2: number, epsilon: number): void {
  kernels().cudnnAdam(w.handle('parameter'), g.handle('gradient'), m.handle('m'), v.handle('v'), lr, beta1, beta2, epsilon);
}

/** y = f(v) into a new device tensor. */
export function activationOnDevice(activation: string, alpha: number, v: DeviceTensor): DeviceTensor {
  const y = DeviceTensor.empty(v.shape, v.dtype, v.device);
  kernels().cudnnActivationForward(activation, alpha, v.handle('x'), y.handle('y'));
  return y;
}

/** dv = dy · f′ (f′ from the output y) into a new device tensor. */
export function activationBackwardOnDevice(activation: string, alpha: number, y: DeviceTensor, dy: DeviceTensor): DeviceTensor {
  const dv = DeviceTensor.empty(y.shape, y.dtype, y.device);
  kernels().cudnnActivationBackward(activation, alpha, y.handle('y'), dy.handle('dy'), dv.handle('dv'));
  return dv;
}

/** Where one channel's values lie: (o·channels + c)·inner + j. */
export interface ChannelGeometry {
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
}

/** Per-channel float32 device tensors of a batch normalization. */
export interface BatchNormState {
  readonly gamma: DeviceTensor | undefined;
  readonly beta: DeviceTensor | undefined;
  readonly movingMean: DeviceTensor;
  readonly movingVariance: DeviceTensor;
}

/** What a device batch-norm forward pass leaves for its backward pass. */
export interface BatchNormSaved {
  /** x̂ (float32, x's shape) and 1/√(σ² + ε) per channel. */
  readonly normalized: DeviceTensor;
  readonly invStd: DeviceTensor;
}

/**
 * y = γ·x̂ + β on the device, with the batch's statistics (training, which also moves the moving
 * ones) or the moving statistics. Returns y (x's dtype) and what the backward pass needs.
 */
export function batchNormOnDevice(
  x: DeviceTensor,
  g: ChannelGeometry,
  state: BatchNormState,
  momentum: number,
  epsilon: number,
  training: boolean,
): { y: DeviceTensor; saved: BatchNormSaved } {
  const y = DeviceTensor.empty(x.shape, x.dtype, x.device);
  const normalized = DeviceTensor.empty(x.shape, 'float32', x.device);
  const invStd = DeviceTensor.empty([g.channels], 'float32', x.device);
  kernels().cudnnBatchNormForward(
    x.handle('x'),
    y.handle('y'),
    normalized.handle('normalized'),
    invStd.handle('invStd'),
    state.gamma ? state.gamma.handle('gamma') : null,
    state.beta ? state.beta.handle('beta') : null,
    state.movingMean.handle('movingMean'),
    state.movingVariance.handle('movingVariance'),
    g.outer,
    g.channels,
    g.inner,
    momentum,
    epsilon,
    training,
  );
  return { y, saved: { normalized, invStd } };
}

/** dx, and dγ, dβ when asked for, of a device batch-norm forward pass. */
export function batchNormBackwardOnDevice(
  dy: DeviceTensor,
  g: ChannelGeometry,
  saved: BatchNormSaved,
  gamma: DeviceTensor | undefined,
  wanted: { dGamma: boolean; dBeta: boolean },
  training: boolean,
): { dx: DeviceTensor; dGamma: DeviceTensor | undefined; dBeta: DeviceTensor | undefined } {
  const dx = DeviceTensor.empty(dy.shape, dy.dtype, dy.device);
  const dGamma = wanted.dGamma ? DeviceTensor.empty([g.channels], 'float32', dy.device) : undefined;
  const dBeta = wanted.dBeta ? DeviceTensor.empty([g.channels], 'float32', dy.device) : undefined;
  kernels().cudnnBatchNormBackward(
    dy.handle('dy'),
    saved.normalized.handle('normalized'),
    saved.invStd.handle('invStd'),
    gamma ? gamma.handle('gamma') : null,
    dx.handle('dx'),
    dGamma ? dGamma.handle('dGamma') : null,
    dBeta ? dBeta.handle('dBeta') : null,
    g.outer,
    g.channels,
    g.inner,
    training,
  );
  return { dx, dGamma, dBeta };
}
