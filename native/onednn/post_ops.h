// The fused activation as oneDNN post-ops, for every primitive that applies it itself.
#pragma once

#include <dnnl.hpp>

#include "../core/problem.h"

namespace deconv::onednn {

// The problem's activation as an eltwise post-op (none: no post-ops).
dnnl::post_ops activationPostOps(const Problem& p);

}  // namespace deconv::onednn
