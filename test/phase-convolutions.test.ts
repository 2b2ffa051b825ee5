/**
 * The oneDNN backend's PhaseConvolutions way (native/onednn/phase_convolutions.cc): a strided
 * transposed convolution, channels last, as one oneDNN forward convolution per output phase plus
 * an interleaving copy, its threads within each convolution or across images. Forced with
 * DECONV_ONEDNN_VARIANT=phases and phases-images, against the reference backend:
 * ranks 1–3, strides 1–4 (up to 16 phases), kernels 1–5, dilations 1–3, SAME (whose output_shape
 * rounding gives negative end padding) and VALID, phases that no tap reaches (stride above the
 * kernel), bias and every activation, calls and plans.
 * Channels first (ONNX), x is reordered on the way in and y written back by the interleaving copy:
 * groups, asymmetric and negative padding (output_padding), dilations.
 * Tolerance as in native.test.ts: |a − r| ≤ 1e-4 · (|r| + max(1, max|r|)).
 * Skipped, with the reason printed, where the oneDNN backend is not built.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../src/backends/native.js';
import { Conv1DTranspose, Conv2DTranspose, Conv3DTranspose } from '../src/index.js';
import { nativeBackendsUnderTest } from './helpers/backends.js';
import { withOnednnVariant, worstAgainstPeak } from './helpers/compare.js';
import { randomData } from './helpers/naive.js';
import { checkStridedOnnx, stridedOnnxArbitrary } from './helpers/strided-onnx.js';
import { checkStridedTf, stridedTfArbitrary } from './helpers/strided-tf.js';

const hasOnednn = nativeBackendsUnderTest().includes('onednn');
if (!hasOnednn) console.warn('[deconv tests] phase-convolutions.test.ts: the oneDNN backend is not built, its tests are skipped');
const addon = () => nativeAddon().addon!;

// Each way and the implementation name it reports.
const WAYS: Array<[variant: string, implementation: string]> = [
  ['phases', 'deconv:phase_convolutions (a oneDNN convolution per output phase; threads within each)'],
  ['phases-images', 'deconv:phase_convolutions (a oneDNN convolution per output phase; threads across images)'],
];

describe.runIf(hasOnednn)('oneDNN phase-convolutions ways', () => {
  it.each(WAYS)('%s matches the reference on strided problems: ranks 1–3, dilations, SAME and VALID, bias, activations', (variant, implementation) => {
    let used = 0;
    withOnednnVariant(variant, () => {
      fc.assert(
        fc.property(stridedTfArbitrary({ inChannels: 9, outChannels: 9, kernel: 5, explicit: false }), (c) => {
          const got = checkStridedTf(c, (problem) => addon().onednnDescribePlan!(problem, 'float32'));
          const phases = c.strides.slice(0, c.rank).reduce((a, b) => a * b, 1);
          if (got === undefined || phases === 1 || phases > 16) return;
          expect(got).toBe(implementation);
          used++;
        }),
        { numRuns: 150 },
      );
    });
    expect(used).toBeGreaterThan(50);
  });

  it.each(WAYS)('%s, channels first (ONNX): groups, asymmetric pads, output_padding, dilations', (variant, implementation) => {
    let used = 0;
    let runs = 0;
    withOnednnVariant(variant, () => {
      fc.assert(
        fc.property(stridedOnnxArbitrary({ groups: 3, inPerGroup: 4, outPerGroup: 4, kernel: 5, strides: [2, 3] }), (c) => {
          if (c.axes.slice(0, c.rank).reduce((n, a) => n * a.s, 1) > 16) return;
          const got = checkStridedOnnx(c, (problem) => addon().onednnDescribePlan!(problem, 'float32'));
          if (got === undefined) return;
          runs++;
          if (got === implementation) used++;
        }),
        { numRuns: 120 },
      );
    });
    expect(used).toBe(runs);
  });

  it.each(WAYS)("%s, grouped filters in TF's layout (the layers' kernels), calls of 1–3 dims", (variant) => {
    // The phases' taps are gathered in the filter's own order (phase_convolutions.cc, gather()):
    // TF's [K..., M/groups, C] with groups exists only through the layers.
    withOnednnVariant(variant, () => {
      for (const [i, [Layer, rank]] of ([[Conv1DTranspose, 1], [Conv2DTranspose, 2], [Conv3DTranspose, 3]] as const).entries()) {
        for (const groups of [2, 3]) {
          const make = (backend: 'ts' | 'onednn') =>
            new Layer({ filters: 2 * groups, kernelSize: 3, strides: 2, groups, padding: 'same', kernelInitializer: { name: 'glorotUniform', seed: 5 + i }, biasInitializer: { name: 'randomNormal', seed: 6 }, backend });
          const shape = [2, ...Array<number>(rank).fill(4), 3 * groups];
          const x = { shape, data: randomData(shape.reduce((a, b) => a * b, 1), 7 + groups) };
          expect(worstAgainstPeak(make('onednn').apply(x).data, make('ts').apply(x).data, 1e-4)).toBeLessThanOrEqual(1);
        }
      }
    });
  });
});
