/* safetensors.c — validated safetensors reader. See safetensors.h.
 *
 * The file is read into memory, not mapped: a weights file truncated or
 * rewritten while we read it then gives a sentence ("file shrank"), where a
 * mapping would raise SIGBUS in the host process. Every structural promise of
 * the header is checked in st_open, so code that receives an StTensor can
 * index its data freely.
 * Tensor names point into the parsed JSON document, which lives as long as
 * the StFile. */
/* open/pread/mkdtemp are POSIX; the build defines _GNU_SOURCE, but
 * stay compilable without it. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "safetensors.h"

#include "json.h"
#include "errors.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reference implementation allows 100 MB; EfficientNet-B7's header is
 * 112 KB, so 16 MiB leaves room for any metadata while bounding what parsing
 * a hostile header may take (JSON_MEMORY_PER_BYTE times this). */
#define ST_MAX_HEADER_BYTES ((uint64_t)16 << 20)
/* The file is read whole; B7 in float64 is 530 MB, so a file past this is not
 * weights we can use, and reading it could exhaust the host's memory. */
#define ST_MAX_FILE_BYTES ((uint64_t)4 << 30)

#ifdef __GNUC__
#define ST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ST_PRINTF(f, a)
#endif

/* Name index entry; the name is copied in so comparisons need no context. */
typedef struct {
  const char *name;
  const StTensor *tensor;
} StName;

struct StFile {
  uint8_t *base; /* whole file */
  size_t size;
  int borrowed; /* base belongs to the caller (st_open_memory) */
  JsonDoc *doc; /* owns tensor names and metadata strings */
  const JsonValue *metadata;
  StTensor *tensors; /* file order */
  size_t count;
  StName *by_name; /* sorted by name, for st_find */
};

/* Error context shared by the validation steps. */
typedef struct {
  const char *path;
  char *err;
  size_t errlen;
} Ctx;

ST_PRINTF(2, 3)
static void st_fail(const Ctx *c, const char *fmt, ...) {
  if (!c->err || c->errlen == 0) return;
  int n = snprintf(c->err, c->errlen, "%s: ", c->path);
  if (n < 0) return;
  va_list ap;
  va_start(ap, fmt);
  vset_error_at(c->err, c->errlen, (size_t)n, fmt, ap);
  va_end(ap);
}

/* ---------------------------------------------------------------- dtypes -- */

static const struct {
  const char *name;
  size_t size;
} DTYPES[] = {
    [ST_F32] = {"F32", 4}, [ST_F16] = {"F16", 2},         [ST_BF16] = {"BF16", 2},       [ST_F64] = {"F64", 8},
    [ST_I64] = {"I64", 8}, [ST_I32] = {"I32", 4},         [ST_I16] = {"I16", 2},         [ST_I8] = {"I8", 1},
    [ST_U8] = {"U8", 1},   [ST_BOOL] = {"BOOL", 1},       [ST_U16] = {"U16", 2},         [ST_U32] = {"U32", 4},
    [ST_U64] = {"U64", 8}, [ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_F8_E5M2] = {"F8_E5M2", 1},
};
#define N_DTYPES (sizeof DTYPES / sizeof DTYPES[0])

const char *st_dtype_name(StDtype d) { return (unsigned)d < N_DTYPES ? DTYPES[d].name : "?"; }

size_t st_dtype_size(StDtype d) { return (unsigned)d < N_DTYPES ? DTYPES[d].size : 0; }

static int dtype_from_name(const char *s, StDtype *out) {
  for (unsigned i = 0; i < N_DTYPES; i++) {
    if (strcmp(DTYPES[i].name, s) == 0) {
      *out = (StDtype)i;
      return 0;
    }
  }
  return -1;
}

/* -------------------------------------------------------------- loading -- */

/* The whole file, read with pread. */
static uint8_t *read_whole(const Ctx *c, int fd, size_t size) {
  uint8_t *buf = malloc(size);
  if (!buf) {
    st_fail(c, "out of memory reading %zu bytes", size);
    return NULL;
  }
  size_t got = 0;
  while (got < size) {
    ssize_t r = pread(fd, buf + got, size - got, (off_t)got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r < 0) st_fail(c, "read failed: %s", strerror(errno));
      else st_fail(c, "file shrank while being read (%zu of %zu bytes)", got, size);
      free(buf);
      return NULL;
    }
    got += (size_t)r;
  }
  return buf;
}

static int stat_regular(const Ctx *c, int fd, size_t *size) {
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    st_fail(c, "cannot stat: %s", strerror(errno));
    return -1;
  }
  if (!S_ISREG(sb.st_mode)) {
    st_fail(c, "is not a regular file");
    return -1;
  }
  if ((uintmax_t)sb.st_size > SIZE_MAX || (uint64_t)sb.st_size > ST_MAX_FILE_BYTES) {
    st_fail(c, "file is %jd bytes, more than the 4 GiB any EfficientNet's weights need", (intmax_t)sb.st_size);
    return -1;
  }
  *size = (size_t)sb.st_size;
  if (*size < 8) {
    st_fail(c, "file is too short to hold the 8-byte header length (%zu bytes)", *size);
    return -1;
  }
  return 0;
}

static int load_file(const Ctx *c, StFile *f) {
  int fd = open(c->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    st_fail(c, "cannot open: %s", strerror(errno));
    return -1;
  }
  int rc = stat_regular(c, fd, &f->size);
  if (rc == 0) {
    f->base = read_whole(c, fd, f->size);
    if (!f->base) rc = -1;
  }
  close(fd);
  return rc;
}

static uint64_t load_le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* Header length checks, then the JSON parse; returns the root object. */
static const JsonValue *parse_header(const Ctx *c, StFile *f, size_t *header_len) {
  uint64_t n = load_le64(f->base);
  /* The size limit comes first so an absurd length is named as such even when
   * it also overruns the file. */
  if (n > ST_MAX_HEADER_BYTES) {
    st_fail(c, "header length %llu exceeds the 16 MiB limit (an EfficientNet's header is a few hundred KB)",
            (unsigned long long)n);
    return NULL;
  }
  if (n > f->size - 8) {
    st_fail(c, "header length %llu is beyond the end of the file (%zu bytes)", (unsigned long long)n, f->size);
    return NULL;
  }
  if (n == 0) {
    st_fail(c, "header length is 0: the file holds no tensor list (not a safetensors file?)");
    return NULL;
  }
  /* The root must be an object: look before parsing, so a huge header of
   * something else costs nothing. */
  const uint8_t *h = f->base + 8;
  size_t i = 0;
  while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r')) i++;
  if (i == n || h[i] != '{') {
    st_fail(c, "header is not a JSON object (it starts with %s)", i == n ? "nothing but spaces" : "something else");
    return NULL;
  }
  char jerr[256];
  f->doc = json_parse((const char *)f->base + 8, (size_t)n, jerr, sizeof jerr);
  if (!f->doc) {
    st_fail(c, "header: %s", jerr);
    return NULL;
  }
  const JsonValue *root = json_root(f->doc);
  if (root->type != JSON_OBJECT) {
    st_fail(c, "header is not a JSON object");
    return NULL;
  }
  *header_len = (size_t)n;
  return root;
}

/* ---------------------------------------------------- per-tensor checks -- */

/* A member that appears twice would be read differently by different
 * parsers (first vs last wins), so refuse the ambiguity. */
static const JsonValue *unique_member(const Ctx *c, const char *name, const JsonValue *obj, const char *key) {
  const JsonValue *found = NULL;
  for (size_t i = 0; i < obj->count; i++) {
    if (strcmp(obj->keys[i], key) != 0) continue;
    if (found) {
      st_fail(c, "tensor '%.200s': key \"%s\" appears more than once", name, key);
      return NULL;
    }
    found = obj->items[i];
  }
  if (!found) st_fail(c, "tensor '%.200s': missing \"%s\"", name, key);
  return found;
}

static int check_dtype(const Ctx *c, const char *name, const JsonValue *v, StDtype *dt) {
  if (v->type != JSON_STRING) {
    st_fail(c, "tensor '%.200s': \"dtype\" must be a string", name);
    return -1;
  }
  if (strlen(v->string) != v->string_len || dtype_from_name(v->string, dt)) {
    st_fail(c, "tensor '%.200s': unknown dtype \"%.32s\"", name, v->string);
    return -1;
  }
  return 0;
}

static int check_shape(const Ctx *c, const char *name, const JsonValue *v, StTensor *t) {
  if (v->type != JSON_ARRAY) {
    st_fail(c, "tensor '%.200s': \"shape\" must be an array of integers", name);
    return -1;
  }
  if (v->count > ST_MAX_DIMS) {
    st_fail(c, "tensor '%.200s': shape has %zu dimensions, more than the limit of %d", name, v->count, ST_MAX_DIMS);
    return -1;
  }
  int has_zero = 0;
  for (size_t i = 0; i < v->count; i++) {
    const JsonValue *d = v->items[i];
    if (d->type != JSON_NUMBER || !d->number_is_integer) {
      st_fail(c, "tensor '%.200s': \"shape\" must be an array of integers", name);
      return -1;
    }
    if (d->integer < 0) {
      st_fail(c, "tensor '%.200s': shape has a negative dimension (%lld)", name, d->integer);
      return -1;
    }
    t->shape[i] = d->integer;
    has_zero |= d->integer == 0;
  }
  t->ndim = (int)v->count;
  /* With a zero dimension the product is 0 whatever the others are. */
  int64_t numel = has_zero ? 0 : 1;
  for (int i = 0; i < t->ndim && numel; i++) {
    if (numel > INT64_MAX / t->shape[i]) {
      st_fail(c, "tensor '%.200s': element count overflows 64 bits", name);
      return -1;
    }
    numel *= t->shape[i];
  }
  t->numel = numel;
  return 0;
}

static int check_offsets(const Ctx *c, const char *name, const JsonValue *v, uint64_t *b, uint64_t *e) {
  int ok = v->type == JSON_ARRAY && v->count == 2;
  for (size_t i = 0; ok && i < 2; i++) {
    const JsonValue *x = v->items[i];
    ok = x->type == JSON_NUMBER && x->number_is_integer && x->integer >= 0;
  }
  if (!ok) {
    st_fail(c, "tensor '%.200s': data_offsets must be two non-negative integers", name);
    return -1;
  }
  *b = (uint64_t)v->items[0]->integer;
  *e = (uint64_t)v->items[1]->integer;
  return 0;
}

static void format_shape(const StTensor *t, char *buf, size_t n) {
  size_t used = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < t->ndim && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
  if (used < n) snprintf(buf + used, n - used, "]");
}

/* Byte range checks: inside the data buffer, ordered, aligned, and exactly
 * the size the shape and dtype call for. */
static int check_range(const Ctx *c, const char *name, StTensor *t, uint64_t b, uint64_t e, size_t data_len) {
  size_t esize = st_dtype_size(t->dtype);
  if (e < b) {
    st_fail(c, "tensor '%.200s': end offset %llu is before begin offset %llu", name, (unsigned long long)e,
            (unsigned long long)b);
    return -1;
  }
  if (e > data_len) {
    st_fail(
        c,
        "tensor '%.200s': data_offsets [%llu, %llu] reach beyond the data buffer (%zu bytes; is the file truncated?)",
        name, (unsigned long long)b, (unsigned long long)e, data_len);
    return -1;
  }
  if (b % esize != 0) {
    st_fail(c, "tensor '%.200s': begin offset %llu is not a multiple of the %s element size (%zu)", name,
            (unsigned long long)b, st_dtype_name(t->dtype), esize);
    return -1;
  }
  if ((uint64_t)t->numel > (e - b) / esize || (uint64_t)t->numel * esize != e - b) {
    char shape[200];
    format_shape(t, shape, sizeof shape);
    st_fail(c,
            "tensor '%.200s': shape %s of %s needs %llu x %zu bytes, which does not match "
            "the data_offsets length %llu",
            name, shape, st_dtype_name(t->dtype), (unsigned long long)t->numel, esize, (unsigned long long)(e - b));
    return -1;
  }
  t->nbytes = (size_t)(e - b);
  return 0;
}

static int parse_tensor(const Ctx *c, const char *name, const JsonValue *v, const uint8_t *data, size_t data_len,
                        StTensor *t) {
  if (v->type != JSON_OBJECT) {
    st_fail(c, "tensor '%.200s': entry is not an object", name);
    return -1;
  }
  const JsonValue *dt = unique_member(c, name, v, "dtype");
  const JsonValue *sh = dt ? unique_member(c, name, v, "shape") : NULL;
  const JsonValue *off = sh ? unique_member(c, name, v, "data_offsets") : NULL;
  if (!off) return -1;
  uint64_t b, e;
  if (check_dtype(c, name, dt, &t->dtype) || check_shape(c, name, sh, t) || check_offsets(c, name, off, &b, &e) ||
      check_range(c, name, t, b, e, data_len))
    return -1;
  t->name = name;
  t->data = data + b;
  return 0;
}

static int check_metadata(const Ctx *c, const JsonValue *v) {
  if (v->type != JSON_OBJECT) {
    st_fail(c, "\"__metadata__\" must be an object of strings");
    return -1;
  }
  for (size_t i = 0; i < v->count; i++) {
    if (v->items[i]->type != JSON_STRING) {
      st_fail(c, "\"__metadata__\" value for \"%.200s\" is not a string", v->keys[i]);
      return -1;
    }
  }
  return 0;
}

/* ----------------------------------------------------- cross-tensor checks -- */

/* Sort keys carry what the comparators need, so no global sort context is
 * required and st_open stays thread-safe. */
static int cmp_name(const void *a, const void *b) {
  return strcmp(((const StName *)a)->name, ((const StName *)b)->name);
}

typedef struct {
  const uint8_t *begin, *end;
  const char *name;
} StRange;

static int cmp_begin(const void *a, const void *b) {
  const uint8_t *x = ((const StRange *)a)->begin, *y = ((const StRange *)b)->begin;
  return (x > y) - (x < y);
}

/* Builds the name index used by st_find and rejects duplicates. */
static int index_names(const Ctx *c, StFile *f) {
  f->by_name = malloc((f->count ? f->count : 1) * sizeof *f->by_name);
  if (!f->by_name) {
    st_fail(c, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < f->count; i++) {
    f->by_name[i].name = f->tensors[i].name;
    f->by_name[i].tensor = &f->tensors[i];
  }
  qsort(f->by_name, f->count, sizeof *f->by_name, cmp_name);
  for (size_t i = 1; i < f->count; i++) {
    if (strcmp(f->by_name[i - 1].name, f->by_name[i].name) == 0) {
      st_fail(c, "duplicate tensor name '%.200s'", f->by_name[i].name);
      return -1;
    }
  }
  return 0;
}

/* Sort the non-empty byte ranges by start; any range that starts before the
 * furthest end seen so far shares bytes with an earlier one. Empty tensors
 * occupy no bytes and cannot overlap anything. */
static int check_overlaps(const Ctx *c, const StFile *f) {
  StRange *r = malloc((f->count ? f->count : 1) * sizeof *r);
  if (!r) {
    st_fail(c, "out of memory");
    return -1;
  }
  size_t n = 0;
  for (size_t i = 0; i < f->count; i++) {
    const StTensor *t = &f->tensors[i];
    if (t->nbytes) r[n++] = (StRange){t->data, t->data + t->nbytes, t->name};
  }
  qsort(r, n, sizeof *r, cmp_begin);
  int rc = 0;
  const StRange *far = NULL; /* range with the furthest end so far */
  for (size_t k = 0; k < n && rc == 0; k++) {
    if (far && r[k].begin < far->end) {
      st_fail(c, "tensors '%.200s' and '%.200s' have overlapping data ranges", far->name, r[k].name);
      rc = -1;
    }
    if (!far || r[k].end > far->end) far = &r[k];
  }
  free(r);
  return rc;
}

/* ------------------------------------------------------------- st_open -- */

static int parse_entries(const Ctx *c, StFile *f, const JsonValue *root, size_t header_len) {
  const uint8_t *data = f->base + 8 + header_len;
  size_t data_len = f->size - 8 - header_len;
  f->tensors = calloc(root->count ? root->count : 1, sizeof *f->tensors);
  if (!f->tensors) {
    st_fail(c, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < root->count; i++) {
    const char *key = root->keys[i];
    if (strcmp(key, "__metadata__") == 0) {
      if (f->metadata) {
        st_fail(c, "\"__metadata__\" appears more than once");
        return -1;
      }
      if (check_metadata(c, root->items[i])) return -1;
      f->metadata = root->items[i];
      continue;
    }
    if (parse_tensor(c, key, root->items[i], data, data_len, &f->tensors[f->count])) return -1;
    f->count++;
  }
  return 0;
}

/* Validates the header and entries of the bytes in f (base, size). */
static StFile *validate(const Ctx *c, StFile *f) {
  size_t header_len = 0;
  const JsonValue *root = parse_header(c, f, &header_len);
  if (!root || parse_entries(c, f, root, header_len) || index_names(c, f) || check_overlaps(c, f)) {
    st_close(f);
    return NULL;
  }
  return f;
}

StFile *st_open(const char *path, char *err, size_t errlen) {
  Ctx c = {path ? path : "(null)", err, errlen};
  if (err && errlen) err[0] = '\0';
  StFile *f = calloc(1, sizeof *f);
  if (!f) {
    st_fail(&c, "out of memory");
    return NULL;
  }
  if (!path) {
    st_fail(&c, "cannot open: no path given");
    st_close(f);
    return NULL;
  }
  if (load_file(&c, f) != 0) {
    st_close(f);
    return NULL;
  }
  return validate(&c, f);
}

StFile *st_open_memory(const void *data, size_t size, const char *name, char *err, size_t errlen) {
  Ctx c = {name ? name : "(memory)", err, errlen};
  if (err && errlen) err[0] = '\0';
  if (!data || size < 8) {
    st_fail(&c, "is too short to hold the 8-byte header length (%zu bytes)", data ? size : 0);
    return NULL;
  }
  StFile *f = calloc(1, sizeof *f);
  if (!f) {
    st_fail(&c, "out of memory");
    return NULL;
  }
  f->base = (uint8_t *)data; /* never written: const again in every StTensor */
  f->size = size;
  f->borrowed = 1;
  return validate(&c, f);
}

void st_close(StFile *f) {
  if (!f) return;
  if (!f->borrowed) free(f->base);
  json_free(f->doc);
  free(f->tensors);
  free(f->by_name);
  free(f);
}

/* ------------------------------------------------------------- lookups -- */

size_t st_count(const StFile *f) { return f ? f->count : 0; }

const StTensor *st_tensor_at(const StFile *f, size_t i) { return f && i < f->count ? &f->tensors[i] : NULL; }

const StTensor *st_find(const StFile *f, const char *name) {
  if (!f || !name) return NULL;
  size_t lo = 0, hi = f->count; /* binary search over the name index */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = strcmp(name, f->by_name[mid].name);
    if (r == 0) return f->by_name[mid].tensor;
    if (r < 0) hi = mid;
    else lo = mid + 1;
  }
  return NULL;
}

const char *st_metadata(const StFile *f, const char *key) {
  const JsonValue *v = f ? json_get(f->metadata, key) : NULL;
  return v ? v->string : NULL;
}

/* ---------------------------------------------------------- conversion -- */

/* Little-endian loads from bytes: correct on any host and any alignment;
 * compilers turn them into single loads on little-endian machines. */
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float bits_to_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

float st_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1F;
  uint32_t man = h & 0x3FF;
  if (exp == 0x1F) /* inf / NaN; the payload keeps its quiet bit position */
    return bits_to_f32(sign | 0x7F800000u | man << 13);
  if (exp != 0) /* normal: rebias 15 -> 127 */
    return bits_to_f32(sign | (exp + 112) << 23 | man << 13);
  if (man == 0) return bits_to_f32(sign); /* signed zero */
  /* Subnormal half (man * 2^-24) is a normal float: shift the leading 1 up
   * to the implicit bit, lowering the exponent once per shift. */
  int e = -14;
  while (!(man & 0x400)) {
    man <<= 1;
    e--;
  }
  return bits_to_f32(sign | (uint32_t)(e + 127) << 23 | (man & 0x3FF) << 13);
}

float st_bf16_to_f32(uint16_t h) { return bits_to_f32((uint32_t)h << 16); }

static double load_f64(const uint8_t *p) {
  uint64_t u = load_le64(p);
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

int st_to_f32(const StTensor *t, float *out) {
  if (!t) return -1;
  const uint8_t *p = t->data;
  size_t n = (size_t)t->numel;
  switch (t->dtype) {
    case ST_F32:
      for (size_t i = 0; i < n; i++) out[i] = bits_to_f32(le32(p + 4 * i));
      return 0;
    case ST_F16:
      for (size_t i = 0; i < n; i++) out[i] = st_f16_to_f32(le16(p + 2 * i));
      return 0;
    case ST_BF16:
      for (size_t i = 0; i < n; i++) out[i] = st_bf16_to_f32(le16(p + 2 * i));
      return 0;
    case ST_F64:
      /* IEEE (Annex F) narrowing: rounds to nearest, overflows to inf. */
      for (size_t i = 0; i < n; i++) out[i] = (float)load_f64(p + 8 * i);
      return 0;
    default: return -1;
  }
}
