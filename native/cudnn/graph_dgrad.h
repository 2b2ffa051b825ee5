// Backward-data convolution through cuDNN's graph (backend) API, which the legacy
// cudnnConvolutionBackwardData cannot match on recent GPUs: it reaches every engine cuDNN has
// (the legacy call offers a handful of algorithms), takes asymmetric pre/post paddings (so TF's
// SAME with an odd total needs no cropped copy), and executes a finalized plan with little host
// work per call. PyTorch takes the same route through cudnn-frontend.
//
// The graph is one node, dx = dgrad(w, dy) with our output as dx. Engines come from cuDNN's
// heuristics (mode A, then the fallback list), filtered by our rules (no TF32 for float32 unless
// allowed, deterministic only when asked), and finalized into execution plans; with `benchmark`
// the first few are timed on the device and the fastest is kept.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../core/problem.h"
#include "api.h"
#include "device.h"
#include "dtype.h"

namespace deconv::cudnn {

struct PlanOptions;

// An owned cudnnBackendDescriptor_t.
class BackendDescriptor {
 public:
  BackendDescriptor() = default;
  explicit BackendDescriptor(cudnnBackendDescriptorType_t type);
  BackendDescriptor(BackendDescriptor&& other) noexcept : handle_(other.handle_) { other.handle_ = nullptr; }
  BackendDescriptor& operator=(BackendDescriptor&& other) noexcept;
  BackendDescriptor(const BackendDescriptor&) = delete;
  BackendDescriptor& operator=(const BackendDescriptor&) = delete;
  ~BackendDescriptor();

  cudnnBackendDescriptor_t get() const { return handle_; }
  // Sets an attribute; returns the status (callers decide whether failure is fatal).
  cudnnStatus_t set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count, const void* values) const;
  cudnnStatus_t finalize() const;

 private:
  cudnnBackendDescriptor_t handle_ = nullptr;
};

class GraphDgrad {
 public:
  // Builds the graph for dx of extent `dxExtent` (cuDNN's spatial rank) with these paddings, and
  // its candidate plans; throws deconv::Error when no engine takes it. The caller holds the
  // device mutex with its context current.
  GraphDgrad(const Problem& problem, const PlanOptions& options, Device& device, const std::vector<int64_t>& pre,
             const std::vector<int64_t>& post, const std::vector<int64_t>& dxExtent);

  // Times the candidates on the device with the given buffers (benchmark mode) and keeps the
  // fastest; returns its time in milliseconds.
  float chooseByTiming(CUdeviceptr x, CUdeviceptr w, CUdeviceptr y);
  float bestTime() const { return bestMs_; }

  std::size_t workspace() const;
  // Enqueues dx = dgrad(w, x) into y. Returns the status of cudnnBackendExecute.
  cudnnStatus_t enqueue(CUdeviceptr x, CUdeviceptr w, CUdeviceptr y) const;
  std::string describe() const;

 private:
  struct Candidate {
    BackendDescriptor plan;
    std::size_t workspace = 0;
    int64_t engine = -1;
  };
  cudnnStatus_t execute(const Candidate& c, CUdeviceptr x, CUdeviceptr w, CUdeviceptr y) const;

  Device& device_;
  std::vector<BackendDescriptor> keep_;  // tensors, convolution, operation, graph: alive with the plans
  std::vector<Candidate> candidates_;
  std::size_t chosen_ = 0;
  float bestMs_ = -1.f;
  int considered_ = 0;
};

}  // namespace deconv::cudnn
