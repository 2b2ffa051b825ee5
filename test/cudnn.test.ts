/**
 * The cuDNN backend on a machine without a GPU (CI): it is compiled in, it says why it cannot run,
 * nothing picks it, asking for it fails with that reason, and its host-side pieces work.
 *
 * The GPU half of its tests runs on a lent GPU machine: test/gpu/run.sh (golden data, the outside
 * conformance suites and random problems on 'cudnn', then the benchmark against PyTorch).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adam,
  backends,
  BatchNormalization,
  Conv2DTranspose,
  conv2dTransposeBackward,
  convTranspose,
  convTransposeBackward,
  cudnnStatus,
  DeviceTensor,
  deviceMemory,
  Sequential,
  sgd,
  Tensor,
  toDevice,
} from '../src/index.js';

const root = path.resolve(__dirname, '..');
const addonPath = path.join(root, 'build', 'Release', 'deconv.node');
const require = createRequire(import.meta.url);
const addon = existsSync(addonPath) ? (require(addonPath) as Record<string, (...args: unknown[]) => unknown>) : undefined;
const compiled = !!addon?.cudnnInfo;
const status = cudnnStatus();
const gpu = status?.available === true;

if (!compiled) console.warn('[deconv tests] cuDNN host-side tests skipped: the addon was built without the cuDNN backend');
if (gpu) console.warn('[deconv tests] a GPU is present: the unavailable-backend tests are skipped (the device script covers this machine)');

describe.runIf(compiled && !gpu)('cuDNN backend without a GPU', () => {
  it('reports itself unavailable, with the reason', () => {
    const info = backends().find((b) => b.name === 'cudnn')!;
    expect(info.available).toBe(false);
    expect(info.reason).toMatch(/libcudnn|driver|device/);
    expect(status?.compiled).toBe(true);
    expect(status?.headerVersion).toMatch(/^9\./);
  });

  it("is not what 'auto' picks", () => {
    const y = convTranspose({ shape: [1, 1, 2, 2], data: new Float32Array([1, 2, 3, 4]) }, { shape: [1, 1, 1, 1], data: new Float32Array([2]) });
    expect(Array.from(y.data)).toEqual([2, 4, 6, 8]);
  });

  it('fails with the reason when asked for by name', () => {
    const call = () => convTranspose({ shape: [1, 1, 2, 2], data: new Float32Array(4) }, { shape: [1, 1, 1, 1], data: new Float32Array(1) }, null, { backend: 'cudnn' });
    expect(call).toThrow(/backend 'cudnn' is not available: .*(libcudnn|driver|device)/);
  });

  it('refuses device tensors with the reason, after checking the arguments', () => {
    expect(() => toDevice({ shape: [2], data: new Float32Array(2) })).toThrow(/not available|lacks/);
    expect(() => toDevice({ shape: [2], data: new Float64Array(2) as unknown as Float32Array })).toThrow(TypeError);
    expect(() => toDevice({ shape: [3], data: new Float32Array(2) })).toThrow(RangeError);
    expect(() => toDevice({ shape: [2], data: new Float32Array(2) }, { dtype: 'int8' as never })).toThrow(RangeError);
    expect(() => toDevice({ shape: [2], data: new Float32Array(2) }, { device: -1 })).toThrow(/options\.device/);
    expect(() => deviceMemory()).toThrow(/not available/);
  });

  it('checks the cuDNN call options by name', () => {
    const x = { shape: [1, 1, 2, 2], data: new Float32Array(4) };
    const w = { shape: [1, 1, 1, 1], data: new Float32Array(1) };
    expect(() => convTranspose(x, w, null, { benchmark: 'yes' as never })).toThrow(/attrs\.benchmark must be a boolean/);
    expect(() => convTranspose(x, w, null, { device: 1.5 })).toThrow(/attrs\.device must be a device index/);
    // Accepted (and ignored) by the CPU backends.
    expect(convTranspose(x, w, null, { allowTF32: true, deterministic: true, wait: false }).shape).toEqual([1, 1, 2, 2]);
  });

  it('loads the cuDNN wheel\'s loader shim and resolves every entry point (child process)', () => {
    const deps = path.join(root, '.deps');
    const cache = existsSync(deps) ? readdirSync(deps).find((d) => d.startsWith('cuda-')) : undefined;
    if (!cache) {
      console.warn('[deconv tests] no .deps/cuda-* cache (the headers came from CUDNN_ROOT): shim check skipped');
      return;
    }
    const shim = path.join(deps, cache, 'lib');
    const child = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(addonPath)}).cudnnInfo()))`], {
      env: { ...process.env, DECONV_CUDNN_PATH: shim },
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    const info = JSON.parse(child.stdout) as { available: boolean; reason: string };
    expect(info.available).toBe(false);
    // Every symbol resolved (no "lacks ..."); the shim's kernels libraries are not in the cache.
    expect(info.reason).toMatch(/is incomplete: libcudnn_graph\.so\.9 does not load/);
    expect(info.reason).not.toMatch(/lacks/);
  });
});

describe.runIf(compiled && !gpu)('device-resident training without a GPU: the argument checks before any device work', () => {
  const x = { shape: [1, 2, 3, 3], data: new Float32Array(18).fill(1) };
  const w = { shape: [2, 1, 2, 2], data: new Float32Array(8).fill(1) };
  const dy = { shape: [1, 1, 4, 4], data: new Float32Array(16).fill(1) };
  // A stand-in device tensor: its handle is no native tensor, so nothing can reach the GPU.
  const fake = (shape: number[]) => new DeviceTensor(shape, 'float32', 0, {} as never);

  it('backward calls take the cuDNN options and check them by name; host calls ignore them', () => {
    expect(() => convTransposeBackward(x, w, dy, { wait: 'no' as never })).toThrow(/attrs\.wait must be a boolean/);
    expect(() => convTransposeBackward(x, w, dy, { device: -1 })).toThrow(/attrs\.device must be a device index/);
    const got = convTransposeBackward(x, w, dy, { allowTF32: true, deterministic: true, wait: false });
    expect(got.dB.data[0]).toBe(16);
    const input = { shape: [1, 3, 3, 2], data: new Float32Array(18) };
    const filters = { shape: [2, 2, 1, 2], data: new Float32Array(8) };
    const dOut = { shape: [1, 4, 4, 1], data: new Float32Array(16) };
    expect(() => conv2dTransposeBackward(input, filters, dOut, [1, 4, 4, 1], 1, 'VALID', { wait: 1 as never })).toThrow(/options\.wait/);
    expect(conv2dTransposeBackward(input, filters, dOut, [1, 4, 4, 1], 1, 'VALID', { wait: false }).dW.shape).toEqual([2, 2, 1, 2]);
  });

  it('a device operand in a backward call needs cuDNN, and says why it is not there', () => {
    expect(() => convTransposeBackward(x, w, fake([1, 1, 4, 4]))).toThrow(/backend 'cudnn' is not available/);
    expect(() => convTransposeBackward(x, w, fake([1, 1, 4, 4]), { backend: 'onednn' })).toThrow(/device tensors are computed by backend 'cudnn' only/);
    expect(() => convTransposeBackward(x, w, fake([1, 1, 5, 4]))).toThrow(RangeError);
  });

  it('layers placed on the device refuse host inputs (and host layers device inputs), naming the layer', () => {
    const layer = new Conv2DTranspose({ filters: 2, kernelSize: 2, name: 'up' }).toDevice();
    expect(layer.placement).toEqual({ device: 0, dtype: 'float32' });
    expect(() => layer.apply({ shape: [1, 3, 3, 2], data: new Float32Array(18) })).toThrow(/layer 'up': the weights are on device 0: pass x as a device tensor/);
    expect(layer.toHost().placement).toBeUndefined();
    expect(layer.apply({ shape: [1, 3, 3, 2], data: new Float32Array(18) }).shape).toEqual([1, 4, 4, 2]);
    expect(() => layer.apply(fake([1, 3, 3, 2]))).toThrow(/layer 'up': x is a device tensor but the weights are on the host/);
    expect(() => layer.toDevice()).toThrow(/not available|lacks/); // built: the weights would move now
    const bn = new BatchNormalization({ name: 'bn' });
    const model = new Sequential([new Conv2DTranspose({ filters: 2, kernelSize: 2, name: 'up2' }), bn]).toDevice();
    expect(() => model.apply({ shape: [1, 3, 3, 2], data: new Float32Array(18) })).toThrow(/layer 'up2'.*pass x as a device tensor/);
    expect(() => bn.apply({ shape: [1, 3, 3, 2], data: new Float32Array(18) })).toThrow(/layer 'bn': the layer is on device 0/);
  });

  it('optimizers refuse a parameter and gradient that live apart', () => {
    const hostValue = { name: 'w', value: new Tensor([2], new Float32Array(2)), grad: fake([2]) };
    expect(() => sgd().step([hostValue])).toThrow(/w\.grad is a device tensor but w is on the host/);
    const deviceValue = { name: 'k', value: fake([2]), grad: new Tensor([2], new Float32Array(2)) };
    expect(() => adam().step([deviceValue])).toThrow(/k\.grad must be a device tensor like k/);
    const misshapen = { name: 'k', value: fake([2]), grad: fake([3]) };
    expect(() => sgd().step([misshapen])).toThrow(/k\.grad must have k's shape \[2\]/);
  });
});

describe.runIf(compiled)('float16 and bfloat16 conversions (host side of device tensors)', () => {
  const convert = (values: number[], dtype: string) => Array.from(addon!.cudnnConvert!(Float32Array.from(values), dtype) as Float32Array);

  it('rounds to nearest even, with IEEE specials', () => {
    expect(convert([1, 3.14159, 65504, 65520, 1e-8, 2 ** -24, -0.1, Infinity, -Infinity], 'float16')).toEqual([
      1, 3.140625, 65504, Infinity, 0, 2 ** -24, -0.0999755859375, Infinity, -Infinity,
    ]);
    expect(convert([1 + 2 ** -11], 'float16')).toEqual([1]); // a tie goes to the even neighbour
    expect(convert([1 + 3 * 2 ** -11], 'float16')).toEqual([1 + 2 ** -9]);
    expect(convert([3.14159, 1 + 2 ** -8, 1 + 3 * 2 ** -8], 'bfloat16')).toEqual([3.140625, 1, 1 + 2 ** -6]);
    // bfloat16 is float32's top half: an independent statement of round-to-nearest-even on the bits.
    const bf16 = (v: number) => {
      const view = new DataView(new ArrayBuffer(4));
      view.setFloat32(0, v);
      const bits = view.getUint32(0);
      const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
      view.setUint32(0, rounded >>> 0);
      return view.getFloat32(0);
    };
    const wide = [3e38, -1e-40, 123.456, -7.77e-20, 65504.5];
    expect(convert(wide, 'bfloat16')).toEqual(wide.map(bf16));
    expect(Number.isNaN(convert([NaN], 'float16')[0])).toBe(true);
    expect(Number.isNaN(convert([NaN], 'bfloat16')[0])).toBe(true);
  });

  it('keeps the relative error within half a unit in the last place, and is idempotent', () => {
    const values = Array.from({ length: 2000 }, (_, i) => Math.sin(i * 1.7) * 10 ** ((i % 9) - 4));
    for (const [dtype, bits] of [['float16', 11], ['bfloat16', 8]] as const) {
      const once = convert(values, dtype);
      const twice = convert(once, dtype);
      expect(twice).toEqual(once);
      values.forEach((v, i) => {
        if (dtype === 'float16' && Math.abs(v) < 2 ** -14) return; // subnormal: absolute, not relative, precision
        expect(Math.abs(once[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -bits * 1.0001);
      });
    }
  });
});
