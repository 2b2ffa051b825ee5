// JS ⇄ oneDNN: sync calls read the caller's Float32Arrays in place and write the caller's output;
// async calls snapshot their inputs (JS may change or transfer a buffer while the call is in
// flight) and return a fresh output buffer that the compute thread filled.
#include "onednn_binding.h"

// Compiled only into a oneDNN build (the build files compile every napi/*.cc).
#if defined(DECONV_WITH_ONEDNN)

#include <atomic>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/error.h"
#include "../core/recycled_floats.h"
#include "../onednn/context.h"
#include "../onednn/library.h"
#include "../onednn/backward_plan_cache.h"
#include "../onednn/plan_cache.h"
#include "async_bridge.h"
#include "compute_queue.h"
#include "guard.h"
#include "problem_from_js.h"

namespace deconv::napi {

namespace {

using onednn::DeconvPlan;
using onednn::MathMode;
using onednn::PackedWeights;
using onednn::BackwardPlanCache;
using onednn::PlanCache;

// The pointers the last sync call computed from, for tests that prove nothing was copied.
std::atomic<const void*> lastInput{nullptr};
std::atomic<const void*> lastOutput{nullptr};

// Packed plans alive in the process (made by onednnPack, not yet finalized), for tests that check
// that worker environments free theirs when they exit.
std::atomic<int64_t> livePackedPlans{0};

// A Float32Array argument of exactly `expected` elements; null/undefined allowed when optional.
const float* floatData(const Napi::Value& value, const char* name, int64_t expected, bool optional = false) {
  if (optional && (value.IsNull() || value.IsUndefined())) return nullptr;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw typeError(std::string(name) + " must be a Float32Array");
  }
  auto array = value.As<Napi::Float32Array>();
  if (static_cast<int64_t>(array.ElementLength()) != expected) {
    throw rangeError(std::string(name) + " must have " + std::to_string(expected) + " elements, got " +
                     std::to_string(array.ElementLength()));
  }
  return array.Data();
}

float* mutableFloatData(const Napi::Value& value, const char* name, int64_t expected) {
  return const_cast<float*>(floatData(value, name, expected));
}

MathMode mathFrom(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return MathMode::Float32;
  const std::string name = value.ToString().Utf8Value();
  if (name == "float32") return MathMode::Float32;
  if (name == "bf16") {
    if (!onednn::hasBf16Support()) {
      throw Error(ErrorKind::Error, std::string("bf16 math needs a CPU with AVX512-BF16, AVX2-VNNI-2 or AMX; this one offers ") +
                                        onednn::cpuIsaName());
    }
    return MathMode::Bf16;
  }
  throw rangeError("math must be 'float32' or 'bf16', got '" + name + "'");
}

Problem checkedProblem(const Napi::Value& value) {
  Problem problem = problemFromJs(value);
  problem.validate();
  return problem;
}

// The caller's array as it is now: an async call reads this copy, so that the caller may reuse or
// detach its own while the call runs.
// Shared, since the call's task is a copyable std::function.
std::shared_ptr<const RecycledFloats> snapshot(const float* data, int64_t count) {
  return std::make_shared<const RecycledFloats>(data, static_cast<std::size_t>(count));
}

// The result of an async call: a Float32Array over memory the compute thread filled, handed to
// JS without a copy (V8 frees it through the finalizer, which gives the block back for reuse).
Napi::Value outputArray(Napi::Env env, RecycledFloats&& output) {
  auto owned = std::make_unique<RecycledFloats>(std::move(output));
  const std::size_t bytes = owned->size() * sizeof(float);
  Napi::ArrayBuffer buffer;
  if (bytes == 0) {
    buffer = Napi::ArrayBuffer::New(env, 0);
  } else {
    buffer = Napi::ArrayBuffer::New(env, owned->data(), bytes,
                                    [](Napi::Env, void*, RecycledFloats* data) {
                                      std::unique_ptr<RecycledFloats> drop(data);
                                    },
                                    owned.get());
    owned.release();
  }
  return Napi::Float32Array::New(env, bytes / sizeof(float), buffer, 0);
}

// Process exit with async calls in flight: exit() destroys oneDNN's process-wide state, and must
// not do so under the compute thread. Before the first async call, oneDNN's lazily made state is
// created (warmUpLibrary) and then an atexit handler registered, which therefore runs before that
// state's destructors: it drops the queued calls and waits for the running one. Registered by
// whichever environment (main thread or worker) makes the first async call.
void stopComputeQueueAtExit() {
  static std::once_flag once;
  std::call_once(once, [] {
    onednn::warmUpLibrary();
    std::atexit([] { ComputeQueue::shared().stop(); });
  });
}

// Runs `compute` on the compute thread and settles the returned promise with its output.
Napi::Value runAsync(Napi::Env env, int64_t outputElements, std::function<void(float*)> compute) {
  try {
    stopComputeQueueAtExit();
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Error, std::string("oneDNN failed to initialize: ") + e.what());
  }
  auto deferred = std::make_shared<Napi::Promise::Deferred>(env);
  std::shared_ptr<AsyncBridge> bridge = AsyncBridge::of(env);
  bridge->begin(env);
  ComputeQueue::shared().post([bridge, deferred, outputElements, compute = std::move(compute)]() mutable {
    auto output = std::make_shared<RecycledFloats>();
    std::string failure;
    ErrorKind kind = ErrorKind::Error;
    try {
      *output = RecycledFloats(static_cast<std::size_t>(outputElements));
      compute(output->data());
    } catch (const deconv::Error& e) {
      failure = e.what();
      kind = e.kind();
    } catch (const std::bad_alloc&) {
      failure = "deconv: out of memory in native code";
    } catch (const std::exception& e) {
      failure = std::string("deconv: internal error: ") + e.what();
    }
    bridge->finish([deferred, output, failure, kind](Napi::Env env) mutable {
      if (failure.empty()) {
        deferred->Resolve(outputArray(env, std::move(*output)));
      } else {
        deferred->Reject(toJsError(env, Error(kind, failure)).Value());
      }
    });
  });
  return deferred->Promise();
}

// onednnRun(problem, math, x, w, bias|null, y): computes into y, synchronously.
Napi::Value run(const Napi::CallbackInfo& info) {
  const Problem problem = checkedProblem(info[0]);
  const MathMode math = mathFrom(info[1]);
  const float* x = floatData(info[2], "x", problem.inputElements());
  const float* w = floatData(info[3], "w", problem.filterElements());
  const float* bias = floatData(info[4], "bias", problem.biasElements(), !problem.hasBias);
  float* y = mutableFloatData(info[5], "y", problem.outputElements());
  if (problem.hasBias && bias == nullptr) throw typeError("bias must be a Float32Array when problem.hasBias");
  auto plan = PlanCache::shared().get(problem, math);
  lastInput = x;
  lastOutput = y;
  ComputeQueue::shared().noteWorkElsewhere();
  plan->execute(x, w, bias, y);
  return info.Env().Undefined();
}

// onednnRunAsync(problem, math, x, w, bias|null) → Promise<Float32Array>.
Napi::Value runAsyncEntry(const Napi::CallbackInfo& info) {
  const Problem problem = checkedProblem(info[0]);
  const MathMode math = mathFrom(info[1]);
  auto x = snapshot(floatData(info[2], "x", problem.inputElements()), problem.inputElements());
  auto w = snapshot(floatData(info[3], "w", problem.filterElements()), problem.filterElements());
  auto bias = snapshot(floatData(info[4], "bias", problem.biasElements(), !problem.hasBias), problem.biasElements());
  if (problem.hasBias && bias->empty()) throw typeError("bias must be a Float32Array when problem.hasBias");
  return runAsync(info.Env(), problem.outputElements(),
                  [problem, math, x = std::move(x), w = std::move(w), bias = std::move(bias)](float* y) {
                    auto plan = PlanCache::shared().get(problem, math);
                    plan->execute(x->data(), w->data(), bias->empty() ? nullptr : bias->data(), y);
                  });
}

// A Float32Array output of exactly `expected` elements, or null (not wanted).
float* optionalOutput(const Napi::Value& value, const char* name, int64_t expected) {
  return const_cast<float*>(floatData(value, name, expected, true));
}

// onednnBackward(problem, x, w, dy, dx|null, dw|null, db|null): the gradients asked for (a
// non-null buffer each), synchronously. Bias and activation in the problem are ignored.
Napi::Value backward(const Napi::CallbackInfo& info) {
  const Problem problem = checkedProblem(info[0]);
  const float* x = floatData(info[1], "x", problem.inputElements());
  const float* w = floatData(info[2], "w", problem.filterElements());
  const float* dy = floatData(info[3], "dy", problem.outputElements());
  float* dx = optionalOutput(info[4], "dx", problem.inputElements());
  float* dw = optionalOutput(info[5], "dw", problem.filterElements());
  float* db = optionalOutput(info[6], "db", problem.outChannels);
  ComputeQueue::shared().noteWorkElsewhere();
  BackwardPlanCache::shared().get(problem)->execute(x, w, dy, dx, dw, db);
  return info.Env().Undefined();
}

// onednnBackwardAsync(problem, x, w, dy, wantDx, wantDw, wantDb) → Promise<Float32Array>: the
// wanted gradients one after another in that order (dx, dw, db), in one buffer.
Napi::Value backwardAsync(const Napi::CallbackInfo& info) {
  const Problem problem = checkedProblem(info[0]);
  auto x = snapshot(floatData(info[1], "x", problem.inputElements()), problem.inputElements());
  auto w = snapshot(floatData(info[2], "w", problem.filterElements()), problem.filterElements());
  auto dy = snapshot(floatData(info[3], "dy", problem.outputElements()), problem.outputElements());
  const bool wantDx = info[4].ToBoolean(), wantDw = info[5].ToBoolean(), wantDb = info[6].ToBoolean();
  const int64_t dxSize = wantDx ? problem.inputElements() : 0;
  const int64_t dwSize = wantDw ? problem.filterElements() : 0;
  const int64_t dbSize = wantDb ? problem.outChannels : 0;
  return runAsync(info.Env(), dxSize + dwSize + dbSize,
                  [problem, x = std::move(x), w = std::move(w), dy = std::move(dy), wantDx, wantDw, wantDb, dxSize,
                   dwSize](float* out) {
                    BackwardPlanCache::shared().get(problem)->execute(
                        x->data(), w->data(), dy->data(), wantDx ? out : nullptr, wantDw ? out + dxSize : nullptr,
                        wantDb ? out + dxSize + dwSize : nullptr);
                  });
}

// onednnDescribeBackward(problem) → oneDNN's implementations for dx and dw.
Napi::Value describeBackward(const Napi::CallbackInfo& info) {
  const Problem problem = checkedProblem(info[0]);
  return Napi::String::New(info.Env(), BackwardPlanCache::shared().get(problem)->implementation());
}

// A plan with its weights packed once: what onednnPack returns to JS as an External.
struct PackedPlan {
  PackedPlan() { ++livePackedPlans; }
  ~PackedPlan() { --livePackedPlans; }
  PackedPlan(const PackedPlan&) = delete;
  PackedPlan& operator=(const PackedPlan&) = delete;

  std::shared_ptr<const DeconvPlan> plan;
  std::shared_ptr<const PackedWeights> weights;
  Problem problem;
  int64_t bytes = 0;
};

PackedPlan& packedFrom(const Napi::Value& value) {
  if (!value.IsExternal()) throw typeError("plan must be a handle made by onednnPack");
  PackedPlan* packed = value.As<Napi::External<PackedPlan>>().Data();
  if (!packed->plan) throw Error(ErrorKind::Error, "this plan was disposed");
  return *packed;
}

// onednnPack(problem, math, w, bias|null) → handle: the weights reordered once.
Napi::Value pack(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Problem problem = checkedProblem(info[0]);
  const MathMode math = mathFrom(info[1]);
  const float* w = floatData(info[2], "w", problem.filterElements());
  const float* bias = floatData(info[3], "bias", problem.biasElements(), !problem.hasBias);
  if (problem.hasBias && bias == nullptr) throw typeError("bias must be a Float32Array when problem.hasBias");
  auto packed = std::make_unique<PackedPlan>();
  // On the compute thread, which the plan's async runs use: choosing the plan times its variants
  // and packing reorders the weights, and either made here would give this JS thread an OpenMP
  // team that competes with the compute thread's ever after (see compute_queue.cc).
  stopComputeQueueAtExit();
  ComputeQueue::shared().runAndWait([&] {
    packed->plan = PlanCache::shared().get(problem, math);
    packed->weights = packed->plan->pack(w, bias);
  });
  packed->problem = problem;
  packed->bytes = static_cast<int64_t>(packed->plan->packedBytes());
  Napi::MemoryManagement::AdjustExternalMemory(env, packed->bytes);
  auto handle = Napi::External<PackedPlan>::New(env, packed.get(), [](Napi::Env env, PackedPlan* data) {
    std::unique_ptr<PackedPlan> owned(data);
    if (owned->plan) Napi::MemoryManagement::AdjustExternalMemory(env, -owned->bytes);
  });
  packed.release();
  return handle;
}

// onednnDispose(handle): frees the packed weights now rather than at garbage collection.
Napi::Value dispose(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal()) throw typeError("plan must be a handle made by onednnPack");
  PackedPlan* packed = info[0].As<Napi::External<PackedPlan>>().Data();
  if (packed->plan) {
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -packed->bytes);
    packed->plan.reset();
    packed->weights.reset();  // calls in flight keep their own reference
  }
  return info.Env().Undefined();
}

// onednnRunPacked(handle, x, y).
Napi::Value runPacked(const Napi::CallbackInfo& info) {
  PackedPlan& packed = packedFrom(info[0]);
  const float* x = floatData(info[1], "x", packed.problem.inputElements());
  float* y = mutableFloatData(info[2], "y", packed.problem.outputElements());
  lastInput = x;
  lastOutput = y;
  ComputeQueue::shared().noteWorkElsewhere();
  packed.plan->execute(x, *packed.weights, y);
  return info.Env().Undefined();
}

// onednnRunPackedAsync(handle, x) → Promise<Float32Array>.
Napi::Value runPackedAsync(const Napi::CallbackInfo& info) {
  PackedPlan& packed = packedFrom(info[0]);
  auto x = snapshot(floatData(info[1], "x", packed.problem.inputElements()), packed.problem.inputElements());
  return runAsync(info.Env(), packed.problem.outputElements(),
                  [plan = packed.plan, weights = packed.weights, x = std::move(x)](float* y) {
                    plan->execute(x->data(), *weights, y);
                  });
}

// The most threads one call may be given (src/runtime.ts checks the same bound with a better
// message): far above any core count, and low enough that OpenMP can actually start them.
constexpr double kMaxThreads = 1024;

Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw typeError("threads must be a number");
  const double threads = info[0].As<Napi::Number>().DoubleValue();
  // Checked as a double: Int32Value() would wrap 2**32 + 4 round to 4 and NaN to 0.
  if (!(threads >= 1 && threads <= kMaxThreads) || threads != static_cast<double>(static_cast<int>(threads))) {
    throw rangeError("threads must be an integer from 1 to 1024");
  }
  return Napi::Boolean::New(info.Env(), onednn::setNumThreads(static_cast<int>(threads)));
}

Napi::Value getNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), onednn::numThreads()); }

Napi::Value planCacheStats(const Napi::CallbackInfo& info) {
  const auto stats = PlanCache::shared().stats();
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("size", static_cast<double>(stats.size));
  result.Set("capacity", static_cast<double>(stats.capacity));
  result.Set("hits", static_cast<double>(stats.hits));
  result.Set("misses", static_cast<double>(stats.misses));
  return result;
}

Napi::Value setPlanCacheCapacity(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw typeError("capacity must be a number");
  const double capacity = info[0].As<Napi::Number>().DoubleValue();
  constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1
  if (!(capacity >= 0 && capacity <= kMaxSafeInteger) || capacity != static_cast<double>(static_cast<int64_t>(capacity))) {
    throw rangeError("capacity must be a safe integer >= 0");
  }
  PlanCache::shared().setCapacity(static_cast<std::size_t>(capacity));
  BackwardPlanCache::shared().setCapacity(static_cast<std::size_t>(capacity));
  return info.Env().Undefined();
}

Napi::Value clearPlanCache(const Napi::CallbackInfo& info) {
  PlanCache::shared().clear();
  BackwardPlanCache::shared().clear();
  return info.Env().Undefined();
}

Napi::Value describePlan(const Napi::CallbackInfo& info) {
  const Problem problem = checkedProblem(info[0]);
  auto plan = PlanCache::shared().get(problem, mathFrom(info[1]));
  return Napi::String::New(info.Env(), plan->implementation());
}

Napi::Value onednnInfo(const Napi::CallbackInfo& info) {
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("version", onednn::libraryVersion());
  result.Set("isa", onednn::cpuIsaName());
  result.Set("bf16", onednn::hasBf16Support());
  result.Set("threads", onednn::numThreads());
  return result;
}

// Address of a typed array's data and the last sync call's input and output, as BigInts.
Napi::Value debugAddresses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  if (info[0].IsTypedArray()) {
    auto array = info[0].As<Napi::TypedArray>();
    auto base = reinterpret_cast<uintptr_t>(array.ArrayBuffer().Data()) + array.ByteOffset();
    result.Set("array", Napi::BigInt::New(env, static_cast<uint64_t>(base)));
  }
  result.Set("lastInput", Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(lastInput.load()))));
  result.Set("lastOutput", Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(lastOutput.load()))));
  return result;
}

// Native objects alive in the process: packed plans, and per-environment async bridges.
Napi::Value debugLiveHandles(const Napi::CallbackInfo& info) {
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("packedPlans", static_cast<double>(livePackedPlans.load()));
  result.Set("bridges", static_cast<double>(AsyncBridge::live()));
  result.Set("recycledBlocks", static_cast<double>(RecycledFloats::keptBlocks()));
  result.Set("recycledBytes", static_cast<double>(RecycledFloats::keptBytes()));
  return result;
}

// debugTrimMemory(): hands the C allocator's free memory back to the system (glibc's
// malloc_trim), so that a soak's resident-memory figure counts memory in use, not freed memory the
// allocator keeps. Returns whether anything was released (false where there is no malloc_trim).
Napi::Value debugTrimMemory(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) != 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void registerOneDnn(Napi::Env env, Napi::Object exports) {
  AsyncBridge::install(env);
  auto add = [&](const char* name, Napi::Function fn) { exports.Set(name, fn); };
  add("onednnInfo", Napi::Function::New(env, Guarded<onednnInfo>, "onednnInfo"));
  add("onednnRun", Napi::Function::New(env, Guarded<run>, "onednnRun"));
  add("onednnRunAsync", Napi::Function::New(env, Guarded<runAsyncEntry>, "onednnRunAsync"));
  add("onednnPack", Napi::Function::New(env, Guarded<pack>, "onednnPack"));
  add("onednnRunPacked", Napi::Function::New(env, Guarded<runPacked>, "onednnRunPacked"));
  add("onednnRunPackedAsync", Napi::Function::New(env, Guarded<runPackedAsync>, "onednnRunPackedAsync"));
  add("onednnBackward", Napi::Function::New(env, Guarded<backward>, "onednnBackward"));
  add("onednnBackwardAsync", Napi::Function::New(env, Guarded<backwardAsync>, "onednnBackwardAsync"));
  add("onednnDescribeBackward", Napi::Function::New(env, Guarded<describeBackward>, "onednnDescribeBackward"));
  add("onednnDispose", Napi::Function::New(env, Guarded<dispose>, "onednnDispose"));
  add("onednnDescribePlan", Napi::Function::New(env, Guarded<describePlan>, "onednnDescribePlan"));
  add("setNumThreads", Napi::Function::New(env, Guarded<setNumThreads>, "setNumThreads"));
  add("getNumThreads", Napi::Function::New(env, Guarded<getNumThreads>, "getNumThreads"));
  add("planCacheStats", Napi::Function::New(env, Guarded<planCacheStats>, "planCacheStats"));
  add("setPlanCacheCapacity", Napi::Function::New(env, Guarded<setPlanCacheCapacity>, "setPlanCacheCapacity"));
  add("clearPlanCache", Napi::Function::New(env, Guarded<clearPlanCache>, "clearPlanCache"));
  add("debugAddresses", Napi::Function::New(env, Guarded<debugAddresses>, "debugAddresses"));
  add("debugLiveHandles", Napi::Function::New(env, Guarded<debugLiveHandles>, "debugLiveHandles"));
  add("debugTrimMemory", Napi::Function::New(env, Guarded<debugTrimMemory>, "debugTrimMemory"));
}

}  // namespace deconv::napi

#endif  // DECONV_WITH_ONEDNN
