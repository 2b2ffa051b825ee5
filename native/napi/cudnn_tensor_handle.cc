#include "cudnn_tensor_handle.h"

#if defined(DECONV_WITH_CUDNN)

#include <string>

#include "../core/error.h"

namespace deconv::napi {

namespace {

// Tells our tensor Externals from any other object.
constexpr napi_type_tag kTensorTag = {0x6465636f6e762d74ULL, 0x656e736f722d3031ULL};

struct TensorHandle {
  std::shared_ptr<cudnn::DeviceBuffer> buffer;
};

bool isTensorHandle(const Napi::Value& value) {
  return value.IsExternal() && value.As<Napi::External<TensorHandle>>().CheckTypeTag(&kTensorTag);
}

}  // namespace

std::shared_ptr<cudnn::DeviceBuffer> tensorFrom(const Napi::Value& value, const char* name) {
  if (!isTensorHandle(value)) throw typeError(std::string(name) + " must be a device tensor");
  auto* handle = value.As<Napi::External<TensorHandle>>().Data();
  if (!handle->buffer) throw Error(ErrorKind::Error, std::string(name) + " is a disposed device tensor");
  return handle->buffer;
}

Napi::Value tensorHandle(Napi::Env env, std::shared_ptr<cudnn::DeviceBuffer> buffer) {
  auto owned = std::make_unique<TensorHandle>();
  owned->buffer = std::move(buffer);
  auto external = Napi::External<TensorHandle>::New(env, owned.get(), [](Napi::Env, TensorHandle* data) { delete data; });
  owned.release();
  external.TypeTag(&kTensorTag);
  return external;
}

void disposeTensorHandle(const Napi::Value& value) {
  if (!isTensorHandle(value)) throw typeError("tensor must be a device tensor");
  value.As<Napi::External<TensorHandle>>().Data()->buffer.reset();
}

}  // namespace deconv::napi

#endif  // DECONV_WITH_CUDNN
