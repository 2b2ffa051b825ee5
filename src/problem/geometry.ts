/**
 * The arithmetic of transposed convolution along one spatial dimension, shared by every front end.
 * All sizes are integers; TensorFlow's own integer rules (C-style truncating division) are kept
 * where TensorFlow's answers depend on them.
 */

/** Extent of a dilated kernel: (k − 1)·d + 1. */
export function effectiveKernel(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

/** Size of the full, uncropped transposed-convolution output: (in − 1)·s + (k − 1)·d + 1. */
export function fullOutputSize(inSize: number, kernel: number, stride: number, dilation: number): number {
  return (inSize - 1) * stride + effectiveKernel(kernel, dilation);
}

/** TensorFlow's padding modes for the forward convolution that a transposed one inverts. */
export type TfPaddingMode =
  | { readonly kind: 'SAME' }
  | { readonly kind: 'VALID' }
  | { readonly kind: 'EXPLICIT'; readonly before: number; readonly after: number };

export interface ForwardWindow {
  /** The forward convolution's output size (must equal the transposed op's input size). */
  readonly size: number;
  readonly padBefore: number;
  readonly padAfter: number;
}

/**
 * The forward convolution's output size and padding for an input of `inSize` (the transposed
 * op's output size), as TensorFlow's GetWindowedOutputSize computes them. Returns size < 0 where
 * TensorFlow reports "Computed output size would be negative".
 */
export function tfForwardWindow(
  inSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: TfPaddingMode,
): ForwardWindow {
  const eff = effectiveKernel(kernel, dilation);
  switch (padding.kind) {
    case 'VALID':
      return { size: Math.trunc((inSize - eff + stride) / stride), padBefore: 0, padAfter: 0 };
    case 'SAME': {
      const size = Math.trunc((inSize + stride - 1) / stride);
      const needed = Math.max(0, (size - 1) * stride + eff - inSize);
      const padBefore = Math.floor(needed / 2);
      return { size, padBefore, padAfter: needed - padBefore };
    }
    case 'EXPLICIT':
      return {
        size: Math.trunc((inSize + padding.before + padding.after - eff + stride) / stride),
        padBefore: padding.before,
        padAfter: padding.after,
      };
  }
}

/**
 * ONNX ConvTranspose: how an output size (given, or implied by auto_pad SAME_*) turns into pads.
 * total = s·(in − 1) + output_padding + (k − 1)·d + 1 − out; SAME_UPPER: begin = ⌊total/2⌋,
 * end = total − begin; NOTSET and SAME_LOWER: end = ⌊total/2⌋, begin = total − end (the operator
 * specification, with the floor division of ONNX's reference implementation). A negative total is
 * an output larger than the full one: negative pads add positions that no input reaches.
 */
export function onnxPadsForOutput(
  total: number,
  autoPad: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID',
): { begin: number; end: number } {
  const half = Math.floor(total / 2);
  return autoPad === 'SAME_UPPER' ? { begin: half, end: total - half } : { begin: total - half, end: half };
}
