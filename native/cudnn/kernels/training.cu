// Device kernels that training needs beyond what cuDNN offers: optimizer updates of device
// parameters, a standalone activation and its derivative, batch normalization with Keras's
// semantics (biased batch variance for the moving variance too, which cuDNN's BN does not use),
// per-channel sums (the bias gradient in bfloat16, which cuDNN's bias gradient refuses), and a
// strided window copy (cuMemcpy3D moves short rows slowly: radford-1's window, 2 MiB in rows of
// 32 bytes, took 44 µs on an H200).
//
// This file is not compiled by the addon's build (which needs no CUDA compiler). It is compiled
// to PTX by `node scripts/gen-kernels.mjs` (nvcc from the PyPI wheels), and the PTX is embedded
// in native/cudnn/kernels/training_ptx.inc, which the driver JIT-compiles for the GPU at hand
// (cuModuleLoadData). A test checks that the .inc was made from this file as it stands.
//
// The elementwise kernels are grid-stride loops over n elements of T (float, half or bfloat16);
// arithmetic is in float32, and optimizer state (velocity, moments) is float32 whatever T is.
// Batch normalization runs one block per channel, sums in float64 (as the host layer does), and
// keeps its per-channel values (γ, β, statistics) and the normalized x̂ in float32.
// No CUDA headers: half and bfloat16 travel as their 16-bit patterns, converted below, so the
// generator needs nvcc alone. DECONV_HOST_EMULATION compiles this file as host C++ for the tests
// (kernels/host_emulation.h), which then converts half in software.

namespace {

struct Half { unsigned short bits; };
struct BFloat16 { unsigned short bits; };

__device__ __forceinline__ float load(const float* p, unsigned long long i) { return p[i]; }
__device__ __forceinline__ void store(float* p, unsigned long long i, float v) { p[i] = v; }

__device__ __forceinline__ float load(const Half* p, unsigned long long i) {
#if defined(DECONV_HOST_EMULATION)
  return emulation::halfToFloat(p[i].bits);
#else
  float v;
  asm("cvt.f32.f16 %0, %1;" : "=f"(v) : "h"(p[i].bits));
  return v;
#endif
}
__device__ __forceinline__ void store(Half* p, unsigned long long i, float v) {
#if defined(DECONV_HOST_EMULATION)
  p[i].bits = emulation::floatToHalf(v);
#else
  unsigned short bits;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(bits) : "f"(v));
  p[i].bits = bits;
#endif
}

// bfloat16 is the top half of a float32: widening is a shift; narrowing rounds to nearest even
// (as the host side's dtype.cc does) and keeps NaNs quiet.
__device__ __forceinline__ float load(const BFloat16* p, unsigned long long i) {
  return __uint_as_float(static_cast<unsigned int>(p[i].bits) << 16);
}
__device__ __forceinline__ void store(BFloat16* p, unsigned long long i, float v) {
  const unsigned int u = __float_as_uint(v);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    p[i].bits = static_cast<unsigned short>((u >> 16) | 0x40u);
    return;
  }
  p[i].bits = static_cast<unsigned short>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

#define DECONV_GRID_STRIDE_LOOP(i, n)                                                     \
  for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; \
       i < (n); i += (unsigned long long)blockDim.x * gridDim.x)

// Keras's SGD: v ← momentum·v − lr·g; w ← w + v (nesterov: w ← w + momentum·v − lr·g).
// Without momentum (velocity null): w ← w − lr·g.
template <typename T>
__device__ void sgd(T* w, const T* g, float* velocity, float lr, float momentum, int nesterov, unsigned long long n) {
  DECONV_GRID_STRIDE_LOOP(i, n) {
    const float grad = load(g, i);
    float weight = load(w, i);
    if (velocity == nullptr) {
      weight -= lr * grad;
    } else {
      const float v = momentum * velocity[i] - lr * grad;
      velocity[i] = v;
      weight += nesterov ? momentum * v - lr * grad : v;
    }
    store(w, i, weight);
  }
}

// Keras's Adam with the bias corrections folded into lr (the caller passes
// lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)): m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; w ← w − lr·m/(√v + ε).
template <typename T>
__device__ void adam(T* w, const T* g, float* m, float* v, float lr, float beta1, float beta2, float epsilon, unsigned long long n) {
  DECONV_GRID_STRIDE_LOOP(i, n) {
    const float grad = load(g, i);
    const float mi = beta1 * m[i] + (1.f - beta1) * grad;
    const float vi = beta2 * v[i] + (1.f - beta2) * grad * grad;
    m[i] = mi;
    v[i] = vi;
    store(w, i, load(w, i) - lr * mi / (sqrtf(vi) + epsilon));
  }
}

// y = f(v), as src/activation.ts computes it: kind 1 relu, 2 leakyRelu, 3 sigmoid, 4 tanh,
// 5 elu; anything else is linear. y may alias v.
template <typename T>
__device__ void activationForward(const T* v, T* y, int kind, float alpha, unsigned long long n) {
  DECONV_GRID_STRIDE_LOOP(i, n) {
    const float x = load(v, i);
    float out = x;
    switch (kind) {
      case 1: out = x > 0.f ? x : 0.f; break;
      case 2: out = x > 0.f ? x : (alpha == 0.f ? 0.f : x * alpha); break;
      case 3: out = 1.f / (1.f + expf(-x)); break;
      case 4: out = tanhf(x); break;
      case 5: out = x > 0.f ? x : alpha * expm1f(x); break;
      default: break;
    }
    store(y, i, out);
  }
}

// dv = dy · f′(v), with f′ in terms of the output y = f(v) (as src/layers/activations.ts):
// kind 1 relu, 2 leakyRelu, 3 sigmoid, 4 tanh, 5 elu; anything else is linear.
template <typename T>
__device__ void activationBackward(const T* y, const T* dy, T* dv, int kind, float alpha, unsigned long long n) {
  DECONV_GRID_STRIDE_LOOP(i, n) {
    const float out = load(y, i);
    float slope = 1.f;
    switch (kind) {
      case 1: slope = out > 0.f ? 1.f : 0.f; break;
      case 2: slope = out > 0.f ? 1.f : alpha; break;
      case 3: slope = out * (1.f - out); break;
      case 4: slope = 1.f - out * out; break;
      case 5: slope = out > 0.f ? 1.f : out + alpha; break;
      default: break;
    }
    store(dv, i, load(dy, i) * slope);
  }
}


// Batch normalization over one channel axis: channel c's values lie at (o·C + c)·inner + j for
// o < outer, j < inner. One block per channel; kBnThreads threads stride over its count values.
constexpr int kBnThreads = 256;

__device__ __forceinline__ unsigned long long bnIndex(unsigned long long k, unsigned long long inner, unsigned channels, unsigned c) {
  return ((k / inner) * channels + c) * inner + k % inner;
}

// The block's sum of each thread's `value` (every thread gets it).
__device__ double blockSum(double value, double* shared) {
  shared[threadIdx.x] = value;
  __syncthreads();
  for (unsigned half = kBnThreads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();
  return total;
}

// Training (training ≠ 0): the batch's mean and biased variance normalize x, and the moving
// statistics move toward them: moving = moving·momentum + batch·(1 − momentum). Inference: the
// moving statistics normalize. y = γ·x̂ + β with x̂ = (x − μ)/√(σ² + ε); x̂ and 1/√(σ² + ε) are kept
// for the backward pass. γ and β may be null (1 and 0).
template <typename T>
__device__ void batchNormForward(const T* x, T* y, float* normalized, float* invStdOut, const float* gamma, const float* beta,
                                 float* movingMean, float* movingVariance, unsigned long long outer, unsigned channels,
                                 unsigned long long inner, float momentum, float epsilon, int training) {
  __shared__ double shared[kBnThreads];
  const unsigned c = blockIdx.x;
  const unsigned long long count = outer * inner;
  double mean, variance;
  if (training) {
    double sum = 0;
    for (unsigned long long k = threadIdx.x; k < count; k += kBnThreads) sum += load(x, bnIndex(k, inner, channels, c));
    mean = blockSum(sum, shared) / static_cast<double>(count);
    double squares = 0;
    for (unsigned long long k = threadIdx.x; k < count; k += kBnThreads) {
      const double d = load(x, bnIndex(k, inner, channels, c)) - mean;
      squares += d * d;
    }
    variance = blockSum(squares, shared) / static_cast<double>(count);
    if (threadIdx.x == 0) {
      movingMean[c] = movingMean[c] * momentum + static_cast<float>(mean) * (1.f - momentum);
      movingVariance[c] = movingVariance[c] * momentum + static_cast<float>(variance) * (1.f - momentum);
    }
  } else {
    mean = movingMean[c];
    variance = movingVariance[c];
  }
  const double invStd = 1.0 / sqrt(variance + static_cast<double>(epsilon));
  if (threadIdx.x == 0) invStdOut[c] = static_cast<float>(invStd);
  const float scale = gamma ? gamma[c] : 1.f;
  const float shift = beta ? beta[c] : 0.f;
  for (unsigned long long k = threadIdx.x; k < count; k += kBnThreads) {
    const unsigned long long i = bnIndex(k, inner, channels, c);
    const float n = static_cast<float>((load(x, i) - mean) * invStd);
    normalized[i] = n;
    store(y, i, scale * n + shift);
  }
}

// dγ = Σ dy·x̂, dβ = Σ dy per channel; dx = γ/σ · (dy − dβ/count − x̂·dγ/count) after a training
// pass (the batch statistics depend on x), γ/σ · dy after an inference one. dγ, dβ may be null.
template <typename T>
__device__ void batchNormBackward(const T* dy, const float* normalized, const float* invStd, const float* gamma, T* dx, float* dGamma,
                                  float* dBeta, unsigned long long outer, unsigned channels, unsigned long long inner, int training) {
  __shared__ double shared[kBnThreads];
  const unsigned c = blockIdx.x;
  const unsigned long long count = outer * inner;
  double sumDy = 0, sumDyN = 0;
  for (unsigned long long k = threadIdx.x; k < count; k += kBnThreads) {
    const unsigned long long i = bnIndex(k, inner, channels, c);
    const double g = load(dy, i);
    sumDy += g;
    sumDyN += g * normalized[i];
  }
  sumDy = blockSum(sumDy, shared);
  sumDyN = blockSum(sumDyN, shared);
  if (threadIdx.x == 0) {
    if (dBeta) dBeta[c] = static_cast<float>(sumDy);
    if (dGamma) dGamma[c] = static_cast<float>(sumDyN);
  }
  const double factor = static_cast<double>(gamma ? gamma[c] : 1.f) * invStd[c];
  const double meanDy = training ? sumDy / static_cast<double>(count) : 0.0;
  const double meanDyN = training ? sumDyN / static_cast<double>(count) : 0.0;
  for (unsigned long long k = threadIdx.x; k < count; k += kBnThreads) {
    const unsigned long long i = bnIndex(k, inner, channels, c);
    store(dx, i, static_cast<float>(factor * (load(dy, i) - meanDy - normalized[i] * meanDyN)));
  }
}

// out[c] = Σ values of channel c, summed in float64 and stored in T: the bias gradient, for the
// dtypes cudnnConvolutionBackwardBias refuses (bfloat16: it takes float, double and half only).
template <typename T>
__device__ void channelSum(const T* values, T* out, unsigned long long outer, unsigned channels, unsigned long long inner) {
  __shared__ double shared[kBnThreads];
  const unsigned c = blockIdx.x;
  const unsigned long long count = outer * inner;
  double sum = 0;
  for (unsigned long long k = threadIdx.x; k < count; k += kBnThreads) sum += load(values, bnIndex(k, inner, channels, c));
  sum = blockSum(sum, shared);
  if (threadIdx.x == 0) store(out, c, static_cast<float>(sum));
}

}  // namespace

// A window of one strided array copied into another (the plan's output window, plan.cc's
// copyWindow): up to kWindowDims dimensions, outermost first, counted in elements of the kernel's
// unit. The layout is shared with training_kernels.cc (a static_assert there checks the size).
constexpr int kWindowDims = 6;
struct WindowCopy {
  unsigned long long length[kWindowDims];
  long long sourceStride[kWindowDims];
  long long targetStride[kWindowDims];
  unsigned long long total;  // the product of the lengths
  int dims;
};

namespace {

// One thread per element of the window: its coordinates from the innermost dimension out, in
// 32-bit arithmetic when the window's count allows (64-bit division costs several times more, and
// the copy is otherwise bound by memory).
template <typename T>
__device__ void windowCopy(const T* source, T* target, const WindowCopy& w) {
  if (w.total <= 0x7fffffffull) {  // i + the grid's stride stays below 2^32
    for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < static_cast<unsigned>(w.total); i += blockDim.x * gridDim.x) {
      unsigned rest = i;
      long long from = 0, to = 0;
      for (int d = w.dims - 1; d >= 0; --d) {
        const unsigned length = static_cast<unsigned>(w.length[d]);
        const unsigned at = rest % length;
        rest /= length;
        from += static_cast<long long>(at) * w.sourceStride[d];
        to += static_cast<long long>(at) * w.targetStride[d];
      }
      target[to] = source[from];
    }
    return;
  }
  DECONV_GRID_STRIDE_LOOP(i, w.total) {
    unsigned long long rest = i;
    long long from = 0, to = 0;
    for (int d = w.dims - 1; d >= 0; --d) {
      const unsigned long long at = rest % w.length[d];
      rest /= w.length[d];
      from += static_cast<long long>(at) * w.sourceStride[d];
      to += static_cast<long long>(at) * w.targetStride[d];
    }
    target[to] = source[from];
  }
}

}  // namespace

#define DECONV_KERNELS(T, suffix)                                                                                     \
  extern "C" __global__ void deconv_sgd_##suffix(T* w, const T* g, float* velocity, float lr, float momentum,        \
                                                  int nesterov, unsigned long long n) {                              \
    sgd(w, g, velocity, lr, momentum, nesterov, n);                                                                 \
  }                                                                                                                  \
  extern "C" __global__ void deconv_adam_##suffix(T* w, const T* g, float* m, float* v, float lr, float beta1,      \
                                                   float beta2, float epsilon, unsigned long long n) {               \
    adam(w, g, m, v, lr, beta1, beta2, epsilon, n);                                                                 \
  }                                                                                                                  \
  extern "C" __global__ void deconv_activation_forward_##suffix(const T* v, T* y, int kind, float alpha,               \
                                                                 unsigned long long n) {                             \
    activationForward(v, y, kind, alpha, n);                                                                        \
  }                                                                                                                  \
  extern "C" __global__ void deconv_activation_backward_##suffix(const T* y, const T* dy, T* dv, int kind,          \
                                                                  float alpha, unsigned long long n) {              \
    activationBackward(y, dy, dv, kind, alpha, n);                                                                  \
  }                                                                                                                  \
  extern "C" __global__ void __launch_bounds__(kBnThreads) deconv_batch_norm_forward_##suffix(                      \
      const T* x, T* y, float* normalized, float* invStd, const float* gamma, const float* beta, float* movingMean,  \
      float* movingVariance, unsigned long long outer, unsigned channels, unsigned long long inner, float momentum,  \
      float epsilon, int training) {                                                                                 \
    batchNormForward(x, y, normalized, invStd, gamma, beta, movingMean, movingVariance, outer, channels, inner,     \
                     momentum, epsilon, training);                                                                   \
  }                                                                                                                  \
  extern "C" __global__ void __launch_bounds__(kBnThreads) deconv_batch_norm_backward_##suffix(                     \
      const T* dy, const float* normalized, const float* invStd, const float* gamma, T* dx, float* dGamma,          \
      float* dBeta, unsigned long long outer, unsigned channels, unsigned long long inner, int training) {           \
    batchNormBackward(dy, normalized, invStd, gamma, dx, dGamma, dBeta, outer, channels, inner, training);          \
  }                                                                                                                  \
  extern "C" __global__ void __launch_bounds__(kBnThreads) deconv_channel_sum_##suffix(                             \
      const T* values, T* out, unsigned long long outer, unsigned channels, unsigned long long inner) {              \
    channelSum(values, out, outer, channels, inner);                                                                \
  }                                                                                                                  \
  extern "C" __global__ void deconv_window_copy_##suffix(const T* source, T* target, WindowCopy window) {           \
    windowCopy(source, target, window);                                                                              \
  }

DECONV_KERNELS(float, f32)
DECONV_KERNELS(Half, f16)
DECONV_KERNELS(BFloat16, bf16)
