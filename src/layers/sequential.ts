/** A stack of layers run one after another, backward in reverse. */
import type { Tensor, TensorLike } from '../tensor.js';
import type { ApplyOptions, Layer, Parameter } from './layer.js';

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

  apply(x: TensorLike, options?: ApplyOptions): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.apply(y, options);
    return y as Tensor;
  }

  async applyAsync(x: TensorLike, options?: ApplyOptions): Promise<Tensor> {
    let y = x;
    for (const layer of this.layers) y = await layer.applyAsync(y, options);
    return y as Tensor;
  }

  /** Backward through every layer (reverse order); returns ∂L/∂input. */
  backward(dy: TensorLike): Tensor {
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) g = this.layers[i]!.backward(g);
    return g as Tensor;
  }

  /** Every layer's trainable parameters. */
  parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.parameters());
  }
}
