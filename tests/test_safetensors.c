/* test_safetensors.c — standalone tests for nn/safetensors.c (the JSON
 * parser of its header has its own, tests/test_json.c).
 *
 * It writes small safetensors files by hand into a temporary directory and
 * checks exact read-back plus a rejection (with a distinctive message) for
 * every kind of damage st_open promises to catch. Exit status is non-zero on
 * any failure. Set ST_TEST_VERBOSE=1 to print every rejection message. */
/* open/pread/mmap/mkdtemp are POSIX; the build defines _GNU_SOURCE, but
 * stay compilable without it. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "json.h"
#include "safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_verbose.h"

/* ========================================================= safetensors == */

static char g_dir[4096];

static void path_in_dir(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", g_dir, name); }

static void write_bytes(const char *path, const void *data, size_t n) {
  FILE *fp = fopen(path, "wb");
  if (!fp || (n && fwrite(data, 1, n, fp) != n) || fclose(fp) != 0) {
    fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
    exit(2);
  }
}

/* Assemble 8-byte length + header + data into a heap buffer. */
static uint8_t *build_st(uint64_t n_field, const char *header, const void *data, size_t data_len, size_t *out_len) {
  size_t hl = strlen(header);
  uint8_t *buf = malloc(8 + hl + data_len + 1);
  if (!buf) abort();
  for (int i = 0; i < 8; i++) buf[i] = (uint8_t)(n_field >> (8 * i));
  memcpy(buf + 8, header, hl);
  if (data_len) memcpy(buf + 8 + hl, data, data_len);
  *out_len = 8 + hl + data_len;
  return buf;
}

static void write_st(const char *path, const char *header, const void *data, size_t data_len) {
  size_t n;
  uint8_t *buf = build_st(strlen(header), header, data, data_len, &n);
  write_bytes(path, buf, n);
  free(buf);
}

static void expect_st_fail_path(const char *path, const char *phrase) {
  char err[512] = "";
  StFile *f = st_open(path, err, sizeof err);
  CHECK_MSG(f == NULL, "%s should be rejected (%s)", path, phrase);
  st_close(f);
  CHECK_MSG(strstr(err, phrase) != NULL, "error \"%s\" lacks \"%s\"", err, phrase);
  CHECK_MSG(strncmp(err, path, strlen(path)) == 0, "error \"%s\" does not name the file", err);
  if (g_verbose) printf("  reject: %s\n", err + strlen(g_dir) + 1);
}

/* A file holding header + data, expected to be rejected with phrase. */
static void expect_st_fail(const char *name, const char *header, const void *data, size_t data_len,
                           const char *phrase) {
  char path[4200];
  path_in_dir(path, sizeof path, name);
  write_st(path, header, data, data_len);
  expect_st_fail_path(path, phrase);
  unlink(path);
}

static StFile *expect_st_ok(const char *name, const char *header, const void *data, size_t data_len) {
  char path[4200], err[512] = "";
  path_in_dir(path, sizeof path, name);
  write_st(path, header, data, data_len);
  StFile *f = st_open(path, err, sizeof err);
  CHECK_MSG(f != NULL, "%s should open: %s", name, err);
  unlink(path);
  return f;
}

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

static double pow2(int e) {
  double v = 1.0;
  for (; e > 0; e--) v *= 2.0;
  for (; e < 0; e++) v *= 0.5;
  return v;
}

/* Every half value against an independent formula (sign, exponent, mantissa
 * evaluated in double, where all of them are exact). */

static void test_f16_exhaustive(void) {
  int bad = 0;
  for (uint32_t h = 0; h < 65536; h++) {
    int sign = h >> 15, exp = (h >> 10) & 31, man = h & 1023;
    float got = st_f16_to_f32((uint16_t)h);
    if (exp == 31) {
      int ok = man ? isnan(got) : (isinf(got) && (signbit(got) != 0) == sign);
      uint32_t bits;
      memcpy(&bits, &got, 4);
      if (man) ok = ok && ((bits >> 13) & 1023) == (uint32_t)man; /* payload kept */
      bad += !ok;
      continue;
    }
    double mag = exp ? (1024 + man) * pow2(exp - 25) : man * pow2(-24);
    float want = (float)(sign ? -mag : mag);
    bad += !same_bits(got, want);
  }
  CHECK_MSG(bad == 0, "%d half values converted wrongly", bad);
  CHECK(same_bits(st_bf16_to_f32(0x3F80), 1.0f));
  CHECK(same_bits(st_bf16_to_f32(0x8000), -0.0f));
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put_f32(uint8_t *p, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(u >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t u) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(u >> (8 * i));
}

static void put_f64(uint8_t *p, double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  put_u64(p, u);
}

/* The valid file used by the read-back, truncation and fuzz tests. */
#define VALID_DATA_LEN 84
static const uint16_t H16[8] = {0x3C00, 0x0001, 0x03FF, 0x7C00, 0xFC00, 0x8000, 0x7BFF, 0xC000};
static const uint16_t B16[4] = {0x3F80, 0xC049, 0x0001, 0x7F7F};
static const float W32[4] = {1.5f, -2.25f, 3.0e-5f, 1e30f};
static const double D64[3] = {0.1, -1e10, 1e300};

static void valid_data(uint8_t *d) {
  for (int i = 0; i < 4; i++) put_f32(d + 4 * i, W32[i]);      /* w32  [0,16)  */
  for (int i = 0; i < 8; i++) put16(d + 16 + 2 * i, H16[i]);   /* h16  [16,32) */
  for (int i = 0; i < 4; i++) put16(d + 32 + 2 * i, B16[i]);   /* b16  [32,40) */
  for (int i = 0; i < 3; i++) put_f64(d + 40 + 8 * i, D64[i]); /* d64  [40,64) */
  put_u64(d + 64, (uint64_t)-5);                               /* i64  [64,80) */
  put_u64(d + 72, (uint64_t)1 << 40);
  put_f32(d + 80, 7.0f); /* scalar [80,84) */
}

/* Header padded with spaces to an odd data start, so every tensor is
 * misaligned in memory and the converters must not assume alignment. */
static char *valid_header(void) {
  static const char h[] = "{\"w32\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                          "\"h16\":{\"shape\":[8],\"dtype\":\"F16\",\"data_offsets\":[16,32]},"
                          "\"__metadata__\":{\"format\":\"pt\",\"note\":\"caf\\u00e9\"},"
                          "\"b16\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[32,40]},"
                          "\"d64\":{\"dtype\":\"F64\",\"shape\":[3],\"data_offsets\":[40,64],\"extra\":1},"
                          "\"i64\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[64,80]},"
                          "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[8,8]},"
                          "\"scalar\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[80,84]}}";
  size_t n = strlen(h), padded = n;
  while ((8 + padded) % 2 == 0 || padded < n + 3) padded++;
  char *s = malloc(padded + 1);
  if (!s) abort();
  memcpy(s, h, n);
  memset(s + n, ' ', padded - n);
  s[padded] = '\0';
  return s;
}

static void check_valid_tensors(const StFile *f) {
  static const char *order[] = {"w32", "h16", "b16", "d64", "i64", "empty", "scalar"};
  CHECK(st_count(f) == 7);
  for (size_t i = 0; i < 7; i++) {
    const StTensor *t = st_tensor_at(f, i);
    CHECK_MSG(t && strcmp(t->name, order[i]) == 0, "tensor %zu is %s", i, t ? t->name : "NULL");
    CHECK(st_find(f, order[i]) == t);
  }
  CHECK(st_tensor_at(f, 7) == NULL);
  CHECK(st_find(f, "nope") == NULL && st_find(f, "") == NULL && st_find(f, "w3") == NULL);

  float out[8];
  const StTensor *t = st_find(f, "w32");
  CHECK(t->dtype == ST_F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 2);
  CHECK(t->numel == 4 && t->nbytes == 16);
  CHECK(st_to_f32(t, out) == 0);
  for (int i = 0; i < 4; i++) CHECK(same_bits(out[i], W32[i]));

  t = st_find(f, "h16");
  CHECK(t->dtype == ST_F16 && t->numel == 8 && t->nbytes == 16);
  CHECK(st_to_f32(t, out) == 0);
  CHECK(same_bits(out[0], 1.0f));
  CHECK(same_bits(out[1], 5.9604644775390625e-8f));  /* 2^-24, smallest subnormal */
  CHECK(same_bits(out[2], 6.09755516052246094e-5f)); /* 1023 * 2^-24, largest subnormal */
  CHECK(isinf(out[3]) && out[3] > 0);
  CHECK(isinf(out[4]) && out[4] < 0);
  CHECK(same_bits(out[5], -0.0f) && !same_bits(out[5], 0.0f));
  CHECK(same_bits(out[6], 65504.0f));
  CHECK(same_bits(out[7], -2.0f));

  t = st_find(f, "b16");
  CHECK(t->dtype == ST_BF16 && t->numel == 4);
  CHECK(st_to_f32(t, out) == 0);
  CHECK(same_bits(out[0], 1.0f));
  CHECK(same_bits(out[1], -3.140625f));
  CHECK(same_bits(out[2], st_bf16_to_f32(0x0001)) && out[2] > 0 && out[2] < 1e-38f);
  CHECK(same_bits(out[3], 3.3895313892515355e38f));

  t = st_find(f, "d64");
  CHECK(t->dtype == ST_F64 && t->numel == 3 && t->nbytes == 24);
  CHECK(st_to_f32(t, out) == 0);
  CHECK(same_bits(out[0], 0.1f) && same_bits(out[1], -1e10f));
  CHECK(isinf(out[2]) && out[2] > 0);

  t = st_find(f, "i64");
  CHECK(t->dtype == ST_I64 && t->numel == 2 && t->nbytes == 16);
  CHECK(st_to_f32(t, out) == -1);
  int64_t iv[2];
  memcpy(iv, t->data, sizeof iv); /* the test host is little-endian */
  CHECK(iv[0] == -5 && iv[1] == (int64_t)1 << 40);

  t = st_find(f, "empty");
  CHECK(t->numel == 0 && t->nbytes == 0 && t->ndim == 2 && t->shape[0] == 0);
  CHECK(st_to_f32(t, out) == 0);

  t = st_find(f, "scalar");
  CHECK(t->ndim == 0 && t->numel == 1 && t->nbytes == 4);
  CHECK(st_to_f32(t, out) == 0 && same_bits(out[0], 7.0f));

  CHECK(st_metadata(f, "format") && strcmp(st_metadata(f, "format"), "pt") == 0);
  CHECK(st_metadata(f, "note") && strcmp(st_metadata(f, "note"), "caf\xC3\xA9") == 0);
  CHECK(st_metadata(f, "missing") == NULL);
}

static void test_st_valid(void) {
  uint8_t data[VALID_DATA_LEN];
  valid_data(data);
  char *h = valid_header();
  StFile *f = expect_st_ok("valid.safetensors", h, data, sizeof data);
  free(h);
  if (f) check_valid_tensors(f);
  st_close(f);
  st_close(NULL);

  /* No tensors at all, with and without metadata. */
  f = expect_st_ok("empty.safetensors", "{}", NULL, 0);
  CHECK(f && st_count(f) == 0 && st_find(f, "x") == NULL && st_metadata(f, "x") == NULL);
  st_close(f);
  f = expect_st_ok("meta.safetensors", "{\"__metadata__\":{}}  ", NULL, 0);
  CHECK(f && st_count(f) == 0);
  st_close(f);

  /* Zero-size tensors may sit anywhere, even inside another's range; a
   * range that starts where the previous ends is not an overlap; data past
   * the last tensor is tolerated. */
  f = expect_st_ok("zero.safetensors",
                   "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                   "\"z\":{\"dtype\":\"F64\",\"shape\":[5,0],\"data_offsets\":[0,0]},"
                   "\"y\":{\"dtype\":\"BOOL\",\"shape\":[0],\"data_offsets\":[4,4]},"
                   "\"b\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[8,12]}}",
                   "0123456789abcdef", 16);
  CHECK(f && st_count(f) == 4 && st_find(f, "z")->numel == 0);
  st_close(f);

  /* Every dtype name is accepted and reported back with its size. */
  static const size_t sizes[] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1, 2, 4, 8, 1, 1};
  for (int d = ST_F32; d <= ST_F8_E5M2; d++) {
    char header[200];
    size_t sz = sizes[d];
    snprintf(header, sizeof header, "{\"t\":{\"dtype\":\"%s\",\"shape\":[2],\"data_offsets\":[0,%zu]}}",
             st_dtype_name((StDtype)d), 2 * sz);
    f = expect_st_ok("dtype.safetensors", header, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 2 * sz);
    CHECK(st_dtype_size((StDtype)d) == sz);
    CHECK_MSG(f && st_tensor_at(f, 0)->dtype == (StDtype)d, "dtype %s", st_dtype_name((StDtype)d));
    st_close(f);
  }
  CHECK(strcmp(st_dtype_name((StDtype)99), "?") == 0 && st_dtype_size((StDtype)99) == 0);
}

/* Header for a single tensor "t" of the given fields. */
static const char *one(const char *fields) {
  static char buf[512];
  snprintf(buf, sizeof buf, "{\"t\":{%s}}", fields);
  return buf;
}

static void test_st_file_errors(void) {
  char path[4200];
  path_in_dir(path, sizeof path, "missing.safetensors");
  expect_st_fail_path(path, "cannot open: No such file or directory");
  expect_st_fail_path(g_dir, "is not a regular file");

  path_in_dir(path, sizeof path, "empty.safetensors");
  write_bytes(path, "", 0);
  expect_st_fail_path(path, "too short to hold the 8-byte header length (0 bytes)");
  path_in_dir(path, sizeof path, "five.safetensors");
  write_bytes(path, "\x02\0\0\0\0", 5);
  expect_st_fail_path(path, "too short to hold the 8-byte header length (5 bytes)");

  size_t n;
  uint8_t *buf = build_st(9999, "{}", NULL, 0, &n);
  path_in_dir(path, sizeof path, "beyond.safetensors");
  write_bytes(path, buf, n);
  free(buf);
  expect_st_fail_path(path, "header length 9999 is beyond the end of the file (10 bytes)");

  buf = build_st(200000000, "{}", NULL, 0, &n);
  path_in_dir(path, sizeof path, "huge.safetensors");
  write_bytes(path, buf, n);
  free(buf);
  expect_st_fail_path(path, "header length 200000000 exceeds the 16 MiB limit");

  buf = build_st(UINT64_MAX, "{}", NULL, 0, &n);
  write_bytes(path, buf, n);
  free(buf);
  expect_st_fail_path(path, "exceeds the 16 MiB limit");

  /* Zero-length header: valid length, empty JSON. */
  expect_st_fail("zerolen.safetensors", "", NULL, 0, "header length is 0");
}

static void expect_st_fail_null_path(void) {
  char err[256] = "";
  CHECK(st_open(NULL, err, sizeof err) == NULL && strstr(err, "no path given"));
  CHECK(st_open("/nonexistent/x", NULL, 0) == NULL); /* no error buffer */
}

static void test_st_header_errors(void) {
  const char *d = "0123456789abcdef0123456789abcdef";
  expect_st_fail("json.st", "{\"t\": {\"dtype\": \"F32\",}}", d, 4, "header: invalid JSON at byte 22: trailing comma");
  expect_st_fail("ctl.st", "{\"t\x01\": 1}", d, 0, "header: invalid JSON");
  expect_st_fail("array.st", "[]", d, 0, "header is not a JSON object");
  expect_st_fail("string.st", "\"x\"", d, 0, "header is not a JSON object");
  expect_st_fail("entry.st", "{\"t\": [1, 2]}", d, 0, "tensor 't': entry is not an object");
  expect_st_fail("nodtype.st", one("\"shape\":[1],\"data_offsets\":[0,4]"), d, 4, "missing \"dtype\"");
  expect_st_fail("noshape.st", one("\"dtype\":\"F32\",\"data_offsets\":[0,4]"), d, 4, "missing \"shape\"");
  expect_st_fail("nooffs.st", one("\"dtype\":\"F32\",\"shape\":[1]"), d, 4, "missing \"data_offsets\"");
  expect_st_fail("twice.st",
                 one("\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],"
                     "\"data_offsets\":[0,4]"),
                 d, 4, "key \"dtype\" appears more than once");
  expect_st_fail("dtypeint.st", one("\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]"), d, 4,
                 "\"dtype\" must be a string");
  expect_st_fail("dtype.st", one("\"dtype\":\"F17\",\"shape\":[1],\"data_offsets\":[0,4]"), d, 4,
                 "unknown dtype \"F17\"");
  expect_st_fail("dtypecase.st", one("\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]"), d, 4,
                 "unknown dtype \"f32\"");
  expect_st_fail("dtypenul.st",
                 one("\"dtype\":\"F32\\u0000x\",\"shape\":[1],"
                     "\"data_offsets\":[0,4]"),
                 d, 4, "unknown dtype");
  expect_st_fail("meta.st", "{\"__metadata__\": [\"a\"]}", d, 0, "\"__metadata__\" must be an object");
  expect_st_fail("metaval.st", "{\"__metadata__\": {\"a\": 1}}", d, 0,
                 "\"__metadata__\" value for \"a\" is not a string");
  expect_st_fail("meta2.st", "{\"__metadata__\": {}, \"__metadata__\": {}}", d, 0,
                 "\"__metadata__\" appears more than once");
  expect_st_fail("keynul.st",
                 "{\"conv_stem.weight\\u0000x\": {\"dtype\":\"F32\",\"shape\":[1],"
                 "\"data_offsets\":[0,4]}}",
                 d, 4, "object key holds \\u0000");
  expect_st_fail("spaces.st", "   \n ", d, 0, "header is not a JSON object (it starts with nothing but spaces)");
}

static void test_st_shape_errors(void) {
  const char *d = "0123456789abcdef0123456789abcdef";
  expect_st_fail("shapeobj.st", one("\"dtype\":\"F32\",\"shape\":{},\"data_offsets\":[0,4]"), d, 4,
                 "\"shape\" must be an array of integers");
  expect_st_fail("shapefl.st", one("\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]"), d, 4,
                 "\"shape\" must be an array of integers");
  expect_st_fail("shapestr.st", one("\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]"), d, 4,
                 "\"shape\" must be an array of integers");
  expect_st_fail("shapebig.st",
                 one("\"dtype\":\"F32\",\"shape\":[99999999999999999999],"
                     "\"data_offsets\":[0,4]"),
                 d, 4, "\"shape\" must be an array of integers");
  expect_st_fail("shapeneg.st", one("\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,4]"), d, 4,
                 "shape has a negative dimension (-1)");
  expect_st_fail("shape9.st",
                 one("\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],"
                     "\"data_offsets\":[0,1]"),
                 d, 1, "shape has 9 dimensions, more than the limit of 8");
  expect_st_fail("numel.st",
                 one("\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],"
                     "\"data_offsets\":[0,1]"),
                 d, 1, "element count overflows");
  /* numel fits in 64 bits but numel * 4 bytes does not. */
  expect_st_fail("bytes.st",
                 one("\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
                     "\"data_offsets\":[0,4]"),
                 d, 4, "does not match");
  expect_st_fail("size.st", one("\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]"), d, 20,
                 "shape [2, 3] of F32 needs 6 x 4 bytes, which does not match the "
                 "data_offsets length 20");
  expect_st_fail("size0.st", one("\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,4]"), d, 4, "does not match");
}

static void test_st_offset_errors(void) {
  const char *d = "0123456789abcdef0123456789abcdef";
  expect_st_fail("offs1.st", one("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]"), d, 4,
                 "data_offsets must be two non-negative integers");
  expect_st_fail("offs3.st", one("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]"), d, 8,
                 "data_offsets must be two non-negative integers");
  expect_st_fail("offsneg.st", one("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]"), d, 4,
                 "data_offsets must be two non-negative integers");
  expect_st_fail("offsfl.st", one("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]"), d, 4,
                 "data_offsets must be two non-negative integers");
  expect_st_fail("offsobj.st", one("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{}"), d, 4,
                 "data_offsets must be two non-negative integers");
  expect_st_fail("range.st", one("\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]"), d, 16,
                 "data_offsets [0, 400] reach beyond the data buffer (16 bytes;");
  expect_st_fail("range2.st",
                 one("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":"
                     "[9223372036854775800,9223372036854775804]"),
                 d, 16, "reach beyond the data buffer");
  expect_st_fail("order.st", one("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]"), d, 16,
                 "end offset 4 is before begin offset 8");
  expect_st_fail("align.st", one("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]"), d, 8,
                 "begin offset 2 is not a multiple of the F32 element size (4)");
  expect_st_fail("align64.st", one("\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[4,12]"), d, 16,
                 "not a multiple of the F64 element size (8)");
  expect_st_fail("overlap.st",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                 d, 12, "tensors 'a' and 'b' have overlapping data ranges");
  /* b lies inside a, c starts after b but still inside a; listed out of
   * order so the check must sort. */
  expect_st_fail("overlap2.st",
                 "{\"c\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[10,12]},"
                 "\"a\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
                 "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}",
                 d, 16, "have overlapping data ranges");
  expect_st_fail("same.st",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                 d, 4, "overlapping data ranges");
  expect_st_fail("dup.st",
                 "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                 "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                 d, 12, "duplicate tensor name 'a'");
}

/* Every prefix of a valid file is damaged and must be refused cleanly. */
static void test_st_truncation(void) {
  uint8_t data[VALID_DATA_LEN];
  valid_data(data);
  char *h = valid_header();
  size_t n;
  uint8_t *full = build_st(strlen(h), h, data, sizeof data, &n);
  free(h);
  char path[4200];
  path_in_dir(path, sizeof path, "trunc.safetensors");
  int accepted = 0, silent = 0;
  for (size_t len = 0; len <= n; len++) {
    write_bytes(path, full, len);
    char err[512] = "";
    StFile *f = st_open(path, err, sizeof err);
    if (f) accepted += len != n;
    if (!f) silent += err[0] == '\0';
    if (len == n) {
      CHECK_MSG(f != NULL, "full file refused: %s", err);
      if (f) check_valid_tensors(f);
    }
    st_close(f);
  }
  CHECK_MSG(accepted == 0, "%d truncated files accepted", accepted);
  CHECK_MSG(silent == 0, "%d truncated files refused without a message", silent);
  unlink(path);
  free(full);
}

/* Cross-check an accepted file against an independent reading of its
 * header: each tensor's bytes are exactly data[begin, end) of the original
 * data buffer, which also proves the pointer lies inside the file. */
static void check_against_header(const StFile *f, const uint8_t *header, size_t hl, const uint8_t *data,
                                 size_t data_len) {
  JsonDoc *doc = json_parse((const char *)header, hl, NULL, 0);
  CHECK(doc != NULL);
  if (!doc) return;
  for (size_t i = 0; i < st_count(f); i++) {
    const StTensor *t = st_tensor_at(f, i);
    const JsonValue *off = json_get(json_get(json_root(doc), t->name), "data_offsets");
    const JsonValue *b = json_at(off, 0), *e = json_at(off, 1);
    CHECK_MSG(b && e && b->number_is_integer && e->number_is_integer, "tensor %s", t->name);
    if (!b || !e) continue;
    uint64_t bi = (uint64_t)b->integer, ei = (uint64_t)e->integer;
    CHECK(bi <= ei && ei <= data_len && t->nbytes == ei - bi);
    CHECK((uint64_t)t->numel * st_dtype_size(t->dtype) == t->nbytes);
    if (ei <= data_len && t->nbytes == ei - bi) CHECK(t->nbytes == 0 || memcmp(t->data, data + bi, t->nbytes) == 0);
    CHECK(st_find(f, t->name) == t);
    float tmp[64];
    if (t->numel <= 64) (void)st_to_f32(t, tmp);
  }
  json_free(doc);
}

/* Random damage to the header bytes (length field kept): st_open either
 * refuses with a message or returns tensors that really lie inside the file
 * and whose size matches shape x dtype. */
static void test_st_mutations(void) {
  uint8_t data[VALID_DATA_LEN];
  valid_data(data);
  char *h = valid_header();
  size_t hl = strlen(h), n;
  uint8_t *full = build_st(hl, h, data, sizeof data, &n);
  free(h);
  uint8_t *buf = malloc(n);
  if (!buf) abort();
  static const char interesting[] = "{}[]\",:0123456789-. ";
  char path[4200];
  path_in_dir(path, sizeof path, "fuzz.safetensors");
  int opened = 0;
  for (int iter = 0; iter < 3000; iter++) {
    memcpy(buf, full, n);
    for (int k = 1 + (int)(rnd() % 2); k > 0; k--)
      buf[8 + rnd() % hl] = (uint8_t)interesting[rnd() % (sizeof interesting - 1)];
    write_bytes(path, buf, n);
    char err[512] = "";
    StFile *f = st_open(path, err, sizeof err);
    if (!f) {
      CHECK_MSG(err[0] != '\0', "refused without a message");
      continue;
    }
    opened++;
    check_against_header(f, buf + 8, hl, data, sizeof data);
    st_close(f);
  }
  if (g_verbose) printf("  fuzz: %d of 3000 mutated headers still valid\n", opened);
  unlink(path);
  free(buf);
  free(full);
}

static int make_temp_dir(void) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp) tmp = "/tmp";
  snprintf(g_dir, sizeof g_dir, "%s/test_st_XXXXXX", tmp);
  if (!mkdtemp(g_dir)) {
    fprintf(stderr, "mkdtemp %s: %s\n", g_dir, strerror(errno));
    return -1;
  }
  return 0;
}

/* Leaves the directory in place (with its files) if something failed. */
static void remove_temp_dir(void) {
  static const char *leftovers[] = {"empty.safetensors", "five.safetensors", "beyond.safetensors", "huge.safetensors"};
  char path[4200];
  for (size_t i = 0; i < sizeof leftovers / sizeof *leftovers; i++) {
    path_in_dir(path, sizeof path, leftovers[i]);
    unlink(path);
  }
  if (rmdir(g_dir) != 0) fprintf(stderr, "note: could not remove %s: %s\n", g_dir, strerror(errno));
}

int main(void) {
  const char *v = getenv("ST_TEST_VERBOSE");
  g_verbose = v && *v && strcmp(v, "0") != 0;

  if (make_temp_dir() != 0) return 2;
  test_f16_exhaustive();
  test_st_valid();
  test_st_file_errors();
  expect_st_fail_null_path();
  test_st_header_errors();
  test_st_shape_errors();
  test_st_offset_errors();
  test_st_truncation();
  test_st_mutations();
  remove_temp_dir();

  if (g_failures) {
    fprintf(stderr, "test_safetensors: %d of %d checks FAILED\n", g_failures, g_checks);
    return 1;
  }
  printf("test_safetensors: all %d checks passed\n", g_checks);
  return 0;
}
