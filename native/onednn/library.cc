#include "library.h"

#include <dnnl.h>

namespace deconv::onednn {

std::string libraryVersion() {
  const dnnl_version_t* v = dnnl_version();
  std::string runtime;
  switch (v->cpu_runtime) {
    case DNNL_RUNTIME_OMP: runtime = "OpenMP"; break;
    case DNNL_RUNTIME_TBB: runtime = "TBB"; break;
    case DNNL_RUNTIME_SEQ: runtime = "sequential"; break;
    case DNNL_RUNTIME_THREADPOOL: runtime = "threadpool"; break;
    default: runtime = "other"; break;
  }
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
         " (" + runtime + ")";
}

}  // namespace deconv::onednn
