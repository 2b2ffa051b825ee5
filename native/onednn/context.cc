#include "context.h"

#include <dlfcn.h>

#include <atomic>
#include <memory>
#include <vector>

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

void* threadScratch(int slot, std::size_t bytes) {
  // 64-byte aligned blocks so that oneDNN's vector loads never straddle a cache line needlessly.
  struct alignas(64) Block {
    unsigned char bytes[64];
  };
  thread_local std::vector<Block> buffers[5];
  std::vector<Block>& buffer = buffers[slot];
  const std::size_t blocks = (bytes + sizeof(Block) - 1) / sizeof(Block);
  if (buffer.size() < blocks) buffer.resize(blocks);
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
