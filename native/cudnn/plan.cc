#include "plan.h"

#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <vector>

#include "../core/error.h"
#include "layout.h"
#include "training_kernels.h"

namespace deconv::cudnn {

namespace {

const float kOne = 1.f;
const float kZero = 0.f;

const char* algorithmName(cudnnConvolutionBwdDataAlgo_t algo) {
  switch (algo) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0:
      return "ALGO_0";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1:
      return "ALGO_1";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT:
      return "FFT";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING:
      return "FFT_TILING";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD:
      return "WINOGRAD";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED:
      return "WINOGRAD_NONFUSED";
    default:
      return "unknown";
  }
}

const char* mathName(cudnnMathType_t math) {
  switch (math) {
    case CUDNN_DEFAULT_MATH:
      return "default math";
    case CUDNN_TENSOR_OP_MATH:
      return "tensor ops";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION:
      return "tensor ops with conversion";
    case CUDNN_FMA_MATH:
      return "FMA";
    default:
      return "math ?";
  }
}

// Fills a timing temporary with values spread over [-1, 1) in the plan's dtype. Engines are
// timed on data like the caller's: on zeros the tensor cores draw less power and clock higher,
// which once made a bf16 engine look fastest that was not on real data (fsrcnn-x4 at 0.26×).
void fillWithNoise(Device& device, CUdeviceptr target, int64_t elements, DType dtype) {
  if (elements <= 0) return;
  std::vector<float> values(static_cast<std::size_t>(elements));
  uint32_t state = 0x9e3779b9u;
  for (float& v : values) {
    state = state * 1664525u + 1013904223u;  // a fixed LCG: the same data for every plan
    v = static_cast<float>(state >> 8) * (2.f / 16777216.f) - 1.f;
  }
  std::vector<unsigned char> bytes(static_cast<std::size_t>(elements) * dtypeSize(dtype));
  fromFloat32(values.data(), bytes.data(), elements, dtype);
  // From pageable memory the call returns once the source is staged, so `bytes` may go now.
  checkDriver(driver().cuMemcpyHtoDAsync(target, bytes.data(), bytes.size(), device.stream()), "cuMemcpyHtoDAsync");
}

}  // namespace

Plan::Plan(const Problem& problem, const PlanOptions& options, Device& device) : problem_(problem), options_(options), device_(device) {
  const Problem& p = problem_;
  spatial_ = p.rank == 1 ? 2 : p.rank;
  const auto in = promoted(p, p.inSpatial, 1), out = promoted(p, p.outSpatial, 1), kernel = promoted(p, p.kernel, 1);
  const auto strides = promoted(p, p.strides, 1), dilations = promoted(p, p.dilations, 1);
  const auto begin = promoted(p, p.padsBegin, 0), end = promoted(p, p.padsEnd, 0);

  std::vector<int64_t> computed(spatial_);
  pads_.assign(spatial_, 0);
  shift_.assign(spatial_, 0);
  for (int i = 0; i < spatial_; ++i) {
    const int64_t full = (in[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1;
    // cuDNN's output-size rule leaves stride − 1 positions of slack at the end, so pad = begin
    // writes y directly whenever begin ≥ end ≥ begin − (stride − 1): symmetric pads, ONNX
    // output_padding. Otherwise the largest symmetric pad that covers y, then a window copy.
    const bool slack = begin[i] >= 0 && end[i] <= begin[i] && begin[i] - end[i] <= strides[i] - 1;
    const int64_t pad = slack ? begin[i] : std::max<int64_t>(0, std::min(begin[i], end[i]));
    pads_[i] = static_cast<int>(pad);
    computed[i] = slack ? out[i] : full - 2 * pad;
    shift_[i] = begin[i] - pad;
    if (computed[i] != out[i] || shift_[i] != 0) direct_ = false;
    const int64_t lo = std::max<int64_t>(0, -shift_[i]);
    const int64_t hi = std::min<int64_t>(out[i], computed[i] - shift_[i]);
    if (lo != 0 || hi != out[i]) bands_ = true;
  }
  computed_ = narrow(computed);

  const cudnnDataType_t type = cudnnType(options.dtype);
  std::vector<int> dims, dimStrides;
  activationShape(p.batch, p.inChannels, in, p.layout, dims, dimStrides);
  xDesc_ = std::make_unique<TensorDescriptor>(type, dims, dimStrides);
  activationShape(p.batch, p.outChannels, computed, p.layout, dims, dimStrides);
  computedDesc_ = std::make_unique<TensorDescriptor>(type, dims, dimStrides);
  activationShape(p.batch, p.outChannels, out, p.layout, dims, dimStrides);
  yDesc_ = std::make_unique<TensorDescriptor>(type, dims, dimStrides);
  if (p.hasBias) {
    activationShape(1, p.outChannels, std::vector<int64_t>(spatial_, 1), Layout::ChannelsFirst, dims, dimStrides);
    biasDesc_ = std::make_unique<TensorDescriptor>(type, dims, dimStrides);
  }

  // The filter as cuDNN sees the forward convolution: K = our C outputs, M/g inputs per group.
  const cudnnTensorFormat_t format = p.layout == Layout::ChannelsLast ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
  std::vector<int> filterDims{static_cast<int>(p.inChannels), static_cast<int>(p.outChannels / p.groups)};
  for (int64_t k : kernel) filterDims.push_back(static_cast<int>(k));
  filterDesc_ = std::make_unique<FilterDescriptor>(type, format, filterDims);
  filterNeedsPacking_ = !(format == CUDNN_TENSOR_NCHW && p.filterLayout == FilterLayout::InOutSpatial);
  if (filterNeedsPacking_) {
    filterSourceDesc_ = std::make_unique<TensorDescriptor>(type, filterDims, filterSourceStrides(filterDims, p.filterLayout));
    filterPackedDesc_ = std::make_unique<TensorDescriptor>(type, filterDims, filterTargetStrides(filterDims, format));
  }

  convDesc_ = std::make_unique<ConvolutionDescriptor>(pads_, narrow(strides), narrow(dilations), static_cast<int>(p.groups), CUDNN_DATA_FLOAT);
  if (options.dtype == DType::Float32) {
    convDesc_->setMathType(options.allowTf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH);
  } else {
    convDesc_->setMathType(CUDNN_TENSOR_OP_MATH);
  }

  switch (p.activation) {
    case Activation::Relu:
      activation_ = std::make_unique<ActivationDescriptor>(CUDNN_ACTIVATION_RELU, 0.0);
      break;
    case Activation::Sigmoid:
      activation_ = std::make_unique<ActivationDescriptor>(CUDNN_ACTIVATION_SIGMOID, 0.0);
      break;
    case Activation::Tanh:
      activation_ = std::make_unique<ActivationDescriptor>(CUDNN_ACTIVATION_TANH, 0.0);
      break;
    case Activation::Elu:
      activation_ = std::make_unique<ActivationDescriptor>(CUDNN_ACTIVATION_ELU, p.activationAlpha);
      break;
    case Activation::LeakyRelu:
      // max(x, αx) for α ≤ 1, min(x, αx) above: leakyRelu either way.
      leaky_ = std::make_unique<OpTensorDescriptor>(p.activationAlpha <= 1.f ? CUDNN_OP_TENSOR_MAX : CUDNN_OP_TENSOR_MIN);
      break;
    case Activation::None:
      break;
  }

  buildGraphs();
  try {
    if (options.benchmark) orderByTiming();
    else orderByHeuristics();
  } catch (const Error& e) {
    if (!graphDirect_ && !graphWindow_) throw;
    notes_ += std::string("; legacy: ") + e.what();
  }
  if (candidates_.empty() && !graphDirect_ && !graphWindow_) {
    throw Error(ErrorKind::Error, "cudnn: no backward-data algorithm supports this problem" +
                                      std::string(options.deterministic ? " deterministically" : "") + " within the workspace limit");
  }
  choosePath();
}

void Plan::buildGraphs() {
  if (const char* api = std::getenv("DECONV_CUDNN_API"); api && std::string(api) == "legacy") {
    notes_ = "graph API off (DECONV_CUDNN_API=legacy)";
    return;
  }
  const Problem& p = problem_;
  const auto out = promoted(p, p.outSpatial, 1), strides = promoted(p, p.strides, 1);
  const auto begin = promoted(p, p.padsBegin, 0), end = promoted(p, p.padsEnd, 0);
  // Direct: pre = begin; post = begin too when the end lies within the stride's slack (the
  // symmetric form every engine takes), else the end itself (engines that take asymmetric pads).
  std::vector<int64_t> pre(spatial_), post(spatial_);
  bool expressible = true;
  directSymmetric_ = true;
  for (int i = 0; i < spatial_; ++i) {
    const bool slack = begin[i] >= end[i] && begin[i] - end[i] <= strides[i] - 1;
    pre[i] = begin[i];
    post[i] = slack ? begin[i] : std::max<int64_t>(0, end[i]);
    if (begin[i] < 0 || post[i] - end[i] > strides[i] - 1) expressible = false;
    if (pre[i] != post[i]) directSymmetric_ = false;
  }
  if (expressible) {
    try {
      graphDirect_ = std::make_unique<GraphDgrad>(p, options_, device_, pre, post, out);
    } catch (const Error& e) {
      notes_ += std::string("graph direct: ") + e.what() + "; ";
    }
  }
  if (!direct_) {
    // The window path's symmetric problem, on the graph API's engines.
    const std::vector<int64_t> pads(pads_.begin(), pads_.end()), computed(computed_.begin(), computed_.end());
    try {
      graphWindow_ = std::make_unique<GraphDgrad>(p, options_, device_, pads, pads, computed);
    } catch (const Error& e) {
      notes_ += std::string("graph window: ") + e.what() + "; ";
    }
  }
}

// Heuristics: the graph API (more engines, less host work per call), straight into y when the
// paddings are symmetric, else through the window when it exists. Timed: every path end to end
// on the device, the fastest kept.
void Plan::choosePath() {
  if (!options_.benchmark) {
    if (graphDirect_ && (directSymmetric_ || !graphWindow_)) path_ = Path::GraphDirect;
    else if (graphWindow_) path_ = Path::GraphWindow;
    else path_ = Path::Legacy;
    return;
  }
  const Problem& p = problem_;
  const std::size_t es = dtypeSize(options_.dtype);
  ScratchBuffer x(device_, static_cast<std::size_t>(p.inputElements()) * es, "timing input");
  ScratchBuffer w(device_, static_cast<std::size_t>(p.filterElements()) * es, "timing filter");
  ScratchBuffer y(device_, static_cast<std::size_t>(p.outputElements()) * es, "timing output");
  fillWithNoise(device_, x.pointer(), p.inputElements(), options_.dtype);
  fillWithNoise(device_, w.pointer(), p.filterElements(), options_.dtype);
  if (graphDirect_) graphDirect_->chooseByTiming(x.pointer(), w.pointer(), y.pointer());
  if (graphWindow_) {
    int64_t elements = p.batch * p.outChannels;
    for (int c : computed_) elements *= c;
    ScratchBuffer computed(device_, static_cast<std::size_t>(elements) * es, "timing window");
    graphWindow_->chooseByTiming(x.pointer(), w.pointer(), computed.pointer());
  }
  float best = -1.f;
  std::string timings;
  for (Path path : {Path::GraphDirect, Path::GraphWindow, Path::Legacy}) {
    const float ms = timePath(path, x.pointer(), w.pointer(), y.pointer());
    if (ms < 0.f) continue;
    timings += std::string(path == Path::GraphDirect ? "direct " : path == Path::GraphWindow ? "window " : "legacy ") + std::to_string(ms) + " ms, ";
    if (best < 0.f || ms < best) {
      best = ms;
      path_ = path;
    }
  }
  notes_ += "timed: " + timings;
}

// The whole path (convolution and any window copy) on the device, by CUDA events; -1 when the
// path does not exist or fails.
float Plan::timePath(Path path, CUdeviceptr x, CUdeviceptr filter, CUdeviceptr y) const {
  if ((path == Path::GraphDirect && !graphDirect_) || (path == Path::GraphWindow && !graphWindow_) ||
      (path == Path::Legacy && candidates_.empty())) {
    return -1.f;
  }
  float ms = -1.f;
  try {
    // A warm-up, then the best of 3 rounds of 3 runs (paths can be a few per cent apart).
    if (enqueueVia(path, x, filter, y)) {
      for (int round = 0; round < 3; ++round) {
        const float roundMs = device_.timeRuns(3, [&] { return enqueueVia(path, x, filter, y); });
        if (roundMs < 0.f) return -1.f;
        if (ms < 0.f || roundMs < ms) ms = roundMs;
      }
    }
  } catch (const Error&) {
    return -1.f;
  }
  return ms;
}

void Plan::keepCandidate(cudnnConvolutionBwdDataAlgo_t algo, cudnnMathType_t math, cudnnStatus_t status, cudnnDeterminism_t determinism,
                         std::vector<Candidate>& into, std::vector<Candidate>& rejectedMath) const {
  if (status != CUDNN_STATUS_SUCCESS) return;
  if (options_.deterministic && determinism != CUDNN_DETERMINISTIC) return;
  for (const Candidate& c : into) {
    if (c.algo == algo && c.math == math) return;  // listed once
  }
  if (options_.dtype == DType::Float32 && !options_.allowTf32 && math != CUDNN_FMA_MATH) {
    rejectedMath.push_back({algo, CUDNN_FMA_MATH, 0});
    return;
  }
  into.push_back({algo, math, 0});
}

void Plan::orderByHeuristics() {
  const CudnnApi& dn = dnn();
  int maximum = 0;
  checkCudnn(dn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(device_.handle(), &maximum), "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(std::max(maximum, 1));
  int returned = 0;
  checkCudnn(dn.cudnnGetConvolutionBackwardDataAlgorithm_v7(device_.handle(), filterDesc_->get(), xDesc_->get(), convDesc_->get(),
                                                            computedDesc_->get(), maximum, &returned, perf.data()),
             "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  std::vector<Candidate> ordered, rejectedMath;
  for (int i = 0; i < returned; ++i) keepCandidate(perf[i].algo, perf[i].mathType, perf[i].status, perf[i].determinism, ordered, rejectedMath);
  if (ordered.empty()) ordered = rejectedMath;  // FMA forced on what the heuristics offered
  const int64_t cap = Device::workspaceLimit();
  for (Candidate c : ordered) {
    convDesc_->setMathType(c.math);
    std::size_t bytes = 0;
    if (dn.cudnnGetConvolutionBackwardDataWorkspaceSize(device_.handle(), filterDesc_->get(), xDesc_->get(), convDesc_->get(),
                                                        computedDesc_->get(), c.algo, &bytes) != CUDNN_STATUS_SUCCESS) {
      continue;
    }
    if (static_cast<int64_t>(bytes) > cap) continue;
    c.workspace = bytes;
    candidates_.push_back(c);
  }
}

void Plan::orderByTiming() {
  const CudnnApi& dn = dnn();
  const std::size_t es = dtypeSize(options_.dtype);
  const Problem& p = problem_;
  int64_t computedElements = p.batch * p.outChannels;
  for (int c : computed_) computedElements *= c;
  // Temporaries with data like the caller's (fillWithNoise): cudnnFind runs every algorithm on them.
  ScratchBuffer x(device_, static_cast<std::size_t>(p.inputElements()) * es, "cudnnFind's input");
  ScratchBuffer w(device_, static_cast<std::size_t>(p.filterElements()) * es, "cudnnFind's filter");
  ScratchBuffer dx(device_, static_cast<std::size_t>(computedElements) * es, "cudnnFind's output");
  fillWithNoise(device_, x.pointer(), p.inputElements(), options_.dtype);
  fillWithNoise(device_, w.pointer(), p.filterElements(), options_.dtype);
  // As much workspace as the limit allows and the device has.
  std::size_t workspaceBytes = static_cast<std::size_t>(Device::workspaceLimit());
  ScratchBuffer workspace;
  while (workspaceBytes > 0) {
    workspace = ScratchBuffer::tryMake(device_, workspaceBytes);
    if (workspace.pointer()) break;
    workspaceBytes /= 4;
  }
  int maximum = 0;
  checkCudnn(dn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(device_.handle(), &maximum), "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(std::max(maximum, 1));
  int returned = 0;
  checkCudnn(dn.cudnnFindConvolutionBackwardDataAlgorithmEx(device_.handle(), filterDesc_->get(), w.get(), xDesc_->get(), x.get(),
                                                            convDesc_->get(), computedDesc_->get(), dx.get(), maximum, &returned,
                                                            perf.data(), workspace.get(), workspaceBytes),
             "cudnnFindConvolutionBackwardDataAlgorithmEx");
  std::vector<Candidate> ordered, rejectedMath;
  for (int i = 0; i < returned; ++i) {
    const std::size_t before = ordered.size();
    keepCandidate(perf[i].algo, perf[i].mathType, perf[i].status, perf[i].determinism, ordered, rejectedMath);
    if (ordered.size() > before) ordered.back().workspace = perf[i].memory;
  }
  candidates_ = ordered;  // fastest first
  if (candidates_.empty()) orderByHeuristics();  // nothing timed fits the rules: fall back
}

void Plan::packFilter(CUdeviceptr source, CUdeviceptr target) const {
  checkCudnn(dnn().cudnnTransformTensor(device_.handle(), &kOne, filterSourceDesc_->get(), reinterpret_cast<void*>(source), &kZero,
                                        filterPackedDesc_->get(), reinterpret_cast<void*>(target)),
             "cudnnTransformTensor (filter layout)");
}

void Plan::enqueue(CUdeviceptr x, CUdeviceptr filter, CUdeviceptr bias, CUdeviceptr y) const {
  if (!enqueueVia(path_, x, filter, y)) {
    // The chosen path failed at run time (no workspace, an engine refusing): the legacy
    // algorithms from now on, if there are any.
    if (path_ == Path::Legacy || candidates_.empty()) throw Error(ErrorKind::Error, "cudnn: backward data failed: " + notes_);
    path_ = Path::Legacy;
    enqueueLegacy(x, filter, y);
  }
  epilogue(bias, y);
}

bool Plan::enqueueVia(Path path, CUdeviceptr x, CUdeviceptr filter, CUdeviceptr y) const {
  switch (path) {
    case Path::GraphDirect:
      return graphDirect_ && graphDirect_->enqueue(x, filter, y) == CUDNN_STATUS_SUCCESS;
    case Path::GraphWindow: {
      if (!graphWindow_) return false;
      int64_t elements = problem_.batch * problem_.outChannels;
      for (int c : computed_) elements *= c;
      ScratchBuffer computed(device_, static_cast<std::size_t>(elements) * dtypeSize(options_.dtype), "the uncropped output");
      if (graphWindow_->enqueue(x, filter, computed.pointer()) != CUDNN_STATUS_SUCCESS) return false;
      fillBands(y);
      copyWindow(computed.pointer(), y);
      return true;
    }
    case Path::Legacy:
      return !candidates_.empty() && enqueueLegacy(x, filter, y);
  }
  return false;
}

void Plan::fillBands(CUdeviceptr y) const {
  if (!bands_) return;
  const std::size_t elements = static_cast<std::size_t>(problem_.outputElements());
  const DriverApi& cu = driver();
  if (dtypeSize(options_.dtype) == 4) checkDriver(cu.cuMemsetD32Async(y, 0, elements, device_.stream()), "cuMemsetD32Async");
  else checkDriver(cu.cuMemsetD16Async(y, 0, elements, device_.stream()), "cuMemsetD16Async");
}

bool Plan::enqueueLegacy(CUdeviceptr x, CUdeviceptr filter, CUdeviceptr y) const {
  const CudnnApi& dn = dnn();
  const Problem& p = problem_;
  const std::size_t es = dtypeSize(options_.dtype);
  ScratchBuffer computed;
  if (!direct_) {
    int64_t elements = p.batch * p.outChannels;
    for (int c : computed_) elements *= c;
    computed = ScratchBuffer(device_, static_cast<std::size_t>(elements) * es, "the uncropped output");
  }
  const CUdeviceptr target = direct_ ? y : computed.pointer();

  cudnnStatus_t last = CUDNN_STATUS_NOT_SUPPORTED;
  bool ran = false;
  for (std::size_t i = chosen_; i < candidates_.size() && !ran; ++i) {
    const Candidate& c = candidates_[i];
    void* workspace = nullptr;
    if (c.workspace > 0) {
      workspace = reinterpret_cast<void*>(device_.workspace(c.workspace));
      if (!workspace) continue;  // cannot have this one's workspace: try the next
    }
    convDesc_->setMathType(c.math);
    last = dn.cudnnConvolutionBackwardData(device_.handle(), &kOne, filterDesc_->get(), reinterpret_cast<void*>(filter), xDesc_->get(),
                                           reinterpret_cast<void*>(x), convDesc_->get(), c.algo, workspace, c.workspace, &kZero,
                                           computedDesc_->get(), reinterpret_cast<void*>(target));
    if (last == CUDNN_STATUS_SUCCESS) {
      chosen_ = i;
      ran = true;
    }
  }
  if (!ran) {
    if (last == CUDNN_STATUS_NOT_SUPPORTED) {
      throw Error(ErrorKind::Error, "cudnn: out of device memory for every algorithm's workspace, or none supports this problem");
    }
    checkCudnn(last, "cudnnConvolutionBackwardData");
  }

  if (!direct_) {
    fillBands(y);
    copyWindow(computed.pointer(), y);
  }
  return true;
}

void Plan::copyWindow(CUdeviceptr computed, CUdeviceptr y, bool intoComputed) const {
  const Problem& p = problem_;
  const auto out = promoted(p, p.outSpatial, 1);
  struct Dim {
    int64_t length, sourceExtent, targetExtent, sourceStart, targetStart;
  };
  std::vector<Dim> dims;  // outermost first
  const bool last = p.layout == Layout::ChannelsLast;
  dims.push_back(last ? Dim{p.batch, p.batch, p.batch, 0, 0} : Dim{p.batch * p.outChannels, p.batch * p.outChannels, p.batch * p.outChannels, 0, 0});
  for (int i = 0; i < spatial_; ++i) {
    const int64_t lo = std::max<int64_t>(0, -shift_[i]);
    const int64_t hi = std::min<int64_t>(out[i], computed_[i] - shift_[i]);
    if (hi <= lo) return;  // nothing of the computed output lands in y (all of it is bands)
    dims.push_back({hi - lo, computed_[i], out[i], lo + shift_[i], lo});
  }
  if (last) dims.push_back({p.outChannels, p.outChannels, p.outChannels, 0, 0});
  if (intoComputed) {
    // The same window, from y into the computed buffer.
    for (Dim& d : dims) {
      std::swap(d.sourceExtent, d.targetExtent);
      std::swap(d.sourceStart, d.targetStart);
    }
    std::swap(computed, y);
  }
  // Bytes in the innermost dimension.
  const int64_t es = static_cast<int64_t>(dtypeSize(options_.dtype));
  Dim& inner = dims.back();
  inner.length *= es;
  inner.sourceExtent *= es;
  inner.targetExtent *= es;
  inner.sourceStart *= es;
  inner.targetStart *= es;
  // Fold a dimension copied whole into the one outside it.
  while (dims.size() > 1) {
    const Dim& in = dims.back();
    if (!(in.length == in.sourceExtent && in.length == in.targetExtent && in.sourceStart == 0 && in.targetStart == 0)) break;
    Dim& outer = dims[dims.size() - 2];
    outer = {outer.length * in.length, outer.sourceExtent * in.sourceExtent, outer.targetExtent * in.targetExtent,
             outer.sourceStart * in.sourceExtent, outer.targetStart * in.targetExtent};
    dims.pop_back();
  }
  // Strides (in bytes) of each remaining dimension in source and target.
  const std::size_t n = dims.size();
  std::vector<int64_t> sourceStride(n, 1), targetStride(n, 1);
  for (std::size_t i = n - 1; i-- > 0;) {
    sourceStride[i] = sourceStride[i + 1] * dims[i + 1].sourceExtent;
    targetStride[i] = targetStride[i + 1] * dims[i + 1].targetExtent;
  }
  int64_t sourceBase = 0, targetBase = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sourceBase += dims[i].sourceStart * sourceStride[i];
    targetBase += dims[i].targetStart * targetStride[i];
  }
  const DriverApi& cu = driver();
  if (n == 1) {
    checkDriver(cu.cuMemcpyDtoDAsync(y + targetBase, computed + sourceBase, static_cast<std::size_t>(dims[0].length), device_.stream()),
                "cuMemcpyDtoDAsync");
    return;
  }
  // Strided: one kernel over the whole window (cuMemcpy3D moved short rows at a fraction of the
  // bandwidth), in 4-byte units where every byte count allows, else 2-byte ones.
  const int64_t unit = (dims[n - 1].length | dims[n - 1].sourceExtent | dims[n - 1].targetExtent | dims[n - 1].sourceStart |
                        dims[n - 1].targetStart) % 4 == 0 ? 4 : 2;
  WindowCopyShape shape;
  shape.unitBytes = static_cast<int>(unit);
  for (std::size_t i = 0; i < n; ++i) {
    shape.length.push_back(i + 1 == n ? dims[i].length / unit : dims[i].length);
    shape.sourceStride.push_back(i + 1 == n ? 1 : sourceStride[i] / unit);
    shape.targetStride.push_back(i + 1 == n ? 1 : targetStride[i] / unit);
  }
  launchWindowCopy(device_, shape, computed + sourceBase, y + targetBase);
}

void Plan::epilogue(CUdeviceptr bias, CUdeviceptr y) const {
  const CudnnApi& dn = dnn();
  void* out = reinterpret_cast<void*>(y);
  if (problem_.hasBias) {
    checkCudnn(dn.cudnnAddTensor(device_.handle(), &kOne, biasDesc_->get(), reinterpret_cast<void*>(bias), &kOne, yDesc_->get(), out),
               "cudnnAddTensor (bias)");
  }
  if (activation_) {
    checkCudnn(dn.cudnnActivationForward(device_.handle(), activation_->get(), &kOne, yDesc_->get(), out, &kZero, yDesc_->get(), out),
               "cudnnActivationForward");
  } else if (leaky_) {
    const float alpha = problem_.activationAlpha;
    checkCudnn(dn.cudnnOpTensor(device_.handle(), leaky_->get(), &kOne, yDesc_->get(), out, &alpha, yDesc_->get(), out, &kZero,
                                yDesc_->get(), out),
               "cudnnOpTensor (leakyRelu)");
  }
}

std::string Plan::describe() const {
  std::string text;
  if (path_ == Path::GraphDirect) text = "graph direct: " + graphDirect_->describe();
  else if (path_ == Path::GraphWindow) text = "graph window: " + graphWindow_->describe();
  else if (candidates_.empty()) text = "no algorithm";
  else {
    const Candidate& c = candidates_[std::min(chosen_, candidates_.size() - 1)];
    text = std::string("legacy ") + algorithmName(c.algo) + ", " + mathName(c.math) + ", workspace " + std::to_string(c.workspace) + " B, " +
           (direct_ ? "direct" : bands_ ? "window+bands" : "window") + ", " + std::to_string(candidates_.size()) + " candidates";
  }
  text += options_.benchmark ? " (timed" : " (heuristics";
  return text + (notes_.empty() ? ")" : "; " + notes_ + ")");
}

}  // namespace deconv::cudnn
