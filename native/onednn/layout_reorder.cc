#include "layout_reorder.h"

#include <string>

#include "../core/error.h"
#include "context.h"
#include "descriptors.h"

namespace deconv::onednn {

LayoutReorder::LayoutReorder(int64_t batch, int64_t channels, const SpatialDims& spatial, int rank, Layout from) {
  const dnnl::memory::dims dims = concat({batch, channels}, deconv::onednn::spatial(spatial, rank));
  const Layout to = from == Layout::ChannelsFirst ? Layout::ChannelsLast : Layout::ChannelsFirst;
  from_ = dnnl::memory::desc(dims, dnnl::memory::data_type::f32, activationTag(rank, from));
  to_ = dnnl::memory::desc(dims, dnnl::memory::data_type::f32, activationTag(rank, to));
  try {
    reorder_ = dnnl::reorder(dnnl::reorder::primitive_desc(cpuEngine(), from_, cpuEngine(), to_));
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Error, std::string("oneDNN could not build a layout reorder: ") + e.what());
  }
}

void LayoutReorder::execute(dnnl::stream& stream, const float* from, float* to) const {
  dnnl::memory source(from_, cpuEngine(), const_cast<float*>(from)), target(to_, cpuEngine(), to);
  reorder_.execute(stream, source, target);
}

}  // namespace deconv::onednn
