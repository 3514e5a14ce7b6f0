/* test_json.c — standalone tests for nn/json.c: good and bad documents,
 * every truncation of a valid one, a depth bomb, random mutations, keys
 * holding \u0000, the memory bound and a comma-decimal locale. Exit status is
 * non-zero on any failure. Set JSON_TEST_VERBOSE=1 to print every rejection
 * message. */
#include "json.h"

#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_verbose.h"

/* Parse from an exact-size heap copy so ASan flags any read past len. */
static JsonDoc *jparse_n(const char *s, size_t n, char *err, size_t errlen) {
  char *copy = malloc(n ? n : 1);
  if (!copy) abort();
  memcpy(copy, s, n);
  JsonDoc *d = json_parse(copy, n, err, errlen);
  free(copy);
  return d;
}

static JsonDoc *jparse(const char *s, char *err, size_t errlen) { return jparse_n(s, strlen(s), err, errlen); }

static void expect_json_ok(const char *s) {
  char err[256] = "";
  JsonDoc *d = jparse(s, err, sizeof err);
  CHECK_MSG(d != NULL, "should parse: %s (error: %s)", s, err);
  json_free(d);
}

/* Rejected, and the message carries the offset and the phrase. Inputs are
 * echoed at most 60 bytes long to keep failure output readable. */
static void expect_json_bad_n(const char *s, size_t n, const char *phrase) {
  char err[256] = "";
  int shown = n < 60 ? (int)n : 60;
  JsonDoc *d = jparse_n(s, n, err, sizeof err);
  CHECK_MSG(d == NULL, "should be rejected: %.*s", shown, s);
  json_free(d);
  CHECK_MSG(strstr(err, phrase) != NULL, "input %.*s: error \"%s\" lacks \"%s\"", shown, s, err, phrase);
  if (g_verbose) printf("  json reject %-28.*s -> %s\n", shown, s, err);
}

static void expect_json_bad(const char *s, const char *phrase) { expect_json_bad_n(s, strlen(s), phrase); }

static void test_json_structure(void) {
  char err[256];
  const char *doc = " {\"a\": 1, \"b\" : [true, false, null, {}, []], \"c\": \"x\", \"a\": 2}\r\n\t";
  JsonDoc *d = jparse(doc, err, sizeof err);
  CHECK_MSG(d != NULL, "%s", err);
  if (!d) return;
  const JsonValue *r = json_root(d);
  CHECK(r->type == JSON_OBJECT && r->count == 4);
  CHECK(strcmp(r->keys[0], "a") == 0 && strcmp(r->keys[3], "a") == 0); /* file order */
  CHECK(json_get(r, "a")->integer == 1);                               /* duplicates kept, first wins */
  CHECK(r->items[3]->integer == 2);
  const JsonValue *b = json_get(r, "b");
  CHECK(b && b->type == JSON_ARRAY && b->count == 5);
  CHECK(json_at(b, 0)->type == JSON_BOOL && json_at(b, 0)->number == 1);
  CHECK(json_at(b, 1)->type == JSON_BOOL && json_at(b, 1)->number == 0);
  CHECK(json_at(b, 2)->type == JSON_NULL);
  CHECK(json_at(b, 3)->type == JSON_OBJECT && json_at(b, 3)->count == 0);
  CHECK(json_at(b, 4)->type == JSON_ARRAY && json_at(b, 4)->count == 0);
  CHECK(json_at(b, 5) == NULL);
  CHECK(json_at(r, 0) == NULL);    /* not an array */
  CHECK(json_get(b, "a") == NULL); /* not an object */
  CHECK(json_get(r, "zzz") == NULL);
  CHECK(json_get(NULL, "a") == NULL && json_at(NULL, 0) == NULL);
  const JsonValue *c = json_get(r, "c");
  CHECK(c->type == JSON_STRING && strcmp(c->string, "x") == 0 && c->string_len == 1);
  json_free(d);
  json_free(NULL);
  CHECK(json_root(NULL) == NULL);
  expect_json_ok("0");
  expect_json_ok("\"\"");
  expect_json_ok("[[[[]]]]");
  /* NULL or zero-size error buffers must be tolerated. */
  CHECK(json_parse("x", 1, NULL, 0) == NULL);
  CHECK(json_parse(NULL, 0, err, sizeof err) == NULL);
}

static void check_number(const char *s, double want, int is_int, long long iv) {
  char err[256];
  JsonDoc *d = jparse(s, err, sizeof err);
  CHECK_MSG(d != NULL, "%s: %s", s, err);
  if (!d) return;
  const JsonValue *v = json_root(d);
  CHECK_MSG(v->type == JSON_NUMBER && v->number == want, "%s -> %.17g", s, v->number);
  CHECK_MSG(v->number_is_integer == is_int, "%s integer flag %d", s, v->number_is_integer);
  if (is_int) CHECK_MSG(v->integer == iv, "%s -> %lld", s, v->integer);
  json_free(d);
}

static void test_json_numbers(void) {
  check_number("0", 0, 1, 0);
  check_number("-0", 0, 1, 0);
  check_number("123", 123, 1, 123);
  check_number(" -42 ", -42, 1, -42);
  check_number("9223372036854775807", 9223372036854775807.0, 1, INT64_MAX);
  check_number("-9223372036854775808", -9223372036854775808.0, 1, INT64_MIN);
  check_number("9223372036854775808", 9223372036854775808.0, 0, 0); /* too big for long long */
  check_number("1.5", 1.5, 0, 0);
  check_number("1e3", 1000, 0, 0);
  check_number("1E+2", 100, 0, 0);
  check_number("-1.25e-3", -1.25e-3, 0, 0);
  check_number("0.0", 0, 0, 0);
  check_number("1e308", 1e308, 0, 0);
  /* A literal longer than any fixed buffer still converts. */
  char big[400];
  memset(big, '0', sizeof big);
  big[0] = '1';
  big[1] = '.';
  big[sizeof big - 1] = '\0';
  check_number(big, 1.0, 0, 0);
  expect_json_bad("01", "leading zeros");
  expect_json_bad("-01", "leading zeros");
  expect_json_bad("-", "expected a digit in number");
  expect_json_bad("1.", "after the decimal point");
  expect_json_bad("1.e5", "after the decimal point");
  expect_json_bad("1e", "exponent");
  expect_json_bad("1e+", "exponent");
  expect_json_bad(".5", "expected a value");
  expect_json_bad("+1", "expected a value");
  expect_json_bad("1e309", "too large");
  expect_json_bad("NaN", "expected a value");
  expect_json_bad("Infinity", "expected a value");
  expect_json_bad("1 2", "unexpected data after the JSON value");
}

static void check_string(const char *json, const char *want, size_t want_len) {
  char err[256];
  JsonDoc *d = jparse(json, err, sizeof err);
  CHECK_MSG(d != NULL, "%s: %s", json, err);
  if (!d) return;
  const JsonValue *v = json_root(d);
  CHECK_MSG(v->type == JSON_STRING && v->string_len == want_len && memcmp(v->string, want, want_len) == 0 &&
                v->string[want_len] == '\0',
            "string %s decoded wrongly (len %zu)", json, v->string_len);
  json_free(d);
}

static void test_json_strings(void) {
  check_string("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
  check_string("\"\\u0041\\u00e9\\u00E9\"", "A\xC3\xA9\xC3\xA9", 5);
  check_string("\"\\u20AC\"", "\xE2\x82\xAC", 3);
  check_string("\"\\uD83D\\uDE00\"", "\xF0\x9F\x98\x80", 4); /* U+1F600 */
  check_string("\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF", 4); /* U+10FFFF */
  check_string("\"a\\u0000b\"", "a\0b", 3);
  check_string("\"caf\xC3\xA9 \xFF\"", "caf\xC3\xA9 \xFF", 7); /* raw bytes pass through */
  check_string("\"\\u007F\\u0080\\u07FF\\u0800\\uFFFF\"", "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF", 11);
  expect_json_bad("\"abc", "unterminated string");
  expect_json_bad("\"abc\\", "unterminated string");
  expect_json_bad("\"a\x01z\"", "control character 0x01");
  expect_json_bad("\"a\nz\"", "control character 0x0A");
  expect_json_bad("\"\\x\"", "at byte 1: invalid escape '\\x'");
  expect_json_bad("\"\\\x01\"", "backslash followed by byte 0x01");
  expect_json_bad("\"\\'\"", "invalid escape");
  expect_json_bad("\"\\u12\"", "four hex digits");
  expect_json_bad("\"\\u12G4\"", "four hex digits");
  expect_json_bad("\"\\uD800\"", "not followed by a low surrogate");
  expect_json_bad("\"\\uD800\\u0041\"", "not followed by a low surrogate");
  expect_json_bad("\"\\uD800\\n\"", "not followed by a low surrogate");
  expect_json_bad("\"\\uD800\\uD800\"", "not followed by a low surrogate");
  expect_json_bad("\"\\uDC00\"", "unpaired low surrogate");
  expect_json_bad("'a'", "expected a value");
}

static void test_json_syntax(void) {
  expect_json_bad("", "at byte 0: unexpected end of input, expected a value");
  expect_json_bad("   ", "at byte 3: unexpected end of input");
  expect_json_bad("[1,]", "at byte 3: trailing comma before ']'");
  expect_json_bad("{\"a\":1,}", "trailing comma before '}'");
  expect_json_bad("[,1]", "expected a value");
  expect_json_bad("[1 2]", "expected ',' or ']'");
  expect_json_bad("{\"a\" 1}", "at byte 5: unexpected '1', expected ':' after object key");
  expect_json_bad("{\"a\"", "unexpected end of input, expected ':' after object key");
  expect_json_bad("{1:2}", "expected a string object key");
  expect_json_bad("{\"a\":}", "expected a value");
  expect_json_bad("{\"a\":1 \"b\":2}", "expected ',' or '}'");
  expect_json_bad("[1]x", "unexpected data after the JSON value");
  expect_json_bad("[", "unexpected end of input");
  expect_json_bad("]", "expected a value");
  expect_json_bad("tru", "inside literal 'true'");
  expect_json_bad("nul", "inside literal 'null'");
  expect_json_bad("fals3", "expected 'false'");
  expect_json_bad("True", "expected a value");
  expect_json_bad("\xEF\xBB\xBF{}", "byte 0xEF"); /* BOM is not JSON */
  expect_json_bad("[1,\x0b 2]", "byte 0x0B");     /* VT is not whitespace */
  expect_json_bad_n("[1,\0 2]", 6, "byte 0x00");
}

static void test_json_depth(void) {
  char buf[200];
  /* 64 levels are accepted, 65 are not. */
  for (int depth = 64; depth <= 65; depth++) {
    size_t n = 0;
    for (int i = 0; i < depth; i++) buf[n++] = '[';
    for (int i = 0; i < depth; i++) buf[n++] = ']';
    buf[n] = '\0';
    if (depth == 64) expect_json_ok(buf);
    else expect_json_bad(buf, "deeper than 64");
  }
  /* A million openers must fail fast without exhausting the stack. */
  size_t n = 1000000;
  char *bomb = malloc(n);
  if (!bomb) abort();
  /* Alternate arrays and objects: [{"":[{"":... */
  static const char unit[] = "[{\"\":";
  for (size_t i = 0; i < n; i++) bomb[i] = unit[i % 5];
  expect_json_bad_n(bomb, n, "deeper than 64");
  free(bomb);
}

static const char JSON_SAMPLE[] = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                                  "\"s\":\"t\\u00e9\\uD83D\\uDE00\\n\",\"n\":[-1.5e3,0,true,false,null],"
                                  "\"__metadata__\":{\"format\":\"pt\"}}";

/* Every proper prefix of an object document is invalid and must be rejected
 * cleanly (the exact-size copy makes overreads visible to ASan). */
static void test_json_truncation(void) {
  size_t n = strlen(JSON_SAMPLE);
  for (size_t len = 0; len < n; len++) {
    char err[256] = "";
    JsonDoc *d = jparse_n(JSON_SAMPLE, len, err, sizeof err);
    CHECK_MSG(d == NULL, "prefix of %zu bytes accepted", len);
    CHECK_MSG(strstr(err, "invalid JSON at byte") != NULL, "prefix %zu: \"%s\"", len, err);
    json_free(d);
  }
  expect_json_ok(JSON_SAMPLE);
}

/* Random byte flips, insertions of structural characters and deletions:
 * the parser must never crash, leak, or fail without a message. */
static void test_json_mutations(void) {
  static const char interesting[] = "{}[]\",:\\u0eE.-+ \x01\xff";
  size_t n = strlen(JSON_SAMPLE);
  char buf[512];
  for (int iter = 0; iter < 20000; iter++) {
    memcpy(buf, JSON_SAMPLE, n);
    size_t len = n;
    int edits = 1 + (int)(rnd() % 3);
    for (int k = 0; k < edits; k++) {
      size_t at = rnd() % len;
      switch (rnd() % 3) {
        case 0: buf[at] = interesting[rnd() % (sizeof interesting - 1)]; break;
        case 1: buf[at] = (char)rnd(); break;
        default: memmove(buf + at, buf + at + 1, len - at - 1); len--;
      }
    }
    char err[256] = "";
    JsonDoc *d = jparse_n(buf, len, err, sizeof err);
    if (!d) CHECK_MSG(strncmp(err, "invalid JSON at byte ", 21) == 0, "mutation error \"%s\"", err);
    json_free(d);
  }
}

/* Issue 9, defect 11: a key holding \u0000 would be seen cut at the NUL
 * ("conv_stem.weight\u0000x" read as "conv_stem.weight"). */
static void test_json_nul_keys(void) {
  expect_json_bad("{\"a\\u0000b\": 1}", "at byte 1: object key holds \\u0000");
  expect_json_bad("{\"ok\": {\"\\u0000\": 1}}", "object key holds \\u0000");
  expect_json_ok("{\"a\": \"b\\u0000c\"}"); /* in a value it is data, and string_len says so */
}

/* Issue 9, defect 2: memory spent on a document is bounded by a small
 * multiple of its size. "[0,0,...]" costs ~45 bytes of tree per byte of text
 * and took ~450 MB for 10 MB; now it stops at JSON_MEMORY_PER_BYTE x 10 MB. */
static void test_json_memory_bound(void) {
  size_t n = (size_t)10 << 20;
  char *text = malloc(n);
  if (!text) abort();
  text[0] = '[';
  for (size_t i = 1; i + 1 < n; i += 2) {
    text[i] = '0';
    text[i + 1] = ',';
  }
  text[n - 2] = ' '; /* after the last "0" at n - 3 */
  text[n - 1] = ']';
  char err[256] = "";
  JsonDoc *d = json_parse(text, n, err, sizeof err);
  CHECK_MSG(d == NULL && strstr(err, "too many values for its size"),
            "10 MB of [0,0,...]: expected the memory bound, got %s", d ? "a parsed tree" : err);
  json_free(d);
  /* The same values spread out (8 bytes each) fit the bound. */
  for (size_t i = 1; i + 1 < n; i++) text[i] = (i % 8 == 0) ? ',' : (i % 8 == 1 ? '1' : ' ');
  text[n - 2] = ' ';
  d = json_parse(text, n, err, sizeof err);
  CHECK_MSG(d != NULL && json_root(d)->count > 1000000, "10 MB of [1      ,...]: %s", d ? "too few values" : err);
  json_free(d);
  free(text);
}

/* Issue 9, defect 3: GTK and many apps call setlocale(LC_ALL, ""), and a
 * comma-decimal locale made strtod stop at the '.' of every fraction. */
static void test_json_locale(void) {
  const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8"};
  const char *got = NULL;
  for (size_t i = 0; i < 3 && !got; i++) got = setlocale(LC_ALL, names[i]);
  if (!got) {
    /* scripts/deps.sh installs locales-all, so CI always has one. */
    CHECK_MSG(0, "no comma-decimal locale is installed (apt-get install locales-all)");
    return;
  }
  CHECK_MSG(localeconv()->decimal_point[0] == ',', "locale %s has decimal point '%s'", got,
            localeconv()->decimal_point);
  char err[256] = "";
  JsonDoc *d = jparse("{\"crop_pct\": 0.875, \"mean\": [0.485, 4.56e-1, -1.5E+2]}", err, sizeof err);
  const JsonValue *r = d ? json_root(d) : NULL;
  CHECK_MSG(r && json_get(r, "crop_pct")->number == 0.875 && json_at(json_get(r, "mean"), 0)->number == 0.485 &&
                json_at(json_get(r, "mean"), 1)->number == 0.456 && json_at(json_get(r, "mean"), 2)->number == -150.0,
            "numbers under %s: %s", got, d ? "wrong values" : err);
  json_free(d);
  setlocale(LC_ALL, "C");
}
int main(void) {
  const char *v = getenv("JSON_TEST_VERBOSE");
  g_verbose = v && *v && strcmp(v, "0") != 0;

  test_json_structure();
  test_json_numbers();
  test_json_strings();
  test_json_syntax();
  test_json_depth();
  test_json_truncation();
  test_json_mutations();
  test_json_nul_keys();
  test_json_memory_bound();
  test_json_locale();

  if (g_failures) {
    fprintf(stderr, "test_json: %d of %d checks FAILED\n", g_failures, g_checks);
    return 1;
  }
  printf("test_json: all %d checks passed\n", g_checks);
  return 0;
}
