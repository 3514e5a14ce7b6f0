/* npy.c — float32 NumPy .npy files (format versions 1.0, 2.0 and 3.0).
 *
 * Layout: "\x93NUMPY", major, minor, header length (2 bytes little-endian in
 * 1.0, 4 bytes in 2.0/3.0), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and '\n', then the raw array data. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* fseeko/ftello */
#endif

#include "npy.h"
#include "../errors.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
enum { NPY_ALIGN = 64, NPY_GROWTH_DIGITS = 21 }; /* as in numpy/lib/format.py */

static int host_is_little_endian(void) {
  const uint16_t one = 1;
  unsigned char first;
  memcpy(&first, &one, 1);
  return first == 1;
}

static void swap4(void *p, size_t count) {
  unsigned char *b = p;
  for (size_t i = 0; i < count; i++, b += 4) {
    unsigned char t0 = b[0], t1 = b[1];
    b[0] = b[3];
    b[1] = b[2];
    b[2] = t1;
    b[3] = t0;
  }
}

/* Shape as Python prints a tuple: "()", "(5,)", "(2, 3)". */
static void format_shape(int ndim, const int64_t *shape, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "(");
  for (int i = 0; i < ndim && n < len; i++)
    n += (size_t)snprintf(buf + n, len - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (n < len) snprintf(buf + n, len - n, ndim == 1 ? ",)" : ")");
}

/* Element count of a shape, or -1 when a dimension is negative or the float32
 * bytes would overflow. Like numpy, the non-zero dimensions must fit even
 * when another one is 0, so that (0, 10**11, 10**11) is refused too. */
static int64_t shape_count(int ndim, const int64_t *shape) {
  int64_t nonzero = 1;
  int empty = 0;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0) return -1;
    if (shape[i] == 0) {
      empty = 1;
      continue;
    }
    if (nonzero > INT64_MAX / 4 / shape[i]) return -1;
    nonzero *= shape[i];
  }
  return empty ? 0 : nonzero;
}

/* ---- header dict parser ---- */

typedef struct {
  const char *p, *end;
  const char *why; /* set on the first error */
} Cursor;

typedef struct {
  char descr[64];
  int fortran_order;
  int ndim;
  int64_t shape[NPY_MAX_NDIM];
  int seen_descr, seen_fortran, seen_shape;
} NpyHeader;

static int fail(Cursor *c, const char *why) {
  if (c->why == NULL) c->why = why;
  return -1;
}

static void skip_ws(Cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int expect(Cursor *c, char ch, const char *why) {
  skip_ws(c);
  if (c->p >= c->end || *c->p != ch) return fail(c, why);
  c->p++;
  return 0;
}

/* A quoted Python string without escapes (numpy never writes any here). */
static int parse_string(Cursor *c, char *out, size_t outlen) {
  skip_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return fail(c, "expected a string");
  char quote = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != quote) {
    if (*c->p == '\\' || *c->p == '\n') return fail(c, "unsupported character in a string");
    if (n + 1 >= outlen) return fail(c, "string too long");
    out[n++] = *c->p++;
  }
  if (c->p >= c->end) return fail(c, "unterminated string");
  c->p++;
  out[n] = '\0';
  return 0;
}

/* A structured dtype such as [('a', '<f4')]: only its text is kept (up to
 * outlen - 1 characters), so that the error can quote it. */
static int parse_list_text(Cursor *c, char *out, size_t outlen) {
  const char *start = c->p;
  int depth = 0;
  char quote = 0;
  for (; c->p < c->end; c->p++) {
    char ch = *c->p;
    if (quote) {
      if (ch == quote) quote = 0;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
    } else if (ch == '[' || ch == '(') {
      depth++;
    } else if ((ch == ']' || ch == ')') && --depth == 0) {
      c->p++;
      break;
    }
  }
  if (depth != 0) return fail(c, "unterminated dtype list");
  size_t n = (size_t)(c->p - start);
  if (n >= outlen) n = outlen - 1;
  memcpy(out, start, n);
  out[n] = '\0';
  return 0;
}

static int parse_word(Cursor *c, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
  c->p += n;
  return 1;
}

static int parse_bool(Cursor *c, int *out) {
  skip_ws(c);
  if (parse_word(c, "True")) *out = 1;
  else if (parse_word(c, "False")) *out = 0;
  else return fail(c, "fortran_order must be True or False");
  return 0;
}

static int parse_dim(Cursor *c, int64_t *out) {
  skip_ws(c);
  if (c->p >= c->end || *c->p < '0' || *c->p > '9') return fail(c, "shape entries must be non-negative integers");
  int64_t v = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    int d = *c->p++ - '0';
    if (v > (INT64_MAX - d) / 10) return fail(c, "a shape entry is too large");
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

/* A tuple of integers: "()", "(5,)", "(2, 3)" or "(2, 3,)". "(5)" is not a
 * tuple in Python, so it is refused as numpy would. */
static int parse_shape(Cursor *c, NpyHeader *h) {
  if (expect(c, '(', "shape must be a tuple") != 0) return -1;
  h->ndim = 0;
  int trailing_comma = 0;
  for (;;) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ')') break;
    if (h->ndim == NPY_MAX_NDIM) return fail(c, "shape has more than 8 dimensions");
    if (parse_dim(c, &h->shape[h->ndim++]) != 0) return -1;
    skip_ws(c);
    trailing_comma = c->p < c->end && *c->p == ',';
    if (trailing_comma) c->p++;
    else if (c->p < c->end && *c->p == ')') break;
    else return fail(c, "malformed shape tuple");
  }
  c->p++; /* ')' */
  if (h->ndim == 1 && !trailing_comma) return fail(c, "shape must be a tuple");
  return 0;
}

static int parse_entry(Cursor *c, NpyHeader *h) {
  char key[32];
  if (parse_string(c, key, sizeof key) != 0) return fail(c, "expected a key string");
  if (expect(c, ':', "expected ':' after a key") != 0) return -1;
  if (strcmp(key, "descr") == 0 && !h->seen_descr) {
    h->seen_descr = 1;
    skip_ws(c);
    if (c->p < c->end && *c->p == '[') return parse_list_text(c, h->descr, sizeof h->descr);
    return parse_string(c, h->descr, sizeof h->descr);
  }
  if (strcmp(key, "fortran_order") == 0 && !h->seen_fortran) {
    h->seen_fortran = 1;
    return parse_bool(c, &h->fortran_order);
  }
  if (strcmp(key, "shape") == 0 && !h->seen_shape) {
    h->seen_shape = 1;
    return parse_shape(c, h);
  }
  return fail(c, "unexpected or repeated key");
}

/* Returns 0, or -1 with c.why describing the problem. */
static int parse_header(const char *text, size_t len, NpyHeader *h, const char **why) {
  Cursor c = {text, text + len, NULL};
  memset(h, 0, sizeof *h);
  if (expect(&c, '{', "the header is not a dict") != 0) goto bad;
  for (;;) {
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') break;
    if (parse_entry(&c, h) != 0) goto bad;
    skip_ws(&c);
    if (c.p < c.end && *c.p == ',') c.p++;
    else if (c.p < c.end && *c.p == '}') break;
    else {
      fail(&c, "expected ',' or '}'");
      goto bad;
    }
  }
  c.p++; /* '}' */
  skip_ws(&c);
  if (c.p != c.end) {
    fail(&c, "unexpected text after the dict");
    goto bad;
  }
  if (!h->seen_descr || !h->seen_fortran || !h->seen_shape) {
    fail(&c, "a key ('descr', 'fortran_order' or 'shape') is missing");
    goto bad;
  }
  return 0;
bad:
  *why = c.why;
  return -1;
}

/* ---- reading ---- */

static int check_header(const char *path, const NpyHeader *h, char *err, size_t errlen) {
  if (strcmp(h->descr, "<f4") != 0) {
    if (h->descr[0] == '[')
      set_error(err, errlen,
                "%s: structured dtype %s is not supported; save a plain float32 "
                "array (np.float32)",
                path, h->descr);
    else if (strcmp(h->descr, ">f4") == 0)
      set_error(err, errlen,
                "%s: big-endian float32 ('>f4') is not supported; "
                "save the array as little-endian float32 (arr.astype('<f4'))",
                path);
    else
      set_error(err, errlen,
                "%s: dtype '%s' is not supported; save the array as float32 "
                "(np.float32)",
                path, h->descr);
    return -1;
  }
  if (h->fortran_order) {
    set_error(err, errlen,
              "%s: fortran_order is True (column-major data) which is not "
              "supported; save a C-ordered array (np.ascontiguousarray)",
              path);
    return -1;
  }
  return 0;
}

/* Reads the preamble and header; leaves f at the start of the data.
 * *data_bytes receives how many bytes follow the header. */
static int read_header(FILE *f, const char *path, int64_t file_size, NpyHeader *h, int64_t *data_bytes, char *err,
                       size_t errlen) {
  unsigned char pre[12];
  size_t got = fread(pre, 1, 10, f);
  if (ferror(f)) {
    set_error(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    return -1;
  }
  if (file_size < 10 || got != 10 || memcmp(pre, npy_magic, 6) != 0) {
    set_error(err, errlen, "%s: not a NumPy .npy file (bad magic)", path);
    return -1;
  }
  int major = pre[6], minor = pre[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    set_error(err, errlen,
              "%s: .npy format version %d.%d is not supported (only 1.0, 2.0 "
              "and 3.0)",
              path, major, minor);
    return -1;
  }
  int64_t prelen = major == 1 ? 10 : 12;
  if (major != 1 && (file_size < 12 || fread(pre + 10, 1, 2, f) != 2)) {
    set_error(err, errlen, "%s: the file ends inside the .npy preamble", path);
    return -1;
  }
  uint32_t hlen = (uint32_t)pre[8] | (uint32_t)pre[9] << 8;
  if (major != 1) hlen |= (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
  /* numpy writes headers of a few hundred bytes (it warns past 10 KB); a cap
   * also keeps hlen + 1 from wrapping a 32-bit length to 0. */
  if (hlen > NPY_MAX_HEADER_BYTES) {
    set_error(err, errlen,
              "%s: .npy header length %lu is over the %u-byte limit (not an array this tool writes or "
              "reads)",
              path, (unsigned long)hlen, (unsigned)NPY_MAX_HEADER_BYTES);
    return -1;
  }
  if ((int64_t)hlen > file_size - prelen) {
    set_error(err, errlen, "%s: header length %lu runs past the end of the file (%lld bytes)", path,
              (unsigned long)hlen, (long long)file_size);
    return -1;
  }
  char *text = malloc((size_t)hlen + 1);
  if (text == NULL || fread(text, 1, hlen, f) != hlen) {
    set_error(err, errlen, "%s: cannot read the .npy header", path);
    free(text);
    return -1;
  }
  const char *why = NULL;
  int rc = parse_header(text, hlen, h, &why);
  free(text);
  if (rc != 0) {
    set_error(err, errlen, "%s: malformed .npy header (%s)", path, why);
    return -1;
  }
  *data_bytes = file_size - prelen - hlen;
  return 0;
}

static int64_t file_size_of(FILE *f) {
  if (fseeko(f, 0, SEEK_END) != 0) return -1;
  off_t size = ftello(f);
  if (size < 0 || fseeko(f, 0, SEEK_SET) != 0) return -1;
  return (int64_t)size;
}

static float *read_data(FILE *f, const char *path, const NpyHeader *h, int64_t data_bytes, char *err, size_t errlen) {
  char shape_text[256];
  format_shape(h->ndim, h->shape, shape_text, sizeof shape_text);
  int64_t count = shape_count(h->ndim, h->shape);
  if (count < 0 || (uint64_t)count > SIZE_MAX / 4) {
    set_error(err, errlen, "%s: shape %s is too large", path, shape_text);
    return NULL;
  }
  if (count * 4 != data_bytes) {
    set_error(err, errlen, "%s: expected %lld bytes of float32 data for shape %s, found %lld", path,
              (long long)(count * 4), shape_text, (long long)data_bytes);
    return NULL;
  }
  size_t n = (size_t)count;
  float *data = malloc(n ? n * 4 : 1); /* never NULL on success, even when empty */
  if (data == NULL) {
    set_error(err, errlen, "%s: out of memory for %lld bytes of data", path, (long long)data_bytes);
    return NULL;
  }
  if (fread(data, 4, n, f) != n) {
    set_error(err, errlen, "%s: read error in the array data", path);
    free(data);
    return NULL;
  }
  if (!host_is_little_endian()) swap4(data, n);
  return data;
}

float *npy_read_f32(const char *path, int *ndim, int64_t shape[NPY_MAX_NDIM], char *err, size_t errlen) {
  if (path == NULL || ndim == NULL || shape == NULL) {
    set_error(err, errlen, "npy_read_f32: path, ndim and shape must not be NULL");
    return NULL;
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    set_error(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  float *data = NULL;
  NpyHeader h;
  int64_t data_bytes = 0;
  int64_t size = file_size_of(f);
  if (size < 0) set_error(err, errlen, "%s: cannot determine the file size (not a regular file?)", path);
  else if (read_header(f, path, size, &h, &data_bytes, err, errlen) == 0 && check_header(path, &h, err, errlen) == 0)
    data = read_data(f, path, &h, data_bytes, err, errlen);
  fclose(f);
  if (data != NULL) {
    *ndim = h.ndim;
    memcpy(shape, h.shape, sizeof h.shape);
  }
  return data;
}

/* ---- writing ---- */

/* The complete version 1.0 preamble + header numpy writes for this shape;
 * returns its length (a multiple of NPY_ALIGN). */
static size_t build_header(int ndim, const int64_t *shape, char *buf, size_t buflen) {
  char shape_text[256];
  format_shape(ndim, shape, shape_text, sizeof shape_text);
  char dict[512];
  int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape_text);
  /* numpy leaves room to grow the first axis in place: spaces up to 21 digits. */
  if (ndim > 0) {
    int digits = snprintf(NULL, 0, "%lld", (long long)shape[0]);
    for (int i = digits; i < NPY_GROWTH_DIGITS; i++) dict[n++] = ' ';
  }
  size_t hlen = (size_t)n + 1;                      /* + '\n' */
  size_t pad = NPY_ALIGN - (10 + hlen) % NPY_ALIGN; /* 1..64: numpy never pads 0 */
  size_t total = 10 + hlen + pad;
  if (total > buflen) return 0;
  memcpy(buf, npy_magic, 6);
  buf[6] = 1;
  buf[7] = 0;
  buf[8] = (char)((hlen + pad) & 0xff);
  buf[9] = (char)((hlen + pad) >> 8);
  memcpy(buf + 10, dict, (size_t)n);
  memset(buf + 10 + n, ' ', pad);
  buf[total - 1] = '\n';
  return total;
}

static int write_data(FILE *f, const float *data, size_t count) {
  if (count == 0) return 0; /* data may be NULL for an empty array */
  if (host_is_little_endian()) return fwrite(data, 4, count, f) == count ? 0 : -1;
  float chunk[1024];
  for (size_t i = 0; i < count; i += 1024) {
    size_t m = count - i < 1024 ? count - i : 1024;
    memcpy(chunk, data + i, m * 4);
    swap4(chunk, m);
    if (fwrite(chunk, 4, m, f) != m) return -1;
  }
  return 0;
}

static int check_write_args(const char *path, const float *data, int ndim, const int64_t *shape, int64_t *count,
                            char *err, size_t errlen) {
  if (path == NULL || ndim < 0 || ndim > NPY_MAX_NDIM || (ndim > 0 && shape == NULL)) {
    set_error(err, errlen, "npy_write_f32: need a path and 0..%d dimensions (got %d)", NPY_MAX_NDIM, ndim);
    return -1;
  }
  *count = shape_count(ndim, shape);
  if (*count < 0 || (uint64_t)*count > SIZE_MAX / 4) {
    set_error(err, errlen, "%s: shape has a negative or too large dimension", path);
    return -1;
  }
  if (data == NULL && *count > 0) {
    set_error(err, errlen, "%s: no data to write", path);
    return -1;
  }
  return 0;
}

int npy_write_f32(const char *path, const float *data, int ndim, const int64_t *shape, char *err, size_t errlen) {
  int64_t count;
  if (check_write_args(path, data, ndim, shape, &count, err, errlen) != 0) return -1;
  char header[1024];
  size_t hsize = build_header(ndim, shape, header, sizeof header);
  if (hsize == 0) { /* cannot happen for <= 8 dimensions; kept as a guard */
    set_error(err, errlen, "%s: .npy header does not fit", path);
    return -1;
  }
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    set_error(err, errlen, "%s: cannot create: %s", path, strerror(errno));
    return -1;
  }
  int ok = fwrite(header, 1, hsize, f) == hsize && write_data(f, data, (size_t)count) == 0;
  int saved = errno;
  if (fclose(f) != 0 && ok) {
    ok = 0;
    saved = errno;
  }
  if (!ok) {
    set_error(err, errlen, "%s: write failed: %s", path, strerror(saved));
    remove(path);
    return -1;
  }
  return 0;
}
