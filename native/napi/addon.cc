// deconv.node — module entry point.
//
// Layout of native/:
//   core/      backend-neutral C++17: the normalized Problem and its errors.
//              No Node, no oneDNN, no CUDA headers.
//   napi/      this binding: JS <-> core marshalling and error mapping only.
//   onednn/, cudnn/  one folder per backend, each compiled only when its
//              DECONV_WITH_* switch is on in CMakeLists.txt / binding.gyp.
//
// Every export goes through Guarded<> (guard.h) so that no C++ exception can
// escape into Node.
#include <napi.h>

#include "build_info.h"
#include "guard.h"
#include "problem_from_js.h"
#include "cudnn_binding.h"
#if defined(DECONV_WITH_ONEDNN)
#include "onednn_binding.h"
#endif

namespace deconv::napi {

namespace {

// checkProblem(problem) => true
// Marshals a normalized problem object into deconv::Problem and validates
// it; throws TypeError/RangeError describing the first bad field. Exists so
// the JS side (and its tests) can exercise marshalling and error mapping
// before any backend computes anything.
Napi::Value checkProblem(const Napi::CallbackInfo& info) {
  const Problem problem = problemFromJs(info[0]);  // info[0] is undefined when absent
  problem.validate();
  return Napi::Boolean::New(info.Env(), true);
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, Guarded<buildInfo>, "buildInfo"));
  exports.Set("checkProblem", Napi::Function::New(env, Guarded<checkProblem>, "checkProblem"));
#if defined(DECONV_WITH_ONEDNN)
  registerOneDnn(env, exports);
#endif
  registerCudnn(env, exports);  // a no-op in a build without cuDNN
  return exports;
}

}  // namespace deconv::napi

// NODE_API_MODULE pastes its second argument into an identifier, so it needs
// an unqualified name at file scope.
static Napi::Object InitDeconvModule(Napi::Env env, Napi::Object exports) {
  return deconv::napi::init(env, exports);
}

NODE_API_MODULE(deconv, InitDeconvModule)
