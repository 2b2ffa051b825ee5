// Device kernels for training (native/cudnn/kernels/training.cu, embedded as PTX): optimizer
// updates of device parameters, a standalone activation and its derivative, batch normalization
// and per-channel sums, for what cuDNN has no call for, not in the dtype, or not with these
// semantics (leakyRelu, elu's expm1, Keras's biased moving variance).
//
// The module is loaded once per device, on first use, into the device's primary context (the
// driver JIT-compiles the PTX then and caches the result on disk). Launches go on the device's
// stream, ordered with every other call. The caller holds the device's mutex.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "device.h"
#include "dtype.h"

namespace deconv::cudnn {

// w ← w − lr·g, or with momentum (velocity: float32, zero at the first step):
// v ← momentum·v − lr·g; w ← w + v (nesterov: w ← w + momentum·v − lr·g). w and g are in `dtype`.
void launchSgd(Device& device, DType dtype, CUdeviceptr w, CUdeviceptr g, CUdeviceptr velocity, float lr, float momentum, bool nesterov,
               int64_t n);

// Adam with the bias corrections folded into lr: m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
// w ← w − lr·m/(√v + ε). m and v are float32.
void launchAdam(Device& device, DType dtype, CUdeviceptr w, CUdeviceptr g, CUdeviceptr m, CUdeviceptr v, float lr, float beta1, float beta2,
                float epsilon, int64_t n);

// The activations a layer's backward pass differentiates, numbered as the kernel's switch.
enum class ActivationKind : int { Linear = 0, Relu = 1, LeakyRelu = 2, Sigmoid = 3, Tanh = 4, Elu = 5 };
ActivationKind activationKindFromName(const std::string& name);

// y = f(v) elementwise, as src/activation.ts computes it (y may alias v).
void launchActivationForward(Device& device, DType dtype, ActivationKind kind, float alpha, CUdeviceptr v, CUdeviceptr y, int64_t n);

// dv = dy · f′, with f′ written in terms of the activation's output y (dv may alias dy).
void launchActivationBackward(Device& device, DType dtype, ActivationKind kind, float alpha, CUdeviceptr y, CUdeviceptr dy, CUdeviceptr dv,
                              int64_t n);

// Batch normalization over one channel axis: channel c's values lie at (o·channels + c)·inner + j.
struct BatchNormShape {
  int64_t outer = 0;
  int64_t channels = 0;
  int64_t inner = 0;
};

// x, y in `dtype`; normalized (x̂, like x), invStd, gamma, beta, movingMean, movingVariance in
// float32 (gamma and beta may be 0: γ = 1, β = 0). Training normalizes with the batch's mean and
// biased variance and moves the moving statistics; inference normalizes with the moving ones.
void launchBatchNormForward(Device& device, DType dtype, const BatchNormShape& shape, CUdeviceptr x, CUdeviceptr y, CUdeviceptr normalized,
                            CUdeviceptr invStd, CUdeviceptr gamma, CUdeviceptr beta, CUdeviceptr movingMean, CUdeviceptr movingVariance,
                            float momentum, float epsilon, bool training);

// dx (in `dtype`), and dGamma, dBeta (float32, each may be 0) from dy and the forward pass's x̂ and
// invStd; `training` says which forward pass it was.
void launchBatchNormBackward(Device& device, DType dtype, const BatchNormShape& shape, CUdeviceptr dy, CUdeviceptr normalized, CUdeviceptr invStd,
                             CUdeviceptr gamma, CUdeviceptr dx, CUdeviceptr dGamma, CUdeviceptr dBeta, bool training);

// out[c] = the sum of channel c's values (`dtype` both; summed in float64): the bias gradient
// where cuDNN has none for the dtype.
void launchChannelSum(Device& device, DType dtype, const BatchNormShape& shape, CUdeviceptr values, CUdeviceptr out);

// A window of one strided array copied into another, dimensions outermost first, lengths and
// strides in elements of `unitBytes` (2 or 4) — training.cu's WindowCopy.
struct WindowCopyShape {
  std::vector<int64_t> length, sourceStride, targetStride;  // at most 6 dimensions
  int unitBytes = 4;
};
void launchWindowCopy(Device& device, const WindowCopyShape& shape, CUdeviceptr source, CUdeviceptr target);

}  // namespace deconv::cudnn
