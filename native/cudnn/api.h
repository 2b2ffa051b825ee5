// The CUDA driver and cuDNN entry points the backend uses, loaded at run time with dlopen.
//
// Why not link against them: one deconv.node must serve machines with and without a GPU. Linked
// against libcuda/libcudnn, the addon would fail to load where they are missing, taking the CPU
// backends down with it. Loaded at run time, their absence is only a reason that backends()
// reports ("no NVIDIA driver", "libcudnn.so.9 not found", "driver too old", "no device").
//
// Why the driver API rather than the CUDA runtime: libcuda.so.1 comes with every NVIDIA driver
// and keeps its ABI, while libcudart's soname changes with each CUDA major (.so.12, .so.13). The
// runtime API's streams are the driver's streams, so cuDNN accepts them as they are.
//
// The headers (cuda.h, cudnn.h) come from the PyPI wheels that scripts/fetch-cuda.mjs unpacks;
// they give the types and the versioned symbol names (cuda.h maps cuMemAlloc to cuMemAlloc_v2,
// and the tables below load whatever name the header maps to).
#pragma once

#include <cuda.h>
#include <cudnn.h>

#include <string>

namespace deconv::cudnn {

#define DECONV_CUDA_DRIVER_FUNCTIONS(X) \
  X(cuInit)                             \
  X(cuDriverGetVersion)                 \
  X(cuGetErrorName)                     \
  X(cuDeviceGetCount)                   \
  X(cuDeviceGet)                        \
  X(cuDeviceGetName)                    \
  X(cuDeviceGetAttribute)               \
  X(cuDeviceTotalMem)                   \
  X(cuDevicePrimaryCtxRetain)           \
  X(cuDevicePrimaryCtxRelease)          \
  X(cuDeviceGetDefaultMemPool)          \
  X(cuCtxSetCurrent)                    \
  X(cuStreamCreate)                     \
  X(cuStreamSynchronize)                \
  X(cuLaunchHostFunc)                   \
  X(cuMemAllocAsync)                    \
  X(cuMemFreeAsync)                     \
  X(cuMemPoolSetAttribute)              \
  X(cuMemPoolGetAttribute)              \
  X(cuMemPoolTrimTo)                    \
  X(cuMemHostAlloc)                     \
  X(cuMemFreeHost)                      \
  X(cuMemGetInfo)                       \
  X(cuMemcpyHtoDAsync)                  \
  X(cuMemcpyDtoHAsync)                  \
  X(cuMemcpyDtoDAsync)                  \
  X(cuMemsetD32Async)                   \
  X(cuMemsetD16Async)                   \
  X(cuEventCreate)                      \
  X(cuEventRecord)                      \
  X(cuEventSynchronize)                 \
  X(cuEventElapsedTime)                 \
  X(cuEventDestroy)                     \
  X(cuModuleLoadData)                   \
  X(cuModuleUnload)                     \
  X(cuModuleGetFunction)                \
  X(cuLaunchKernel)

#define DECONV_CUDNN_FUNCTIONS(X)                        \
  X(cudnnGetVersion)                                     \
  X(cudnnGetCudartVersion)                               \
  X(cudnnGetErrorString)                                 \
  X(cudnnCreate)                                         \
  X(cudnnDestroy)                                        \
  X(cudnnSetStream)                                      \
  X(cudnnCreateTensorDescriptor)                         \
  X(cudnnDestroyTensorDescriptor)                        \
  X(cudnnSetTensorNdDescriptor)                          \
  X(cudnnCreateFilterDescriptor)                         \
  X(cudnnDestroyFilterDescriptor)                        \
  X(cudnnSetFilterNdDescriptor)                          \
  X(cudnnCreateConvolutionDescriptor)                    \
  X(cudnnDestroyConvolutionDescriptor)                   \
  X(cudnnSetConvolutionNdDescriptor)                     \
  X(cudnnSetConvolutionGroupCount)                       \
  X(cudnnSetConvolutionMathType)                         \
  X(cudnnGetConvolutionBackwardDataAlgorithmMaxCount)    \
  X(cudnnGetConvolutionBackwardDataAlgorithm_v7)         \
  X(cudnnFindConvolutionBackwardDataAlgorithmEx)         \
  X(cudnnGetConvolutionBackwardDataWorkspaceSize)        \
  X(cudnnConvolutionBackwardData)                        \
  X(cudnnGetConvolutionForwardAlgorithmMaxCount)         \
  X(cudnnGetConvolutionForwardAlgorithm_v7)              \
  X(cudnnGetConvolutionForwardWorkspaceSize)             \
  X(cudnnConvolutionForward)                             \
  X(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount)  \
  X(cudnnGetConvolutionBackwardFilterAlgorithm_v7)       \
  X(cudnnGetConvolutionBackwardFilterWorkspaceSize)      \
  X(cudnnConvolutionBackwardFilter)                      \
  X(cudnnConvolutionBackwardBias)                        \
  X(cudnnTransformTensor)                                \
  X(cudnnAddTensor)                                      \
  X(cudnnCreateActivationDescriptor)                     \
  X(cudnnDestroyActivationDescriptor)                    \
  X(cudnnSetActivationDescriptor)                        \
  X(cudnnActivationForward)                              \
  X(cudnnCreateOpTensorDescriptor)                       \
  X(cudnnDestroyOpTensorDescriptor)                      \
  X(cudnnSetOpTensorDescriptor)                          \
  X(cudnnOpTensor)                                       \
  X(cudnnBackendCreateDescriptor)                        \
  X(cudnnBackendDestroyDescriptor)                       \
  X(cudnnBackendSetAttribute)                            \
  X(cudnnBackendGetAttribute)                            \
  X(cudnnBackendFinalize)                                \
  X(cudnnBackendExecute)

// One member per function, typed from the header's prototype and named as the header names it
// (so `api.cuMemAlloc(...)` reads naturally and calls cuMemAlloc_v2).
#define DECONV_DECLARE_POINTER(name) decltype(&::name) name = nullptr;

struct DriverApi {
  DECONV_CUDA_DRIVER_FUNCTIONS(DECONV_DECLARE_POINTER)
};

struct CudnnApi {
  DECONV_CUDNN_FUNCTIONS(DECONV_DECLARE_POINTER)
};

#undef DECONV_DECLARE_POINTER

// What loading found. `usable` is true only with both libraries, an initialized driver that is
// new enough for this cuDNN, and at least one device; otherwise `reason` says what is missing.
struct Availability {
  bool usable = false;
  std::string reason;
  bool cudnnLoaded = false;
  std::string cudnnPath;   // where libcudnn was loaded from (as dlopen was asked)
  std::string cudnnVersion;  // "9.28.1"
  int cudnnCudartVersion = 0;  // the CUDA version cuDNN was built for (12080 = 12.8)
  int driverVersion = 0;       // the CUDA version the driver supports (0 when no driver)
  int deviceCount = 0;
};

// Loads both libraries once per process (thread-safe) and reports what was found.
const Availability& availability();

// The loaded tables. Throw deconv::Error with availability().reason when not usable.
const DriverApi& driver();
const CudnnApi& dnn();

// "CUDA_ERROR_OUT_OF_MEMORY" for a driver result; cuDNN's own text for a cuDNN status.
std::string driverErrorName(CUresult result);
std::string cudnnErrorName(cudnnStatus_t status);

// Throw deconv::Error naming the failed call and the error (out-of-memory says so plainly).
void checkDriver(CUresult result, const char* what);
void checkCudnn(cudnnStatus_t status, const char* what);

}  // namespace deconv::cudnn
