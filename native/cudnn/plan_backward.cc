// Gradients of a transposed convolution on cuDNN, through the legacy API and the plan's own
// descriptors. The transposed convolution is the backward-data pass of a forward convolution F
// whose input is our output, so:
//   dX = F(dY)                         cudnnConvolutionForward, F's input dY, its output x-shaped
//   dW = F's weight gradient(dY, x)    cudnnConvolutionBackwardFilter, input dY, output gradient x
//   dB = Σ dY over batch and space     cudnnConvolutionBackwardBias (bfloat16: our own kernel)
// When y needs a window (paddings cuDNN cannot state), dY's window is copied into the symmetric
// problem's zero-filled buffer first: the positions outside it receive no input, so they carry
// no gradient to x or w (but do to the bias, which reads dY itself).
#include <vector>

#include "../core/error.h"
#include "layout.h"
#include "plan.h"
#include "training_kernels.h"

namespace deconv::cudnn {

namespace {

const float kOne = 1.f;
const float kZero = 0.f;

bool mathAllowed(const PlanOptions& o, cudnnMathType_t math) {
  return !(o.dtype == DType::Float32 && !o.allowTf32 && math != CUDNN_FMA_MATH);
}

// Runs the first of cuDNN's ranked algorithms (forward or backward-filter perf results) that the
// options allow, whose workspace can be had and that succeeds. `workspaceSize(algo, &bytes)` and
// `run(algo, workspace, bytes)` wrap the call in question.
template <typename Perf, typename WorkspaceSize, typename Run>
void runFirstWorking(const std::vector<Perf>& perf, int returned, const PlanOptions& options, const ConvolutionDescriptor& conv,
                     Device& device, WorkspaceSize workspaceSize, Run run, const char* what) {
  cudnnStatus_t last = CUDNN_STATUS_NOT_SUPPORTED;
  for (int i = 0; i < returned; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    if (options.deterministic && perf[i].determinism != CUDNN_DETERMINISTIC) continue;
    conv.setMathType(mathAllowed(options, perf[i].mathType) ? perf[i].mathType : CUDNN_FMA_MATH);
    std::size_t bytes = 0;
    if (workspaceSize(perf[i].algo, &bytes) != CUDNN_STATUS_SUCCESS) continue;
    void* workspace = bytes ? reinterpret_cast<void*>(device.workspace(bytes)) : nullptr;
    if (bytes && !workspace) continue;
    last = run(perf[i].algo, workspace, bytes);
    if (last == CUDNN_STATUS_SUCCESS) return;
  }
  checkCudnn(last, what);
}

}  // namespace

void Plan::unpackFilter(CUdeviceptr packed, CUdeviceptr target) const {
  checkCudnn(dnn().cudnnTransformTensor(device_.handle(), &kOne, filterPackedDesc_->get(), reinterpret_cast<void*>(packed), &kZero,
                                        filterSourceDesc_->get(), reinterpret_cast<void*>(target)),
             "cudnnTransformTensor (filter gradient layout)");
}

void Plan::enqueueBackward(CUdeviceptr x, CUdeviceptr filter, CUdeviceptr dy, CUdeviceptr dX, CUdeviceptr dW, CUdeviceptr dB) const {
  const CudnnApi& dn = dnn();
  const Problem& p = problem_;
  const std::size_t es = dtypeSize(options_.dtype);
  cudnnHandle_t handle = device_.handle();

  // dY as F's input: itself, or its window in the symmetric problem's shape.
  ScratchBuffer computed;
  CUdeviceptr input = dy;
  if (!direct_ && (dX || dW)) {
    int64_t elements = p.batch * p.outChannels;
    for (int c : computed_) elements *= c;
    computed = ScratchBuffer(device_, static_cast<std::size_t>(elements) * es, "the gradient's window");
    const DriverApi& cu = driver();
    if (es == 4) checkDriver(cu.cuMemsetD32Async(computed.pointer(), 0, static_cast<std::size_t>(elements), device_.stream()), "cuMemsetD32Async");
    else checkDriver(cu.cuMemsetD16Async(computed.pointer(), 0, static_cast<std::size_t>(elements), device_.stream()), "cuMemsetD16Async");
    copyWindow(computed.pointer(), dy, /*intoComputed=*/true);
    input = computed.pointer();
  }

  if (dX) {
    int maximum = 0;
    checkCudnn(dn.cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &maximum), "cudnnGetConvolutionForwardAlgorithmMaxCount");
    std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(std::max(maximum, 1));
    int returned = 0;
    checkCudnn(dn.cudnnGetConvolutionForwardAlgorithm_v7(handle, computedDesc_->get(), filterDesc_->get(), convDesc_->get(), xDesc_->get(),
                                                         maximum, &returned, perf.data()),
               "cudnnGetConvolutionForwardAlgorithm_v7");
    runFirstWorking(
        perf, returned, options_, *convDesc_, device_,
        [&](cudnnConvolutionFwdAlgo_t algo, std::size_t* bytes) {
          return dn.cudnnGetConvolutionForwardWorkspaceSize(handle, computedDesc_->get(), filterDesc_->get(), convDesc_->get(), xDesc_->get(),
                                                            algo, bytes);
        },
        [&](cudnnConvolutionFwdAlgo_t algo, void* workspace, std::size_t bytes) {
          return dn.cudnnConvolutionForward(handle, &kOne, computedDesc_->get(), reinterpret_cast<void*>(input), filterDesc_->get(),
                                            reinterpret_cast<void*>(filter), convDesc_->get(), algo, workspace, bytes, &kZero, xDesc_->get(),
                                            reinterpret_cast<void*>(dX));
        },
        "cudnnConvolutionForward (input gradient)");
  }

  if (dW) {
    int maximum = 0;
    checkCudnn(dn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, &maximum), "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount");
    std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(std::max(maximum, 1));
    int returned = 0;
    checkCudnn(dn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, computedDesc_->get(), xDesc_->get(), convDesc_->get(), filterDesc_->get(),
                                                                maximum, &returned, perf.data()),
               "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
    runFirstWorking(
        perf, returned, options_, *convDesc_, device_,
        [&](cudnnConvolutionBwdFilterAlgo_t algo, std::size_t* bytes) {
          return dn.cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, computedDesc_->get(), xDesc_->get(), convDesc_->get(),
                                                                   filterDesc_->get(), algo, bytes);
        },
        [&](cudnnConvolutionBwdFilterAlgo_t algo, void* workspace, std::size_t bytes) {
          return dn.cudnnConvolutionBackwardFilter(handle, &kOne, computedDesc_->get(), reinterpret_cast<void*>(input), xDesc_->get(),
                                                   reinterpret_cast<void*>(x), convDesc_->get(), algo, workspace, bytes, &kZero,
                                                   filterDesc_->get(), reinterpret_cast<void*>(dW));
        },
        "cudnnConvolutionBackwardFilter (weight gradient)");
  }

  if (dB && options_.dtype == DType::BFloat16) {
    // cudnnConvolutionBackwardBias takes float, double and half only (NOT_SUPPORTED on an H200
    // for bfloat16): our own per-channel sum, float64 inside.
    int64_t spatial = 1;
    for (int64_t n : p.outSpatial) spatial *= n;
    const bool last = p.layout == Layout::ChannelsLast;
    const BatchNormShape shape{last ? p.batch * spatial : p.batch, p.outChannels, last ? 1 : spatial};
    launchChannelSum(device_, options_.dtype, shape, dy, dB);
  } else if (dB) {
    std::vector<int> dims, strides;
    activationShape(1, p.outChannels, std::vector<int64_t>(spatial_, 1), Layout::ChannelsFirst, dims, strides);
    TensorDescriptor biasDesc(cudnnType(options_.dtype), dims, strides);
    checkCudnn(dn.cudnnConvolutionBackwardBias(handle, &kOne, yDesc_->get(), reinterpret_cast<void*>(dy), &kZero, biasDesc.get(),
                                               reinterpret_cast<void*>(dB)),
               "cudnnConvolutionBackwardBias (bias gradient)");
  }
}

}  // namespace deconv::cudnn
