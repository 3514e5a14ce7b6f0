/* frame.c — the frame formats the frame path reads, their names and layout,
 * and the checks a frame must pass before anything reads it. */
#include "frame.h"

#include <stdint.h>
#include <strings.h>

#include "errors.h"

/* Packed RGB: one group, channels at byte offsets r, g, b of a bpp-byte pixel. */
#define RGB_FORMAT(NAME, BPP, R, G, B)                                                                                 \
  {                                                                                                                    \
    NAME, 1, 0, 0, 1, {                                                                                                \
      {                                                                                                                \
        0, 0, BPP, 3, {                                                                                                \
          {0, R, COMP_R}, {0, G, COMP_G}, { 0, B, COMP_B }                                                             \
        }                                                                                                              \
      }                                                                                                                \
    }                                                                                                                  \
  }
/* Planar 4:2:0: luma in plane 0, U and V in planes pu and pv. */
#define PLANAR_420(NAME, PU, PV)                                                                                       \
  {                                                                                                                    \
    NAME, 3, 1, 0, 2, {                                                                                                \
      {0, 0, 1, 1, {{0, 0, COMP_Y}}}, {                                                                                \
        1, 1, 1, 2, {                                                                                                  \
          {PU, 0, COMP_U}, { PV, 0, COMP_V }                                                                           \
        }                                                                                                              \
      }                                                                                                                \
    }                                                                                                                  \
  }
/* Semi-planar 4:2:0: luma, then one plane of chroma pairs (U at ou, V at ov). */
#define SEMI_420(NAME, OU, OV)                                                                                         \
  {                                                                                                                    \
    NAME, 2, 1, 0, 2, {                                                                                                \
      {0, 0, 1, 1, {{0, 0, COMP_Y}}}, {                                                                                \
        1, 1, 2, 2, {                                                                                                  \
          {1, OU, COMP_U}, { 1, OV, COMP_V }                                                                           \
        }                                                                                                              \
      }                                                                                                                \
    }                                                                                                                  \
  }
/* Packed 4:2:2: 4 bytes per two pixels; Y at oy (and oy + 2), U at ou, V at ov. */
#define PACKED_422(NAME, OY, OU, OV)                                                                                   \
  {                                                                                                                    \
    NAME, 1, 1, 0, 2, {                                                                                                \
      {0, 0, 2, 1, {{0, OY, COMP_Y}}}, {                                                                               \
        1, 0, 4, 2, {                                                                                                  \
          {0, OU, COMP_U}, { 0, OV, COMP_V }                                                                           \
        }                                                                                                              \
      }                                                                                                                \
    }                                                                                                                  \
  }

static const FrameFormat kFormats[EFFNET_FORMAT_COUNT] = {
    [EFFNET_FORMAT_RGB] = RGB_FORMAT("rgb", 3, 0, 1, 2),
    [EFFNET_FORMAT_BGR] = RGB_FORMAT("bgr", 3, 2, 1, 0),
    [EFFNET_FORMAT_RGBX] = RGB_FORMAT("rgbx", 4, 0, 1, 2),
    [EFFNET_FORMAT_BGRX] = RGB_FORMAT("bgrx", 4, 2, 1, 0),
    [EFFNET_FORMAT_XRGB] = RGB_FORMAT("xrgb", 4, 1, 2, 3),
    [EFFNET_FORMAT_XBGR] = RGB_FORMAT("xbgr", 4, 3, 2, 1),
    [EFFNET_FORMAT_GRAY8] = {"gray8", 1, 0, 1, 1, {{0, 0, 1, 1, {{0, 0, COMP_R}}}}},
    [EFFNET_FORMAT_I420] = PLANAR_420("i420", 1, 2),
    [EFFNET_FORMAT_YV12] = PLANAR_420("yv12", 2, 1),
    [EFFNET_FORMAT_NV12] = SEMI_420("nv12", 0, 1),
    [EFFNET_FORMAT_NV21] = SEMI_420("nv21", 1, 0),
    [EFFNET_FORMAT_YUY2] = PACKED_422("yuy2", 0, 1, 3),
    [EFFNET_FORMAT_UYVY] = PACKED_422("uyvy", 1, 0, 2),
    [EFFNET_FORMAT_YVYU] = PACKED_422("yvyu", 0, 3, 1),
};

const FrameFormat *frame_format(EffnetFormat f) {
  if ((int)f < 0 || f >= EFFNET_FORMAT_COUNT) return NULL;
  return &kFormats[f];
}

const char *effnet_format_name(EffnetFormat f) {
  const FrameFormat *d = frame_format(f);
  return d ? d->name : NULL;
}

int effnet_format_from_name(const char *name) {
  if (!name) return -1;
  for (int f = 0; f < EFFNET_FORMAT_COUNT; f++)
    if (!strcasecmp(name, kFormats[f].name)) return f;
  return -1;
}

/* Bytes of one row of plane p: the widest channel group reading it. */
static size_t plane_row_bytes(const FrameFormat *d, int p, int w) {
  size_t bytes = 0;
  for (int g = 0; g < d->ngroups; g++) {
    const FrameGroup *gr = &d->group[g];
    for (int c = 0; c < gr->nch; c++) {
      if (gr->ch[c].plane != p) continue;
      size_t n = (size_t)frame_group_size(w, gr->shift_x);
      size_t end = (n - 1) * (size_t)gr->step + (size_t)gr->ch[c].offset + 1;
      /* a packed pixel is whole even when the last channel ends before it */
      size_t whole = n * (size_t)gr->step;
      if (gr->step > 1 && whole > end) end = whole;
      if (end > bytes) bytes = end;
    }
  }
  return bytes;
}

/* Rows of plane p: its groups' subsampled height. */
static int plane_rows(const FrameFormat *d, int p, int h) {
  int rows = 0;
  for (int g = 0; g < d->ngroups; g++)
    for (int c = 0; c < d->group[g].nch; c++)
      if (d->group[g].ch[c].plane == p) {
        int n = frame_group_size(h, d->group[g].shift_y);
        if (n > rows) rows = n;
      }
  return rows;
}

long long effnet_frame_layout(EffnetFormat f, int w, int h, size_t stride[3], size_t offset[3]) {
  const FrameFormat *d = frame_format(f);
  if (!d || w < 1 || h < 1 || w > EFFNET_FRAME_MAX || h > EFFNET_FRAME_MAX) return -1;
  size_t total = 0;
  for (int p = 0; p < 3; p++) {
    size_t s = p < d->planes ? plane_row_bytes(d, p, w) : 0;
    if (stride) stride[p] = s;
    if (offset) offset[p] = p < d->planes ? total : 0;
    if (p < d->planes) total += s * (size_t)plane_rows(d, p, h);
  }
  return (long long)total;
}

int frame_check(const EffnetFrame *f, char *err, size_t errlen) {
  if (!f) {
    set_error(err, errlen, "no frame given");
    return -1;
  }
  const FrameFormat *d = frame_format(f->format);
  if (!d) {
    set_error(err, errlen, "unknown frame format %d", (int)f->format);
    return -1;
  }
  if (f->width < 1 || f->height < 1 || f->width > EFFNET_FRAME_MAX || f->height > EFFNET_FRAME_MAX) {
    set_error(err, errlen, "frame size %dx%d is out of range (1 to %d pixels a side)", f->width, f->height,
              EFFNET_FRAME_MAX);
    return -1;
  }
  if (d->yuv && ((int)f->matrix < EFFNET_MATRIX_BT601 || f->matrix > EFFNET_MATRIX_BT2020)) {
    set_error(err, errlen, "unknown YUV matrix %d", (int)f->matrix);
    return -1;
  }
  for (int p = 0; p < d->planes; p++) {
    if (!f->data[p]) {
      set_error(err, errlen, "plane %d of the %s frame is missing", p, d->name);
      return -1;
    }
    size_t need = plane_row_bytes(d, p, f->width);
    if (f->stride[p] < need || f->stride[p] > (size_t)1 << 30) {
      set_error(err, errlen, "plane %d of the %dx%d %s frame has a stride of %zu bytes; a row needs %zu", p, f->width,
                f->height, d->name, f->stride[p], need);
      return -1;
    }
  }
  return 0;
}
