// LayoutReorder: one activation tensor [N, channels, spatial…] moved between its channels-first and
// channels-last layouts by a oneDNN reorder made once, for the ways that compute channels last on a
// channels-first problem (PhaseConvolutions' x; PhaseKernel's x and y).
#pragma once

#include <dnnl.hpp>

#include <cstddef>
#include <cstdint>

#include "../core/problem.h"

namespace deconv::onednn {

class LayoutReorder {
 public:
  LayoutReorder() = default;
  // From `from` to the other layout. Throws deconv::Error where oneDNN builds no reorder.
  LayoutReorder(int64_t batch, int64_t channels, const SpatialDims& spatial, int rank, Layout from);

  // The tensor's size in bytes (either layout).
  std::size_t bytes() const { return to_.get_size(); }
  // The tensor in the target layout, as a descriptor (for the primitives that read it).
  const dnnl::memory::desc& target() const { return to_; }
  // Queues the reorder of `from` into `to` on `stream` (in order with what follows on it).
  void execute(dnnl::stream& stream, const float* from, float* to) const;

 private:
  dnnl::memory::desc from_, to_;
  dnnl::reorder reorder_;
};

}  // namespace deconv::onednn
