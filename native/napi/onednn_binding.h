// The oneDNN backend's entry points, exported only when the addon is built with oneDNN.
#pragma once

#include <napi.h>

namespace deconv::napi {

// Adds onednn* functions, thread and plan-cache controls to `exports`.
void registerOneDnn(Napi::Env env, Napi::Object exports);

}  // namespace deconv::napi
