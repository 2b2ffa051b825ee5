// deconv::Problem — one transposed convolution, normalized and backend-neutral.
//
// Front ends (TensorFlow-style and ONNX-style, in TypeScript) resolve their
// attributes — padding modes, output_shape, output_padding, auto_pad — into
// this one explicit form before anything reaches native code. Backends
// (oneDNN, cuDNN) then only ever translate a Problem; none of them re-derives
// padding or output sizes, so they cannot disagree with each other.
//
// Convention: a transposed convolution scatters every input element through
// the kernel into a "full" output of length (in-1)*stride + (k-1)*dilation + 1
// per spatial dim, then crops padsBegin from the start and padsEnd from the
// end. A negative padsEnd therefore means extra output at the end (ONNX
// output_padding, or TF output_shape rounding up), which receives no input
// contribution, only bias. A negative padsBegin likewise adds output at the
// start (ONNX output_shape / SAME_* larger than the full output).
//
// Entries of the spatial arrays past `rank` are kept neutral (sizes 1, pads 0)
// so that a backend that only works in 3-D (or needs 4-D/5-D descriptors, like
// cuDNN) can promote a rank-1 or rank-2 problem without special cases.
#pragma once

#include <array>
#include <cstdint>

namespace deconv {

constexpr int kMaxSpatialRank = 3;

using SpatialDims = std::array<int64_t, kMaxSpatialRank>;

// Memory layout of the input x and output y.
enum class Layout {
  ChannelsLast,   // [N, spatial..., C]   (TF's NHWC / NDHWC default)
  ChannelsFirst,  // [N, C, spatial...]   (ONNX, TF's NCHW)
};

// Memory layout of the filter w. Both hold inChannels * (outChannels/groups)
// * prod(kernel) elements; only the order differs.
enum class FilterLayout {
  SpatialOutIn,  // TF:   [kernel..., outChannels/groups, inChannels]
  InOutSpatial,  // ONNX: [inChannels, outChannels/groups, kernel...]
};

// Elementwise function applied after the bias.
enum class Activation { None, Relu, LeakyRelu, Sigmoid, Tanh, Elu };

struct Problem {
  int rank = 0;             // number of spatial dims, 1..3
  int64_t batch = 0;        // N
  int64_t inChannels = 0;   // C: channels of the input x
  int64_t outChannels = 0;  // M: channels of the output y
  int64_t groups = 1;       // divides both C and M

  SpatialDims inSpatial{1, 1, 1};
  SpatialDims outSpatial{1, 1, 1};
  SpatialDims kernel{1, 1, 1};
  SpatialDims strides{1, 1, 1};
  SpatialDims dilations{1, 1, 1};
  SpatialDims padsBegin{0, 0, 0};  // cropped from the start of the full output; < 0 adds output
  SpatialDims padsEnd{0, 0, 0};    // cropped from the end; < 0 adds output

  Layout layout = Layout::ChannelsLast;
  FilterLayout filterLayout = FilterLayout::SpatialOutIn;
  bool hasBias = false;  // bias, when present, has outChannels elements

  // Applied to every output element after the bias (a fused post-op).
  Activation activation = Activation::None;
  float activationAlpha = 0.f;  // leakyRelu's slope for x < 0, elu's scale

  // Checks that the fields describe one well-defined computation: counts are
  // positive, groups divide both channel counts, and each outSpatial[i] equals
  // fullOutputSize(i) - padsBegin[i] - padsEnd[i], and sizes, strides, dilations, pads and element
  // counts are at most 2^31 - 1 (the front ends' limit). Throws deconv::Error
  // (RangeError) naming the first inconsistent field. Op-specific limits (such
  // as ONNX's output_padding < stride) are the front ends' business.
  void validate() const;

  // (in-1)*stride + (k-1)*dilation + 1 for spatial dim `dim`, checked.
  int64_t fullOutputSize(int dim) const;

  // Element counts of the four tensors, with checked 64-bit arithmetic:
  // they throw a RangeError instead of wrapping around.
  int64_t inputElements() const;   // N * C * prod(inSpatial)
  int64_t outputElements() const;  // N * M * prod(outSpatial)
  int64_t filterElements() const;  // C * (M/groups) * prod(kernel)
  int64_t biasElements() const;    // hasBias ? M : 0
};

}  // namespace deconv
