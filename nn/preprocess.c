/* preprocess.c — packed 8-bit pixels to the normalized planar float input.
 *
 * Every 8-bit value maps to one of 256 floats per channel, so the arithmetic
 * is done once per call into lookup tables; the pixel loop is then only loads
 * and stores, which keeps it memory-bound rather than divide-bound. */
#include "effnet.h"
#include "errors.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static const float imagenet_mean[3] = {0.485f, 0.456f, 0.406f};
static const float imagenet_std[3] = {0.229f, 0.224f, 0.225f};


/* Bytes per pixel and the byte offsets of R, G and B inside one pixel. */
typedef struct {
  int bpp, r, g, b;
} PixelLayout;

static int pixel_layout(EffnetPixelFormat fmt, PixelLayout *lay) {
  switch (fmt) {
    case EFFNET_PIX_RGB:  *lay = (PixelLayout){3, 0, 1, 2}; return 0;
    case EFFNET_PIX_BGR:  *lay = (PixelLayout){3, 2, 1, 0}; return 0;
    case EFFNET_PIX_RGBX: *lay = (PixelLayout){4, 0, 1, 2}; return 0;
    case EFFNET_PIX_BGRX: *lay = (PixelLayout){4, 2, 1, 0}; return 0;
    case EFFNET_PIX_XRGB: *lay = (PixelLayout){4, 1, 2, 3}; return 0;
    case EFFNET_PIX_XBGR: *lay = (PixelLayout){4, 3, 2, 1}; return 0;
  }
  return -1;
}

/* One row through the tables. The layout arrives as compile-time constants
 * (the function is inlined per format below), so gcc can unroll the byte
 * offsets instead of reading them from memory for every pixel. */
static inline void convert_row(const uint8_t *restrict src, int width, int bpp, int ro,
                               int go, int bo, const float *restrict lut,
                               float *restrict dr, float *restrict dg, float *restrict db) {
  const float *lr = lut, *lg = lut + 256, *lb = lut + 512;
  for (int x = 0; x < width; x++) {
    const uint8_t *p = src + (size_t)x * (size_t)bpp;
    dr[x] = lr[p[ro]];
    dg[x] = lg[p[go]];
    db[x] = lb[p[bo]];
  }
}

#define DEFINE_CONVERT(name, BPP, RO, GO, BO)                                          \
  static void name(const uint8_t *pixels, int width, int height, size_t stride,       \
                   const float *lut, float *out) {                                    \
    size_t plane = (size_t)width * (size_t)height;                                    \
    for (int y = 0; y < height; y++) {                                                \
      size_t o = (size_t)y * (size_t)width;                                           \
      convert_row(pixels + (size_t)y * stride, width, BPP, RO, GO, BO, lut, out + o,  \
                  out + plane + o, out + 2 * plane + o);                              \
    }                                                                                 \
  }

DEFINE_CONVERT(convert_rgb, 3, 0, 1, 2)
DEFINE_CONVERT(convert_bgr, 3, 2, 1, 0)
DEFINE_CONVERT(convert_rgbx, 4, 0, 1, 2)
DEFINE_CONVERT(convert_bgrx, 4, 2, 1, 0)
DEFINE_CONVERT(convert_xrgb, 4, 1, 2, 3)
DEFINE_CONVERT(convert_xbgr, 4, 3, 2, 1)

static int check_mean_std(const float mean[3], const float std[3], char *err, size_t errlen) {
  static const char *names[3] = {"red", "green", "blue"};
  for (int c = 0; c < 3; c++) {
    if (!isfinite(mean[c])) {
      set_error(err, errlen, "preprocess: mean[%d] (%s) is not a finite number.", c, names[c]);
      return -1;
    }
    if (!isfinite(std[c]) || std[c] == 0.0f) {
      set_error(err, errlen, "preprocess: std[%d] (%s) is %g; it must be finite and non-zero.",
              c, names[c], (double)std[c]);
      return -1;
    }
  }
  return 0;
}

static int check_args(const uint8_t *pixels, int width, int height, size_t stride,
                      EffnetPixelFormat fmt, float *out_chw, PixelLayout *lay, char *err,
                      size_t errlen) {
  if (pixels == NULL || out_chw == NULL) {
    set_error(err, errlen, "preprocess: the %s pointer is NULL.",
            pixels == NULL ? "pixel" : "output");
    return -1;
  }
  if (width <= 0 || height <= 0) {
    set_error(err, errlen, "preprocess: image size %dx%d is not positive.", width, height);
    return -1;
  }
  if (pixel_layout(fmt, lay) != 0) {
    set_error(err, errlen, "preprocess: unknown pixel format %d.", (int)fmt);
    return -1;
  }
  size_t row_bytes = (size_t)width * (size_t)lay->bpp;
  if (stride < row_bytes) {
    set_error(err, errlen,
            "preprocess: row stride %zu is smaller than width %d x %d bytes per pixel = %zu.",
            stride, width, lay->bpp, row_bytes);
    return -1;
  }
  return 0;
}

int effnet_preprocess_u8(const uint8_t *pixels, int width, int height, size_t stride,
                         EffnetPixelFormat fmt, const float mean[3], const float std[3],
                         float *out_chw, char *err, size_t errlen) {
  PixelLayout lay;
  if (check_args(pixels, width, height, stride, fmt, out_chw, &lay, err, errlen) != 0)
    return -1;
  if (mean == NULL) mean = imagenet_mean;
  if (std == NULL) std = imagenet_std;
  if (check_mean_std(mean, std, err, errlen) != 0) return -1;

  /* Same float expression as the documented formula, so results do not
   * depend on whether a caller goes through the table or computes directly. */
  float lut[3 * 256];
  for (int c = 0; c < 3; c++)
    for (int v = 0; v < 256; v++)
      lut[c * 256 + v] = ((float)v / 255.0f - mean[c]) / std[c];

  switch (fmt) {
    case EFFNET_PIX_RGB:  convert_rgb(pixels, width, height, stride, lut, out_chw); break;
    case EFFNET_PIX_BGR:  convert_bgr(pixels, width, height, stride, lut, out_chw); break;
    case EFFNET_PIX_RGBX: convert_rgbx(pixels, width, height, stride, lut, out_chw); break;
    case EFFNET_PIX_BGRX: convert_bgrx(pixels, width, height, stride, lut, out_chw); break;
    case EFFNET_PIX_XRGB: convert_xrgb(pixels, width, height, stride, lut, out_chw); break;
    case EFFNET_PIX_XBGR: convert_xbgr(pixels, width, height, stride, lut, out_chw); break;
  }
  return 0;
}
