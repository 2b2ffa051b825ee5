/*
 * fp32 peak of this machine: a register-resident FMA loop (no memory traffic) on 1 thread and on
 * N threads (OpenMP). Built by bench/run.mjs with `cc -O2 -march=native -fopenmp`; the widest
 * vector unit that -march=native enables is used (AVX-512 > AVX2+FMA > SSE scalar fallback).
 *
 *   fma [threads] [seconds]   ->   one JSON line: {"isa":..., "threads1":GF/s, "threadsN":GF/s, "n":N}
 *   fma --loaded [threads] [seconds]   ->   {"loadedN":GF/s, "n":N}
 *
 * Each thread runs ACC independent accumulator chains so that FMA latency (4-5 cycles) times the
 * number of FMA pipes (2 on current x86 cores) is covered. GFLOP/s = 2 flops per lane per FMA.
 *
 * --loaded: the same FMAs fed from memory the way a convolution's or GEMM's inner kernel feeds
 * them: per 12 FMAs, 2 vector loads and 6 broadcast loads from an 11 KiB block that stays in the
 * L1 cache. On this project's VM the register-only loop ran at 100 GFLOP/s per core at all times,
 * while this one ran at 84-99 in quiet spells and 58-68 in others (most likely another tenant
 * on the same physical core, competing for its load and issue slots), and load-fed kernels slow
 * with it. The benchmark runs this probe next to each layer to show when that happened.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#define ISA "avx512f"
#define LANES 16
typedef __m512 vec;
#define VSET(x) _mm512_set1_ps(x)
#define VLOAD(p) _mm512_loadu_ps(p)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VADD(a, b) _mm512_add_ps(a, b)
static float vsum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ISA "avx2+fma"
#define LANES 8
typedef __m256 vec;
#define VSET(x) _mm256_set1_ps(x)
#define VLOAD(p) _mm256_loadu_ps(p)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VADD(a, b) _mm256_add_ps(a, b)
static float vsum(vec v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#else
#define ISA "scalar"
#define LANES 1
typedef float vec;
#define VSET(x) (x)
#define VLOAD(p) (*(p))
#define VFMA(a, b, c) ((a) * (b) + (c))
#define VADD(a, b) ((a) + (b))
static float vsum(vec v) { return v; }
#endif

#define ACC 12

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs `iters` rounds of ACC FMAs per thread; returns a value that depends on every result. */
static float kernel(long iters, float seed) {
  vec a = VSET(0.999999f), b = VSET(1e-7f * seed);
  vec acc[ACC];
  for (int i = 0; i < ACC; i++) acc[i] = VSET(seed + i);
  for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < ACC; i++) acc[i] = VFMA(acc[i], a, b);
  }
  vec s = acc[0];
  for (int i = 1; i < ACC; i++) s = VADD(s, acc[i]);
  return vsum(s);
}

/* Runs `blocks` passes over an L1-resident block: per step 2 vector loads of x, 6 broadcasts of w,
 * 12 FMAs into 12 accumulators (a 6 x 2-vector tile). */
#define STEPS 64
static float loadedKernel(long blocks, float seed) {
  static __thread float x[STEPS * 2 * LANES + LANES], w[STEPS * 6];
  for (int i = 0; i < STEPS * 2 * LANES; i++) x[i] = 1e-3f * seed;
  for (int i = 0; i < STEPS * 6; i++) w[i] = 1e-4f;
  vec acc[ACC];
  for (int i = 0; i < ACC; i++) acc[i] = VSET(seed + i);
  for (long b = 0; b < blocks; b++) {
    const float *xp = x, *wp = w;
    for (int step = 0; step < STEPS; step++, xp += 2 * LANES, wp += 6) {
      vec x0 = VLOAD(xp), x1 = VLOAD(xp + LANES);
#pragma GCC unroll 6
      for (int i = 0; i < 6; i++) {
        vec bc = VSET(wp[i]);
        acc[2 * i] = VFMA(bc, x0, acc[2 * i]);
        acc[2 * i + 1] = VFMA(bc, x1, acc[2 * i + 1]);
      }
    }
  }
  vec s = acc[0];
  for (int i = 1; i < ACC; i++) s = VADD(s, acc[i]);
  return vsum(s);
}

/* GFLOP/s on `threads` threads for about `seconds` (best of 5 timed runs). */
static double measure(int threads, double seconds, volatile float *sink, int loaded) {
  long iters = 1000000;
  /* calibrate on this thread count */
  for (;;) {
    double t0 = now();
#pragma omp parallel num_threads(threads)
    { float r = loaded ? loadedKernel(iters, 1.0f + omp_get_thread_num()) : kernel(iters, 1.0f + omp_get_thread_num()); if (r == 12345.0f) *sink = r; }
    double dt = now() - t0;
    if (dt > seconds / 5) break;
    iters *= 2;
  }
  double best = 0;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = now();
#pragma omp parallel num_threads(threads)
    { float r = loaded ? loadedKernel(iters, 1.0f + omp_get_thread_num()) : kernel(iters, 1.0f + omp_get_thread_num()); if (r == 12345.0f) *sink = r; }
    double dt = now() - t0;
    double gf = (double)threads * iters * (loaded ? STEPS : 1) * ACC * LANES * 2.0 / dt / 1e9;
    if (gf > best) best = gf;
  }
  return best;
}

int main(int argc, char **argv) {
  int loaded = argc > 1 && strcmp(argv[1], "--loaded") == 0;
  if (loaded) argc--, argv++;
  int n = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
  double seconds = argc > 2 ? atof(argv[2]) : 0.5;
  if (n < 1) n = 1;
  volatile float sink = 0;
  if (loaded) {
    printf("{\"loadedN\":%.2f,\"n\":%d}\n", measure(n, seconds, &sink, 1), n);
    return 0;
  }
  double g1 = measure(1, seconds, &sink, 0);
  double gn = measure(n, seconds, &sink, 0);
  printf("{\"isa\":\"%s\",\"lanes\":%d,\"accumulators\":%d,\"threads1\":%.2f,\"threadsN\":%.2f,\"n\":%d}\n", ISA, LANES, ACC, g1, gn, n);
  return 0;
}
