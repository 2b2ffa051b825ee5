#include "build_info.h"

#include <string>

#if defined(DECONV_WITH_ONEDNN)
#include "../onednn/library.h"
#endif
#if defined(DECONV_WITH_CUDNN)
#include <cudnn_version.h>
#endif

#ifndef DECONV_VERSION
#error "DECONV_VERSION must be defined by the build (CMakeLists.txt, binding.gyp) from package.json"
#endif

namespace deconv::napi {

namespace {

std::string compilerDescription() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#elif defined(_MSC_VER)
  return "msvc " + std::to_string(_MSC_FULL_VER);
#else
  return "unknown";
#endif
}

// A backend is reported as compiled only when its sources are part of the
// build.
//
// oneDNN: the version is that of the library actually loaded (dnnl_version()).
// Without it, the build scripts record why in DECONV_ONEDNN_MISSING_REASON
// (scripts/build-native.mjs via CMakeLists.txt or binding.gyp).
Napi::Object oneDnnStatus(Napi::Env env) {
  Napi::Object status = Napi::Object::New(env);
#if defined(DECONV_WITH_ONEDNN)
  status.Set("compiled", true);
  status.Set("version", deconv::onednn::libraryVersion());
#else
  status.Set("compiled", false);
#if defined(DECONV_ONEDNN_MISSING_REASON)
  status.Set("reason", "built without oneDNN: " DECONV_ONEDNN_MISSING_REASON);
#else
  status.Set("reason", "built without oneDNN");
#endif
#endif
  return status;
}

// cuDNN: compiled means the sources are in; whether it can run (driver, device, libcudnn) is
// cudnnInfo()'s business, asked at run time.
Napi::Object cudnnStatus(Napi::Env env) {
  Napi::Object status = Napi::Object::New(env);
#if defined(DECONV_WITH_CUDNN)
  status.Set("compiled", true);
  status.Set("version", std::to_string(CUDNN_MAJOR) + "." + std::to_string(CUDNN_MINOR) + "." + std::to_string(CUDNN_PATCHLEVEL));
#else
  status.Set("compiled", false);
#if defined(DECONV_CUDNN_MISSING_REASON)
  status.Set("reason", "built without cuDNN: " DECONV_CUDNN_MISSING_REASON);
#else
  status.Set("reason", "built without cuDNN");
#endif
#endif
  return status;
}

}  // namespace

Napi::Value buildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();

  Napi::Object backends = Napi::Object::New(env);
  backends.Set("onednn", oneDnnStatus(env));
  backends.Set("cudnn", cudnnStatus(env));

  Napi::Object result = Napi::Object::New(env);
  result.Set("addonVersion", DECONV_VERSION);
  // The Node-API version this binary targets, i.e. the oldest runtime API it
  // needs; not the (possibly newer) version of the running Node.
  result.Set("napiVersion", NAPI_VERSION);
  result.Set("compiler", compilerDescription());
  result.Set("backends", backends);
  return result;
}

}  // namespace deconv::napi
