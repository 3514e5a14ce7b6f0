/* test_preprocess.c — effnet_preprocess_u8 against a per-pixel reference for
 * every pixel format, odd sizes, padded strides, custom mean/std, and the
 * argument checks. Returns non-zero when anything fails. */
#include "effnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

typedef struct {
  EffnetPixelFormat fmt;
  const char *name;
  int bpp, r, g, b; /* byte offsets, written independently of preprocess.c */
} Format;

static const Format formats[] = {
    {EFFNET_PIX_RGB, "RGB", 3, 0, 1, 2},   {EFFNET_PIX_BGR, "BGR", 3, 2, 1, 0},
    {EFFNET_PIX_RGBX, "RGBX", 4, 0, 1, 2}, {EFFNET_PIX_BGRX, "BGRX", 4, 2, 1, 0},
    {EFFNET_PIX_XRGB, "XRGB", 4, 1, 2, 3}, {EFFNET_PIX_XBGR, "XBGR", 4, 3, 2, 1},
};

static uint32_t rng_state = 12345u;
static uint8_t rand_byte(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return (uint8_t)(rng_state >> 24);
}

static float reference(uint8_t v, float mean, float std) {
  return ((float)v / 255.0f - mean) / std;
}

/* Runs one configuration; the pixel buffer is exactly as long as the last
 * row needs, so AddressSanitizer catches reads past the image. */
static void check_case(const Format *f, int w, int h, size_t pad, const float *mean,
                       const float *std) {
  static const float in_mean[3] = {0.485f, 0.456f, 0.406f};
  static const float in_std[3] = {0.229f, 0.224f, 0.225f};
  const float *m = mean ? mean : in_mean, *s = std ? std : in_std;
  size_t stride = (size_t)w * (size_t)f->bpp + pad;
  size_t bytes = (size_t)(h - 1) * stride + (size_t)w * (size_t)f->bpp;
  size_t plane = (size_t)w * (size_t)h;
  uint8_t *px = malloc(bytes);
  float *out = malloc(3 * plane * sizeof *out);
  if (px == NULL || out == NULL) {
    CHECK(0, "out of memory");
    free(px);
    free(out);
    return;
  }
  for (size_t i = 0; i < bytes; i++) px[i] = rand_byte();
  char err[EFFNET_ERRLEN] = "";
  int rc = effnet_preprocess_u8(px, w, h, stride, f->fmt, mean, std, out, err, sizeof err);
  CHECK(rc == 0, "%s %dx%d pad %zu: rc %d (%s)", f->name, w, h, pad, rc, err);
  int bad = 0;
  const int offs[3] = {f->r, f->g, f->b};
  for (int y = 0; y < h && rc == 0 && !bad; y++)
    for (int x = 0; x < w && !bad; x++)
      for (int c = 0; c < 3; c++) {
        uint8_t v = px[(size_t)y * stride + (size_t)x * (size_t)f->bpp + (size_t)offs[c]];
        float want = reference(v, m[c], s[c]);
        float got = out[(size_t)c * plane + (size_t)y * (size_t)w + (size_t)x];
        if (!(fabsf(got - want) <= 1e-6f * fmaxf(1.0f, fabsf(want)))) {
          CHECK(0, "%s %dx%d pad %zu: pixel (%d,%d) channel %d = %.9g, want %.9g", f->name,
                w, h, pad, x, y, c, (double)got, (double)want);
          bad = 1;
          break;
        }
      }
  free(px);
  free(out);
}

static void test_formats(void) {
  static const int sizes[][2] = {{1, 1}, {3, 5}, {5, 3}, {17, 2}, {641, 359}};
  static const size_t pads[] = {0, 1, 13, 64};
  static const float cmean[3] = {0.5f, 0.25f, 0.0f};
  static const float cstd[3] = {0.5f, 2.0f, -0.125f}; /* negative std is legal */
  for (size_t fi = 0; fi < sizeof formats / sizeof formats[0]; fi++)
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
      for (size_t pi = 0; pi < sizeof pads / sizeof pads[0]; pi++) {
        const Format *f = &formats[fi];
        check_case(f, sizes[si][0], sizes[si][1], pads[pi], NULL, NULL);
        check_case(f, sizes[si][0], sizes[si][1], pads[pi], cmean, cstd);
        check_case(f, sizes[si][0], sizes[si][1], pads[pi], cmean, NULL);
        check_case(f, sizes[si][0], sizes[si][1], pads[pi], NULL, cstd);
      }
}

/* Known values: 0 and 255 with ImageNet statistics, and a ramp where channel
 * order is visible (a swapped R/B would show up). */
static void test_known_values(void) {
  const uint8_t px[6] = {0, 128, 255, 255, 0, 10};
  float out[6];
  int rc = effnet_preprocess_u8(px, 2, 1, 6, EFFNET_PIX_RGB, NULL, NULL, out, NULL, 0);
  CHECK(rc == 0, "known values: rc %d", rc);
  CHECK(fabsf(out[0] - (-0.485f / 0.229f)) < 1e-5f, "R of black = %g", (double)out[0]);
  CHECK(fabsf(out[1] - (1.0f - 0.485f) / 0.229f) < 1e-5f, "R of 255 = %g", (double)out[1]);
  CHECK(fabsf(out[4] - (1.0f - 0.406f) / 0.225f) < 1e-5f, "B of 255 = %g", (double)out[4]);
  rc = effnet_preprocess_u8(px, 2, 1, 6, EFFNET_PIX_BGR, NULL, NULL, out, NULL, 0);
  CHECK(rc == 0 && fabsf(out[0] - (1.0f - 0.485f) / 0.229f) < 1e-5f,
        "BGR: R of first pixel should come from byte 2, got %g", (double)out[0]);
}

/* An error must return -1 and leave one non-empty, terminated sentence. */
static void expect_error(const char *what, int rc, const char *err) {
  CHECK(rc == -1, "%s: rc %d, want -1", what, rc);
  CHECK(err[0] != '\0', "%s: empty error message", what);
  CHECK(strlen(err) < EFFNET_ERRLEN, "%s: unterminated error message", what);
}

static void test_errors(void) {
  uint8_t px[64] = {0};
  float out[64];
  char err[EFFNET_ERRLEN];
  const float zero_std[3] = {0.2f, 0.0f, 0.2f};
  const float nan_std[3] = {0.2f, 0.2f, NAN};
  const float inf_std[3] = {INFINITY, 0.2f, 0.2f};
  const float nan_mean[3] = {0.2f, NAN, 0.2f};
#define TRY(what, call)             \
  do {                              \
    memset(err, 0, sizeof err);     \
    expect_error(what, call, err);  \
  } while (0)
  TRY("NULL pixels", effnet_preprocess_u8(NULL, 2, 2, 6, EFFNET_PIX_RGB, NULL, NULL, out, err, sizeof err));
  TRY("NULL output", effnet_preprocess_u8(px, 2, 2, 6, EFFNET_PIX_RGB, NULL, NULL, NULL, err, sizeof err));
  TRY("width 0", effnet_preprocess_u8(px, 0, 2, 6, EFFNET_PIX_RGB, NULL, NULL, out, err, sizeof err));
  TRY("height -1", effnet_preprocess_u8(px, 2, -1, 6, EFFNET_PIX_RGB, NULL, NULL, out, err, sizeof err));
  TRY("stride short", effnet_preprocess_u8(px, 2, 2, 5, EFFNET_PIX_RGB, NULL, NULL, out, err, sizeof err));
  TRY("stride short 4bpp", effnet_preprocess_u8(px, 2, 2, 7, EFFNET_PIX_XRGB, NULL, NULL, out, err, sizeof err));
  TRY("std 0", effnet_preprocess_u8(px, 2, 2, 6, EFFNET_PIX_RGB, NULL, zero_std, out, err, sizeof err));
  TRY("std NaN", effnet_preprocess_u8(px, 2, 2, 6, EFFNET_PIX_RGB, NULL, nan_std, out, err, sizeof err));
  TRY("std inf", effnet_preprocess_u8(px, 2, 2, 6, EFFNET_PIX_RGB, NULL, inf_std, out, err, sizeof err));
  TRY("mean NaN", effnet_preprocess_u8(px, 2, 2, 6, EFFNET_PIX_RGB, nan_mean, NULL, out, err, sizeof err));
  TRY("format 99", effnet_preprocess_u8(px, 2, 2, 8, (EffnetPixelFormat)99, NULL, NULL, out, err, sizeof err));
#undef TRY
  /* No error buffer, or a tiny one: still -1, nothing written out of bounds. */
  CHECK(effnet_preprocess_u8(NULL, 2, 2, 6, EFFNET_PIX_RGB, NULL, NULL, out, NULL, 0) == -1,
        "NULL err buffer should still fail");
  CHECK(effnet_preprocess_u8(px, 0, 2, 6, EFFNET_PIX_RGB, NULL, NULL, out, err, 0) == -1,
        "errlen 0 should still fail");
  char tiny[4] = {'x', 'x', 'x', 'x'};
  CHECK(effnet_preprocess_u8(px, 0, 2, 6, EFFNET_PIX_RGB, NULL, NULL, out, tiny, 3) == -1 &&
            tiny[2] == '\0' && tiny[3] == 'x',
        "errlen 3 must be truncated and terminated inside the buffer");
  /* A stride of exactly width*bpp and a larger one are both fine. */
  CHECK(effnet_preprocess_u8(px, 2, 2, 6, EFFNET_PIX_RGB, NULL, NULL, out, err, sizeof err) == 0,
        "tight stride rejected: %s", err);
}

int main(void) {
  test_formats();
  test_known_values();
  test_errors();
  if (failures) {
    fprintf(stderr, "test_preprocess: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_preprocess: all passed\n");
  return 0;
}
