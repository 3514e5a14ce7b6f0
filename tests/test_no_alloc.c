/* test_no_alloc.c — effnet_forward allocates nothing: every buffer is planned
 * when the workspace is made. The engine's calls to the allocator are routed
 * through counters here (linked with -Wl,--wrap=...), then forward passes run
 * — one image, a full batch, and more images than the workspace holds (run in
 * chunks) — and the counters must not move. The same for the frame path once
 * a plan of the geometry exists: planning it again (the next video frame, at
 * other addresses), running it, effnet_forward_prep. */
#include <stdint.h>
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

void *__wrap_malloc(size_t n) {
  allocations += counting;
  return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m) {
  allocations += counting;
  return __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n) {
  allocations += counting;
  return __real_realloc(p, n);
}
void *__wrap_aligned_alloc(size_t a, size_t n) {
  allocations += counting;
  return __real_aligned_alloc(a, n);
}
int __wrap_posix_memalign(void **p, size_t a, size_t n) {
  allocations += counting;
  return __real_posix_memalign(p, a, n);
}

/* A frame of the format in a block of its own (effnet_frame_layout's layout). */
static uint8_t *frame_of(EffnetFormat fmt, int w, int h, unsigned char fill, EffnetFrame *f) {
  size_t stride[3], offset[3];
  long long bytes = effnet_frame_layout(fmt, w, h, stride, offset);
  uint8_t *buf = malloc((size_t)bytes);
  for (long long i = 0; i < bytes; i++) buf[i] = (uint8_t)(fill + i * 7 % 251);
  memset(f, 0, sizeof *f);
  f->format = fmt;
  f->width = w;
  f->height = h;
  for (int p = 0; p < 3; p++) {
    f->data[p] = stride[p] ? buf + offset[p] : NULL;
    f->stride[p] = stride[p];
  }
  return buf;
}

/* The frame path: after a first plan (and runs) of a geometry, planning it
 * again — another frame at other addresses, fewer regions, the same again —
 * and running it allocate nothing. */
static void check_frame_path(const EffnetModel *m, EffnetWorkspace *ws, EffnetFormat fmt, EffnetFit fit,
                             EffnetFilter filter, int forward) {
  char err[EFFNET_ERRLEN] = "";
  const int S = effnet_model_info(m)->input_size, T = effnet_workspace_threads(ws);
  enum { N = 3 }; /* more than the workspace's batch of 2 */
  EffnetRect rois[N] = {{10, 20, 300, 200}, {600, 0, 41, 359}, {320, 180, 321, 179}};
  EffnetFrame f1, f2;
  uint8_t *b1 = frame_of(fmt, 641, 359, 1, &f1), *b2 = frame_of(fmt, 641, 359, 2, &f2);
  float *x = malloc(sizeof(float) * 3 * S * S * N), *y = malloc(sizeof(float) * 1000 * N);
  EffnetPrepOptions o;
  effnet_prep_options_init(&o, effnet_model_info(m));
  o.fit = fit;
  o.filter = filter;
  EffnetPrep *p = effnet_prep_new(&o, err, sizeof err);
  CHECK(p != NULL, "prep: %s", err);
  if (!p) return;
  int rc = effnet_prep_plan(p, &f1, rois, N, T, err, sizeof err) | effnet_prep_run(p, x, err, sizeof err) |
           (forward ? effnet_forward_prep(m, ws, p, y, err, sizeof err) : 0);
  CHECK(rc == 0, "%s, first plan: %s", effnet_format_name(fmt), err);
  static const char *const steps[] = {
      "plan of the next frame", "effnet_prep_run", "effnet_forward_prep", "plan of fewer regions", "its run",
      "plan of all again",      "its forward"};
  int counts[7] = {0};
  for (int s = 0; s < 7; s++) {
    if (!forward && (s == 2 || s == 6)) continue;
    int at = allocations;
    counting = 1;
    switch (s) {
      case 0: rc = effnet_prep_plan(p, &f2, rois, N, T, err, sizeof err); break;
      case 1: rc = effnet_prep_run(p, x, err, sizeof err); break;
      case 2: rc = effnet_forward_prep(m, ws, p, y, err, sizeof err); break;
      case 3: rc = effnet_prep_plan(p, &f1, rois, 2, T, err, sizeof err); break;
      case 4: rc = effnet_prep_run(p, x, err, sizeof err); break;
      case 5: rc = effnet_prep_plan(p, &f2, rois, N, T, err, sizeof err); break;
      default: rc = effnet_forward_prep(m, ws, p, y, err, sizeof err); break;
    }
    counting = 0;
    counts[s] = allocations - at;
    CHECK(rc == 0, "%s, %s: %s", effnet_format_name(fmt), steps[s], err);
    CHECK(counts[s] == 0, "%s %s %s: %s allocated %d times", effnet_format_name(fmt), effnet_fit_name(fit),
          effnet_filter_name(filter), steps[s], counts[s]);
  }
  effnet_prep_free(p);
  free(b1);
  free(b2);
  free(x);
  free(y);
}

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
  check_frame_path(m, ws, EFFNET_FORMAT_RGB, EFFNET_FIT_CENTER_CROP, EFFNET_FILTER_BICUBIC, 1);
  check_frame_path(m, ws, EFFNET_FORMAT_NV12, EFFNET_FIT_LETTERBOX, EFFNET_FILTER_BILINEAR, 1);
  check_frame_path(m, ws, EFFNET_FORMAT_YUY2, EFFNET_FIT_STRETCH, EFFNET_FILTER_FAST, 0);
  check_frame_path(m, ws, EFFNET_FORMAT_I420, EFFNET_FIT_CENTER_CROP, EFFNET_FILTER_BICUBIC, 0);
  effnet_workspace_free(ws);
  effnet_model_free(m);
  free(x);
  free(y);
  printf("test_no_alloc: %d checks, %d failures\n", checks, failures);
  return failures != 0;
}
