/**
 * Tensors that live in GPU memory (the cuDNN backend). `toDevice` copies a host tensor in; ops
 * given device tensors return device tensors, so a chain of layers never round-trips through host
 * memory; `toHost()` (or `toHostSync()`) reads the values back as a float32 `Tensor`.
 *
 * Memory is freed by `dispose()` at once, or by a FinalizationRegistry when a forgotten tensor is
 * garbage-collected. Frees are ordered on the device's stream, so disposing a tensor that queued
 * work still reads is safe.
 */
import { typeError, rangeError } from './errors.js';
import { addonWithCudnn, nativeAddon, type NativeTensorHandle } from './backends/native.js';
import { checkedProduct, checkShape } from './problem/checks.js';
import { Tensor, type TensorLike } from './tensor.js';

/** Element types a device tensor can hold. float16 and bfloat16 compute on tensor cores with float32 accumulation. */
export type DeviceDType = 'float32' | 'float16' | 'bfloat16';
const DTYPES: readonly DeviceDType[] = ['float32', 'float16', 'bfloat16'];

/** Where `toDevice` puts a tensor. */
export interface ToDeviceOptions {
  /** CUDA device index (default 0). */
  device?: number;
  /** Element type on the device (default 'float32'); host values are rounded to nearest even. */
  dtype?: DeviceDType;
}

/** Marks device tensors for the argument checks without importing this module there. */
export const DEVICE_TENSOR = Symbol.for('deconv.DeviceTensor');

type CudnnTensorAddon = {
  cudnnUpload(data: Float32Array, dtype: DeviceDType, device: number, into?: NativeTensorHandle): NativeTensorHandle;
  cudnnEmpty(elements: number, dtype: DeviceDType, device: number): NativeTensorHandle;
  cudnnDownload(handle: NativeTensorHandle, mode: 'sync'): Float32Array;
  cudnnDownload(handle: NativeTensorHandle, mode: 'async'): Promise<Float32Array>;
  cudnnDispose(handle: NativeTensorHandle): void;
};

function tensorAddon(): CudnnTensorAddon {
  return addonWithCudnn<CudnnTensorAddon>('cudnnUpload', 'device tensors');
}

// Frees what the user forgot to dispose (the handle's own finalizer would too, later).
const registry = new FinalizationRegistry<NativeTensorHandle>((handle) => {
  try {
    tensorAddon().cudnnDispose(handle);
  } catch {
    // nothing to do at finalization time
  }
});

/** A dense row-major tensor in GPU memory. */
export class DeviceTensor {
  readonly shape: readonly number[];
  readonly dtype: DeviceDType;
  /** CUDA device index. */
  readonly device: number;
  readonly [DEVICE_TENSOR] = true;
  #handle: NativeTensorHandle | undefined;

  /** @internal Use `toDevice`, or the result of an op on device tensors. */
  constructor(shape: readonly number[], dtype: DeviceDType, device: number, handle: NativeTensorHandle) {
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.device = device;
    this.#handle = handle;
    registry.register(this, handle, this);
  }

  /** @internal Uninitialized device memory for `shape` (an op's output). */
  static empty(shape: readonly number[], dtype: DeviceDType, device: number): DeviceTensor {
    const size = shape.reduce((a, b) => a * b, 1);
    return new DeviceTensor(shape, dtype, device, tensorAddon().cudnnEmpty(size, dtype, device));
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.#handle === undefined;
  }

  /** @internal The native handle; throws naming `argument` when disposed. */
  handle(argument = 'tensor'): NativeTensorHandle {
    if (!this.#handle) throw new TypeError(`${argument} is a disposed device tensor`);
    return this.#handle;
  }

  /** Copies the values back to the host (after all work queued before), as float32. */
  async toHost(): Promise<Tensor> {
    const data = await tensorAddon().cudnnDownload(this.handle(), 'async');
    return new Tensor(this.shape, data);
  }

  /** The same, waiting on the JS thread. */
  toHostSync(): Tensor {
    return new Tensor(this.shape, tensorAddon().cudnnDownload(this.handle(), 'sync'));
  }

  /** Frees the device memory now (ordered after queued work). Later use throws. */
  dispose(): void {
    if (!this.#handle) return;
    registry.unregister(this);
    tensorAddon().cudnnDispose(this.#handle);
    this.#handle = undefined;
  }
}

/** Whether `value` is a device tensor (made by this library). */
export function isDeviceTensor(value: unknown): value is DeviceTensor {
  return value instanceof DeviceTensor;
}

function checkDevice(argument: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number') throw typeError(argument, 'a device index (an integer ≥ 0)', value);
  if (!Number.isInteger(value) || value < 0) throw rangeError(argument, 'a device index (an integer ≥ 0)', value);
  return value;
}

/** Copies a host tensor into GPU memory (converting to `options.dtype`). */
export function toDevice(tensor: TensorLike, options: ToDeviceOptions = {}): DeviceTensor {
  if (typeof tensor !== 'object' || tensor === null) throw typeError('tensor', 'a tensor { shape, data: Float32Array }', tensor);
  const shape = checkShape('tensor.shape', tensor.shape);
  const size = checkedProduct('tensor', shape);
  if (!(tensor.data instanceof Float32Array)) throw typeError('tensor.data', 'a Float32Array', tensor.data);
  if (tensor.data.length !== size) {
    throw new RangeError(`tensor.data must have ${size} elements for shape [${shape.join(', ')}], but got ${tensor.data.length}`);
  }
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  const device = checkDevice('options.device', options.device);
  const dtype = options.dtype ?? 'float32';
  if (!DTYPES.includes(dtype)) {
    throw (typeof dtype === 'string' ? rangeError : typeError)('options.dtype', `one of ${DTYPES.map((d) => `'${d}'`).join(', ')}`, dtype);
  }
  return new DeviceTensor(shape, dtype, device, tensorAddon().cudnnUpload(tensor.data, dtype, device));
}

/** @internal Overwrites a device tensor with host values (same element count). */
export function uploadInto(target: DeviceTensor, data: Float32Array): void {
  tensorAddon().cudnnUpload(data, target.dtype, target.device, target.handle('out'));
}

/** Device memory as deconv sees it (bytes). */
export interface DeviceMemoryInfo {
  device: number;
  /** Held by live device tensors (and packed plan weights). */
  tensorBytes: number;
  /** Live device tensors. */
  tensors: number;
  /** Workspaces and temporaries of calls in flight. */
  scratchBytes: number;
  /** Pinned host staging buffers held. */
  pinnedBytes: number;
  /** What the caching allocator holds from the driver (in use and cached). */
  poolReservedBytes: number;
  freeBytes: number;
  totalBytes: number;
}

/** Memory use on a CUDA device. */
export function deviceMemory(device = 0): DeviceMemoryInfo {
  const addon = nativeAddon().addon as { cudnnMemory?: (device: number) => DeviceMemoryInfo } | undefined;
  if (!addon?.cudnnMemory) throw new Error('deviceMemory needs the cuDNN backend, which this build lacks');
  return addon.cudnnMemory(checkDevice('device', device));
}

/** Waits until everything queued on the device has finished. */
export function synchronize(device = 0): void {
  const addon = nativeAddon().addon as { cudnnSynchronize?: (device: number) => void } | undefined;
  if (!addon?.cudnnSynchronize) throw new Error('synchronize needs the cuDNN backend, which this build lacks');
  addon.cudnnSynchronize(checkDevice('device', device));
}

/** Caps the cuDNN workspace per call (default 1 GiB); algorithms needing more are passed over. */
export function setWorkspaceLimit(bytes: number): void {
  if (typeof bytes !== 'number') throw typeError('bytes', 'a byte count ≥ 0', bytes);
  if (!Number.isFinite(bytes) || bytes < 0) throw rangeError('bytes', 'a byte count ≥ 0', bytes);
  const addon = nativeAddon().addon as { cudnnSetWorkspaceLimit?: (bytes: number) => void } | undefined;
  if (!addon?.cudnnSetWorkspaceLimit) throw new Error('setWorkspaceLimit needs the cuDNN backend, which this build lacks');
  addon.cudnnSetWorkspaceLimit(Math.floor(bytes));
}
