// JS ⇄ cuDNN.
//
// Every tensor argument is either a host Float32Array or a device tensor handle (an External
// tagged as ours). Host inputs are converted into pinned staging memory at the call (so an async
// call works on a snapshot) and copied to the device; a host output is copied back through pinned
// memory. Each call runs in one of three modes:
//   'sync'     enqueue, then wait for the stream; the caller's host output is filled on return.
//   'enqueue'  device output only: return as soon as the work is queued (later calls and reads
//              are ordered after it on the same stream).
//   'async'    enqueue and return a Promise that settles when the stream reaches the end of the
//              call: cuLaunchHostFunc signals the JS thread through the environment's
//              thread-safe function, so nothing waits or spins.
#include "cudnn_binding.h"

#if defined(DECONV_WITH_CUDNN)

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/error.h"
#include "../cudnn/api.h"
#include "../cudnn/buffer.h"
#include "../cudnn/device.h"
#include "../cudnn/dtype.h"
#include "../cudnn/plan_cache.h"
#include "async_bridge.h"
#include "cudnn_tensor_handle.h"
#include "guard.h"
#include "problem_from_js.h"

namespace deconv::napi {

namespace {

using cudnn::Device;
using cudnn::DeviceBuffer;
using cudnn::DType;
using cudnn::PinnedBuffer;
using cudnn::Plan;
using cudnn::PlanCache;
using cudnn::PlanOptions;
using cudnn::ScratchBuffer;

constexpr napi_type_tag kPackedTag = {0x6465636f6e762d70ULL, 0x61636b65642d3031ULL};

// A plan with its filter (and bias) on the device in cuDNN's layout.
struct PackedHandle {
  std::shared_ptr<Plan> plan;
  std::shared_ptr<DeviceBuffer> filter;
  std::shared_ptr<DeviceBuffer> bias;
};

enum class Mode { Sync, Enqueue, Async };

Mode modeFrom(const Napi::Value& value) {
  const std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (name == "sync") return Mode::Sync;
  if (name == "enqueue") return Mode::Enqueue;
  if (name == "async") return Mode::Async;
  throw rangeError("mode must be 'sync', 'enqueue' or 'async'");
}

// A tensor argument: host data or a device buffer.
struct Operand {
  const float* host = nullptr;
  std::shared_ptr<DeviceBuffer> device;
  bool present() const { return host != nullptr || device != nullptr; }
};

Operand operandFrom(const Napi::Value& value, const char* name, int64_t elements, bool optional) {
  Operand operand;
  if (optional && (value.IsNull() || value.IsUndefined())) return operand;
  if (value.IsTypedArray()) {
    auto array = value.As<Napi::TypedArray>();
    if (array.TypedArrayType() != napi_float32_array) throw typeError(std::string(name) + " must be a Float32Array or a device tensor");
    if (static_cast<int64_t>(array.ElementLength()) != elements) {
      throw rangeError(std::string(name) + " must have " + std::to_string(elements) + " elements, got " + std::to_string(array.ElementLength()));
    }
    operand.host = value.As<Napi::Float32Array>().Data();
    if (operand.host == nullptr) operand.host = reinterpret_cast<const float*>(&operand);  // empty arrays: any non-null address
    return operand;
  }
  operand.device = tensorFrom(value, name);
  if (operand.device->elements() != elements) {
    throw rangeError(std::string(name) + " must have " + std::to_string(elements) + " elements, got a device tensor of " +
                     std::to_string(operand.device->elements()));
  }
  return operand;
}

bool flag(const Napi::Object& options, const char* name) {
  const Napi::Value value = options.Get(name);
  return value.IsBoolean() && value.As<Napi::Boolean>().Value();
}

// opts: { device, math ('float32'|'bf16'|'float16'), allowTF32, deterministic, benchmark }.
PlanOptions optionsFrom(const Napi::Value& value) {
  PlanOptions options;
  if (!value.IsObject()) return options;
  const Napi::Object object = value.As<Napi::Object>();
  const Napi::Value device = object.Get("device");
  if (device.IsNumber()) options.device = device.As<Napi::Number>().Int32Value();
  const Napi::Value math = object.Get("math");
  if (math.IsString()) {
    const std::string name = math.As<Napi::String>().Utf8Value();
    options.dtype = name == "bf16" ? DType::BFloat16 : name == "float16" ? DType::Float16 : cudnn::dtypeFromName(name, "math");
  }
  options.allowTf32 = flag(object, "allowTF32");
  options.deterministic = flag(object, "deterministic");
  options.benchmark = flag(object, "benchmark");
  return options;
}

// Device tensors decide the device and the dtype; every other device operand must agree.
void reconcile(PlanOptions& options, std::initializer_list<std::pair<const Operand*, const char*>> operands) {
  const DeviceBuffer* first = nullptr;
  const char* firstName = nullptr;
  for (const auto& [operand, name] : operands) {
    if (!operand->device) continue;
    if (!first) {
      first = operand->device.get();
      firstName = name;
      options.device = first->device().ordinal();
      options.dtype = first->dtype();
      continue;
    }
    if (operand->device->device().ordinal() != first->device().ordinal()) {
      throw rangeError(std::string(name) + " is on device " + std::to_string(operand->device->device().ordinal()) + " but " + firstName +
                       " is on device " + std::to_string(first->device().ordinal()));
    }
    if (operand->device->dtype() != first->dtype()) {
      throw typeError(std::string(name) + " holds " + cudnn::dtypeName(operand->device->dtype()) + " but " + firstName + " holds " +
                      cudnn::dtypeName(first->dtype()));
    }
  }
}

// One of several results of a call (the gradients), copied back through pinned memory.
struct NamedResult {
  std::string name;
  PinnedBuffer data;
  int64_t elements = 0;
};

// Everything one call keeps alive until the stream has passed it.
struct InFlight {
  std::vector<NamedResult> named;  // several host results (resolved as an object), or none
  std::vector<PinnedBuffer> pinned;
  std::vector<std::shared_ptr<DeviceBuffer>> buffers;
  std::shared_ptr<Plan> plan;
  PinnedBuffer result;  // the host output's staging, when the output is on the host
  int64_t resultElements = 0;
  DType dtype = DType::Float32;
};

// Copies a host operand to the device (through pinned memory, converted to the dtype).
CUdeviceptr stage(Device& device, const Operand& operand, int64_t elements, DType dtype, InFlight& flight, std::vector<ScratchBuffer>& scratch,
                  const char* what) {
  if (operand.device) {
    flight.buffers.push_back(operand.device);
    return operand.device->pointer();
  }
  const std::size_t bytes = static_cast<std::size_t>(elements) * cudnn::dtypeSize(dtype);
  PinnedBuffer pinned = device.pinned(bytes);
  cudnn::fromFloat32(operand.host, pinned.data(), elements, dtype);
  scratch.emplace_back(device, bytes, what);
  cudnn::checkDriver(cudnn::driver().cuMemcpyHtoDAsync(scratch.back().pointer(), pinned.data(), bytes, device.stream()), "cuMemcpyHtoDAsync");
  flight.pinned.push_back(std::move(pinned));
  return scratch.back().pointer();
}

// The completion of an async or enqueued call, run by the driver once the stream gets there.
struct Completion {
  std::shared_ptr<AsyncBridge> bridge;
  std::shared_ptr<Napi::Promise::Deferred> deferred;  // null for 'enqueue'
  InFlight flight;
};

void CUDA_CB onStreamReached(void* data) {
  // No CUDA call may be made here: hand everything to the JS thread.
  std::unique_ptr<Completion> completion(static_cast<Completion*>(data));
  auto bridge = completion->bridge;
  std::shared_ptr<Completion> shared(completion.release());
  bridge->finish([shared](Napi::Env env) {
    Completion& c = *shared;
    if (c.deferred && !c.flight.named.empty()) {
      Napi::Object results = Napi::Object::New(env);
      for (NamedResult& r : c.flight.named) {
        auto array = Napi::Float32Array::New(env, static_cast<std::size_t>(r.elements));
        cudnn::toFloat32(r.data.data(), array.Data(), r.elements, c.flight.dtype);
        results.Set(r.name, array);
      }
      c.deferred->Resolve(results);
    } else if (c.deferred) {
      if (c.flight.resultElements > 0 || c.flight.result.data()) {
        auto array = Napi::Float32Array::New(env, static_cast<std::size_t>(c.flight.resultElements));
        cudnn::toFloat32(c.flight.result.data(), array.Data(), c.flight.resultElements, c.flight.dtype);
        c.deferred->Resolve(array);
      } else {
        c.deferred->Resolve(env.Undefined());
      }
    }
    c.flight = InFlight();  // pinned staging back to the pool, buffers released, on this thread
  });
}

struct Weights {
  const Operand* filter = nullptr;  // caller layout, or null when packed
  const Operand* bias = nullptr;
  std::shared_ptr<DeviceBuffer> packedFilter, packedBias;
};

// The one path every call takes once its arguments are known.
Napi::Value runCall(Napi::Env env, const Problem& problem, PlanOptions options, std::shared_ptr<Plan> plan, const Operand& x,
                    const Weights& weights, const Operand& y, Mode mode) {
  Device& device = Device::get(options.device);
  if (mode == Mode::Enqueue && !y.device) throw typeError("mode 'enqueue' needs a device output");
  std::shared_ptr<AsyncBridge> bridge;
  std::shared_ptr<Napi::Promise::Deferred> deferred;
  if (mode == Mode::Async) {
    bridge = AsyncBridge::of(env);
    deferred = std::make_shared<Napi::Promise::Deferred>(env);
  } else if (mode == Mode::Enqueue) {
    bridge = AsyncBridge::of(env);
  }
  InFlight flight;
  flight.dtype = options.dtype;
  {
    std::lock_guard<std::recursive_mutex> lock(device.mutex());
    device.makeCurrent();
    if (!plan) plan = PlanCache::shared().get(problem, options, device);
    flight.plan = plan;
    std::vector<ScratchBuffer> scratch;
    scratch.reserve(6);
    const CUdeviceptr xp = stage(device, x, problem.inputElements(), options.dtype, flight, scratch, "the input");
    CUdeviceptr wp = 0, bp = 0;
    if (weights.packedFilter) {
      wp = weights.packedFilter->pointer();
      flight.buffers.push_back(weights.packedFilter);
      if (weights.packedBias) {
        bp = weights.packedBias->pointer();
        flight.buffers.push_back(weights.packedBias);
      }
    } else {
      wp = stage(device, *weights.filter, problem.filterElements(), options.dtype, flight, scratch, "the filter");
      if (plan->filterNeedsPacking()) {
        scratch.emplace_back(device, static_cast<std::size_t>(problem.filterElements()) * cudnn::dtypeSize(options.dtype), "the filter in cuDNN's layout");
        plan->packFilter(wp, scratch.back().pointer());
        wp = scratch.back().pointer();
      }
      if (weights.bias && weights.bias->present()) bp = stage(device, *weights.bias, problem.biasElements(), options.dtype, flight, scratch, "the bias");
    }
    const std::size_t outputBytes = static_cast<std::size_t>(problem.outputElements()) * cudnn::dtypeSize(options.dtype);
    CUdeviceptr yp = 0;
    if (y.device) {
      yp = y.device->pointer();
      flight.buffers.push_back(y.device);
    } else {
      scratch.emplace_back(device, outputBytes, "the output");
      yp = scratch.back().pointer();
    }
    plan->enqueue(xp, wp, bp, yp);
    if (!y.device) {
      flight.result = device.pinned(outputBytes);
      flight.resultElements = problem.outputElements();
      cudnn::checkDriver(cudnn::driver().cuMemcpyDtoHAsync(flight.result.data(), yp, outputBytes, device.stream()), "cuMemcpyDtoHAsync");
    }
    if (mode == Mode::Sync) {
      device.synchronize();
    } else if (!flight.pinned.empty() || mode == Mode::Async) {
      // Device buffers need no keep-alive: frees are ordered on the stream after this call.
      // Pinned staging does, until the stream has copied it.
      auto completion = std::make_unique<Completion>();
      completion->bridge = bridge;
      completion->deferred = deferred;
      completion->flight = std::move(flight);
      bridge->begin(env);
      cudnn::checkDriver(cudnn::driver().cuLaunchHostFunc(device.stream(), onStreamReached, completion.get()), "cuLaunchHostFunc");
      completion.release();
    }
  }
  if (mode == Mode::Sync && !y.device) {
    cudnn::toFloat32(flight.result.data(), const_cast<float*>(y.host), flight.resultElements, options.dtype);
  }
  if (mode == Mode::Async) return deferred->Promise();
  return env.Undefined();
}

Problem checkedProblem(const Napi::Value& value) {
  Problem problem = problemFromJs(value);
  problem.validate();
  return problem;
}

// cudnnRun(problem, opts, x, w, bias|null, y|null, mode) → undefined | Promise<Float32Array|undefined>
Napi::Value run(const Napi::CallbackInfo& info) {
  const Problem problem = checkedProblem(info[0]);
  PlanOptions options = optionsFrom(info[1]);
  const Mode mode = modeFrom(info[6]);
  const Operand x = operandFrom(info[2], "x", problem.inputElements(), false);
  const Operand w = operandFrom(info[3], "w", problem.filterElements(), false);
  const Operand bias = operandFrom(info[4], "bias", problem.biasElements(), true);
  if (problem.hasBias && !bias.present()) throw typeError("bias is required when problem.hasBias");
  const Operand y = operandFrom(info[5], "y", problem.outputElements(), mode == Mode::Async);
  reconcile(options, {{&x, "x"}, {&w, "w"}, {&bias, "bias"}, {&y, "y"}});
  Weights weights;
  weights.filter = &w;
  weights.bias = &bias;
  return runCall(info.Env(), problem, options, nullptr, x, weights, y, mode);
}

// cudnnBackward(problem, opts, x, w, dy, outputs, mode): the gradients of the problem without its
// bias and activation. outputs = { dX, dW, dB }, each null/undefined/false (not wanted), a device
// tensor (written on the device), or for a host result a Float32Array ('sync', filled in place)
// or true ('async', resolved as a new Float32Array in the Promise's object). 'enqueue' takes
// device outputs only and returns once the work is queued.
Napi::Value backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Problem problem = checkedProblem(info[0]);
  PlanOptions options = optionsFrom(info[1]);
  const Mode mode = modeFrom(info[6]);
  const Operand x = operandFrom(info[2], "x", problem.inputElements(), false);
  const Operand w = operandFrom(info[3], "w", problem.filterElements(), false);
  const Operand dy = operandFrom(info[4], "dy", problem.outputElements(), false);
  if (!info[5].IsObject()) throw typeError("outputs must be an object");
  const Napi::Object outputs = info[5].As<Napi::Object>();
  struct Wanted {
    const char* name;
    int64_t elements;
    float* host = nullptr;     // 'sync' host result
    Operand target;            // device result
    bool wanted = false;
  };
  Wanted wanted[3] = {{"dX", problem.inputElements(), nullptr, {}, false},
                      {"dW", problem.filterElements(), nullptr, {}, false},
                      {"dB", problem.outChannels, nullptr, {}, false}};
  bool anyHost = false;
  for (Wanted& g : wanted) {
    const Napi::Value v = outputs.Get(g.name);
    if (v.IsNull() || v.IsUndefined() || (v.IsBoolean() && !v.As<Napi::Boolean>().Value())) continue;
    g.wanted = true;
    if (v.IsExternal()) {
      g.target = operandFrom(v, g.name, g.elements, false);
      continue;
    }
    anyHost = true;
    if (mode == Mode::Async) {
      if (!v.IsBoolean()) throw typeError(std::string("outputs.") + g.name + " must be a boolean or a device tensor in 'async' mode");
    } else {
      const Operand o = operandFrom(v, g.name, g.elements, false);
      if (!o.host) throw typeError(std::string("outputs.") + g.name + " must be a Float32Array or a device tensor");
      g.host = const_cast<float*>(o.host);
    }
  }
  if (mode == Mode::Enqueue && anyHost) throw typeError("mode 'enqueue' needs device outputs");
  reconcile(options, {{&x, "x"}, {&w, "w"}, {&dy, "dy"}, {&wanted[0].target, "dX"}, {&wanted[1].target, "dW"}, {&wanted[2].target, "dB"}});
  Device& device = Device::get(options.device);
  const std::size_t es = cudnn::dtypeSize(options.dtype);
  InFlight flight;
  flight.dtype = options.dtype;
  std::shared_ptr<Napi::Promise::Deferred> deferred;
  {
    std::lock_guard<std::recursive_mutex> lock(device.mutex());
    device.makeCurrent();
    auto plan = PlanCache::shared().get(problem, options, device);
    std::vector<ScratchBuffer> scratch;
    scratch.reserve(8);
    const CUdeviceptr xp = stage(device, x, problem.inputElements(), options.dtype, flight, scratch, "the input");
    CUdeviceptr wp = stage(device, w, problem.filterElements(), options.dtype, flight, scratch, "the filter");
    if (plan->filterNeedsPacking()) {
      scratch.emplace_back(device, static_cast<std::size_t>(problem.filterElements()) * es, "the filter in cuDNN's layout");
      plan->packFilter(wp, scratch.back().pointer());
      wp = scratch.back().pointer();
    }
    const CUdeviceptr dyp = stage(device, dy, problem.outputElements(), options.dtype, flight, scratch, "the output gradient");
    // Where each gradient is computed: the caller's device tensor, or a temporary (a host result,
    // or a filter gradient that still has to leave cuDNN's layout).
    CUdeviceptr computed[3] = {0, 0, 0};
    for (int i = 0; i < 3; ++i) {
      if (!wanted[i].wanted) continue;
      const bool direct = wanted[i].target.device && !(i == 1 && plan->filterNeedsPacking());
      if (direct) {
        computed[i] = wanted[i].target.device->pointer();
        flight.buffers.push_back(wanted[i].target.device);
        continue;
      }
      scratch.emplace_back(device, static_cast<std::size_t>(wanted[i].elements) * es, wanted[i].name);
      computed[i] = scratch.back().pointer();
    }
    plan->enqueueBackward(xp, wp, dyp, computed[0], computed[1], computed[2]);
    if (computed[1] && plan->filterNeedsPacking()) {
      CUdeviceptr unpacked = 0;
      if (wanted[1].target.device) {
        unpacked = wanted[1].target.device->pointer();
        flight.buffers.push_back(wanted[1].target.device);
      } else {
        scratch.emplace_back(device, static_cast<std::size_t>(problem.filterElements()) * es, "the filter gradient");
        unpacked = scratch.back().pointer();
      }
      plan->unpackFilter(computed[1], unpacked);
      computed[1] = unpacked;
    }
    for (int i = 0; i < 3; ++i) {
      if (!wanted[i].wanted || wanted[i].target.device) continue;
      NamedResult r;
      r.name = wanted[i].name;
      r.elements = wanted[i].elements;
      r.data = device.pinned(static_cast<std::size_t>(r.elements) * es);
      cudnn::checkDriver(cudnn::driver().cuMemcpyDtoHAsync(r.data.data(), computed[i], static_cast<std::size_t>(r.elements) * es, device.stream()),
                         "cuMemcpyDtoHAsync");
      flight.named.push_back(std::move(r));
    }
    if (mode == Mode::Sync) {
      device.synchronize();
    } else if (mode == Mode::Async || !flight.pinned.empty()) {
      // 'enqueue' needs a completion only to keep host staging alive until the stream has read it.
      auto completion = std::make_unique<Completion>();
      completion->bridge = AsyncBridge::of(env);
      if (mode == Mode::Async) completion->deferred = deferred = std::make_shared<Napi::Promise::Deferred>(env);
      completion->flight = std::move(flight);
      completion->bridge->begin(env);
      cudnn::checkDriver(cudnn::driver().cuLaunchHostFunc(device.stream(), onStreamReached, completion.get()), "cuLaunchHostFunc");
      completion.release();
    }
  }
  if (mode == Mode::Async) return deferred->Promise();
  if (mode == Mode::Sync) {
    std::size_t next = 0;
    for (Wanted& g : wanted) {
      if (!g.wanted || g.target.device) continue;
      cudnn::toFloat32(flight.named[next].data.data(), g.host, g.elements, options.dtype);
      ++next;
    }
  }
  return env.Undefined();
}

PackedHandle& packedFrom(const Napi::Value& value) {
  if (!value.IsExternal() || !value.As<Napi::External<PackedHandle>>().CheckTypeTag(&kPackedTag)) {
    throw typeError("plan must be a handle made by cudnnPack");
  }
  PackedHandle* packed = value.As<Napi::External<PackedHandle>>().Data();
  if (!packed->plan) throw Error(ErrorKind::Error, "this plan was disposed");
  return *packed;
}

// cudnnPack(problem, opts, w, bias|null) → handle: plan chosen, filter and bias on the device.
Napi::Value pack(const Napi::CallbackInfo& info) {
  const Problem problem = checkedProblem(info[0]);
  PlanOptions options = optionsFrom(info[1]);
  const Operand w = operandFrom(info[2], "w", problem.filterElements(), false);
  const Operand bias = operandFrom(info[3], "bias", problem.biasElements(), true);
  if (problem.hasBias && !bias.present()) throw typeError("bias is required when problem.hasBias");
  reconcile(options, {{&w, "w"}, {&bias, "bias"}});
  Device& device = Device::get(options.device);
  auto packed = std::make_unique<PackedHandle>();
  {
    std::lock_guard<std::recursive_mutex> lock(device.mutex());
    device.makeCurrent();
    packed->plan = PlanCache::shared().get(problem, options, device);
    InFlight flight;
    std::vector<ScratchBuffer> scratch;
    const CUdeviceptr source = stage(device, w, problem.filterElements(), options.dtype, flight, scratch, "the filter");
    packed->filter = std::make_shared<DeviceBuffer>(device, options.dtype, problem.filterElements());
    if (packed->plan->filterNeedsPacking()) {
      packed->plan->packFilter(source, packed->filter->pointer());
    } else {
      cudnn::checkDriver(cudnn::driver().cuMemcpyDtoDAsync(packed->filter->pointer(), source, packed->filter->bytes(), device.stream()),
                         "cuMemcpyDtoDAsync");
    }
    if (bias.present()) {
      const CUdeviceptr b = stage(device, bias, problem.biasElements(), options.dtype, flight, scratch, "the bias");
      packed->bias = std::make_shared<DeviceBuffer>(device, options.dtype, problem.biasElements());
      cudnn::checkDriver(cudnn::driver().cuMemcpyDtoDAsync(packed->bias->pointer(), b, packed->bias->bytes(), device.stream()),
                         "cuMemcpyDtoDAsync");
    }
    device.synchronize();  // staging goes back to the pool only once copied
  }
  auto external = Napi::External<PackedHandle>::New(info.Env(), packed.get(), [](Napi::Env, PackedHandle* data) { delete data; });
  packed.release();
  external.TypeTag(&kPackedTag);
  return external;
}

// cudnnRunPacked(handle, x, y|null, mode)
Napi::Value runPacked(const Napi::CallbackInfo& info) {
  PackedHandle& packed = packedFrom(info[0]);
  const Problem& problem = packed.plan->problem();
  PlanOptions options = packed.plan->options();
  const Mode mode = modeFrom(info[3]);
  const Operand x = operandFrom(info[1], "x", problem.inputElements(), false);
  const Operand y = operandFrom(info[2], "y", problem.outputElements(), mode == Mode::Async);
  PlanOptions given = options;
  reconcile(given, {{&x, "x"}, {&y, "y"}});
  if (given.device != options.device || given.dtype != options.dtype) {
    throw rangeError(std::string("the plan computes ") + cudnn::dtypeName(options.dtype) + " on device " + std::to_string(options.device) +
                     "; its input and output must match");
  }
  Weights weights;
  weights.packedFilter = packed.filter;
  weights.packedBias = packed.bias;
  return runCall(info.Env(), problem, options, packed.plan, x, weights, y, mode);
}

Napi::Value disposePacked(const Napi::CallbackInfo& info) {
  if (!info[0].IsExternal() || !info[0].As<Napi::External<PackedHandle>>().CheckTypeTag(&kPackedTag)) {
    throw typeError("plan must be a handle made by cudnnPack");
  }
  PackedHandle* packed = info[0].As<Napi::External<PackedHandle>>().Data();
  packed->plan.reset();
  packed->filter.reset();
  packed->bias.reset();
  return info.Env().Undefined();
}

Napi::Value describePlan(const Napi::CallbackInfo& info) {
  if (info[0].IsExternal()) return Napi::String::New(info.Env(), packedFrom(info[0]).plan->describe());
  const Problem problem = checkedProblem(info[0]);
  PlanOptions options = optionsFrom(info[1]);
  Device& device = Device::get(options.device);
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  return Napi::String::New(info.Env(), PlanCache::shared().get(problem, options, device)->describe());
}

// cudnnUpload(data: Float32Array, dtype, device, into?) → tensor handle (waits for the copy).
// With `into` (a device tensor of as many elements and that dtype), overwrites it instead.
Napi::Value upload(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw typeError("data must be a Float32Array");
  }
  auto array = info[0].As<Napi::Float32Array>();
  const DType dtype = cudnn::dtypeFromName(info[1].ToString().Utf8Value(), "dtype");
  const int ordinal = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  Device& device = Device::get(ordinal);
  const int64_t elements = static_cast<int64_t>(array.ElementLength());
  std::shared_ptr<DeviceBuffer> buffer;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    buffer = tensorFrom(info[3], "into");
    if (buffer->elements() != elements || buffer->dtype() != dtype || &buffer->device() != &device) {
      throw rangeError("into must be a device tensor of " + std::to_string(elements) + " " + cudnn::dtypeName(dtype) + " values on device " +
                       std::to_string(ordinal));
    }
  } else {
    buffer = std::make_shared<DeviceBuffer>(device, dtype, elements);
  }
  {
    std::lock_guard<std::recursive_mutex> lock(device.mutex());
    device.makeCurrent();
    PinnedBuffer pinned = device.pinned(buffer->bytes());
    cudnn::fromFloat32(array.Data(), pinned.data(), elements, dtype);
    cudnn::checkDriver(cudnn::driver().cuMemcpyHtoDAsync(buffer->pointer(), pinned.data(), buffer->bytes(), device.stream()), "cuMemcpyHtoDAsync");
    device.synchronize();
  }
  if (info.Length() > 3 && !info[3].IsUndefined()) return info[3];
  return tensorHandle(info.Env(), std::move(buffer));
}

// cudnnEmpty(elements, dtype, device) → tensor handle with uninitialized memory.
Napi::Value empty(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw typeError("elements must be a number");
  const int64_t elements = info[0].As<Napi::Number>().Int64Value();
  if (elements < 0) throw rangeError("elements must be >= 0");
  const DType dtype = cudnn::dtypeFromName(info[1].ToString().Utf8Value(), "dtype");
  const int ordinal = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  return tensorHandle(info.Env(), std::make_shared<DeviceBuffer>(Device::get(ordinal), dtype, elements));
}

// cudnnDownload(handle, mode 'sync'|'async') → Float32Array | Promise<Float32Array>.
Napi::Value download(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto buffer = tensorFrom(info[0], "tensor");
  const Mode mode = modeFrom(info[1]);
  Device& device = buffer->device();
  InFlight flight;
  flight.dtype = buffer->dtype();
  flight.resultElements = buffer->elements();
  flight.buffers.push_back(buffer);
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  flight.result = device.pinned(buffer->bytes());
  cudnn::checkDriver(cudnn::driver().cuMemcpyDtoHAsync(flight.result.data(), buffer->pointer(), buffer->bytes(), device.stream()),
                     "cuMemcpyDtoHAsync");
  if (mode == Mode::Async) {
    auto completion = std::make_unique<Completion>();
    completion->bridge = AsyncBridge::of(env);
    completion->deferred = std::make_shared<Napi::Promise::Deferred>(env);
    completion->flight = std::move(flight);
    auto promise = completion->deferred->Promise();
    completion->bridge->begin(env);
    cudnn::checkDriver(cudnn::driver().cuLaunchHostFunc(device.stream(), onStreamReached, completion.get()), "cuLaunchHostFunc");
    completion.release();
    return promise;
  }
  device.synchronize();
  auto array = Napi::Float32Array::New(env, static_cast<std::size_t>(buffer->elements()));
  cudnn::toFloat32(flight.result.data(), array.Data(), buffer->elements(), buffer->dtype());
  return array;
}

Napi::Value disposeTensor(const Napi::CallbackInfo& info) {
  disposeTensorHandle(info[0]);
  return info.Env().Undefined();
}

Napi::Value synchronize(const Napi::CallbackInfo& info) {
  const int ordinal = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  Device& device = Device::get(ordinal);
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  device.synchronize();
  return info.Env().Undefined();
}

Napi::Value memory(const Napi::CallbackInfo& info) {
  const int ordinal = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  Device& device = Device::get(ordinal);
  int64_t freeBytes = 0, totalBytes = 0;
  int64_t reserved = 0;
  {
    std::lock_guard<std::recursive_mutex> lock(device.mutex());
    device.memoryInfo(freeBytes, totalBytes);
    reserved = device.poolReservedBytes();
  }
  Napi::Object result = Napi::Object::New(info.Env());
  auto& c = device.counters();
  result.Set("device", ordinal);
  result.Set("tensorBytes", static_cast<double>(c.tensorBytes.load()));
  result.Set("tensors", static_cast<double>(c.tensors.load()));
  result.Set("scratchBytes", static_cast<double>(c.scratchBytes.load()));
  result.Set("pinnedBytes", static_cast<double>(c.pinnedBytes.load()));
  result.Set("poolReservedBytes", static_cast<double>(reserved));
  result.Set("freeBytes", static_cast<double>(freeBytes));
  result.Set("totalBytes", static_cast<double>(totalBytes));
  return result;
}

Napi::Value setWorkspaceLimit(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw typeError("bytes must be a number");
  const double bytes = info[0].As<Napi::Number>().DoubleValue();
  if (!(bytes >= 0)) throw rangeError("bytes must be >= 0");
  Device::setWorkspaceLimit(static_cast<int64_t>(bytes));
  PlanCache::shared().clear();  // candidates were filtered by the old limit
  return info.Env().Undefined();
}

// cudnnTime(handle, x: tensor, y: tensor, iterations) → milliseconds per run, by CUDA events
// around `iterations` back-to-back runs (the device's own time, as torch's benchmarks report).
Napi::Value timePacked(const Napi::CallbackInfo& info) {
  PackedHandle& packed = packedFrom(info[0]);
  auto x = tensorFrom(info[1], "x");
  auto y = tensorFrom(info[2], "y");
  const int iterations = info[3].IsNumber() ? std::max(1, info[3].As<Napi::Number>().Int32Value()) : 10;
  Device& device = Device::get(packed.plan->options().device);
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  auto run = [&] {
    packed.plan->enqueue(x->pointer(), packed.filter->pointer(), packed.bias ? packed.bias->pointer() : 0, y->pointer());
    return true;
  };
  run();  // warm
  const float ms = device.timeRuns(iterations, run);
  if (ms < 0.f) throw Error(ErrorKind::Error, "cudnn: the CUDA events around the timed runs failed");
  return Napi::Number::New(info.Env(), ms);
}

// cudnnConvert(data, dtype) → the values after a round trip through dtype (host only, no GPU).
Napi::Value convert(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw typeError("data must be a Float32Array");
  }
  auto in = info[0].As<Napi::Float32Array>();
  const DType dtype = cudnn::dtypeFromName(info[1].ToString().Utf8Value(), "dtype");
  const int64_t n = static_cast<int64_t>(in.ElementLength());
  std::vector<uint32_t> staging(static_cast<std::size_t>(n) + 1);
  cudnn::fromFloat32(in.Data(), staging.data(), n, dtype);
  auto out = Napi::Float32Array::New(info.Env(), static_cast<std::size_t>(n));
  cudnn::toFloat32(staging.data(), out.Data(), n, dtype);
  return out;
}

Napi::Value cudnnInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const cudnn::Availability& a = cudnn::availability();
  Napi::Object result = Napi::Object::New(env);
  result.Set("compiled", true);
  result.Set("available", a.usable);
  if (!a.usable) result.Set("reason", a.reason);
  result.Set("headerVersion", std::to_string(CUDNN_MAJOR) + "." + std::to_string(CUDNN_MINOR) + "." + std::to_string(CUDNN_PATCHLEVEL));
  if (a.cudnnLoaded) {
    result.Set("version", a.cudnnVersion);
    result.Set("library", a.cudnnPath);
    result.Set("cudnnCudaVersion", a.cudnnCudartVersion);
  }
  result.Set("driverCudaVersion", a.driverVersion);
  Napi::Array devices = Napi::Array::New(env);
  if (a.usable) {
    for (int i = 0; i < a.deviceCount; ++i) {
      Device& d = Device::get(i);
      Napi::Object entry = Napi::Object::New(env);
      entry.Set("index", i);
      entry.Set("name", d.name());
      entry.Set("computeCapability", d.computeCapability() / 10.0);
      entry.Set("totalMemory", static_cast<double>(d.totalMemory()));
      devices.Set(static_cast<uint32_t>(i), entry);
    }
  }
  result.Set("devices", devices);
  return result;
}

}  // namespace

void registerCudnn(Napi::Env env, Napi::Object exports) {
  AsyncBridge::install(env);
  // Cached pinned staging goes back to the driver when an environment ends (leak checkers at
  // process exit then see nothing of ours outstanding); blocks still leased return later.
  env.AddCleanupHook([] { Device::forEachCreated([](Device& device) { device.releaseCachedPinned(); }); });
  auto add = [&](const char* name, Napi::Function fn) { exports.Set(name, fn); };
  add("cudnnInfo", Napi::Function::New(env, Guarded<cudnnInfo>, "cudnnInfo"));
  add("cudnnRun", Napi::Function::New(env, Guarded<run>, "cudnnRun"));
  add("cudnnPack", Napi::Function::New(env, Guarded<pack>, "cudnnPack"));
  add("cudnnBackward", Napi::Function::New(env, Guarded<backward>, "cudnnBackward"));
  add("cudnnRunPacked", Napi::Function::New(env, Guarded<runPacked>, "cudnnRunPacked"));
  add("cudnnDisposePlan", Napi::Function::New(env, Guarded<disposePacked>, "cudnnDisposePlan"));
  add("cudnnDescribePlan", Napi::Function::New(env, Guarded<describePlan>, "cudnnDescribePlan"));
  add("cudnnUpload", Napi::Function::New(env, Guarded<upload>, "cudnnUpload"));
  add("cudnnEmpty", Napi::Function::New(env, Guarded<empty>, "cudnnEmpty"));
  add("cudnnDownload", Napi::Function::New(env, Guarded<download>, "cudnnDownload"));
  add("cudnnDispose", Napi::Function::New(env, Guarded<disposeTensor>, "cudnnDispose"));
  add("cudnnSynchronize", Napi::Function::New(env, Guarded<synchronize>, "cudnnSynchronize"));
  add("cudnnMemory", Napi::Function::New(env, Guarded<memory>, "cudnnMemory"));
  add("cudnnSetWorkspaceLimit", Napi::Function::New(env, Guarded<setWorkspaceLimit>, "cudnnSetWorkspaceLimit"));
  add("cudnnTime", Napi::Function::New(env, Guarded<timePacked>, "cudnnTime"));
  add("cudnnConvert", Napi::Function::New(env, Guarded<convert>, "cudnnConvert"));
  registerCudnnTraining(env, exports);
}

}  // namespace deconv::napi

#else  // no cuDNN in this build

namespace deconv::napi {
void registerCudnn(Napi::Env, Napi::Object) {}
}  // namespace deconv::napi

#endif  // DECONV_WITH_CUDNN
