/** A stack of layers run one after another, backward in reverse. */
import type { DeviceTensor, ToDeviceOptions } from '../device-tensor.js';
import type { ResultFor } from '../ops/tf.js';
import type { TensorLike } from '../tensor.js';
import type { ApplyOptions, Layer, Parameter } from './layer.js';

/** A layer that can move its weights to a GPU (every layer with weights here can). */
interface Placeable {
  toDevice(options?: ToDeviceOptions): unknown;
  toHost(): unknown;
}

function placeable(layer: Layer): Layer & Partial<Placeable> {
  return layer as Layer & Partial<Placeable>;
}

export class Sequential {
  readonly layers: readonly Layer[];

  constructor(layers: readonly Layer[]) {
    if (!Array.isArray(layers) || layers.length === 0) throw new TypeError('layers must be a non-empty array of layers');
    const names = new Set<string>();
    for (const layer of layers) {
      if (names.has(layer.name)) throw new RangeError(`layer names must be unique, but '${layer.name}' appears twice`);
      names.add(layer.name);
    }
    this.layers = [...layers];
  }

  apply<X extends TensorLike | DeviceTensor>(x: X, options?: ApplyOptions): ResultFor<X> {
    let y: TensorLike | DeviceTensor = x;
    for (const layer of this.layers) y = layer.apply(y, options);
    return y as ResultFor<X>;
  }

  async applyAsync<X extends TensorLike | DeviceTensor>(x: X, options?: ApplyOptions): Promise<ResultFor<X>> {
    let y: TensorLike | DeviceTensor = x;
    for (const layer of this.layers) y = await layer.applyAsync(y, options);
    return y as ResultFor<X>;
  }

  /** Backward through every layer (reverse order); returns ∂L/∂input. */
  backward<D extends TensorLike | DeviceTensor>(dy: D): ResultFor<D> {
    let g: TensorLike | DeviceTensor = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) g = this.layers[i]!.backward(g);
    return g as ResultFor<D>;
  }

  /** Moves every layer's weights to a GPU (see ConvTranspose.toDevice); inputs must then be device tensors. */
  toDevice(options: ToDeviceOptions = {}): this {
    for (const layer of this.layers) placeable(layer).toDevice?.(options);
    return this;
  }

  /** Brings every layer's weights back to the host. */
  toHost(): this {
    for (const layer of this.layers) placeable(layer).toHost?.();
    return this;
  }

  /** Every layer's trainable parameters. */
  parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.parameters());
  }
}
