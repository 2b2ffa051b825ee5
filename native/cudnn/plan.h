// A transposed convolution on cuDNN: the backward-data pass of the forward convolution whose
// input is our output. Built once per (problem, dtype, options, device) and cached.
//
// cuDNN pads symmetrically and never negatively, while a transposed convolution may crop its
// "full" output unevenly (TF SAME with an odd total, explicit pads, output_padding) or extend it
// (ONNX output_shape). The plan computes the largest symmetric problem that covers the output —
// pad p = max(0, min(begin, end)) per dimension, so cuDNN's dx has full − 2p positions — and,
// when that is not exactly the output, computes into a temporary and copies the output's window
// out of it (a strided-copy kernel), zero-filling positions no input reaches. The input is never padded.
// Bias (cudnnAddTensor) and the activation (cudnnActivationForward, or cudnnOpTensor max/min
// for leakyRelu) then run in place on the output.
//
// Filters: cuDNN wants [C, M/groups, k...] in the data's layout (NCHW or NHWC filter format).
// ONNX filters in channels-first calls are used as they are; otherwise packFilter transforms
// (cudnnTransformTensor, on the device) into that layout — once per plan run for plain calls,
// once in all for packed plans.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../core/problem.h"
#include "buffer.h"
#include "descriptors.h"
#include "device.h"
#include "dtype.h"
#include "graph_dgrad.h"

namespace deconv::cudnn {

struct PlanOptions {
  int device = 0;
  DType dtype = DType::Float32;
  bool allowTf32 = false;      // float32 only: TF32 tensor cores
  bool deterministic = false;  // only algorithms cuDNN reports as deterministic
  bool benchmark = false;      // time every algorithm once (cudnnFind) instead of heuristics
};

class Plan {
 public:
  // Builds descriptors and orders the algorithm candidates. With options.benchmark, runs
  // cudnnFind on temporaries. The caller holds the device's mutex with its context current.
  Plan(const Problem& problem, const PlanOptions& options, Device& device);

  const Problem& problem() const { return problem_; }
  const PlanOptions& options() const { return options_; }
  Device& device() const { return device_; }

  // Whether the caller's filter layout differs from the one cuDNN computes with.
  bool filterNeedsPacking() const { return filterNeedsPacking_; }
  // Transforms a caller-layout filter into cuDNN's layout (both on the device, plan dtype).
  void packFilter(CUdeviceptr source, CUdeviceptr target) const;

  // Enqueues the whole computation on the device's stream. `filter` is in cuDNN's layout
  // (packed); `bias` may be 0 when the problem has none. Caller holds the device mutex.
  void enqueue(CUdeviceptr x, CUdeviceptr filter, CUdeviceptr bias, CUdeviceptr y) const;

  // Gradients (plan_backward.cc), for the problem without its bias and activation: dX = the
  // forward convolution of dY with the filter, dW = its weight gradient (cuDNN's filter layout),
  // dB = the sum of dY over batch and space. Any of dX, dW, dB may be 0 (not wanted). `filter`
  // is in cuDNN's layout. Caller holds the device mutex.
  void enqueueBackward(CUdeviceptr x, CUdeviceptr filter, CUdeviceptr dy, CUdeviceptr dX, CUdeviceptr dW, CUdeviceptr dB) const;
  // Transforms a filter from cuDNN's layout back into the caller's (the inverse of packFilter).
  void unpackFilter(CUdeviceptr packed, CUdeviceptr target) const;

  // "algo 1 (FFT_TILING), tensor ops, workspace 12 MiB, crop" — for tests and benchmarks.
  std::string describe() const;

 private:
  struct Candidate {
    cudnnConvolutionBwdDataAlgo_t algo;
    cudnnMathType_t math;
    std::size_t workspace;
  };
  void orderByHeuristics();
  void orderByTiming();
  // The ways to compute the convolution part (the epilogue is shared).
  enum class Path { GraphDirect, GraphWindow, Legacy };
  void buildGraphs();
  void choosePath();
  bool enqueueVia(Path path, CUdeviceptr x, CUdeviceptr filter, CUdeviceptr y) const;
  float timePath(Path path, CUdeviceptr x, CUdeviceptr filter, CUdeviceptr y) const;
  bool enqueueLegacy(CUdeviceptr x, CUdeviceptr filter, CUdeviceptr y) const;
  void fillBands(CUdeviceptr y) const;
  void keepCandidate(cudnnConvolutionBwdDataAlgo_t algo, cudnnMathType_t math, cudnnStatus_t status, cudnnDeterminism_t determinism,
                     std::vector<Candidate>& into, std::vector<Candidate>& rejectedMath) const;
  void epilogue(CUdeviceptr bias, CUdeviceptr y) const;
  // Copies y's window out of the computed (symmetric) output, or, reversed, y into it.
  void copyWindow(CUdeviceptr computed, CUdeviceptr y, bool intoComputed = false) const;

  Problem problem_;
  PlanOptions options_;
  Device& device_;
  int spatial_ = 0;  // cuDNN's spatial rank: 2 for 1-D problems (H = 1), else the problem's

  // Per cuDNN spatial dimension.
  std::vector<int> pads_, computed_;  // symmetric pad, and dx extent cuDNN computes
  std::vector<int64_t> shift_;        // computed index = output index + shift
  bool direct_ = true;                // computed == output: cuDNN writes y itself
  bool bands_ = false;                // some output positions get no input (zero-filled first)

  std::unique_ptr<TensorDescriptor> xDesc_, computedDesc_, yDesc_, biasDesc_;
  std::unique_ptr<TensorDescriptor> filterSourceDesc_, filterPackedDesc_;
  std::unique_ptr<FilterDescriptor> filterDesc_;
  std::unique_ptr<ConvolutionDescriptor> convDesc_;
  std::unique_ptr<ActivationDescriptor> activation_;
  std::unique_ptr<OpTensorDescriptor> leaky_;
  bool filterNeedsPacking_ = false;

  std::vector<Candidate> candidates_;
  mutable std::size_t chosen_ = 0;  // the first candidate whose workspace could be had

  // Graph API straight into y (pre = begin, post = end or symmetric within the stride's slack),
  // and graph API into the symmetric temporary of the window path (when y needs a window).
  std::unique_ptr<GraphDgrad> graphDirect_, graphWindow_;
  bool directSymmetric_ = false;
  mutable Path path_ = Path::Legacy;
  std::string notes_;  // what was tried and why it was passed over
};

}  // namespace deconv::cudnn
