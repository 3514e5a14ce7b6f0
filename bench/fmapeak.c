/* fmapeak.c — the machine's float32 FMA peak, per ISA, on 1 thread and on a
 * team: independent chains of fused multiply-adds on registers only (no
 * memory traffic), so GFLOP/s = 2 x FMAs x lanes / seconds is the ceiling the
 * engine's layers can be compared with (issue 8: "how close each path is to
 * the machine's limit").
 *
 *   build/bench/effnet-fmapeak [--threads N] [--seconds S]
 *
 * Prints one line per ISA the CPU has and thread count (1, then N; default
 * every core): isa=avx2 threads=1 gflops=... */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

/* Iterations per timed call: long enough that the clock's resolution does
 * not matter, short enough to repeat until `seconds` have passed. */
#define ITERS 1000000L

#ifdef HAVE_X86
/* Independent chains, each its own named register (an array of vectors may
 * be kept in memory): an FMA's latency (4-5 cycles) times 2 FMA pipes needs
 * 8-10 chains in flight. */
#define FMA12(F)                                                                                                       \
  c0 = F(c0, a, b), c1 = F(c1, a, b), c2 = F(c2, a, b), c3 = F(c3, a, b), c4 = F(c4, a, b), c5 = F(c5, a, b),          \
  c6 = F(c6, a, b), c7 = F(c7, a, b), c8 = F(c8, a, b), c9 = F(c9, a, b), c10 = F(c10, a, b), c11 = F(c11, a, b)

__attribute__((target("avx2,fma"))) static double chains_avx2(long iters) {
  const __m256 a = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f);
  /* different starting values: identical chains would be computed once */
  __m256 c0 = _mm256_set1_ps(1.000f), c1 = _mm256_set1_ps(1.001f), c2 = _mm256_set1_ps(1.002f),
         c3 = _mm256_set1_ps(1.003f), c4 = _mm256_set1_ps(1.004f), c5 = _mm256_set1_ps(1.005f),
         c6 = _mm256_set1_ps(1.006f), c7 = _mm256_set1_ps(1.007f), c8 = _mm256_set1_ps(1.008f),
         c9 = _mm256_set1_ps(1.009f), c10 = _mm256_set1_ps(1.010f), c11 = _mm256_set1_ps(1.011f);
  for (long i = 0; i < iters; i++) FMA12(_mm256_fmadd_ps);
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  float out[8];
  _mm256_storeu_ps(out, s);
  if (out[0] == 12345.0f) printf("%f\n", out[0]); /* keeps the chains alive */
  return 2.0 * 12 * 8 * (double)iters;
}

__attribute__((target("avx512f"))) static double chains_avx512(long iters) {
  const __m512 a = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f);
  /* different starting values: identical chains would be computed once */
  __m512 c0 = _mm512_set1_ps(1.000f), c1 = _mm512_set1_ps(1.001f), c2 = _mm512_set1_ps(1.002f),
         c3 = _mm512_set1_ps(1.003f), c4 = _mm512_set1_ps(1.004f), c5 = _mm512_set1_ps(1.005f),
         c6 = _mm512_set1_ps(1.006f), c7 = _mm512_set1_ps(1.007f), c8 = _mm512_set1_ps(1.008f),
         c9 = _mm512_set1_ps(1.009f), c10 = _mm512_set1_ps(1.010f), c11 = _mm512_set1_ps(1.011f);
  for (long i = 0; i < iters; i++) FMA12(_mm512_fmadd_ps);
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                           _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
  float out[16];
  _mm512_storeu_ps(out, s);
  if (out[0] == 12345.0f) printf("%f\n", out[0]);
  return 2.0 * 12 * 16 * (double)iters;
}
#endif

typedef double (*ChainsFn)(long iters);

typedef struct {
  const char *isa;
  ChainsFn fn;
  int ok; /* the CPU has it */
} Path;

/* GFLOP/s of `fn` on `threads` threads: each runs its own chains until
 * `seconds` have passed; the flops of all over the wall time. */
static double measure(ChainsFn fn, int threads, double seconds) {
  double flops = 0, t0, t1;
  fn(ITERS / 10); /* warm: clocks up, code paged in */
  t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
  {
    double mine = 0;
    while (omp_get_wtime() - t0 < seconds) mine += fn(ITERS);
    flops += mine;
  }
  t1 = omp_get_wtime();
  return flops / (t1 - t0) / 1e9;
}

int main(int argc, char **argv) {
  int threads = omp_get_num_procs();
  double seconds = 1.0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
    else {
      fprintf(stderr, "usage: effnet-fmapeak [--threads N] [--seconds S]\n");
      return 2;
    }
  }
  if (threads < 1 || threads > 4096 || !(seconds > 0 && seconds < 3600)) {
    fprintf(stderr, "effnet-fmapeak: --threads must be 1..4096 and --seconds 0..3600\n");
    return 2;
  }
  Path paths[2];
  int n = 0;
#ifdef HAVE_X86
  __builtin_cpu_init();
  paths[n++] = (Path){"avx2", chains_avx2, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")};
  paths[n++] = (Path){"avx512", chains_avx512, __builtin_cpu_supports("avx512f")};
#endif
  if (n == 0) printf("no SIMD FMA path is measured on this architecture\n");
  for (int p = 0; p < n; p++) {
    if (!paths[p].ok) {
      printf("isa=%s absent\n", paths[p].isa);
      continue;
    }
    printf("isa=%s threads=1 gflops=%.1f\n", paths[p].isa, measure(paths[p].fn, 1, seconds));
    if (threads > 1)
      printf("isa=%s threads=%d gflops=%.1f\n", paths[p].isa, threads, measure(paths[p].fn, threads, seconds));
    fflush(stdout);
  }
  return 0;
}
