/* picture.c — image and raw frame files for the effnet tool. */
#include "picture.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef EFFNET_HAVE_PNG
#include <png.h>
#endif
#ifdef EFFNET_HAVE_JPEG
#include <jpeglib.h>
#endif

#include "errors.h"

/* Largest picture read: the frame path's limit on each side, and 1 GiB. */
#define MAX_PICTURE_BYTES ((size_t)1 << 30)

static int take_packed(Picture *pic, uint8_t *pixels, EffnetFormat f, int w, int h, size_t stride) {
  memset(pic, 0, sizeof *pic);
  pic->pixels = pixels;
  pic->frame.format = f;
  pic->frame.width = w;
  pic->frame.height = h;
  pic->frame.data[0] = pixels;
  pic->frame.stride[0] = stride;
  return 0;
}

static int size_ok(const char *path, long long w, long long h, int bpp, char *err, size_t errlen) {
  if (w < 1 || h < 1 || w > EFFNET_FRAME_MAX || h > EFFNET_FRAME_MAX || (size_t)(w * h * bpp) > MAX_PICTURE_BYTES) {
    set_error(err, errlen, "%s: a %lldx%lld picture is out of range (1 to %d pixels a side, at most 1 GiB)", path, w, h,
              EFFNET_FRAME_MAX);
    return 0;
  }
  return 1;
}

/* ---- PPM / PGM (P6 / P5, maxval 255) ---- */

static int pnm_int(FILE *fp, long long *v) {
  int c;
  for (;;) { /* whitespace and comments */
    c = fgetc(fp);
    if (c == '#') {
      while ((c = fgetc(fp)) != EOF && c != '\n') {}
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      break;
    }
  }
  if (c < '0' || c > '9') return -1;
  *v = 0;
  while (c >= '0' && c <= '9') {
    if (*v > 100000000) return -1;
    *v = *v * 10 + (c - '0');
    c = fgetc(fp);
  }
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' ? 0 : -1; /* one whitespace before the pixels */
}

static int read_pnm(const char *path, FILE *fp, int gray, Picture *pic, char *err, size_t errlen) {
  long long w, h, maxval;
  if (pnm_int(fp, &w) || pnm_int(fp, &h) || pnm_int(fp, &maxval)) {
    set_error(err, errlen, "%s: the P%c header is not width, height and maxval", path, gray ? '5' : '6');
    return -1;
  }
  if (maxval != 255) {
    set_error(err, errlen, "%s: maxval %lld is not supported (only 8-bit, maxval 255)", path, maxval);
    return -1;
  }
  int bpp = gray ? 1 : 3;
  if (!size_ok(path, w, h, bpp, err, errlen)) return -1;
  size_t bytes = (size_t)w * (size_t)h * bpp;
  uint8_t *px = malloc(bytes);
  if (!px) {
    set_error(err, errlen, "%s: out of memory for a %lldx%lld picture", path, w, h);
    return -1;
  }
  if (fread(px, 1, bytes, fp) != bytes) {
    set_error(err, errlen, "%s: the file ends before its %lldx%lld pixels", path, w, h);
    free(px);
    return -1;
  }
  return take_packed(pic, px, gray ? EFFNET_FORMAT_GRAY8 : EFFNET_FORMAT_RGB, (int)w, (int)h, (size_t)w * bpp);
}

/* ---- PNG (libpng's simplified API) ---- */

static int read_png(const char *path, Picture *pic, char *err, size_t errlen) {
#ifdef EFFNET_HAVE_PNG
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path)) {
    set_error(err, errlen, "%s: not a readable PNG file (%s)", path, img.message);
    return -1;
  }
  int gray = !(img.format & PNG_FORMAT_FLAG_COLOR) && !(img.format & PNG_FORMAT_FLAG_ALPHA);
  img.format = gray ? PNG_FORMAT_GRAY : PNG_FORMAT_RGBA;
  int bpp = gray ? 1 : 4;
  if (!size_ok(path, img.width, img.height, bpp, err, errlen)) {
    png_image_free(&img);
    return -1;
  }
  size_t stride = (size_t)img.width * bpp;
  uint8_t *px = malloc(stride * img.height);
  if (!px) {
    png_image_free(&img);
    set_error(err, errlen, "%s: out of memory for a %ux%u picture", path, img.width, img.height);
    return -1;
  }
  if (!png_image_finish_read(&img, NULL, px, (png_int_32)stride, NULL)) {
    set_error(err, errlen, "%s: PNG decoding failed (%s)", path, img.message);
    png_image_free(&img);
    free(px);
    return -1;
  }
  return take_packed(pic, px, gray ? EFFNET_FORMAT_GRAY8 : EFFNET_FORMAT_RGBX, (int)img.width, (int)img.height, stride);
#else
  (void)pic;
  set_error(err, errlen, "%s: this build of effnet reads no PNG (libpng was not found); convert it to PPM", path);
  return -1;
#endif
}

/* ---- JPEG (libjpeg, decoded to RGB as Pillow decodes it) ---- */

#ifdef EFFNET_HAVE_JPEG
typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} JpegError;

static void jpeg_fail(j_common_ptr cinfo) {
  JpegError *e = (JpegError *)cinfo->err;
  e->pub.format_message(cinfo, e->message);
  longjmp(e->jump, 1);
}
#endif

static int read_jpeg(const char *path, FILE *fp, Picture *pic, char *err, size_t errlen) {
#ifdef EFFNET_HAVE_JPEG
  struct jpeg_decompress_struct cinfo;
  JpegError jerr;
  uint8_t *volatile px = NULL;
  cinfo.err = jpeg_std_error(&jerr.pub);
  jerr.pub.error_exit = jpeg_fail;
  jerr.pub.output_message = (void (*)(j_common_ptr))jpeg_fail; /* warnings (corrupt data) are errors too */
  if (setjmp(jerr.jump)) {
    set_error(err, errlen, "%s: JPEG decoding failed (%s)", path, jerr.message);
    jpeg_destroy_decompress(&cinfo);
    free(px);
    return -1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_stdio_src(&cinfo, fp);
  jpeg_read_header(&cinfo, TRUE);
  int gray = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  if (!gray && cinfo.jpeg_color_space != JCS_YCbCr && cinfo.jpeg_color_space != JCS_RGB) {
    set_error(err, errlen, "%s: a CMYK or YCCK JPEG is not supported", path);
    jpeg_destroy_decompress(&cinfo);
    return -1;
  }
  cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  int bpp = gray ? 1 : 3;
  if (!size_ok(path, cinfo.output_width, cinfo.output_height, bpp, err, errlen)) {
    jpeg_destroy_decompress(&cinfo);
    return -1;
  }
  size_t stride = (size_t)cinfo.output_width * bpp;
  px = malloc(stride * cinfo.output_height);
  if (!px) {
    set_error(err, errlen, "%s: out of memory for a %ux%u picture", path, cinfo.output_width, cinfo.output_height);
    jpeg_destroy_decompress(&cinfo);
    return -1;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = px + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
  jpeg_destroy_decompress(&cinfo);
  return take_packed(pic, px, gray ? EFFNET_FORMAT_GRAY8 : EFFNET_FORMAT_RGB, w, h, stride);
#else
  (void)fp;
  (void)pic;
  set_error(err, errlen, "%s: this build of effnet reads no JPEG (libjpeg was not found); convert it to PPM", path);
  return -1;
#endif
}

/* Opens a picture file, saying plainly when it is a folder or empty. */
static FILE *open_picture(const char *path, char *err, size_t errlen) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    set_error(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  if (S_ISDIR(sb.st_mode)) {
    set_error(err, errlen, "%s: is a folder, not a picture file", path);
    return NULL;
  }
  if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
    set_error(err, errlen, "%s: the file is empty", path);
    return NULL;
  }
  FILE *fp = fopen(path, "rb");
  if (!fp) set_error(err, errlen, "%s: cannot open: %s", path, strerror(errno));
  return fp;
}

int picture_read_image(const char *path, Picture *pic, char *err, size_t errlen) {
  memset(pic, 0, sizeof *pic);
  FILE *fp = open_picture(path, err, errlen);
  if (!fp) return -1;
  unsigned char magic[8] = {0};
  size_t got = fread(magic, 1, sizeof magic, fp);
  int rc;
  if (got >= 8 && !memcmp(magic, "\x89PNG\r\n\x1a\n", 8)) {
    fclose(fp);
    return read_png(path, pic, err, errlen);
  }
  rewind(fp);
  if (got >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) {
    rc = read_jpeg(path, fp, pic, err, errlen);
  } else if (got >= 2 && magic[0] == 'P' && (magic[1] == '5' || magic[1] == '6')) {
    fseek(fp, 2, SEEK_SET);
    rc = read_pnm(path, fp, magic[1] == '5', pic, err, errlen);
  } else {
    set_error(err, errlen, "%s: not a PNG, JPEG or binary PPM/PGM image (for a raw frame give --format and --size)",
              path);
    rc = -1;
  }
  fclose(fp);
  return rc;
}

int picture_read_raw(const char *path, EffnetFormat format, int width, int height, Picture *pic, char *err,
                     size_t errlen) {
  memset(pic, 0, sizeof *pic);
  size_t stride[3], offset[3];
  long long bytes = effnet_frame_layout(format, width, height, stride, offset);
  if (bytes < 0 || (size_t)bytes > MAX_PICTURE_BYTES) {
    set_error(err, errlen, "%s: a %dx%d %s frame is out of range (1 to %d pixels a side, at most 1 GiB)", path, width,
              height, effnet_format_name(format) ? effnet_format_name(format) : "?", EFFNET_FRAME_MAX);
    return -1;
  }
  FILE *fp = open_picture(path, err, errlen);
  if (!fp) return -1;
  uint8_t *px = malloc((size_t)bytes + 1);
  size_t got = px ? fread(px, 1, (size_t)bytes + 1, fp) : 0;
  fclose(fp);
  if (!px || got != (size_t)bytes) {
    if (px)
      set_error(err, errlen, "%s: holds %s%zu bytes but a %dx%d %s frame is %lld", path,
                got > (size_t)bytes ? "more than " : "", got > (size_t)bytes ? (size_t)bytes : got, width, height,
                effnet_format_name(format), bytes);
    else set_error(err, errlen, "%s: out of memory", path);
    free(px);
    return -1;
  }
  pic->pixels = px;
  pic->frame.format = format;
  pic->frame.width = width;
  pic->frame.height = height;
  for (int p = 0; p < 3; p++) {
    pic->frame.data[p] = stride[p] ? px + offset[p] : NULL;
    pic->frame.stride[p] = stride[p];
  }
  return 0;
}

void picture_free(Picture *pic) {
  if (!pic) return;
  free(pic->pixels);
  memset(pic, 0, sizeof *pic);
}
