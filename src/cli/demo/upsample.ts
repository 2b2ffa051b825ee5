/**
 * ×2 and ×4 upsampling of the test scene by a fresh Conv2DTranspose layer with the 'bilinear'
 * initializer (kernel 2s − s mod 2, stride s, 'same': bilinear interpolation), on each backend.
 */
import { Conv2DTranspose } from '../../layers/index.js';
import type { BackendName } from '../../backends/types.js';
import { tensor } from '../../tensor.js';
import type { Image } from './image.js';
import { medianMs } from './timing.js';

export interface UpsampleRun {
  factor: number;
  backend: BackendName;
  ms: number;
  image: Image;
}

export function upsample(img: Image, factor: number, backend: BackendName): UpsampleRun {
  const layer = new Conv2DTranspose({ filters: 3, kernelSize: 2 * factor - (factor % 2), strides: factor, padding: 'same', kernelInitializer: 'bilinear', useBias: false, backend });
  const x = tensor(img.data, [1, img.height, img.width, 3]);
  const { ms, result } = medianMs(() => layer.apply(x));
  return { factor, backend, ms, image: { width: img.width * factor, height: img.height * factor, data: result.data } };
}
