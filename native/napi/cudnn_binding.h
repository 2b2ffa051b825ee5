// JS ⇄ cuDNN: device tensors, sync/enqueue/async calls, packed plans, and the backend's status.
#pragma once

#include <napi.h>

namespace deconv::napi {

// Adds the cudnn* functions. In a build without cuDNN headers only cudnnInfo exists, reporting why.
void registerCudnn(Napi::Env env, Napi::Object exports);

#if defined(DECONV_WITH_CUDNN)
// Adds the training kernels' entry points: cudnnSgd, cudnnAdam, cudnnActivationForward/Backward,
// cudnnBatchNormForward/Backward (cudnn_training_binding.cc).
void registerCudnnTraining(Napi::Env env, Napi::Object exports);
#endif

}  // namespace deconv::napi
