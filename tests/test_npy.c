/* test_npy.c — .npy reader/writer (round trips, numpy's exact header layout,
 * hand-made broken files) and the helpers of util.c (labels: test_labels.c).
 * Usage: test_npy [SCRATCH_DIR]  (default: a fresh directory under $TMPDIR
 * or /tmp, removed afterwards). Returns non-zero when anything fails. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* mkdtemp, rmdir */
#endif

#include "effnet.h"
#include "npy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char scratch[512];

static const char *tmp_path(const char *name) {
  static char buf[4][640];
  static int next = 0;
  char *p = buf[next++ % 4];
  snprintf(p, sizeof buf[0], "%s/%s", scratch, name);
  return p;
}

static int write_bytes(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) return -1;
  size_t n = len ? fwrite(data, 1, len, f) : 0;
  return (fclose(f) == 0 && n == len) ? 0 : -1;
}

static unsigned char *read_bytes(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  unsigned char *buf = malloc(1 << 20);
  *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
  fclose(f);
  return buf;
}

/* ---- round trips ---- */

static void round_trip(const char *name, int ndim, const int64_t *shape) {
  size_t count = 1;
  for (int i = 0; i < ndim; i++) count *= (size_t)shape[i];
  float *data = malloc((count ? count : 1) * sizeof *data);
  for (size_t i = 0; i < count; i++) data[i] = (float)i * 0.37f - 11.0f;
  if (count > 3) { /* bit patterns that must survive untouched */
    data[0] = -0.0f;
    data[1] = INFINITY;
    data[2] = NAN;
  }
  const char *path = tmp_path(name);
  char err[EFFNET_ERRLEN] = "";
  CHECK(npy_write_f32(path, data, ndim, shape, err, sizeof err) == 0, "write %s: %s", name, err);

  /* Header layout as numpy.save writes it (tests/test_npy_numpy.py checks
   * byte equality against numpy itself). */
  size_t len = 0;
  unsigned char *raw = read_bytes(path, &len);
  if (raw != NULL && len >= 10) {
    size_t hlen = (size_t)raw[8] | (size_t)raw[9] << 8;
    CHECK(memcmp(raw, "\x93NUMPY\x01\x00", 8) == 0, "%s: preamble", name);
    CHECK((10 + hlen) % 64 == 0, "%s: data offset %zu not a multiple of 64", name, 10 + hlen);
    CHECK(raw[10 + hlen - 1] == '\n', "%s: header does not end in newline", name);
    CHECK(len == 10 + hlen + count * 4, "%s: file size %zu", name, len);
  } else {
    CHECK(0, "%s: cannot read back", name);
  }
  free(raw);

  int rnd = -1;
  int64_t rshape[NPY_MAX_NDIM];
  float *back = npy_read_f32(path, &rnd, rshape, err, sizeof err);
  CHECK(back != NULL, "read %s: %s", name, err);
  if (back != NULL) {
    CHECK(rnd == ndim, "%s: ndim %d, want %d", name, rnd, ndim);
    for (int i = 0; i < ndim && rnd == ndim; i++)
      CHECK(rshape[i] == shape[i], "%s: shape[%d] %lld", name, i, (long long)rshape[i]);
    CHECK(count == 0 || memcmp(back, data, count * sizeof *data) == 0, "%s: data differs", name);
  }
  free(back);
  free(data);
  remove(path);
}

static void test_round_trips(void) {
  const int64_t s1[] = {5}, s2[] = {2, 3}, s4[] = {1, 3, 224, 224}, s0[] = {0}, s203[] = {2, 0, 3},
                s8[] = {1, 2, 1, 2, 1, 2, 1, 2}, sbig[] = {2, 1000};
  round_trip("scalar.npy", 0, NULL);
  round_trip("vec5.npy", 1, s1);
  round_trip("m23.npy", 2, s2);
  round_trip("img.npy", 4, s4);
  round_trip("empty.npy", 1, s0);
  round_trip("empty203.npy", 3, s203);
  round_trip("dim8.npy", 8, s8);
  round_trip("logits.npy", 2, sbig);
  /* An empty array whose other dimensions are large but legal. */
  const int64_t zero8[] = {0, 1000, 1000, 1000, 100, 100, 100, 100};
  round_trip("zero8d.npy", 8, zero8);
}

static void test_header_text(void) {
  /* The exact header numpy 1.24 writes for a (2, 3) float32 array. */
  const int64_t shape[] = {2, 3};
  const float data[6] = {0};
  const char *path = tmp_path("hdr.npy");
  char err[EFFNET_ERRLEN] = "";
  CHECK(npy_write_f32(path, data, 2, shape, err, sizeof err) == 0, "write: %s", err);
  size_t len = 0;
  unsigned char *raw = read_bytes(path, &len);
  const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  CHECK(raw != NULL && len == 128 + 24, "hdr.npy: length %zu, want 152", len);
  if (raw != NULL && len == 152) {
    CHECK(raw[8] == 118 && raw[9] == 0, "hdr.npy: header length bytes");
    CHECK(memcmp(raw + 10, dict, strlen(dict)) == 0, "hdr.npy: dict text");
    for (size_t i = 10 + strlen(dict); i < 127; i++) CHECK(raw[i] == ' ', "hdr.npy: byte %zu should be a space", i);
    CHECK(raw[127] == '\n', "hdr.npy: newline");
  }
  free(raw);
  remove(path);
  /* Bad arguments to the writer. */
  const int64_t neg[] = {-1};
  CHECK(npy_write_f32(path, data, 1, neg, err, sizeof err) == -1, "negative dim accepted");
  CHECK(npy_write_f32(path, data, 9, shape, err, sizeof err) == -1, "ndim 9 accepted");
  CHECK(npy_write_f32(path, NULL, 2, shape, err, sizeof err) == -1, "NULL data accepted");
  CHECK(npy_write_f32("/nonexistent-dir/x.npy", data, 2, shape, err, sizeof err) == -1 &&
            strstr(err, "/nonexistent-dir/x.npy") != NULL,
        "unwritable path: %s", err);
}

/* ---- hand-made files ---- */

/* A file with the given version, header text (padded with spaces + '\n' to
 * 64 bytes unless raw_header) and data_len bytes of data. */
static const char *make_file(const char *name, int major, const char *header, size_t data_len, int raw_header) {
  static unsigned char buf[1 << 16];
  size_t pre = major == 1 ? 10 : 12, hl = strlen(header), total_h = hl;
  if (!raw_header) total_h = ((pre + hl + 1 + 63) / 64) * 64 - pre;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major;
  buf[7] = 0;
  for (size_t i = 0; i < pre - 8; i++) buf[8 + i] = (unsigned char)(total_h >> (8 * i));
  memcpy(buf + pre, header, hl);
  if (!raw_header) {
    memset(buf + pre + hl, ' ', total_h - hl);
    buf[pre + total_h - 1] = '\n';
  }
  for (size_t i = 0; i < data_len; i++) buf[pre + total_h + i] = (unsigned char)i;
  const char *path = tmp_path(name);
  CHECK(write_bytes(path, buf, pre + total_h + data_len) == 0, "cannot write %s", path);
  return path;
}

/* Reading path must fail with a message naming the file and holding want. */
static void expect_reject(const char *what, const char *path, const char *want) {
  char err[EFFNET_ERRLEN] = "";
  int nd;
  int64_t sh[NPY_MAX_NDIM];
  float *d = npy_read_f32(path, &nd, sh, err, sizeof err);
  CHECK(d == NULL, "%s: accepted", what);
  CHECK(strstr(err, path) != NULL, "%s: message does not name the file: %s", what, err);
  CHECK(strstr(err, want) != NULL, "%s: message lacks \"%s\": %s", what, want, err);
  free(d);
  remove(path);
}

static void expect_accept(const char *what, const char *path, int ndim, const int64_t *shape) {
  char err[EFFNET_ERRLEN] = "";
  int nd = -1;
  int64_t sh[NPY_MAX_NDIM];
  float *d = npy_read_f32(path, &nd, sh, err, sizeof err);
  CHECK(d != NULL, "%s: rejected: %s", what, err);
  CHECK(d == NULL || nd == ndim, "%s: ndim %d, want %d", what, nd, ndim);
  for (int i = 0; d != NULL && i < ndim && nd == ndim; i++)
    CHECK(sh[i] == shape[i], "%s: shape[%d] = %lld", what, i, (long long)sh[i]);
  free(d);
  remove(path);
}

#define GOOD_F4 "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"

static void test_bad_files(void) {
  static const int64_t s23[] = {2, 3}, s5[] = {5}, s2243[] = {2, 2, 4, 3};
  const char *p;
  p = tmp_path("magic.npy");
  write_bytes(p, "\x93NUMPX\x01\x00\x10\x00{}              ", 26);
  expect_reject("bad magic", p, "bad magic");
  p = tmp_path("short.npy");
  write_bytes(p, "\x93NU", 3);
  expect_reject("3-byte file", p, "bad magic");
  p = tmp_path("empty.npy");
  write_bytes(p, "", 0);
  expect_reject("empty file", p, "bad magic");
  expect_reject("version 9", make_file("v9.npy", 9, GOOD_F4, 24, 0), "version 9.0");
  expect_reject("f8", make_file("f8.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 48, 0),
                "dtype '<f8' is not supported; save the array as float32 (np.float32)");
  expect_reject("u1", make_file("u1.npy", 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", 6, 0),
                "dtype '|u1'");
  expect_reject("big-endian",
                make_file("be.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24, 0),
                "big-endian");
  expect_reject("fortran", make_file("fo.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24, 0),
                "fortran_order");
  expect_reject("truncated", make_file("trunc.npy", 1, GOOD_F4, 20, 0),
                "expected 24 bytes of float32 data for shape (2, 3), found 20");
  expect_reject("trailing", make_file("trail.npy", 1, GOOD_F4, 28, 0),
                "expected 24 bytes of float32 data for shape (2, 3), found 28");
  expect_reject(
      "big image truncated",
      make_file("img.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }", 1000, 0),
      "expected 602112 bytes of float32 data for shape (1, 3, 224, 224), found 1000");
  p = tmp_path("hlen.npy");
  write_bytes(p, "\x93NUMPY\x01\x00\xff\x7f{'descr': '<f4'", 25);
  expect_reject("header length beyond file", p, "runs past the end");
  p = tmp_path("hlen2.npy");
  write_bytes(p, "\x93NUMPY\x02\x00\x00\x00\x01\x00{}", 14);
  expect_reject("v2 header length beyond file", p, "runs past the end");
  /* Issue 9, defect 1: a v2 header length of 0xFFFFFFFF wrapped hlen + 1 to 0
   * and fread wrote 4 GiB into a 0-byte block. A sparse file of 4 GiB + 12
   * bytes makes the length fit inside the file. */
  p = tmp_path("hlen_wrap.npy");
  write_bytes(p, "\x93NUMPY\x02\x00\xff\xff\xff\xff", 12);
  if (truncate(p, ((off_t)1 << 32) + 12) == 0)
    expect_reject("v2 header length 0xFFFFFFFF in a 4 GiB file", p, "over the 1048576-byte limit");
  else CHECK(0, "cannot make the sparse 4 GiB file: %s", strerror(errno));
  expect_reject("garbage header", make_file("garbage.npy", 1, "hello world", 24, 0), "malformed");
  expect_reject("missing shape", make_file("noshape.npy", 1, "{'descr': '<f4', 'fortran_order': False}", 24, 0),
                "missing");
  expect_reject(
      "repeated key",
      make_file("dup.npy", 1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 24, 0),
      "repeated");
  expect_reject("unknown key",
                make_file("unk.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", 24, 0),
                "unexpected");
  expect_reject("text after dict", make_file("after.npy", 1, GOOD_F4 " x", 24, 0), "after the dict");
  expect_reject("unterminated dict",
                make_file("unterm.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", 24, 0),
                "malformed");
  expect_reject("shape not a tuple",
                make_file("notuple.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5), }", 20, 0),
                "tuple");
  expect_reject("negative dim",
                make_file("neg.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 0, 0),
                "malformed");
  expect_reject(
      "9 dims",
      make_file("dim9.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 4, 0),
      "more than 8");
  expect_reject(
      "overflowing shape",
      make_file("huge.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 4, 0),
      "too large");
  expect_reject(
      "overflowing dim",
      make_file("huge2.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 4, 0),
      "too large");
  expect_reject("overflow beside a zero dim",
                make_file("huge3.npy", 1,
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 100000000000, 100000000000), }", 0, 0),
                "too large");
  expect_reject(
      "absurd but representable shape",
      make_file("absurd.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", 4, 0),
      "expected 4000000000000000000 bytes");
  expect_reject("structured dtype",
                make_file("struct.npy", 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, 0),
                "structured dtype [('a', '<f4')] is not supported");
  expect_reject("unterminated dtype list",
                make_file("struct2.npy", 1, "{'descr': [('a', '<f4'), 'fortran_order': False, 'shape': (2,), }", 8, 0),
                "unterminated");
  expect_reject("missing file", tmp_path("does-not-exist.npy"), "cannot open");

  /* Legal spellings numpy (or a hand-written file) may use. */
  expect_accept("keys reordered, double quotes, no trailing comma",
                make_file("order.npy", 1, "{ \"shape\" : ( 2 ,3 ) ,\"fortran_order\":False,'descr':'<f4'}", 24, 0), 2,
                s23);
  expect_accept("tuple trailing comma",
                make_file("tc.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3,), }", 24, 0), 2, s23);
  expect_accept("scalar", make_file("sc.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4, 0), 0,
                NULL);
  expect_accept("version 2.0",
                make_file("v2.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", 20, 0), 1, s5);
  expect_accept("version 3.0",
                make_file("v3.npy", 3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 4, 3), }", 192, 0), 4,
                s2243);
  expect_accept("unpadded header", make_file("raw.npy", 1, GOOD_F4, 24, 1), 2, s23);
}

/* ---- util.c ---- */

static void test_softmax(void) {
  float x[1000], p[1000];
  uint32_t s = 7;
  for (int i = 0; i < 1000; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = (float)(s >> 8) / (float)(1 << 24) * 20.0f - 10.0f;
  }
  effnet_softmax(x, 1000, p);
  double sum = 0;
  int ok = 1;
  for (int i = 0; i < 1000; i++) {
    sum += p[i];
    ok &= p[i] >= 0.0f && p[i] <= 1.0f;
  }
  CHECK(ok && fabs(sum - 1.0) < 1e-5, "softmax of 1000 sums to %.9g", sum);

  const float big[3] = {1000.0f, 1001.0f, 1002.0f}, small[3] = {0.0f, 1.0f, 2.0f};
  float pb[3], ps[3];
  effnet_softmax(big, 3, pb);
  effnet_softmax(small, 3, ps);
  for (int i = 0; i < 3; i++)
    CHECK(isfinite(pb[i]) && fabsf(pb[i] - ps[i]) < 1e-6f, "large logits: p[%d] = %g vs %g", i, (double)pb[i],
          (double)ps[i]);
  CHECK(fabsf(ps[2] - 0.66524096f) < 1e-6f, "softmax(0,1,2)[2] = %.8g", (double)ps[2]);

  const float neg[2] = {-1e30f, -1e30f};
  float pn[2];
  effnet_softmax(neg, 2, pn);
  CHECK(pn[0] == 0.5f && pn[1] == 0.5f, "very negative logits: %g %g", (double)pn[0], (double)pn[1]);

  float alias[3] = {1000.0f, 1001.0f, 1002.0f};
  effnet_softmax(alias, 3, alias);
  for (int i = 0; i < 3; i++)
    CHECK(alias[i] == pb[i], "in-place softmax p[%d] = %g vs %g", i, (double)alias[i], (double)pb[i]);

  float one = 42.0f;
  effnet_softmax(&one, 1, &one);
  CHECK(one == 1.0f, "softmax of one logit = %g", (double)one);

  const float inf[3] = {INFINITY, 0.0f, INFINITY};
  float pi[3];
  effnet_softmax(inf, 3, pi);
  CHECK(pi[0] == 0.5f && pi[1] == 0.0f && pi[2] == 0.5f, "+inf logits: %g %g %g", (double)pi[0], (double)pi[1],
        (double)pi[2]);
  const float ninf[2] = {-INFINITY, -INFINITY};
  effnet_softmax(ninf, 2, pi);
  CHECK(pi[0] == 0.5f && pi[1] == 0.5f, "all -inf logits: %g %g", (double)pi[0], (double)pi[1]);
  const float withnan[2] = {NAN, 1.0f};
  effnet_softmax(withnan, 2, pi);
  CHECK(isnan(pi[0]) && isnan(pi[1]), "NaN logits should give NaN");
  effnet_softmax(x, 0, p); /* n = 0: nothing happens, nothing crashes */
}

/* Reference order for top-k: larger value first, then lower index. */
static const float *cmp_values;
static int cmp_rank(const void *a, const void *b) {
  int i = *(const int *)a, j = *(const int *)b;
  float x = cmp_values[i], y = cmp_values[j];
  if (x != y) return x > y ? -1 : 1;
  return i < j ? -1 : 1;
}

static void test_top_k(void) {
  const float v[6] = {1.0f, 3.0f, 3.0f, 2.0f, 3.0f, 0.5f};
  int idx[10];
  int n = effnet_top_k(v, 6, 3, idx);
  CHECK(n == 3 && idx[0] == 1 && idx[1] == 2 && idx[2] == 4, "ties: got %d: %d %d %d", n, idx[0], idx[1], idx[2]);
  n = effnet_top_k(v, 6, 10, idx);
  CHECK(n == 6 && idx[3] == 3 && idx[4] == 0 && idx[5] == 5, "k > n: got %d", n);
  CHECK(effnet_top_k(v, 6, 0, idx) == 0, "k = 0");
  CHECK(effnet_top_k(v, 0, 3, idx) == 0, "n = 0");
  CHECK(effnet_top_k(NULL, 6, 3, idx) == 0, "NULL values");
  const float withnan[4] = {NAN, 1.0f, NAN, -5.0f};
  n = effnet_top_k(withnan, 4, 4, idx);
  CHECK(n == 4 && idx[0] == 1 && idx[1] == 3 && idx[2] == 0 && idx[3] == 2, "NaN ranks last: %d %d %d %d", idx[0],
        idx[1], idx[2], idx[3]);

  /* Every k against a full sort, on values with many duplicates. */
  enum { N = 97 };
  float r[N];
  int ref[N], got[N];
  uint32_t s = 99;
  for (int i = 0; i < N; i++) {
    s = s * 1664525u + 1013904223u;
    r[i] = (float)((s >> 16) % 13) - 6.0f;
    ref[i] = i;
  }
  cmp_values = r;
  qsort(ref, N, sizeof ref[0], cmp_rank);
  for (int k = 1; k <= N; k++) {
    n = effnet_top_k(r, N, k, got);
    int same = n == k && memcmp(got, ref, (size_t)k * sizeof ref[0]) == 0;
    CHECK(same, "top_k with k = %d differs from a full sort", k);
  }
}

static void test_names(void) {
  static const int sizes[8] = {224, 240, 260, 300, 380, 456, 528, 600};
  char buf[64];
  for (int v = 0; v < 8; v++) {
    snprintf(buf, sizeof buf, "b%d", v);
    CHECK(effnet_variant_name(v) && strcmp(effnet_variant_name(v), buf) == 0, "name of %d", v);
    CHECK(effnet_variant_input_size(v) == sizes[v], "input size of b%d", v);
    const char *forms[] = {"b%d", "B%d", "efficientnet-b%d", "efficientnet_b%d", "tf_efficientnet_b%d"};
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
      snprintf(buf, sizeof buf, forms[f], v);
      CHECK(effnet_variant_from_name(buf) == v, "from_name(\"%s\") = %d", buf, effnet_variant_from_name(buf));
    }
  }
  const char *bad[] = {"",
                       "b",
                       "b8",
                       "b-1",
                       "b3 ",
                       " b3",
                       "b33",
                       "b3x",
                       "efficientnet-b",
                       "efficientnetb3",
                       "tf_efficientnet-b3",
                       "efficientnet_v2_b3",
                       "3",
                       "c3"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECK(effnet_variant_from_name(bad[i]) == -1, "from_name(\"%s\") should be -1", bad[i]);
  CHECK(effnet_variant_from_name(NULL) == -1, "from_name(NULL)");
  CHECK(effnet_variant_name(-1) == NULL && effnet_variant_name(8) == NULL, "name out of range");
  CHECK(effnet_variant_input_size(-1) == 0 && effnet_variant_input_size(8) == 0, "input size out of range");
  CHECK(strcmp(effnet_padding_name(EFFNET_PAD_AUTO), "auto") == 0 &&
            strcmp(effnet_padding_name(EFFNET_PAD_SYMMETRIC), "symmetric") == 0 &&
            strcmp(effnet_padding_name(EFFNET_PAD_SAME), "same") == 0,
        "padding names");
  CHECK(strcmp(effnet_naming_name(EFFNET_NAMING_TORCHVISION), "torchvision") == 0 &&
            strcmp(effnet_naming_name(EFFNET_NAMING_TIMM), "timm") == 0 &&
            strcmp(effnet_naming_name(EFFNET_NAMING_RANDOM), "random") == 0,
        "naming names");
  CHECK(strcmp(effnet_isa_name(EFFNET_ISA_AUTO), "auto") == 0 &&
            strcmp(effnet_isa_name(EFFNET_ISA_SCALAR), "scalar") == 0 &&
            strcmp(effnet_isa_name(EFFNET_ISA_AVX2), "avx2") == 0 &&
            strcmp(effnet_isa_name(EFFNET_ISA_AVX512), "avx512") == 0,
        "isa names");
}

static int make_scratch(int argc, char **argv) {
  if (argc > 1) {
    snprintf(scratch, sizeof scratch, "%s", argv[1]);
    return 0;
  }
  const char *tmp = getenv("TMPDIR");
  snprintf(scratch, sizeof scratch, "%s/test_npy.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(scratch) == NULL) {
    perror("test_npy: mkdtemp");
    return -1;
  }
  return 1;
}

int main(int argc, char **argv) {
  int made = make_scratch(argc, argv);
  if (made < 0) return 1;
  test_round_trips();
  test_header_text();
  test_bad_files();
  test_softmax();
  test_top_k();
  test_names();
  if (made == 1) rmdir(scratch); /* every test removes its own files */
  if (failures) {
    fprintf(stderr, "test_npy: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_npy: all passed\n");
  return 0;
}
