// What the linked oneDNN library is: its version string, for buildInfo() and backends().
#pragma once

#include <string>

namespace deconv::onednn {

// "3.2.0 (commit …, CPU runtime OMP)" from dnnl_version() of the library actually loaded.
std::string libraryVersion();

}  // namespace deconv::onednn
