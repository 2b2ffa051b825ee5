// OwnWay: what a plan asks of each way of computing that deconv builds itself, around oneDNN
// primitives or with its own kernels (GemmCol2im, TiledMatmul, PhaseConvolutions, PhaseKernel,
// PhaseRows), so that DeconvPlan times, keeps and runs any of them alike.
#pragma once

#include <cstddef>

namespace deconv::onednn {

class OwnWay {
 public:
  virtual ~OwnWay() = default;
  // y from x and w in the problem's filter layout: by default w packed into thread scratch on
  // every call, then executePacked().
  virtual void execute(const float* x, const float* w, const float* bias, float* y) const;
  // y from x and weights as pack() made them.
  virtual void executePacked(const float* x, const float* packed, const float* bias, float* y) const = 0;
  // w (the problem's filter layout) in the order the way reads it: packedElements() floats.
  virtual void pack(const float* w, float* out) const = 0;
  virtual std::size_t packedElements() const = 0;
  // What computes, for buildInfo and the benchmark's report.
  virtual const char* implementation() const = 0;
};

}  // namespace deconv::onednn
