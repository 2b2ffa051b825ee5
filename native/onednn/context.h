// The oneDNN CPU engine, per-thread streams and scratch memory, and the thread count.
#pragma once

#include <dnnl.hpp>

#include <cstddef>

namespace deconv::onednn {

// The process-wide CPU engine (oneDNN engines are thread-safe and cheap to share).
const dnnl::engine& cpuEngine();

// An in-order stream for the calling thread: CPU primitives run on the thread that executes them.
dnnl::stream& threadStream();

// Streams for a team of `threads` OpenMP threads that the calling thread starts (one each, by
// team thread number), owned by the calling thread: a team thread then holds nothing of ours when
// libgomp ends it (when the calling thread exits, possibly while the process itself exits).
dnnl::stream* teamStreams(int threads);

// Scratch memory owned by the calling thread, at least `bytes` long (grown, never shrunk).
// Used for primitive scratchpads and per-call weight reorders, so a call allocates nothing once
// warm. `slot` (0..5) separates buffers needed at the same time: 0 scratchpad, 1 reordered
// weights, 2 the inner box of a banded output, 3, 4 and 5 reordered activations.
void* threadScratch(int slot, std::size_t bytes);

// Threads used by each oneDNN call. Applied to the calling thread before each execution and before
// a plan's primitives are made (they keep the count they were made for, see ThreadCountScope), since
// OpenMP's thread count is per-thread state. Returns false when the runtime has no such control.
bool setNumThreads(int threads);
int numThreads();
void applyThreadCount();

// The calling thread's OpenMP thread count set to `threads` while it lives, then set back. oneDNN's
// CPU primitives take the count at creation for their work split, and run that many threads
// whatever the count is when they execute: primitives made inside this scope are for `threads`
// (1: a way that runs a single-threaded primitive per image in a team of its own).
class ThreadCountScope {
 public:
  explicit ThreadCountScope(int threads);
  ~ThreadCountScope();
  ThreadCountScope(const ThreadCountScope&) = delete;
  ThreadCountScope& operator=(const ThreadCountScope&) = delete;

 private:
  int previous_ = 0;  // 0: nothing to set back (no OpenMP controls)
};

// Builds and runs one small primitive of each kind the backend uses (deconvolution with a post-op,
// matmul, reorder), and builds deconvolutions of each kernel family, so that oneDNN's lazily made process-wide state (its primitive cache among it)
// exists from then on. Code that registers an atexit handler after this runs before that state's
// destructors at exit. Safe to call more than once; throws dnnl::error if oneDNN fails.
void warmUpLibrary();

// The best instruction set oneDNN uses on this CPU, e.g. "avx2", "avx512_core_bf16".
const char* cpuIsaName();
// Whether bf16 arithmetic has hardware support here (AVX512-BF16, AVX-VNNI-INT8/NE-CONVERT, AMX).
bool hasBf16Support();

}  // namespace deconv::onednn
