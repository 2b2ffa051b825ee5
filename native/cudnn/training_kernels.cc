#include "training_kernels.h"

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../core/error.h"
#include "../core/no_destructor.h"

namespace deconv::cudnn {

namespace {

// The PTX of native/cudnn/kernels/training.cu (see scripts/gen-kernels.mjs).
const char kTrainingPtx[] =
#include "kernels/training_ptx.inc"
    ;

enum Kernel { Sgd, Adam, ActivationForward, ActivationBackward, BatchNormForward, BatchNormBackward, ChannelSum, WindowCopy, KernelCount };
const char* const kKernelNames[KernelCount] = {"deconv_sgd_",
                                               "deconv_adam_",
                                               "deconv_activation_forward_",
                                               "deconv_activation_backward_",
                                               "deconv_batch_norm_forward_",
                                               "deconv_batch_norm_backward_",
                                               "deconv_channel_sum_",
                                               "deconv_window_copy_"};

const char* dtypeSuffix(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "f32";
    case DType::Float16: return "f16";
    case DType::BFloat16: return "bf16";
  }
  return "f32";
}

// One device's loaded module and its functions. Like the devices themselves, modules live until
// the process exits (unloading them at exit could race the driver's own teardown).
struct LoadedModule {
  CUmodule module = nullptr;
  std::array<std::array<CUfunction, 3>, KernelCount> functions{};  // [kernel][dtype]
};

struct Modules {
  std::mutex mutex;
  std::vector<std::unique_ptr<LoadedModule>> byDevice;
};

Modules& modules() {
  static NoDestructor<Modules> instance;
  return instance.get();
}

// The function for `kernel` in `dtype` on this device, loading the module on first use. The
// caller holds the device's mutex with its context current.
CUfunction function(Device& device, Kernel kernel, DType dtype) {
  Modules& m = modules();
  std::lock_guard<std::mutex> lock(m.mutex);
  if (m.byDevice.size() <= static_cast<std::size_t>(device.ordinal())) m.byDevice.resize(device.ordinal() + 1);
  auto& slot = m.byDevice[device.ordinal()];
  if (!slot) {
    const DriverApi& cu = driver();
    auto loaded = std::make_unique<LoadedModule>();
    const CUresult result = cu.cuModuleLoadData(&loaded->module, kTrainingPtx);
    if (result != CUDA_SUCCESS) {
      const char* name = nullptr;
      cu.cuGetErrorName(result, &name);
      throw Error(ErrorKind::Error, std::string("cudnn: the driver could not load deconv's training kernels (PTX ISA 7.0 for sm_75+) on device ") +
                                        std::to_string(device.ordinal()) + ": " + (name ? name : "unknown error"));
    }
    const DType dtypes[3] = {DType::Float32, DType::Float16, DType::BFloat16};
    for (int k = 0; k < KernelCount; ++k) {
      for (int t = 0; t < 3; ++t) {
        const std::string symbol = std::string(kKernelNames[k]) + dtypeSuffix(dtypes[t]);
        checkDriver(cu.cuModuleGetFunction(&loaded->functions[k][t], loaded->module, symbol.c_str()), "cuModuleGetFunction");
      }
    }
    slot = std::move(loaded);
  }
  return slot->functions[kernel][static_cast<int>(dtype)];
}

// A grid-stride launch over n elements: enough blocks to fill the device, no more.
void launch(Device& device, Kernel kernel, DType dtype, int64_t n, void** arguments) {
  if (n <= 0) return;
  constexpr unsigned kThreads = 256;
  const int64_t wanted = (n + kThreads - 1) / kThreads;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(wanted, 65535));
  checkDriver(driver().cuLaunchKernel(function(device, kernel, dtype), blocks, 1, 1, kThreads, 1, 1, 0, device.stream(), arguments, nullptr),
              "cuLaunchKernel");
}

// One block per channel (the batch-norm kernels' shape; see training.cu).
void launchPerChannel(Device& device, Kernel kernel, DType dtype, unsigned channels, void** arguments) {
  if (channels == 0) return;
  constexpr unsigned kThreads = 256;  // kBnThreads in training.cu
  checkDriver(driver().cuLaunchKernel(function(device, kernel, dtype), channels, 1, 1, kThreads, 1, 1, 0, device.stream(), arguments, nullptr),
              "cuLaunchKernel");
}

}  // namespace

void launchSgd(Device& device, DType dtype, CUdeviceptr w, CUdeviceptr g, CUdeviceptr velocity, float lr, float momentum, bool nesterov,
               int64_t n) {
  int nesterovFlag = nesterov ? 1 : 0;
  unsigned long long count = static_cast<unsigned long long>(n);
  void* arguments[] = {&w, &g, &velocity, &lr, &momentum, &nesterovFlag, &count};
  launch(device, Sgd, dtype, n, arguments);
}

void launchAdam(Device& device, DType dtype, CUdeviceptr w, CUdeviceptr g, CUdeviceptr m, CUdeviceptr v, float lr, float beta1, float beta2,
                float epsilon, int64_t n) {
  unsigned long long count = static_cast<unsigned long long>(n);
  void* arguments[] = {&w, &g, &m, &v, &lr, &beta1, &beta2, &epsilon, &count};
  launch(device, Adam, dtype, n, arguments);
}

ActivationKind activationKindFromName(const std::string& name) {
  if (name == "linear") return ActivationKind::Linear;
  if (name == "relu") return ActivationKind::Relu;
  if (name == "leakyRelu") return ActivationKind::LeakyRelu;
  if (name == "sigmoid") return ActivationKind::Sigmoid;
  if (name == "tanh") return ActivationKind::Tanh;
  if (name == "elu") return ActivationKind::Elu;
  throw rangeError("activation must be one of 'linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'elu', got '" + name + "'");
}

void launchActivationForward(Device& device, DType dtype, ActivationKind kind, float alpha, CUdeviceptr v, CUdeviceptr y, int64_t n) {
  int kindNumber = static_cast<int>(kind);
  unsigned long long count = static_cast<unsigned long long>(n);
  void* arguments[] = {&v, &y, &kindNumber, &alpha, &count};
  launch(device, ActivationForward, dtype, n, arguments);
}

void launchActivationBackward(Device& device, DType dtype, ActivationKind kind, float alpha, CUdeviceptr y, CUdeviceptr dy, CUdeviceptr dv,
                              int64_t n) {
  int kindNumber = static_cast<int>(kind);
  unsigned long long count = static_cast<unsigned long long>(n);
  void* arguments[] = {&y, &dy, &dv, &kindNumber, &alpha, &count};
  launch(device, ActivationBackward, dtype, n, arguments);
}

}  // namespace deconv::cudnn

namespace deconv::cudnn {

void launchBatchNormForward(Device& device, DType dtype, const BatchNormShape& shape, CUdeviceptr x, CUdeviceptr y, CUdeviceptr normalized,
                            CUdeviceptr invStd, CUdeviceptr gamma, CUdeviceptr beta, CUdeviceptr movingMean, CUdeviceptr movingVariance,
                            float momentum, float epsilon, bool training) {
  unsigned long long outer = static_cast<unsigned long long>(shape.outer);
  unsigned channels = static_cast<unsigned>(shape.channels);
  unsigned long long inner = static_cast<unsigned long long>(shape.inner);
  int trainingFlag = training ? 1 : 0;
  void* arguments[] = {&x, &y, &normalized, &invStd, &gamma, &beta, &movingMean, &movingVariance, &outer, &channels, &inner, &momentum, &epsilon, &trainingFlag};
  launchPerChannel(device, BatchNormForward, dtype, channels, arguments);
}

void launchBatchNormBackward(Device& device, DType dtype, const BatchNormShape& shape, CUdeviceptr dy, CUdeviceptr normalized, CUdeviceptr invStd,
                             CUdeviceptr gamma, CUdeviceptr dx, CUdeviceptr dGamma, CUdeviceptr dBeta, bool training) {
  unsigned long long outer = static_cast<unsigned long long>(shape.outer);
  unsigned channels = static_cast<unsigned>(shape.channels);
  unsigned long long inner = static_cast<unsigned long long>(shape.inner);
  int trainingFlag = training ? 1 : 0;
  void* arguments[] = {&dy, &normalized, &invStd, &gamma, &dx, &dGamma, &dBeta, &outer, &channels, &inner, &trainingFlag};
  launchPerChannel(device, BatchNormBackward, dtype, channels, arguments);
}

void launchChannelSum(Device& device, DType dtype, const BatchNormShape& shape, CUdeviceptr values, CUdeviceptr out) {
  unsigned long long outer = static_cast<unsigned long long>(shape.outer);
  unsigned channels = static_cast<unsigned>(shape.channels);
  unsigned long long inner = static_cast<unsigned long long>(shape.inner);
  void* arguments[] = {&values, &out, &outer, &channels, &inner};
  launchPerChannel(device, ChannelSum, dtype, channels, arguments);
}

namespace {

// training.cu's WindowCopy, passed by value as the kernel's last parameter: the same fields in the
// same order, so the same layout under the same ABI.
constexpr int kWindowDims = 6;
struct WindowCopyArguments {
  unsigned long long length[kWindowDims];
  long long sourceStride[kWindowDims];
  long long targetStride[kWindowDims];
  unsigned long long total;
  int dims;
};
static_assert(sizeof(WindowCopyArguments) == 160, "WindowCopyArguments must match training.cu's WindowCopy");

}  // namespace

void launchWindowCopy(Device& device, const WindowCopyShape& shape, CUdeviceptr source, CUdeviceptr target) {
  const std::size_t dims = shape.length.size();
  if (dims == 0 || dims > static_cast<std::size_t>(kWindowDims) || shape.sourceStride.size() != dims || shape.targetStride.size() != dims) {
    throw Error(ErrorKind::Error, "cudnn: a window copy needs 1 to 6 dimensions, got " + std::to_string(dims));
  }
  WindowCopyArguments window{};
  window.total = 1;
  for (std::size_t d = 0; d < dims; ++d) {
    window.length[d] = static_cast<unsigned long long>(shape.length[d]);
    window.sourceStride[d] = shape.sourceStride[d];
    window.targetStride[d] = shape.targetStride[d];
    window.total *= window.length[d];
  }
  window.dims = static_cast<int>(dims);
  // The kernel's element type only sets the unit moved: float for 4 bytes, half for 2.
  const DType unit = shape.unitBytes == 4 ? DType::Float32 : DType::Float16;
  void* arguments[] = {&source, &target, &window};
  launch(device, WindowCopy, unit, static_cast<int64_t>(window.total), arguments);
}

}  // namespace deconv::cudnn
