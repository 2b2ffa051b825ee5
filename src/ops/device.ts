/**
 * Calls that involve device tensors: they run on cuDNN, and a device input gives a device result
 * (in the input's dtype, on its device), so chained layers stay on the GPU.
 */
import { cudnnAddon, cudnnBackend, cudnnOptions } from '../backends/cudnn.js';
import type { CudnnOperand } from '../backends/native.js';
import { packProblem } from '../backends/native-problem.js';
import { tsBackend } from '../backends/ts.js';
import type { BackendCallOptions, GradientArrays } from '../backends/types.js';
import { DeviceTensor, uploadInto } from '../device-tensor.js';
import {
  GRADIENT_NAMES,
  type CheckedTensor,
  type ConvTransposeProblem,
  type DeviceTensorRef,
  type GradientName,
  type WantedGradients,
} from '../problem/index.js';
import { Tensor } from '../tensor.js';
import { degenerate, fillDegenerate, type PreparedCall } from './execute.js';

/** The cuDNN backend, or an error saying why a device tensor cannot go elsewhere. */
function requireCudnn(backend: unknown): void {
  if (backend !== undefined && backend !== 'auto' && backend !== 'cudnn') {
    throw new TypeError(`device tensors are computed by backend 'cudnn' only, but options.backend is ${JSON.stringify(backend)}`);
  }
  const info = cudnnBackend.info();
  if (!info.available) throw new Error(`backend 'cudnn' is not available: ${info.reason}`);
}

function operand(tensor: CheckedTensor, argument: string): CudnnOperand {
  return tensor.device ? (tensor.device as DeviceTensor).handle(argument) : tensor.data;
}

/** Device operands agree on dtype and device; returns them (from the input, or the first one). */
export function checkDeviceOperands(
  operands: readonly (readonly [CheckedTensor | DeviceTensorRef | undefined, string])[],
): { dtype: DeviceTensorRef['dtype']; device: number } | undefined {
  let first: { ref: DeviceTensorRef; name: string } | undefined;
  for (const [value, name] of operands) {
    const ref = value && 'data' in value ? value.device : (value as DeviceTensorRef | undefined);
    if (!ref) continue;
    if (!first) {
      first = { ref, name };
      continue;
    }
    if (ref.dtype !== first.ref.dtype) {
      throw new TypeError(`${name} holds ${ref.dtype} but ${first.name} holds ${first.ref.dtype}: device operands must share one dtype`);
    }
    if (ref.device !== first.ref.device) {
      throw new RangeError(`${name} is on device ${ref.device} but ${first.name} is on device ${first.ref.device}`);
    }
  }
  return first ? { dtype: first.ref.dtype, device: first.ref.device } : undefined;
}

export function executeOnDevice(call: PreparedCall, backend: unknown, mode: 'sync'): Tensor | DeviceTensor;
export function executeOnDevice(call: PreparedCall, backend: unknown, mode: 'async'): Promise<Tensor | DeviceTensor>;
export function executeOnDevice(call: PreparedCall, backend: unknown, mode: 'sync' | 'async'): Tensor | DeviceTensor | Promise<Tensor | DeviceTensor> {
  requireCudnn(backend);
  const { problem } = call;
  const where = checkDeviceOperands([
    [call.input, 'input'],
    [call.filters, 'filters'],
    [call.bias, 'bias'],
    [call.outDevice, 'options.out'],
  ])!;
  if (call.input.device && problem.math === 'bf16' && where.dtype !== 'bfloat16') {
    throw new RangeError(`options.math 'bf16' is for host tensors; device tensors compute in their own dtype (${where.dtype})`);
  }
  const options = { ...cudnnOptions(problem, call.backendOptions), device: where.device, math: where.dtype };
  const addon = cudnnAddon();

  if (!call.input.device) {
    // A host input with device filters or bias: a host result.
    const out = call.out ?? new Float32Array(problem.outputShape.reduce((a, b) => a * b, 1));
    const run = (): Promise<Float32Array | undefined> | undefined =>
      addon.cudnnRun(packProblem(problem), { ...options, math: problem.math }, call.input.data, operand(call.filters, 'filters'), call.bias ? operand(call.bias, 'bias') : null, mode === 'sync' ? out : null, mode);
    if (degenerate(problem)) {
      fillDegenerate(problem, undefined, out);
      if (call.bias) throw new RangeError('a device bias with an empty input is not supported; pass the bias on the host');
      return mode === 'sync' ? new Tensor(problem.outputShape, out) : Promise.resolve(new Tensor(problem.outputShape, out));
    }
    if (mode === 'sync') {
      run();
      return new Tensor(problem.outputShape, out);
    }
    return (run() as Promise<Float32Array>).then((data) => {
      if (call.out) call.out.set(data);
      return new Tensor(problem.outputShape, call.out ?? data);
    });
  }

  const out = (call.outDevice as DeviceTensor | undefined) ?? DeviceTensor.empty(problem.outputShape, where.dtype, where.device);
  if (degenerate(problem)) {
    if (call.bias?.device) throw new RangeError('a device bias with an empty input is not supported; pass the bias on the host');
    const values = new Float32Array(out.size);
    fillDegenerate(problem, call.bias?.data, values);
    uploadInto(out, values);
    return mode === 'sync' ? out : Promise.resolve(out);
  }
  const result = addon.cudnnRun(
    packProblem(problem),
    options,
    operand(call.input, 'input'),
    operand(call.filters, 'filters'),
    call.bias ? operand(call.bias, 'bias') : null,
    out.handle('options.out'),
    mode === 'async' ? 'async' : call.wait ? 'sync' : 'enqueue',
  );
  if (mode === 'async') return (result as Promise<unknown>).then(() => out);
  return out;
}

/** A backward call whose output gradient is a device tensor (see src/ops/backward.ts). */
export interface DeviceBackwardCall {
  readonly problem: ConvTransposeProblem;
  readonly input: CheckedTensor;
  readonly filters: CheckedTensor;
  readonly dy: CheckedTensor;
  readonly dyArgument: string;
  readonly wanted: WantedGradients;
  readonly backendOptions: BackendCallOptions;
  readonly wait: boolean;
}

/** Device gradients: the asked-for ones, as device tensors in dY's dtype on its device. */
export type DeviceGradients = Partial<Record<GradientName, DeviceTensor>>;

/**
 * Gradients computed on the device into new device tensors: dX like the input, dW like the
 * filters, dB of shape [outputChannels]. Host operands among x and w are staged in; nothing is
 * read back. 'sync' waits for the stream unless `wait` is false; 'async' resolves once done.
 */
export function executeBackwardOnDevice(call: DeviceBackwardCall, backend: unknown, mode: 'sync'): DeviceGradients;
export function executeBackwardOnDevice(call: DeviceBackwardCall, backend: unknown, mode: 'async'): Promise<DeviceGradients>;
export function executeBackwardOnDevice(call: DeviceBackwardCall, backend: unknown, mode: 'sync' | 'async'): DeviceGradients | Promise<DeviceGradients> {
  requireCudnn(backend);
  const { problem, wanted } = call;
  const where = checkDeviceOperands([
    [call.dy, call.dyArgument],
    [call.input, 'input'],
    [call.filters, 'filters'],
  ])!;
  const shapes: Record<GradientName, readonly number[]> = { dX: call.input.shape, dW: call.filters.shape, dB: [problem.outChannels] };
  const results: DeviceGradients = {};
  for (const name of GRADIENT_NAMES) {
    if (wanted[name]) results[name] = DeviceTensor.empty(shapes[name], where.dtype, where.device);
  }
  if (degenerate(problem)) {
    // An empty side: the reference computes it from host copies (there is nothing to speed up).
    const host = (t: CheckedTensor): Float32Array => (t.device ? (t.device as DeviceTensor).toHostSync().data : t.data);
    const arrays: GradientArrays = {};
    for (const name of GRADIENT_NAMES) if (wanted[name]) arrays[name] = new Float32Array(results[name]!.size);
    tsBackend.convTransposeBackward!(problem, host(call.input), host(call.filters), host(call.dy), arrays);
    for (const name of GRADIENT_NAMES) if (arrays[name]) uploadInto(results[name]!, arrays[name]);
    return mode === 'sync' ? results : Promise.resolve(results);
  }
  const target = (name: GradientName) => results[name]?.handle(name) ?? null;
  const pending = cudnnAddon().cudnnBackward(
    packProblem(problem),
    { ...cudnnOptions(problem, call.backendOptions), device: where.device, math: where.dtype },
    operand(call.input, 'input'),
    operand(call.filters, 'filters'),
    operand(call.dy, call.dyArgument),
    { dX: target('dX'), dW: target('dW'), dB: target('dB') },
    mode === 'async' ? 'async' : call.wait ? 'sync' : 'enqueue',
  );
  if (mode === 'async') return (pending as Promise<unknown>).then(() => results);
  return results;
}
