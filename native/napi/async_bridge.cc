#include "async_bridge.h"

#include <atomic>
#include <exception>

namespace deconv::napi {

namespace {
std::atomic<int64_t> liveBridges{0};
}  // namespace

int64_t AsyncBridge::live() { return liveBridges.load(); }

AsyncBridge::AsyncBridge(Napi::Env env) : link_(std::make_shared<Link>()) {
  ++liveBridges;
  // The finalizer runs on the JS thread just before Node frees the thread-safe function (when the
  // last reference is released, or at environment teardown): from then on it must not be used.
  auto finalizerLink = std::make_unique<std::shared_ptr<Link>>(link_);
  tsfn_ = Tsfn::New(
      env, "deconv.compute", 0, 1, this,
      [](Napi::Env, std::shared_ptr<Link>* raw, AsyncBridge*) {
        std::unique_ptr<std::shared_ptr<Link>> link(raw);
        std::lock_guard<std::mutex> lock((*link)->mutex);
        (*link)->open = false;
      },
      finalizerLink.get());
  finalizerLink.release();  // the finalizer owns it now
  tsfn_.Unref(env);
}

AsyncBridge::~AsyncBridge() {
  --liveBridges;
  // The last reference is gone (the environment was torn down, or its last call settled after
  // that). Release the thread-safe function unless Node has already freed it.
  std::lock_guard<std::mutex> lock(link_->mutex);
  if (link_->open) tsfn_.Release();
}

void AsyncBridge::begin(Napi::Env env) {
  if (inFlight_++ == 0) tsfn_.Ref(env);
}

void AsyncBridge::finish(Settle settle) {
  auto delivery = std::make_unique<Delivery>(Delivery{shared_from_this(), std::move(settle)});
  std::lock_guard<std::mutex> lock(link_->mutex);
  if (!link_->open) return;  // the environment is gone: nobody to settle for
  // The queue is unbounded, so this never blocks (and never waits on the JS thread under the lock).
  if (tsfn_.BlockingCall(delivery.get()) == napi_ok) delivery.release();  // deliver() owns it now
}

void AsyncBridge::deliver(Napi::Env env, Napi::Function, AsyncBridge*, Delivery* raw) {
  std::unique_ptr<Delivery> delivery(raw);
  if (env == nullptr) return;  // the environment is shutting down
  AsyncBridge& bridge = *delivery->bridge;
  if (--bridge.inFlight_ == 0) bridge.tsfn_.Unref(env);
  Napi::HandleScope scope(env);
  // This runs under no Guarded<> entry point: an exception must not escape into Node (it would
  // terminate the process). Settling fails only while the environment is terminating (a worker
  // being terminated), when there is nobody left to tell.
  try {
    delivery->settle(env);
  } catch (const Napi::Error&) {
  } catch (const std::exception&) {
  }
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
