/** What every layer is: a forward pass, a backward pass, parameters with gradients, a config. */
import type { DeviceTensor } from '../device-tensor.js';
import type { ResultFor } from '../ops/tf.js';
import type { Tensor, TensorLike } from '../tensor.js';

/**
 * A trainable weight and the gradient the last backward pass left for it: both host `Tensor`s,
 * or both `DeviceTensor`s for a layer moved to the GPU (`toDevice()`).
 */
export interface Parameter<T extends Tensor | DeviceTensor = Tensor | DeviceTensor> {
  /** Unique within its layer, e.g. 'kernel', 'bias', 'gamma'. */
  readonly name: string;
  /** The weight itself; optimizers update it in place (on the device for a device tensor). */
  readonly value: T;
  /** ∂L/∂value from the last backward pass (undefined before one). */
  grad: T | undefined;
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
  /**
   * Forward pass; keeps what backward needs. A device tensor in gives a device tensor out (for a
   * layer whose weights are on the device too, see toDevice()).
   */
  apply<X extends TensorLike | DeviceTensor>(x: X, options?: ApplyOptions): ResultFor<X>;
  /** Forward pass off the JS thread where the backend can. */
  applyAsync<X extends TensorLike | DeviceTensor>(x: X, options?: ApplyOptions): Promise<ResultFor<X>>;
  /**
   * Backward pass for the last apply: returns ∂L/∂x and stores each parameter's gradient.
   * @param dy ∂L/∂y, of the last output's shape (a device tensor after a device forward pass).
   */
  backward<D extends TensorLike | DeviceTensor>(dy: D): ResultFor<D>;
  /** Trainable parameters (empty before the layer is built). */
  parameters(): Parameter[];
  /** Every weight to save, trainable or not (e.g. moving statistics), by name. */
  weights(): Record<string, Tensor>;
  /** Replaces weights by name (shapes must match; the layer must be built). */
  setWeights(weights: Record<string, TensorLike>): void;
  /** The configuration that rebuilds this layer (JSON-serializable). */
  getConfig(): Record<string, unknown>;
}
