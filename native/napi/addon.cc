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

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#endif

#include <mutex>

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

// Keeps this library loaded until the process ends. Node dlclose()s an addon when the last
// environment that loaded it goes away (a worker that loaded it alone exits), but the addon owns
// process-wide state that must outlive every environment: the compute thread (which may still be
// running a call for the worker that left), the plan cache, oneDNN and its OpenMP threads.
// Unloading them under that thread crashed the process. RTLD_NODELETE on our own path pins it.
void pinThisLibrary() {
#if defined(__unix__) || defined(__APPLE__)
  static std::once_flag once;
  std::call_once(once, [] {
    Dl_info self{};
    if (dladdr(reinterpret_cast<void*>(&pinThisLibrary), &self) != 0 && self.dli_fname != nullptr) {
      // The handle is deliberately never closed: it is the reference that keeps the library.
      dlopen(self.dli_fname, RTLD_NOW | RTLD_NODELETE);
    }
  });
#endif
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  pinThisLibrary();
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
