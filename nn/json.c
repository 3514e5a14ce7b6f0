/* json.c — strict RFC 8259 reader. See json.h.
 *
 * Design: recursive descent over a (pointer, length) pair; every read of the
 * input goes through a bounds check against len, so the text need not be
 * NUL-terminated. All nodes, strings and child arrays live in one chunked
 * arena owned by the JsonDoc, so json_free is a single walk over the chunks.
 * Children of a container are first pushed onto one parser-wide stack and
 * copied into the arena when the container closes, so a container costs no
 * realloc of its own. */
#include "json.h"

#include "errors.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any real header or config, shallow enough that hostile
 * input cannot exhaust the C stack (each level is a few small frames). */
#define JSON_MAX_DEPTH 64
#define ARENA_CHUNK_BYTES ((size_t)64 * 1024)

#ifdef __GNUC__
#define JSON_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define JSON_PRINTF(f, a)
#endif

/* ---------------------------------------------------------------- arena -- */

typedef struct Chunk {
  struct Chunk *next;
  size_t used, cap;
  max_align_t data[]; /* max_align_t elements keep every allocation aligned */
} Chunk;

struct JsonDoc {
  Chunk *chunks;
  JsonValue *root;
};

static void arena_free(Chunk *c) {
  while (c) {
    Chunk *next = c->next;
    free(c);
    c = next;
  }
}

/* Zeroed, max-aligned memory from the arena; NULL when out of memory or when
 * a new chunk would take *left below zero (the parse's memory budget). */
static void *arena_alloc(Chunk **head, size_t *left, size_t size) {
  const size_t align = _Alignof(max_align_t);
  if (size > SIZE_MAX / 2) return NULL;
  size = (size + align - 1) / align * align;
  if (size == 0) size = align;
  Chunk *c = *head;
  if (!c || c->cap - c->used < size) {
    size_t cap = size > ARENA_CHUNK_BYTES ? size : ARENA_CHUNK_BYTES;
    if (sizeof(Chunk) + cap > *left) return NULL;
    *left -= sizeof(Chunk) + cap;
    c = malloc(sizeof(Chunk) + cap);
    if (!c) return NULL;
    c->next = *head;
    c->used = 0;
    c->cap = cap;
    *head = c;
  }
  void *p = (char *)c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

/* --------------------------------------------------------------- parser -- */

typedef struct {
  const char *key; /* NULL inside arrays */
  JsonValue *value;
} Slot;

typedef struct {
  const unsigned char *s;
  size_t len, pos;
  int depth;
  Chunk **arena;
  Slot *stack;
  size_t top, cap;
  size_t left;     /* memory budget still unspent (arena chunks and stack) */
  int over_budget; /* the last allocation failed for the budget, not malloc */
  char *err;
  size_t errlen;
  int failed;
} Parser;

JSON_PRINTF(3, 4)
static void fail_at(Parser *p, size_t at, const char *fmt, ...) {
  if (p->failed) return; /* keep the first, most precise message */
  p->failed = 1;
  if (!p->err || p->errlen == 0) return;
  int n = snprintf(p->err, p->errlen, "invalid JSON at byte %zu: ", at);
  if (n < 0) return;
  va_list ap;
  va_start(ap, fmt);
  vset_error_at(p->err, p->errlen, (size_t)n, fmt, ap);
  va_end(ap);
}

static void fail_oom(Parser *p) {
  if (p->failed) return;
  p->failed = 1;
  if (p->over_budget)
    set_error(p->err, p->errlen,
              "the JSON text holds too many values for its size (stopped at byte %zu: parsing it would take more "
              "than %d bytes of memory per byte of text)",
              p->pos, JSON_MEMORY_PER_BYTE);
  else set_error(p->err, p->errlen, "out of memory while parsing JSON");
}

static void *alloc(Parser *p, size_t size) {
  size_t before = p->left;
  void *v = arena_alloc(p->arena, &p->left, size);
  p->over_budget = !v && p->left == before;
  return v;
}

static int at_end(const Parser *p) { return p->pos >= p->len; }
static int is_digit(unsigned c) { return c >= '0' && c <= '9'; }

static void skip_ws(Parser *p) {
  while (p->pos < p->len) {
    unsigned char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->pos++;
  }
}

/* Describe the byte at pos for an error message without printing raw
 * control or non-ASCII bytes into the sentence. */
static void describe_byte(unsigned char c, char *buf, size_t n) {
  if (c >= 0x20 && c < 0x7f) snprintf(buf, n, "'%c'", c);
  else snprintf(buf, n, "byte 0x%02X", c);
}

static void fail_unexpected(Parser *p, const char *expected) {
  if (at_end(p)) {
    fail_at(p, p->pos, "unexpected end of input, expected %s", expected);
    return;
  }
  char what[16];
  describe_byte(p->s[p->pos], what, sizeof what);
  fail_at(p, p->pos, "unexpected %s, expected %s", what, expected);
}

static JsonValue *new_value(Parser *p, JsonType type) {
  JsonValue *v = alloc(p, sizeof *v);
  if (!v) {
    fail_oom(p);
    return NULL;
  }
  v->type = type;
  return v;
}

static int push_slot(Parser *p, const char *key, JsonValue *value) {
  if (p->top == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 64, grow = (cap - p->cap) * sizeof(Slot);
    if (grow > p->left) {
      p->over_budget = 1;
      fail_oom(p);
      return -1;
    }
    Slot *s = realloc(p->stack, cap * sizeof *s);
    if (!s) {
      fail_oom(p);
      return -1;
    }
    p->left -= grow;
    p->stack = s;
    p->cap = cap;
  }
  p->stack[p->top].key = key;
  p->stack[p->top].value = value;
  p->top++;
  return 0;
}

static JsonValue *parse_value(Parser *p);

/* ----------------------------------------------------------- literals -- */

static JsonValue *parse_literal(Parser *p, const char *word, JsonType type, int truth) {
  size_t start = p->pos;
  for (size_t i = 0; word[i]; i++) {
    if (at_end(p)) {
      fail_at(p, p->pos, "unexpected end of input inside literal '%s'", word);
      return NULL;
    }
    if (p->s[p->pos] != (unsigned char)word[i]) {
      fail_at(p, start, "invalid literal, expected '%s'", word);
      return NULL;
    }
    p->pos++;
  }
  JsonValue *v = new_value(p, type);
  if (v) v->number = truth;
  return v;
}

/* ------------------------------------------------------------- numbers -- */

static int scan_digits(Parser *p, const char *what) {
  if (at_end(p) || !is_digit(p->s[p->pos])) {
    fail_unexpected(p, what);
    return -1;
  }
  while (!at_end(p) && is_digit(p->s[p->pos])) p->pos++;
  return 0;
}

/* Grammar check per RFC 8259 section 6; sets *is_int when the literal has
 * neither fraction nor exponent. */
static int scan_number(Parser *p, int *is_int) {
  *is_int = 1;
  if (p->s[p->pos] == '-') p->pos++;
  if (at_end(p) || !is_digit(p->s[p->pos])) {
    fail_unexpected(p, "a digit in number");
    return -1;
  }
  if (p->s[p->pos] == '0') {
    p->pos++;
    if (!at_end(p) && is_digit(p->s[p->pos])) {
      fail_at(p, p->pos - 1, "leading zeros are not allowed in numbers");
      return -1;
    }
  } else {
    while (!at_end(p) && is_digit(p->s[p->pos])) p->pos++;
  }
  if (!at_end(p) && p->s[p->pos] == '.') {
    *is_int = 0;
    p->pos++;
    if (scan_digits(p, "a digit after the decimal point")) return -1;
  }
  if (!at_end(p) && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
    *is_int = 0;
    p->pos++;
    if (!at_end(p) && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
    if (scan_digits(p, "a digit in the exponent")) return -1;
  }
  return 0;
}

/* The "C" locale, made once: strtod follows LC_NUMERIC, and a host process
 * (GTK calls setlocale(LC_ALL, "")) may use a comma as its decimal point. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* strtod in the "C" locale, on this thread only (uselocale is per thread). */
static double strtod_c(const char *s, char **end) {
  pthread_once(&c_locale_once, make_c_locale);
  locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
  double v = strtod(s, end);
  if (old) uselocale(old);
  return v;
}

/* strtod/strtoll need a NUL-terminated string and the input may not have
 * one, so convert from a bounded copy. The grammar was already checked, so
 * the conversion must consume the whole copy. */
static int convert_number(Parser *p, size_t start, int is_int, JsonValue *v) {
  size_t n = p->pos - start;
  char small[64];
  char *buf = n < sizeof small ? small : malloc(n + 1);
  if (!buf) {
    fail_oom(p);
    return -1;
  }
  memcpy(buf, p->s + start, n);
  buf[n] = '\0';
  int rc = 0;
  char *end = NULL;
  v->number = strtod_c(buf, &end);
  if (end != buf + n) {
    fail_at(p, start, "number could not be converted");
    rc = -1;
  } else if (isinf(v->number)) {
    fail_at(p, start, "number is too large for a double");
    rc = -1;
  } else if (is_int) {
    errno = 0;
    long long ll = strtoll(buf, &end, 10);
    /* Only claim "integer" when the exact value is available. */
    if (errno != ERANGE && end == buf + n) {
      v->number_is_integer = 1;
      v->integer = ll;
    }
  }
  if (buf != small) free(buf);
  return rc;
}

static JsonValue *parse_number(Parser *p) {
  size_t start = p->pos;
  int is_int;
  if (scan_number(p, &is_int)) return NULL;
  JsonValue *v = new_value(p, JSON_NUMBER);
  if (!v || convert_number(p, start, is_int, v)) return NULL;
  return v;
}

/* ------------------------------------------------------------- strings -- */

static int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Four hex digits at i, all before end; -1 when malformed or truncated. */
static long read_hex4(const unsigned char *s, size_t i, size_t end) {
  if (end - i < 4) return -1;
  long v = 0;
  for (int k = 0; k < 4; k++) {
    int h = hex_value(s[i + (size_t)k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

static size_t put_utf8(unsigned long cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decode a \u escape whose 'u' is at *i (end bounds the string body); a high
 * surrogate must be followed by an escaped low surrogate. Advances *i past
 * the escape and returns the code point, or -1 after reporting. */
static long decode_u_escape(Parser *p, size_t *i, size_t end) {
  size_t at = *i - 1; /* the backslash, for the error offset */
  long hi = read_hex4(p->s, *i + 1, end);
  if (hi < 0) {
    fail_at(p, at, "\\u must be followed by four hex digits");
    return -1;
  }
  *i += 5;
  if (hi >= 0xDC00 && hi <= 0xDFFF) {
    fail_at(p, at, "unpaired low surrogate \\u%04lX in string", hi);
    return -1;
  }
  if (hi < 0xD800 || hi > 0xDBFF) return hi;
  long lo = -1;
  if (end - *i >= 2 && p->s[*i] == '\\' && p->s[*i + 1] == 'u') lo = read_hex4(p->s, *i + 2, end);
  if (lo < 0xDC00 || lo > 0xDFFF) {
    fail_at(p, at, "high surrogate \\u%04lX is not followed by a low surrogate", hi);
    return -1;
  }
  *i += 6;
  return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
}

/* Simple one-character escapes; 0 for an unknown one. */
static char simple_escape(unsigned char e) {
  switch (e) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
  }
}

/* Pass 1: find the closing quote (skipping escaped characters) and reject raw
 * control characters; gives an upper bound on the decoded size. */
static int find_string_end(Parser *p, size_t *end) {
  size_t i = p->pos;
  while (i < p->len) {
    unsigned char c = p->s[i];
    if (c == '"') {
      *end = i;
      return 0;
    }
    if (c < 0x20) {
      fail_at(p, i, "control character 0x%02X in string must be escaped", c);
      return -1;
    }
    i += c == '\\' ? 2 : 1;
  }
  fail_at(p, p->pos - 1, "unterminated string");
  return -1;
}

/* Pass 2: decode the body [pos, end) into out; escapes never expand (\uXXXX
 * is 6 bytes for at most 3 of UTF-8, a surrogate pair 12 for 4). */
static int decode_string(Parser *p, size_t end, char *out, size_t *out_len) {
  size_t i = p->pos, n = 0;
  while (i < end) {
    unsigned char c = p->s[i++];
    if (c != '\\') {
      out[n++] = (char)c; /* invalid UTF-8 passes through unchanged */
      continue;
    }
    unsigned char e = p->s[i]; /* i < end: pass 1 skipped the escaped byte */
    if (e == 'u') {
      long cp = decode_u_escape(p, &i, end);
      if (cp < 0) return -1;
      n += put_utf8((unsigned long)cp, out + n);
      continue;
    }
    char d = simple_escape(e);
    if (!d) {
      if (e >= 0x20 && e < 0x7f) fail_at(p, i - 1, "invalid escape '\\%c' in string", e);
      else fail_at(p, i - 1, "invalid escape in string (backslash followed by byte 0x%02X)", e);
      return -1;
    }
    out[n++] = d;
    i++;
  }
  out[n] = '\0';
  *out_len = n;
  return 0;
}

/* Parses the string starting at the opening quote into arena memory. */
static char *parse_string_raw(Parser *p, size_t *out_len) {
  p->pos++; /* opening quote */
  size_t end;
  if (find_string_end(p, &end)) return NULL;
  char *out = alloc(p, end - p->pos + 1);
  if (!out) {
    fail_oom(p);
    return NULL;
  }
  if (decode_string(p, end, out, out_len)) return NULL;
  p->pos = end + 1;
  return out;
}

static JsonValue *parse_string(Parser *p) {
  size_t n;
  char *s = parse_string_raw(p, &n);
  if (!s) return NULL;
  JsonValue *v = new_value(p, JSON_STRING);
  if (!v) return NULL;
  v->string = s;
  v->string_len = n;
  return v;
}

/* ---------------------------------------------------------- containers -- */

/* Move the slots pushed since base into the arena as v's children. */
static int close_container(Parser *p, JsonValue *v, size_t base) {
  size_t n = p->top - base;
  v->count = n;
  if (n) {
    v->items = alloc(p, n * sizeof *v->items);
    if (!v->items) goto oom;
    if (v->type == JSON_OBJECT) {
      v->keys = alloc(p, n * sizeof *v->keys);
      if (!v->keys) goto oom;
    }
    for (size_t i = 0; i < n; i++) {
      v->items[i] = p->stack[base + i].value;
      if (v->keys) v->keys[i] = p->stack[base + i].key;
    }
  }
  p->top = base;
  p->depth--;
  return 0;
oom:
  fail_oom(p);
  return -1;
}

static int enter_container(Parser *p) {
  if (++p->depth > JSON_MAX_DEPTH) {
    fail_at(p, p->pos, "nesting is deeper than %d levels", JSON_MAX_DEPTH);
    return -1;
  }
  p->pos++; /* '[' or '{' */
  skip_ws(p);
  return 0;
}

/* After an element: 1 when the container closed, 0 after a comma, -1 on
 * error. Rejects a trailing comma before the closing bracket. */
static int after_element(Parser *p, char close, const char *expected) {
  skip_ws(p);
  if (!at_end(p) && p->s[p->pos] == (unsigned char)close) {
    p->pos++;
    return 1;
  }
  if (at_end(p) || p->s[p->pos] != ',') {
    fail_unexpected(p, expected);
    return -1;
  }
  p->pos++;
  skip_ws(p);
  if (!at_end(p) && p->s[p->pos] == (unsigned char)close) {
    fail_at(p, p->pos, "trailing comma before '%c'", close);
    return -1;
  }
  return 0;
}

static JsonValue *parse_array(Parser *p) {
  if (enter_container(p)) return NULL;
  JsonValue *v = new_value(p, JSON_ARRAY);
  if (!v) return NULL;
  size_t base = p->top;
  int done = 0;
  if (!at_end(p) && p->s[p->pos] == ']') {
    p->pos++;
    done = 1;
  }
  while (!done) {
    JsonValue *item = parse_value(p);
    if (!item || push_slot(p, NULL, item)) return NULL;
    done = after_element(p, ']', "',' or ']' after array element");
    if (done < 0) return NULL;
  }
  return close_container(p, v, base) ? NULL : v;
}

static int parse_member(Parser *p) {
  if (at_end(p) || p->s[p->pos] != '"') {
    fail_unexpected(p, "a string object key");
    return -1;
  }
  size_t klen, at = p->pos;
  const char *key = parse_string_raw(p, &klen);
  if (!key) return -1;
  if (strlen(key) != klen) {
    fail_at(p, at, "object key holds \\u0000 (it would be read cut at the NUL)");
    return -1;
  }
  skip_ws(p);
  if (at_end(p) || p->s[p->pos] != ':') {
    fail_unexpected(p, "':' after object key");
    return -1;
  }
  p->pos++;
  JsonValue *item = parse_value(p);
  if (!item) return -1;
  return push_slot(p, key, item);
}

static JsonValue *parse_object(Parser *p) {
  if (enter_container(p)) return NULL;
  JsonValue *v = new_value(p, JSON_OBJECT);
  if (!v) return NULL;
  size_t base = p->top;
  int done = 0;
  if (!at_end(p) && p->s[p->pos] == '}') {
    p->pos++;
    done = 1;
  }
  while (!done) {
    if (parse_member(p)) return NULL;
    done = after_element(p, '}', "',' or '}' after object member");
    if (done < 0) return NULL;
  }
  return close_container(p, v, base) ? NULL : v;
}

static JsonValue *parse_value(Parser *p) {
  skip_ws(p);
  if (at_end(p)) {
    fail_unexpected(p, "a value");
    return NULL;
  }
  unsigned char c = p->s[p->pos];
  switch (c) {
    case '{': return parse_object(p);
    case '[': return parse_array(p);
    case '"': return parse_string(p);
    case 't': return parse_literal(p, "true", JSON_BOOL, 1);
    case 'f': return parse_literal(p, "false", JSON_BOOL, 0);
    case 'n': return parse_literal(p, "null", JSON_NULL, 0);
    default:
      if (c == '-' || is_digit(c)) return parse_number(p);
      fail_unexpected(p, "a value");
      return NULL;
  }
}

/* ---------------------------------------------------------- public API -- */

JsonDoc *json_parse(const char *text, size_t len, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  JsonDoc *doc = calloc(1, sizeof *doc);
  Parser p = {0};
  p.s = (const unsigned char *)text;
  p.len = text ? len : 0;
  p.arena = doc ? &doc->chunks : NULL;
  p.left = p.len > (SIZE_MAX - JSON_MEMORY_BASE) / JSON_MEMORY_PER_BYTE
               ? SIZE_MAX
               : p.len * JSON_MEMORY_PER_BYTE + JSON_MEMORY_BASE;
  p.err = err;
  p.errlen = errlen;
  if (!doc) {
    fail_oom(&p);
    return NULL;
  }
  JsonValue *root = parse_value(&p);
  if (root) {
    skip_ws(&p);
    if (!at_end(&p)) fail_at(&p, p.pos, "unexpected data after the JSON value");
  }
  free(p.stack);
  if (p.failed || !root) {
    json_free(doc);
    return NULL;
  }
  doc->root = root;
  return doc;
}

const JsonValue *json_root(const JsonDoc *doc) { return doc ? doc->root : NULL; }

void json_free(JsonDoc *doc) {
  if (!doc) return;
  arena_free(doc->chunks);
  free(doc);
}

const JsonValue *json_get(const JsonValue *obj, const char *key) {
  if (!obj || obj->type != JSON_OBJECT || !key) return NULL;
  for (size_t i = 0; i < obj->count; i++)
    if (strcmp(obj->keys[i], key) == 0) return obj->items[i];
  return NULL;
}

const JsonValue *json_at(const JsonValue *arr, size_t i) {
  if (!arr || arr->type != JSON_ARRAY || i >= arr->count) return NULL;
  return arr->items[i];
}
