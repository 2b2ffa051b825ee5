/** What every layer is: a forward pass, a backward pass, parameters with gradients, a config. */
import type { Tensor, TensorLike } from '../tensor.js';

/** A trainable weight and the gradient the last backward pass left for it. */
export interface Parameter {
  /** Unique within its layer, e.g. 'kernel', 'bias', 'gamma'. */
  readonly name: string;
  /** The weight itself; optimizers update its data in place. */
  readonly value: Tensor;
  /** ∂L/∂value from the last backward pass (undefined before one). */
  grad: Tensor | undefined;
}

/** Options of a forward pass. */
export interface ApplyOptions {
  /** Training mode (batch statistics in BatchNormalization). Default false. */
  training?: boolean;
}

export interface Layer {
  /** The class name that serialization records, e.g. 'Conv2DTranspose'. */
  readonly className: string;
  readonly name: string;
  /** Forward pass; keeps what backward needs. */
  apply(x: TensorLike, options?: ApplyOptions): Tensor;
  /** Forward pass off the JS thread where the backend can. */
  applyAsync(x: TensorLike, options?: ApplyOptions): Promise<Tensor>;
  /**
   * Backward pass for the last apply: returns ∂L/∂x and stores each parameter's gradient.
   * @param dy ∂L/∂y, of the last output's shape.
   */
  backward(dy: TensorLike): Tensor;
  /** Trainable parameters (empty before the layer is built). */
  parameters(): Parameter[];
  /** Every weight to save, trainable or not (e.g. moving statistics), by name. */
  weights(): Record<string, Tensor>;
  /** Replaces weights by name (shapes must match; the layer must be built). */
  setWeights(weights: Record<string, TensorLike>): void;
  /** The configuration that rebuilds this layer (JSON-serializable). */
  getConfig(): Record<string, unknown>;
}
