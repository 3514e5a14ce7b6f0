/* labelsfile.c — class names from a labels file (one per line), checked so
 * that what reaches Pango, JSON and Python is one line of valid UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "effnet.h"
#include "errors.h"
#include "files.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/* Checks one name (a line without its end); 0, or -1 with a sentence. */
static int check_name(const unsigned char *s, size_t n, size_t line, char *err, size_t errlen) {
  for (size_t i = 0; i < n;) {
    if (s[i] < 0x20 || s[i] == 0x7F) {
      set_error(err, errlen, "line %zu holds the control character 0x%02X (a name is one line of text)", line, s[i]);
      return -1;
    }
    size_t k = utf8_sequence(s + i, n - i);
    if (k == 0) {
      set_error(err, errlen, "line %zu is not valid UTF-8 (byte 0x%02X at column %zu); save the file as UTF-8", line,
                s[i], i + 1);
      return -1;
    }
    i += k;
  }
  return 0;
}

char **effnet_labels_parse(const char *text, size_t len, int classes, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (classes < 1) {
    set_error(err, errlen, "the model has no classes to name");
    return NULL;
  }
  const unsigned char *s = (const unsigned char *)(text ? text : "");
  if (!text) len = 0;
  if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) { /* a UTF-8 byte order mark */
    s += 3;
    len -= 3;
  }
  /* Count first, so a file with a million lines costs no million strings. */
  size_t lines = 0;
  for (size_t i = 0; i < len; i++) lines += s[i] == '\n';
  if (len > 0 && s[len - 1] != '\n') lines++; /* a last line without its newline */
  if (lines != (size_t)classes) {
    set_error(err, errlen, "it has %zu name%s but the model has %d classes", lines, lines == 1 ? "" : "s", classes);
    return NULL;
  }
  char **names = calloc((size_t)classes + 1, sizeof *names);
  if (!names) goto oom;
  size_t start = 0;
  for (int k = 0; k < classes; k++) {
    size_t end = start;
    while (end < len && s[end] != '\n') end++;
    size_t next = end + 1, n = end - start;
    while (n > 0 && (s[start + n - 1] == '\r' || s[start + n - 1] == ' ' || s[start + n - 1] == '\t')) n--;
    if (check_name(s + start, n, (size_t)k + 1, err, errlen)) {
      effnet_labels_free(names);
      return NULL;
    }
    names[k] = malloc(n + 1);
    if (!names[k]) goto oom;
    memcpy(names[k], s + start, n);
    names[k][n] = '\0';
    start = next;
  }
  return names;
oom:
  effnet_labels_free(names);
  set_error(err, errlen, "out of memory reading %d class names", classes);
  return NULL;
}

char **effnet_labels_load(const char *path, int classes, char *err, size_t errlen) {
  char *text;
  size_t len;
  char why[EFFNET_ERRLEN];
  int r = files_read_small(path, EFFNET_LABELS_MAX_BYTES, &text, &len, why, sizeof why);
  if (r == 1) {
    set_error(err, errlen, "%s: no such file", path);
    return NULL;
  }
  if (r < 0) {
    set_error(err, errlen, "%s", why);
    return NULL;
  }
  char **names = effnet_labels_parse(text, len, classes, why, sizeof why);
  free(text);
  if (!names) set_error(err, errlen, "the labels file %s: %s", path, why);
  return names;
}

void effnet_labels_free(char **labels) {
  if (!labels) return;
  for (char **p = labels; *p; p++) free(*p);
  free(labels);
}
