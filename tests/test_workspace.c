/* test_workspace.c — the workspace takes what it uses and refuses what the
 * machine cannot hold (issue 9, defect 5).
 *
 * 1. Creating a workspace does not write its buffers: memory becomes resident
 *    as a forward pass uses it. A B0 workspace for 16 images is ~120 MB; it
 *    used to be zeroed whole at creation.
 * 2. A plan larger than half the machine's memory (B0 at 2048 px for 4096
 *    images, B7 at 2048 px for 256) is refused with a sentence instead of being handed
 *    to an overcommitting kernel whose OOM killer would end the process.
 * 3. A forward pass in a workspace planned for 16 runs at batch 1 and 3.
 * 4. The logits are the same bits on 1, 2, 3 and 5 threads, and on fewer
 *    threads than planned (effnet_workspace_use_threads): the shared model's
 *    scheduler picks a job's thread count as it goes, and a result must not
 *    depend on it. B0 and B4 (streamed blocks, whose rows are shared out by
 *    cost), every ISA the machine has; and B4 at 300 px, whose 38-row
 *    blocks stream on one thread but run whole on a team (forward.c,
 *    STREAM_HALO_MAX), on the SIMD paths (the scalar one would take minutes
 *    under the sanitizers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "effnet.h"

/* Resident set of this process in KiB (VmRSS), -1 when unknown. */
static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  fclose(f);
  return kib;
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1 /* its allocator may touch what it hands out */
#else
#define UNDER_ASAN 0
#endif

static void test_lazy(void) {
  char err[EFFNET_ERRLEN] = "";
  EffnetModel *m = effnet_model_random(0, 1000, 1, NULL, err, sizeof err);
  CHECK(m != NULL, "random B0: %s", err);
  if (!m) return;
  long before = rss_kib();
  EffnetWorkspace *ws = effnet_workspace_new(m, 16, 2, err, sizeof err);
  long after = rss_kib();
  CHECK(ws != NULL, "B0 workspace for 16: %s", err);
  size_t planned = effnet_workspace_bytes(ws);
  CHECK(planned > ((size_t)80 << 20), "B0 for 16 images plans %zu bytes, expected ~120 MB", planned);
  printf("B0, 16 images: %.1f MB planned, %.1f MB resident after creation\n", planned / 1048576.0,
         (after - before) / 1024.0);
  if (!UNDER_ASAN && before > 0)
    CHECK(after - before < 8 * 1024, "creating the workspace made %ld KiB resident (planned %zu bytes)", after - before,
          planned);
  /* Used at batch 1 and 3, it still computes. */
  const EffnetInfo *info = effnet_model_info(m);
  size_t img = (size_t)3 * info->input_size * info->input_size;
  float *x = calloc(3 * img, sizeof *x), *y = calloc(3 * 1000, sizeof *y), *y1 = calloc(1000, sizeof *y1);
  for (size_t i = 0; i < 3 * img; i++) x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
  memcpy(x + 2 * img, x, img * sizeof *x);
  CHECK(effnet_forward(m, ws, x, 1, y1, err, sizeof err) == 0, "forward 1: %s", err);
  CHECK(effnet_forward(m, ws, x, 3, y, err, sizeof err) == 0, "forward 3: %s", err);
  /* The same bits: a batch runs its leading blocks image by image and the
   * rest together, and no op's result depends on its batch neighbours (the
   * SE pool sums are kept per row and added in row order). */
  float worst = 0, scale = 0;
  for (int i = 0; i < 1000; i++) {
    float d0 = y[i] - y1[i], d2 = y[2000 + i] - y1[i];
    if (d0 < 0) d0 = -d0;
    if (d2 < 0) d2 = -d2;
    if (d0 > worst) worst = d0;
    if (d2 > worst) worst = d2;
    if (y1[i] > scale) scale = y1[i];
    if (-y1[i] > scale) scale = -y1[i];
  }
  CHECK(worst == 0, "the same image at batch 1 and 3 differs by %g (logits up to %g)", (double)worst, (double)scale);
  free(x);
  free(y);
  free(y1);
  effnet_workspace_free(ws);
  effnet_model_free(m);
}

static void expect_refused(int variant, int input_size, int batch, int threads) {
  char err[EFFNET_ERRLEN] = "";
  EffnetOptions opt;
  effnet_options_init(&opt);
  opt.input_size = input_size;
  EffnetModel *m = effnet_model_random(variant, 10, 1, &opt, err, sizeof err);
  CHECK(m != NULL, "random B%d at %d: %s", variant, input_size, err);
  if (!m) return;
  EffnetWorkspace *ws = effnet_workspace_new(m, batch, threads, err, sizeof err);
  CHECK(ws == NULL && strstr(err, "more than half of this machine's"),
        "B%d at %d px, batch %d, %d threads: expected a refusal, got %s", variant, input_size, batch, threads,
        ws ? "a workspace" : err);
  if (!ws) printf("refused: %s\n", err);
  effnet_workspace_free(ws);
  effnet_model_free(m);
}

static void logits_on(const EffnetModel *m, int planned, int used, const float *x, int n, float *y) {
  char err[EFFNET_ERRLEN] = "";
  EffnetWorkspace *ws = effnet_workspace_new(m, n, planned, err, sizeof err);
  CHECK(ws != NULL, "workspace: %s", err);
  if (!ws) return;
  CHECK(effnet_workspace_use_threads(ws, used) == used, "use_threads(%d) of %d", used, planned);
  CHECK(effnet_workspace_active_threads(ws) == used, "active threads");
  CHECK(effnet_forward(m, ws, x, n, y, err, sizeof err) == 0, "forward: %s", err);
  effnet_workspace_free(ws);
}

static void test_thread_count_invariance(int variant, int size, EffnetIsa isa) {
  char err[EFFNET_ERRLEN] = "";
  EffnetOptions opt;
  effnet_options_init(&opt);
  opt.input_size = size;
  opt.isa = isa;
  EffnetModel *m = effnet_model_random(variant, 100, 7, &opt, err, sizeof err);
  if (!m) {
    /* an ISA this machine lacks */
    printf("  B%d %s: skipped (%s)\n", variant, effnet_isa_name(isa), err);
    return;
  }
  const int n = 2, classes = 100;
  const size_t in = (size_t)n * 3 * size * size;
  float *x = malloc(in * sizeof *x), *ref = calloc((size_t)n * classes, sizeof *ref),
        *y = calloc((size_t)n * classes, sizeof *y);
  unsigned s = 12345;
  for (size_t i = 0; i < in; i++) {
    s = s * 1103515245u + 12345u;
    x[i] = (float)((s >> 8) & 0xffff) / 32768.0f - 1.0f;
  }
  logits_on(m, 1, 1, x, n, ref);
  const int runs[][2] = {{2, 2}, {3, 3}, {5, 5}, {4, 1}, {4, 3}};
  for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
    memset(y, 0, (size_t)n * classes * sizeof *y);
    logits_on(m, runs[r][0], runs[r][1], x, n, y);
    CHECK(memcmp(y, ref, (size_t)n * classes * sizeof *y) == 0,
          "B%d at %d px, %s: logits on %d of %d threads differ from 1 thread's (first: %.9g vs %.9g)", variant, size,
          effnet_isa_name(isa), runs[r][1], runs[r][0], (double)y[0], (double)ref[0]);
  }
  printf("  B%d at %d px, %s: same logits on 1-5 threads\n", variant, size, effnet_isa_name(isa));
  free(x);
  free(ref);
  free(y);
  effnet_model_free(m);
}

int main(void) {
  test_lazy();
  const EffnetIsa isas[] = {EFFNET_ISA_SCALAR, EFFNET_ISA_AVX2, EFFNET_ISA_AVX512};
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
    test_thread_count_invariance(0, 128, isas[i]);
    test_thread_count_invariance(4, 160, isas[i]);
    if (isas[i] != EFFNET_ISA_SCALAR) test_thread_count_invariance(4, 300, isas[i]);
  }
  expect_refused(0, 2048, 4096, 2); /* ~1.9 TB */
  expect_refused(7, 2048, 256, 2);  /* ~240 GB */
  if (failures) {
    fprintf(stderr, "test_workspace: %d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("test_workspace: all %d checks passed\n", checks);
  return 0;
}
