/* test_no_alloc.c — effnet_forward allocates nothing: every buffer is planned
 * when the workspace is made. The engine's calls to the allocator are routed
 * through counters here (linked with -Wl,--wrap=...), then forward passes run
 * — one image, a full batch, and more images than the workspace holds (run in
 * chunks) — and the counters must not move. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "effnet.h"

static int counting, allocations;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);

void *__wrap_malloc(size_t n) { allocations += counting; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { allocations += counting; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { allocations += counting; return __real_realloc(p, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { allocations += counting; return __real_aligned_alloc(a, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { allocations += counting; return __real_posix_memalign(p, a, n); }

int main(void) {
  char err[EFFNET_ERRLEN];
  EffnetModel *m = effnet_model_random(0, 1000, 3, NULL, err, sizeof err);
  CHECK(m != NULL, "model: %s", err);
  if (!m) return 1;
  const int S = effnet_model_info(m)->input_size, images = 5;
  float *x = calloc((size_t)images * 3 * S * S, sizeof(float)), *y = calloc((size_t)images * 1000, sizeof(float));
  for (size_t i = 0; i < (size_t)images * 3 * S * S; i++) x[i] = (float)(i % 97) / 50.0f - 1.0f;
  EffnetWorkspace *ws = effnet_workspace_new(m, 2, 2, err, sizeof err);
  CHECK(ws != NULL, "workspace: %s", err);
  if (!ws) return 1;
  CHECK(effnet_forward(m, ws, x, 1, y, err, sizeof err) == 0, "warm-up: %s", err);
  int before = allocations;
  counting = 1;
  int rc = effnet_forward(m, ws, x, 1, y, err, sizeof err) | effnet_forward(m, ws, x, 2, y, err, sizeof err) |
           effnet_forward(m, ws, x, images, y, err, sizeof err);
  counting = 0;
  CHECK(rc == 0, "forward: %s", err);
  CHECK(allocations == before, "effnet_forward allocated %d times", allocations - before);
  effnet_workspace_free(ws);
  effnet_model_free(m);
  free(x);
  free(y);
  printf("test_no_alloc: %d checks, %d failures\n", checks, failures);
  return failures != 0;
}
