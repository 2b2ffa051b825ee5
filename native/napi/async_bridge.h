// AsyncBridge: hands results from the compute thread back to one Node environment.
//
// One per environment (the main thread and each worker_thread), kept as the addon's instance
// data. It owns a thread-safe function that stays unreferenced while nothing is in flight, so an
// idle addon never keeps the process alive, and is referenced while promises are pending, so the
// process does not exit under them. Its cleanup hook releases it when the environment goes away.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>

namespace deconv::napi {

class AsyncBridge {
 public:
  // What the compute thread produced; `settle` runs on the JS thread to resolve or reject.
  using Settle = std::function<void(Napi::Env)>;

  explicit AsyncBridge(Napi::Env env);
  ~AsyncBridge();

  // On the JS thread: one more call in flight (keeps the loop alive until it settles).
  void begin(Napi::Env env);
  // On the compute thread: deliver `settle` to the JS thread. Dropped if the environment is gone.
  void finish(Settle settle);

  // The environment's bridge. Calls in flight hold a reference too, so a bridge outlives the
  // environment it serves while the compute thread still has results for it.
  static std::shared_ptr<AsyncBridge> of(Napi::Env env);
  // Creates the environment's bridge (at module init).
  static void install(Napi::Env env);

 private:
  static void deliver(Napi::Env env, Napi::Function, AsyncBridge* bridge, Settle* settle);
  using Tsfn = Napi::TypedThreadSafeFunction<AsyncBridge, Settle, deliver>;

  Tsfn tsfn_;
  int inFlight_ = 0;  // touched on the JS thread only
};

}  // namespace deconv::napi
