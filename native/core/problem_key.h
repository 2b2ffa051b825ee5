// The bytes that identify a normalized problem, for the backends' plan caches.
#pragma once

#include <string>

#include "problem.h"

namespace deconv {

// Every field that changes a computation, as raw int64 bytes: exact, and far cheaper than
// formatting numbers. The activation's alpha counts only when there is an activation.
std::string problemKey(const Problem& problem);

}  // namespace deconv
