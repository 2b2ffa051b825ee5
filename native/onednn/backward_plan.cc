#include "backward_plan.h"

#include <string>
#include <vector>

#include "../core/error.h"
#include "context.h"
#include "descriptors.h"
#include "layout_reorder.h"

namespace deconv::onednn {

namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

std::string describeDnnlError(const dnnl::error& e) {
  return std::string("oneDNN could not build the gradients of this deconvolution: ") + e.what() + " (status " +
         std::to_string(static_cast<int>(e.status)) + ")";
}

}  // namespace

BackwardPlan::BackwardPlan(const Problem& problem) : problem_(problem), inner_(problem) {
  applyThreadCount();  // the primitives are made for the thread count they run (planKey has it)
  inner_.hasBias = false;
  inner_.activation = Activation::None;
  for (int i = 0; i < problem_.rank; ++i) {
    if (inner_.padsBegin[i] < 0) {
      leading_[i] = -inner_.padsBegin[i];
      inner_.outSpatial[i] -= leading_[i];
      inner_.padsBegin[i] = 0;
      hasBands_ = true;
    }
    if (inner_.padsEnd[i] < 0) {
      inner_.outSpatial[i] += inner_.padsEnd[i];
      inner_.padsEnd[i] = 0;
      hasBands_ = true;
    }
  }
  const Problem& p = inner_;
  const int r = p.rank;
  try {
    // Channels last where oneDNN's build would take seconds, computed channels first with the
    // activations reordered on the way (hasSlowChannelsLastBuild).
    Layout inside = p.layout;
    if (p.layout == Layout::ChannelsLast && hasSlowChannelsLastBuild(p)) {
      inside = Layout::ChannelsFirst;
      xInside_ = LayoutReorder(p.batch, p.inChannels, p.inSpatial, r, Layout::ChannelsLast);
      dyInside_ = LayoutReorder(p.batch, p.outChannels, p.outSpatial, r, Layout::ChannelsLast);
      dxOutside_ = LayoutReorder(p.batch, p.inChannels, p.inSpatial, r, Layout::ChannelsFirst);
      reorderActivations_ = true;
    }
    srcDesc_ = {concat({p.batch, p.inChannels}, spatial(p.inSpatial, r)), dt::f32, activationTag(r, inside)};
    innerDstDesc_ = {concat({p.batch, p.outChannels}, spatial(p.outSpatial, r)), dt::f32, activationTag(r, inside)};
    userWeightsDesc_ = userWeights(p);
    const dnnl::memory::desc anyWeights(userWeightsDesc_.get_dims(), dt::f32, tag::any);
    const auto strides = spatial(p.strides, r), dilations = spatial(p.dilations, r, -1);
    const auto padL = spatial(p.padsBegin, r), padR = spatial(p.padsEnd, r);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    // Backward primitives need the forward one as a hint (it fixes the algorithm and layouts).
    const dnnl::deconvolution_forward::primitive_desc hint(
        cpuEngine(), dnnl::prop_kind::forward_training, dnnl::algorithm::deconvolution_direct, srcDesc_, anyWeights,
        innerDstDesc_, strides, dilations, padL, padR);
    dataDesc_ = dnnl::deconvolution_backward_data::primitive_desc(cpuEngine(), dnnl::algorithm::deconvolution_direct,
                                                                  srcDesc_, anyWeights, innerDstDesc_, strides,
                                                                  dilations, padL, padR, hint, attr);
    data_ = dnnl::deconvolution_backward_data(dataDesc_);
    reorderDataWeights_ = dataDesc_.weights_desc() != userWeightsDesc_;
    if (reorderDataWeights_) {
      toDataWeights_ = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), userWeightsDesc_, cpuEngine(), dataDesc_.weights_desc()));
    }
    weightsDesc_ = dnnl::deconvolution_backward_weights::primitive_desc(
        cpuEngine(), dnnl::algorithm::deconvolution_direct, srcDesc_, anyWeights, innerDstDesc_, strides, dilations,
        padL, padR, hint, attr);
    weights_ = dnnl::deconvolution_backward_weights(weightsDesc_);
    reorderDiffWeights_ = weightsDesc_.diff_weights_desc() != userWeightsDesc_;
    if (reorderDiffWeights_) {
      fromDiffWeights_ =
          dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), weightsDesc_.diff_weights_desc(), cpuEngine(), userWeightsDesc_));
    }
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Error, describeDnnlError(e));
  }
}

std::string BackwardPlan::implementation() const {
  return std::string(dataDesc_.impl_info_str()) + " / " + weightsDesc_.impl_info_str();
}

void BackwardPlan::execute(const float* x, const float* w, const float* dy, float* dx, float* dw, float* db) const {
  applyThreadCount();
  if (db != nullptr) biasGradient(dy, db);
  if (dx == nullptr && dw == nullptr) return;
  const float* inner = innerGradient(dy);
  if (reorderActivations_) {
    auto* reordered = static_cast<float*>(threadScratch(4, dyInside_.bytes()));
    dyInside_.execute(threadStream(), inner, reordered);
    inner = reordered;
  }
  if (dx != nullptr) backwardData(w, inner, dx);
  if (dw != nullptr) backwardWeights(x, inner, dw);
}

const float* BackwardPlan::innerGradient(const float* dy) const {
  if (!hasBands_) return dy;
  const Problem& p = problem_;
  float* box = static_cast<float*>(threadScratch(2, innerDstDesc_.get_size()));
  // Promote to three axes (D, H, W); absent leading axes have size 1 and no band.
  int64_t out[3] = {1, 1, 1}, lead[3] = {0, 0, 0}, size[3] = {1, 1, 1};
  for (int i = 0; i < p.rank; ++i) {
    const int axis = 3 - p.rank + i;
    out[axis] = p.outSpatial[i];
    lead[axis] = leading_[i];
    size[axis] = inner_.outSpatial[i];
  }
  const int64_t M = p.outChannels, outPixels = out[0] * out[1] * out[2], boxPixels = size[0] * size[1] * size[2];
  const bool last = p.layout == Layout::ChannelsLast;
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t d = 0; d < size[0]; ++d) {
      for (int64_t h = 0; h < size[1]; ++h) {
        for (int64_t w = 0; w < size[2]; ++w) {
          const int64_t from = ((d + lead[0]) * out[1] + h + lead[1]) * out[2] + w + lead[2];
          const int64_t to = (d * size[1] + h) * size[2] + w;
          for (int64_t m = 0; m < M; ++m) {
            box[last ? (n * boxPixels + to) * M + m : (n * M + m) * boxPixels + to] =
                dy[last ? (n * outPixels + from) * M + m : (n * M + m) * outPixels + from];
          }
        }
      }
    }
  }
  return box;
}

void BackwardPlan::backwardData(const float* w, const float* dyInner, float* dx) const {
  const dnnl::engine& engine = cpuEngine();
  dnnl::stream& stream = threadStream();
  const float* weights = w;
  if (reorderDataWeights_) {
    dnnl::memory user(userWeightsDesc_, engine, const_cast<float*>(w));
    dnnl::memory reordered(dataDesc_.weights_desc(), engine, threadScratch(1, dataDesc_.weights_desc().get_size()));
    toDataWeights_.execute(stream, user, reordered);
    weights = static_cast<const float*>(reordered.get_data_handle());
  }
  dnnl::memory diffDst(innerDstDesc_, engine, const_cast<float*>(dyInner));
  dnnl::memory wMem(dataDesc_.weights_desc(), engine, const_cast<float*>(weights));
  float* target = reorderActivations_ ? static_cast<float*>(threadScratch(5, dxOutside_.bytes())) : dx;
  dnnl::memory diffSrc(srcDesc_, engine, target);
  dnnl::memory scratch(dataDesc_.scratchpad_desc(), engine, threadScratch(0, dataDesc_.scratchpad_desc().get_size()));
  data_.execute(stream, {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, wMem}, {DNNL_ARG_DIFF_SRC, diffSrc},
                         {DNNL_ARG_SCRATCHPAD, scratch}});
  if (reorderActivations_) dxOutside_.execute(stream, target, dx);
  stream.wait();
}

void BackwardPlan::backwardWeights(const float* x, const float* dyInner, float* dw) const {
  const dnnl::engine& engine = cpuEngine();
  dnnl::stream& stream = threadStream();
  const auto& diffDesc = weightsDesc_.diff_weights_desc();
  void* target = reorderDiffWeights_ ? threadScratch(3, diffDesc.get_size()) : static_cast<void*>(dw);
  if (reorderActivations_) {  // slot 5 is free again: backwardData waited for its stream
    auto* reordered = static_cast<float*>(threadScratch(5, xInside_.bytes()));
    xInside_.execute(stream, x, reordered);
    x = reordered;
  }
  dnnl::memory src(srcDesc_, engine, const_cast<float*>(x));
  dnnl::memory diffDst(innerDstDesc_, engine, const_cast<float*>(dyInner));
  dnnl::memory diffWeights(diffDesc, engine, target);
  dnnl::memory scratch(weightsDesc_.scratchpad_desc(), engine, threadScratch(0, weightsDesc_.scratchpad_desc().get_size()));
  weights_.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, diffWeights},
                            {DNNL_ARG_SCRATCHPAD, scratch}});
  if (reorderDiffWeights_) {
    dnnl::memory user(userWeightsDesc_, engine, dw);
    fromDiffWeights_.execute(stream, diffWeights, user);
  }
  stream.wait();
}

void BackwardPlan::biasGradient(const float* dy, float* db) const {
  const Problem& p = problem_;
  const int64_t M = p.outChannels;
  int64_t pixels = 1;
  for (int i = 0; i < p.rank; ++i) pixels *= p.outSpatial[i];
  // Summed in double: dy may have millions of elements per channel.
  std::vector<double> sums(static_cast<std::size_t>(M), 0.0);
  if (p.layout == Layout::ChannelsLast) {
    for (int64_t q = 0; q < p.batch * pixels; ++q) {
      const float* row = dy + q * M;
      for (int64_t m = 0; m < M; ++m) sums[m] += row[m];
    }
  } else {
    for (int64_t n = 0; n < p.batch; ++n) {
      for (int64_t m = 0; m < M; ++m) {
        const float* plane = dy + (n * M + m) * pixels;
        double s = 0;
        for (int64_t q = 0; q < pixels; ++q) s += plane[q];
        sums[m] += s;
      }
    }
  }
  for (int64_t m = 0; m < M; ++m) db[m] = static_cast<float>(sums[m]);
}

}  // namespace deconv::onednn
