// guard.h — the one place where C++ exceptions become JavaScript exceptions.
//
// node-addon-api (with NAPI_CPP_EXCEPTIONS) only converts Napi::Error into a
// JS exception; any other C++ exception escaping a callback unwinds into
// Node's C code and terminates the process. Every exported function is
// therefore registered through Guarded<>, which catches everything and maps
// deconv::Error's kind onto the matching JS class, so a bad argument surfaces
// as a TypeError/RangeError and never as a crash.
#pragma once

#include <napi.h>

#include <exception>
#include <new>
#include <string>

#include "../core/error.h"

namespace deconv::napi {

inline Napi::Error toJsError(Napi::Env env, const deconv::Error& error) {
  switch (error.kind()) {
    case ErrorKind::TypeError:
      return Napi::TypeError::New(env, error.what());
    case ErrorKind::RangeError:
      return Napi::RangeError::New(env, error.what());
    case ErrorKind::Error:
      break;
  }
  return Napi::Error::New(env, error.what());
}

// Use as Napi::Function::New(env, Guarded<myEntryPoint>, "name").
template <Napi::Value (*EntryPoint)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    return EntryPoint(info);
  } catch (const Napi::Error&) {
    throw;  // already a JS exception (for example one thrown by a getter)
  } catch (const deconv::Error& error) {
    throw toJsError(env, error);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "deconv: out of memory in native code");
  } catch (const std::exception& error) {
    throw Napi::Error::New(env, std::string("deconv: internal error: ") + error.what());
  } catch (...) {
    throw Napi::Error::New(env, "deconv: internal error: unknown C++ exception");
  }
}

}  // namespace deconv::napi
