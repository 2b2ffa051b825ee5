#include "context.h"

#include <dlfcn.h>

#include <atomic>
#include <memory>
#include <vector>

#include "../core/aligned_vector.h"
#include "../core/no_destructor.h"

namespace deconv::onednn {

namespace {

// OpenMP's controls, looked up at run time in whatever OpenMP runtime libdnnl loaded (GNU
// libgomp for the PyPI build): the addon itself then needs no -fopenmp and works with a oneDNN
// built on TBB or sequential too (where these are absent and the thread count is fixed).
using SetThreads = void (*)(int);
using GetThreads = int (*)();

SetThreads ompSetNumThreads() {
  static SetThreads fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  return fn;
}
GetThreads ompGetMaxThreads() {
  static GetThreads fn = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  return fn;
}

// 0 = not set by the user: the runtime's default (OMP_NUM_THREADS, else every allowed core).
std::atomic<int> requestedThreads{0};

}  // namespace

const dnnl::engine& cpuEngine() {
  static NoDestructor<dnnl::engine> engine(dnnl::engine::kind::cpu, 0);
  return engine.get();
}

dnnl::stream& threadStream() {
  thread_local dnnl::stream stream(cpuEngine());
  return stream;
}

dnnl::stream* teamStreams(int threads) {
  thread_local std::vector<dnnl::stream> streams;
  while (static_cast<int>(streams.size()) < threads) streams.emplace_back(cpuEngine());
  // By pointer: inside a parallel region, the name of a thread_local would mean each team thread's own.
  return streams.data();
}

void* threadScratch(int slot, std::size_t bytes) {
  // Cache-line aligned, and on huge pages from 2 MiB (aligned_vector.h says why). A buffer only
  // grows, so a thread's scratch settles at its largest problem's size and is never reallocated.
  thread_local AlignedVector<unsigned char> buffers[6];
  AlignedVector<unsigned char>& buffer = buffers[slot];
  if (buffer.size() < bytes) {
    buffer.clear();
    buffer.shrink_to_fit();  // free the old block before the larger one is mapped
    buffer.resize(bytes);
  }
  return buffer.empty() ? nullptr : buffer.data();
}

bool setNumThreads(int threads) {
  if (ompSetNumThreads() == nullptr) return false;
  requestedThreads.store(threads);
  return true;
}

int numThreads() {
  const int requested = requestedThreads.load();
  if (requested > 0) return requested;
  GetThreads get = ompGetMaxThreads();
  return get ? get() : 1;
}

void applyThreadCount() {
  thread_local int applied = 0;
  const int requested = requestedThreads.load();
  if (requested > 0 && requested != applied && ompSetNumThreads()) {
    ompSetNumThreads()(requested);
    applied = requested;
  }
}

ThreadCountScope::ThreadCountScope(int threads) {
  if (ompSetNumThreads() == nullptr || ompGetMaxThreads() == nullptr) return;
  previous_ = ompGetMaxThreads()();
  ompSetNumThreads()(threads);
}

ThreadCountScope::~ThreadCountScope() {
  if (previous_ > 0) ompSetNumThreads()(previous_);
}

void warmUpLibrary() {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  // On one thread: the warm-up runs on a JS thread before the first async call, and an OpenMP
  // team made there would compete with the compute thread's (see compute_queue.cc) for good.
  struct SingleThreaded {
    int previous = 0;
    SingleThreaded() {
      if (ompGetMaxThreads() && ompSetNumThreads()) {
        previous = ompGetMaxThreads()();
        ompSetNumThreads()(1);
      }
    }
    ~SingleThreaded() {
      if (previous > 0) ompSetNumThreads()(previous);
    }
  } singleThreaded;
  const dnnl::engine& engine = cpuEngine();
  dnnl::stream& stream = threadStream();
  float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 1}, y[9] = {}, z[4] = {};

  const dnnl::memory::desc src({1, 1, 2, 2}, dt::f32, tag::nchw), weights({1, 1, 2, 2}, dt::f32, tag::oihw),
      dst({1, 1, 3, 3}, dt::f32, tag::nchw);
  dnnl::post_ops ops;
  ops.append_eltwise(dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  const dnnl::deconvolution_forward::primitive_desc deconv(engine, dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                                           src, weights, dst, {1, 1}, {0, 0}, {0, 0}, attr);
  dnnl::deconvolution_forward(deconv).execute(
      stream, {{DNNL_ARG_SRC, dnnl::memory(src, engine, x)}, {DNNL_ARG_WEIGHTS, dnnl::memory(weights, engine, w)}, {DNNL_ARG_DST, dnnl::memory(dst, engine, y)}});

  const dnnl::memory::desc a({2, 2}, dt::f32, tag::ab), b({2, 2}, dt::f32, tag::ab), c({2, 2}, dt::f32, tag::ab);
  const dnnl::matmul::primitive_desc matmul(engine, a, b, c);
  dnnl::matmul(matmul).execute(stream, {{DNNL_ARG_SRC, dnnl::memory(a, engine, x)}, {DNNL_ARG_WEIGHTS, dnnl::memory(b, engine, w)}, {DNNL_ARG_DST, dnnl::memory(c, engine, z)}});

  dnnl::memory from(dnnl::memory::desc({2, 2}, dt::f32, tag::ab), engine, x), to(dnnl::memory::desc({2, 2}, dt::f32, tag::ba), engine, z);
  dnnl::reorder(from, to).execute(stream, from, to);
  stream.wait();

  // The kernel families that larger problems get (brgemm and JIT convolutions, forward and
  // backward, in the caller's and in blocked layouts) keep process-wide registries of their own,
  // made when the first such primitive is created: created here, so that they too outlive the
  // compute thread at exit. (Without this, a process that exited while the compute thread built
  // its first brgemm convolution crashed in that registry's destroyed lock.) Built, not run.
  const dnnl::memory::dims strides{2, 2}, dilations{0, 0}, pads{1, 1};
  for (const tag activations : {tag::nhwc, tag::nchw, tag::any}) {
    const dnnl::memory::desc src16({2, 16, 4, 4}, dt::f32, activations), dst16({2, 16, 8, 8}, dt::f32, activations);
    const dnnl::memory::desc anyWeights16({16, 16, 4, 4}, dt::f32, tag::any);
    try {
      const dnnl::deconvolution_forward::primitive_desc forward(engine, dnnl::prop_kind::forward_training,
                                                                dnnl::algorithm::deconvolution_direct, src16, anyWeights16,
                                                                dst16, strides, dilations, pads, pads);
      dnnl::deconvolution_forward{forward};
      dnnl::deconvolution_backward_data{dnnl::deconvolution_backward_data::primitive_desc(
          engine, dnnl::algorithm::deconvolution_direct, src16, anyWeights16, dst16, strides, dilations, pads, pads, forward)};
      dnnl::deconvolution_backward_weights{dnnl::deconvolution_backward_weights::primitive_desc(
          engine, dnnl::algorithm::deconvolution_direct, src16, anyWeights16, dst16, strides, dilations, pads, pads, forward)};
    } catch (const dnnl::error&) {
      // no such kernel on this CPU: nothing of it to make
    }
  }
}

const char* cpuIsaName() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx2_vnni_2: return "avx2_vnni_2";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_fp16: return "avx512_core_fp16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_core_amx_fp16: return "avx512_core_amx_fp16";
    default: return "other";
  }
}

bool hasBf16Support() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx2_vnni_2:
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_fp16:
    case dnnl::cpu_isa::avx512_core_amx:
    case dnnl::cpu_isa::avx512_core_amx_fp16:
      return true;
    default:
      return false;
  }
}

}  // namespace deconv::onednn
