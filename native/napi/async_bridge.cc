#include "async_bridge.h"

namespace deconv::napi {

AsyncBridge::AsyncBridge(Napi::Env env) {
  tsfn_ = Tsfn::New(env, "deconv.compute", 0, 1, this);
  tsfn_.Unref(env);
}

AsyncBridge::~AsyncBridge() {
  // The last reference is gone (the environment was torn down, or its last call settled after
  // that): let Node free the thread-safe function.
  tsfn_.Release();
}

void AsyncBridge::begin(Napi::Env env) {
  if (inFlight_++ == 0) tsfn_.Ref(env);
}

void AsyncBridge::finish(Settle settle) {
  auto owned = std::make_unique<Settle>(std::move(settle));
  if (tsfn_.BlockingCall(owned.get()) == napi_ok) owned.release();  // deliver() now owns it
}

void AsyncBridge::deliver(Napi::Env env, Napi::Function, AsyncBridge* bridge, Settle* raw) {
  std::unique_ptr<Settle> settle(raw);
  if (env == nullptr) return;  // the environment is shutting down
  if (--bridge->inFlight_ == 0) bridge->tsfn_.Unref(env);
  Napi::HandleScope scope(env);
  (*settle)(env);
}

namespace {
// What the environment's instance data holds: its share of the bridge.
struct BridgeHolder {
  std::shared_ptr<AsyncBridge> bridge;
};
}  // namespace

void AsyncBridge::install(Napi::Env env) {
  if (env.GetInstanceData<BridgeHolder>() != nullptr) return;  // each backend installs it; one is enough
  auto holder = std::make_unique<BridgeHolder>();
  holder->bridge = std::make_shared<AsyncBridge>(env);
  env.SetInstanceData<BridgeHolder>(holder.release());  // Node deletes it at teardown
}

std::shared_ptr<AsyncBridge> AsyncBridge::of(Napi::Env env) { return env.GetInstanceData<BridgeHolder>()->bridge; }

}  // namespace deconv::napi
