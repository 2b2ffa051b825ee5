// Device tensors as JS sees them: an External tagged as ours (napi_type_tag) that holds a shared
// DeviceBuffer. dispose() drops the buffer at once; calls in flight keep their own reference.
#pragma once

#if defined(DECONV_WITH_CUDNN)

#include <napi.h>

#include <memory>

#include "../cudnn/buffer.h"

namespace deconv::napi {

// The buffer behind a device tensor handle; throws a TypeError naming `name` for anything else
// and an Error for a disposed one.
std::shared_ptr<cudnn::DeviceBuffer> tensorFrom(const Napi::Value& value, const char* name);

// A new handle owning `buffer`.
Napi::Value tensorHandle(Napi::Env env, std::shared_ptr<cudnn::DeviceBuffer> buffer);

// Drops the handle's buffer (dispose); throws a TypeError for anything but a handle.
void disposeTensorHandle(const Napi::Value& value);

}  // namespace deconv::napi

#endif  // DECONV_WITH_CUDNN
