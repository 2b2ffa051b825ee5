// AsyncBridge: hands results from the compute thread back to one Node environment.
//
// One per environment (the main thread and each worker_thread), kept as the addon's instance
// data. It owns a thread-safe function that stays unreferenced while nothing is in flight, so an
// idle addon never keeps the process alive, and is referenced while promises are pending, so the
// process does not exit under them.
//
// Lifetime: Node deletes a thread-safe function when its environment is torn down (a worker that
// exits, process.exit() with calls in flight), whatever threads still hold it. The compute thread
// may finish a call after that, so every use of the thread-safe function from that thread goes
// through `Link`: a mutex and an `open` flag, shared with the function's finalizer, which closes
// the link (under the mutex) before Node frees the function. A result for a closed link is
// dropped; nothing touches freed memory.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

namespace deconv::napi {

class AsyncBridge : public std::enable_shared_from_this<AsyncBridge> {
 public:
  // What the compute thread produced; `settle` runs on the JS thread to resolve or reject.
  using Settle = std::function<void(Napi::Env)>;

  explicit AsyncBridge(Napi::Env env);
  ~AsyncBridge();
  AsyncBridge(const AsyncBridge&) = delete;
  AsyncBridge& operator=(const AsyncBridge&) = delete;

  // On the JS thread: one more call in flight (keeps the loop alive until it settles).
  void begin(Napi::Env env);
  // On the compute thread: deliver `settle` to the JS thread. Dropped if the environment is gone.
  void finish(Settle settle);

  // The environment's bridge. Calls in flight hold a reference too, so a bridge outlives the
  // environment it serves while the compute thread still has results for it.
  static std::shared_ptr<AsyncBridge> of(Napi::Env env);
  // Creates the environment's bridge (at module init).
  static void install(Napi::Env env);
  // Bridges alive in the process (one per environment that loaded the addon, until its teardown
  // and its last call in flight are over): for tests that check workers clean up.
  static int64_t live();

 private:
  // Whether the thread-safe function still exists; shared with its finalizer.
  struct Link {
    std::mutex mutex;
    bool open = true;
  };
  // One result on its way to the JS thread; it keeps the bridge alive until delivered.
  struct Delivery {
    std::shared_ptr<AsyncBridge> bridge;
    Settle settle;
  };
  static void deliver(Napi::Env env, Napi::Function, AsyncBridge*, Delivery* delivery);
  using Tsfn = Napi::TypedThreadSafeFunction<AsyncBridge, Delivery, deliver>;

  std::shared_ptr<Link> link_;
  Tsfn tsfn_;
  int inFlight_ = 0;  // touched on the JS thread only
};

}  // namespace deconv::napi
