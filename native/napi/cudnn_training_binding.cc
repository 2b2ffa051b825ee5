// JS ⇄ the device kernels that training needs (native/cudnn/training_kernels.h): optimizer
// updates of device parameters, an activation and its derivative, and batch normalization.
// Each call only enqueues on the device's stream (like an op with `wait: false`); reads and
// later calls are ordered after it.
#include "cudnn_binding.h"

#if defined(DECONV_WITH_CUDNN)

#include <cmath>
#include <memory>
#include <mutex>
#include <string>

#include "../core/error.h"
#include "../cudnn/training_kernels.h"
#include "cudnn_tensor_handle.h"
#include "guard.h"

namespace deconv::napi {

namespace {

using cudnn::DeviceBuffer;
using cudnn::DType;

float number(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) throw typeError(std::string(name) + " must be a number");
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v)) throw rangeError(std::string(name) + " must be finite");
  return static_cast<float>(v);
}

// `other` lies on `first`'s device, with as many elements, in `dtype` (first's when null).
void checkLike(const DeviceBuffer& first, const char* firstName, const DeviceBuffer& other, const char* name, const DType* dtype = nullptr) {
  if (&other.device() != &first.device()) {
    throw rangeError(std::string(name) + " is on device " + std::to_string(other.device().ordinal()) + " but " + firstName + " is on device " +
                     std::to_string(first.device().ordinal()));
  }
  if (other.elements() != first.elements()) {
    throw rangeError(std::string(name) + " must have " + std::to_string(first.elements()) + " elements like " + firstName + ", got " +
                     std::to_string(other.elements()));
  }
  const DType wanted = dtype ? *dtype : first.dtype();
  if (other.dtype() != wanted) {
    throw typeError(std::string(name) + " must hold " + cudnn::dtypeName(wanted) + ", got " + cudnn::dtypeName(other.dtype()));
  }
}

const DType kFloat32 = DType::Float32;

// cudnnSgd(w, g, velocity | null, lr, momentum, nesterov): velocity is float32.
Napi::Value sgd(const Napi::CallbackInfo& info) {
  auto w = tensorFrom(info[0], "w");
  auto g = tensorFrom(info[1], "g");
  checkLike(*w, "w", *g, "g");
  std::shared_ptr<DeviceBuffer> velocity;
  if (!info[2].IsNull() && !info[2].IsUndefined()) {
    velocity = tensorFrom(info[2], "velocity");
    checkLike(*w, "w", *velocity, "velocity", &kFloat32);
  }
  const float lr = number(info[3], "lr");
  const float momentum = number(info[4], "momentum");
  const bool nesterov = info[5].IsBoolean() && info[5].As<Napi::Boolean>().Value();
  cudnn::Device& device = w->device();
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  cudnn::launchSgd(device, w->dtype(), w->pointer(), g->pointer(), velocity ? velocity->pointer() : 0, lr, momentum, nesterov, w->elements());
  return info.Env().Undefined();
}

// cudnnAdam(w, g, m, v, lr, beta1, beta2, epsilon): m and v are float32; lr carries the bias corrections.
Napi::Value adam(const Napi::CallbackInfo& info) {
  auto w = tensorFrom(info[0], "w");
  auto g = tensorFrom(info[1], "g");
  auto m = tensorFrom(info[2], "m");
  auto v = tensorFrom(info[3], "v");
  checkLike(*w, "w", *g, "g");
  checkLike(*w, "w", *m, "m", &kFloat32);
  checkLike(*w, "w", *v, "v", &kFloat32);
  const float lr = number(info[4], "lr");
  const float beta1 = number(info[5], "beta1");
  const float beta2 = number(info[6], "beta2");
  const float epsilon = number(info[7], "epsilon");
  cudnn::Device& device = w->device();
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  cudnn::launchAdam(device, w->dtype(), w->pointer(), g->pointer(), m->pointer(), v->pointer(), lr, beta1, beta2, epsilon, w->elements());
  return info.Env().Undefined();
}

// cudnnActivationForward(activation, alpha, v, y): y = f(v).
Napi::Value activationForward(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw typeError("activation must be a string");
  const cudnn::ActivationKind kind = cudnn::activationKindFromName(info[0].As<Napi::String>().Utf8Value());
  const float alpha = number(info[1], "alpha");
  auto v = tensorFrom(info[2], "v");
  auto y = tensorFrom(info[3], "y");
  checkLike(*v, "v", *y, "y");
  cudnn::Device& device = v->device();
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  cudnn::launchActivationForward(device, v->dtype(), kind, alpha, v->pointer(), y->pointer(), v->elements());
  return info.Env().Undefined();
}

// cudnnActivationBackward(activation, alpha, y, dy, dv): dv = dy · f′ (f′ from the output y).
Napi::Value activationBackward(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw typeError("activation must be a string");
  const cudnn::ActivationKind kind = cudnn::activationKindFromName(info[0].As<Napi::String>().Utf8Value());
  const float alpha = number(info[1], "alpha");
  auto y = tensorFrom(info[2], "y");
  auto dy = tensorFrom(info[3], "dy");
  auto dv = tensorFrom(info[4], "dv");
  checkLike(*y, "y", *dy, "dy");
  checkLike(*y, "y", *dv, "dv");
  cudnn::Device& device = y->device();
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  cudnn::launchActivationBackward(device, y->dtype(), kind, alpha, y->pointer(), dy->pointer(), dv->pointer(), y->elements());
  return info.Env().Undefined();
}

int64_t count(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) throw typeError(std::string(name) + " must be a number");
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v != std::floor(v) || v > 9007199254740991.0) throw rangeError(std::string(name) + " must be an integer >= 0");
  return static_cast<int64_t>(v);
}

cudnn::BatchNormShape batchNormShape(const Napi::CallbackInfo& info, std::size_t first, const DeviceBuffer& data, const char* dataName) {
  cudnn::BatchNormShape shape;
  shape.outer = count(info[first], "outer");
  shape.channels = count(info[first + 1], "channels");
  shape.inner = count(info[first + 2], "inner");
  if (shape.channels > (int64_t{1} << 31) - 1) throw rangeError("channels must be below 2^31");
  if (shape.outer * shape.channels * shape.inner != data.elements()) {
    throw rangeError(std::string(dataName) + " must have outer·channels·inner = " + std::to_string(shape.outer * shape.channels * shape.inner) +
                     " elements, got " + std::to_string(data.elements()));
  }
  return shape;
}

// A per-channel float32 operand (gamma, beta, statistics): `channels` values on `data`'s device.
std::shared_ptr<DeviceBuffer> perChannel(const Napi::Value& value, const char* name, const DeviceBuffer& data, int64_t channels, bool optional) {
  if (optional && (value.IsNull() || value.IsUndefined())) return nullptr;
  auto buffer = tensorFrom(value, name);
  if (&buffer->device() != &data.device()) throw rangeError(std::string(name) + " must be on device " + std::to_string(data.device().ordinal()));
  if (buffer->dtype() != DType::Float32) throw typeError(std::string(name) + " must hold float32, got " + cudnn::dtypeName(buffer->dtype()));
  if (buffer->elements() != channels) {
    throw rangeError(std::string(name) + " must have " + std::to_string(channels) + " elements (one per channel), got " + std::to_string(buffer->elements()));
  }
  return buffer;
}

CUdeviceptr pointerOf(const std::shared_ptr<DeviceBuffer>& buffer) { return buffer ? buffer->pointer() : 0; }

// cudnnBatchNormForward(x, y, normalized, invStd, gamma|null, beta|null, movingMean, movingVariance,
//                       outer, channels, inner, momentum, epsilon, training)
Napi::Value batchNormForward(const Napi::CallbackInfo& info) {
  auto x = tensorFrom(info[0], "x");
  auto y = tensorFrom(info[1], "y");
  checkLike(*x, "x", *y, "y");
  auto normalized = tensorFrom(info[2], "normalized");
  checkLike(*x, "x", *normalized, "normalized", &kFloat32);
  const cudnn::BatchNormShape shape = batchNormShape(info, 8, *x, "x");
  auto invStd = perChannel(info[3], "invStd", *x, shape.channels, false);
  auto gamma = perChannel(info[4], "gamma", *x, shape.channels, true);
  auto beta = perChannel(info[5], "beta", *x, shape.channels, true);
  auto movingMean = perChannel(info[6], "movingMean", *x, shape.channels, false);
  auto movingVariance = perChannel(info[7], "movingVariance", *x, shape.channels, false);
  const float momentum = number(info[11], "momentum");
  const float epsilon = number(info[12], "epsilon");
  const bool training = info[13].IsBoolean() && info[13].As<Napi::Boolean>().Value();
  cudnn::Device& device = x->device();
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  cudnn::launchBatchNormForward(device, x->dtype(), shape, x->pointer(), y->pointer(), normalized->pointer(), invStd->pointer(), pointerOf(gamma),
                                pointerOf(beta), movingMean->pointer(), movingVariance->pointer(), momentum, epsilon, training);
  return info.Env().Undefined();
}

// cudnnBatchNormBackward(dy, normalized, invStd, gamma|null, dx, dGamma|null, dBeta|null, outer, channels, inner, training)
Napi::Value batchNormBackward(const Napi::CallbackInfo& info) {
  auto dy = tensorFrom(info[0], "dy");
  auto normalized = tensorFrom(info[1], "normalized");
  checkLike(*dy, "dy", *normalized, "normalized", &kFloat32);
  auto dx = tensorFrom(info[4], "dx");
  checkLike(*dy, "dy", *dx, "dx");
  const cudnn::BatchNormShape shape = batchNormShape(info, 7, *dy, "dy");
  auto invStd = perChannel(info[2], "invStd", *dy, shape.channels, false);
  auto gamma = perChannel(info[3], "gamma", *dy, shape.channels, true);
  auto dGamma = perChannel(info[5], "dGamma", *dy, shape.channels, true);
  auto dBeta = perChannel(info[6], "dBeta", *dy, shape.channels, true);
  const bool training = info[10].IsBoolean() && info[10].As<Napi::Boolean>().Value();
  cudnn::Device& device = dy->device();
  std::lock_guard<std::recursive_mutex> lock(device.mutex());
  device.makeCurrent();
  cudnn::launchBatchNormBackward(device, dy->dtype(), shape, dy->pointer(), normalized->pointer(), invStd->pointer(), pointerOf(gamma), dx->pointer(),
                                 pointerOf(dGamma), pointerOf(dBeta), training);
  return info.Env().Undefined();
}

}  // namespace

void registerCudnnTraining(Napi::Env env, Napi::Object exports) {
  exports.Set("cudnnSgd", Napi::Function::New(env, Guarded<sgd>, "cudnnSgd"));
  exports.Set("cudnnAdam", Napi::Function::New(env, Guarded<adam>, "cudnnAdam"));
  exports.Set("cudnnActivationForward", Napi::Function::New(env, Guarded<activationForward>, "cudnnActivationForward"));
  exports.Set("cudnnActivationBackward", Napi::Function::New(env, Guarded<activationBackward>, "cudnnActivationBackward"));
  exports.Set("cudnnBatchNormForward", Napi::Function::New(env, Guarded<batchNormForward>, "cudnnBatchNormForward"));
  exports.Set("cudnnBatchNormBackward", Napi::Function::New(env, Guarded<batchNormBackward>, "cudnnBatchNormBackward"));
}

}  // namespace deconv::napi

#endif  // DECONV_WITH_CUDNN
