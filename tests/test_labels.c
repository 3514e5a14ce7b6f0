/* test_labels.c — the ImageNet names of labels.c and a user's labels file
 * (labelsfile.c): UTF-8, one name a line, bounded regular files only.
 * Returns non-zero when anything fails. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* mkdtemp, mkfifo, rmdir */
#endif

#include "effnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char scratch[512];

static const char *tmp_path(const char *name) {
  static char buf[640];
  snprintf(buf, sizeof buf, "%s/%s", scratch, name);
  return buf;
}

static int write_bytes(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) return -1;
  size_t n = len ? fwrite(data, 1, len, f) : 0;
  return (fclose(f) == 0 && n == len) ? 0 : -1;
}

static void test_labels(void) {
  CHECK(effnet_imagenet_label(0) && strcmp(effnet_imagenet_label(0), "tench") == 0, "label 0");
  CHECK(effnet_imagenet_label(207) && strcmp(effnet_imagenet_label(207), "golden retriever") == 0, "label 207");
  CHECK(effnet_imagenet_label(999) && strcmp(effnet_imagenet_label(999), "toilet tissue") == 0, "label 999");
  CHECK(effnet_imagenet_label(-1) == NULL && effnet_imagenet_label(1000) == NULL, "labels out of range");
  for (int i = 0; i < 1000; i++) CHECK(effnet_imagenet_label(i) && effnet_imagenet_label(i)[0], "label %d empty", i);
}

/* Issue 9, defect 10: labels reach Pango, JSON and Python, so they must be
 * valid UTF-8, one line each. */
static void expect_labels(const char *what, const char *text, size_t len, int classes, const char *first,
                          const char *last, const char *want_err) {
  char err[EFFNET_ERRLEN] = "";
  char **names = effnet_labels_parse(text, len, classes, err, sizeof err);
  if (want_err) {
    CHECK(names == NULL && strstr(err, want_err), "labels %s: expected an error with '%s', got '%s'", what, want_err,
          names ? "(accepted)" : err);
  } else {
    CHECK(names && strcmp(names[0], first) == 0 && strcmp(names[classes - 1], last) == 0 && names[classes] == NULL,
          "labels %s: %s", what, names ? "wrong names" : err);
  }
  effnet_labels_free(names);
}

/* A string literal and its length (it may hold NUL bytes). */
#define TEXT(lit) lit, sizeof lit - 1

static void test_labels_file(void) {
  expect_labels("plain", TEXT("cat\ndog\n"), 2, "cat", "dog", NULL);
  expect_labels("no final newline", TEXT("cat\ndog"), 2, "cat", "dog", NULL);
  expect_labels("CRLF and trailing spaces", TEXT("cat \r\ndog\t\r\n"), 2, "cat", "dog", NULL);
  expect_labels("BOM",
                TEXT("\xEF\xBB\xBF"
                     "cat\ndog\n"),
                2, "cat", "dog", NULL);
  expect_labels("UTF-8 names", TEXT("caf\xC3\xA9\n\xE7\x8C\xAB\n"), 2, "caf\xC3\xA9", "\xE7\x8C\xAB", NULL);
  expect_labels("empty name kept", TEXT("cat\n\n"), 2, "cat", "", NULL);
  expect_labels("Latin-1", TEXT("caf\xE9\ndog\n"), 2, NULL, NULL, "line 1 is not valid UTF-8 (byte 0xE9");
  expect_labels("overlong", TEXT("\xC0\xAF\n"), 1, NULL, NULL, "not valid UTF-8");
  expect_labels("surrogate", TEXT("\xED\xA0\x80\n"), 1, NULL, NULL, "not valid UTF-8");
  expect_labels("cut sequence", TEXT("ok\n\xE7\x8C"), 2, NULL, NULL, "line 2 is not valid UTF-8");
  expect_labels("NUL", TEXT("c\0t\ndog\n"), 2, NULL, NULL, "control character 0x00");
  expect_labels("escape", TEXT("c\x1b[31mt\n"), 1, NULL, NULL, "control character 0x1B");
  expect_labels("too few", TEXT("cat\n"), 2, NULL, NULL, "1 name but the model has 2 classes");
  expect_labels("too many", TEXT("a\nb\nc\n"), 2, NULL, NULL, "3 names but the model has 2 classes");
  expect_labels("empty file", TEXT(""), 1, NULL, NULL, "0 names");

  char err[EFFNET_ERRLEN] = "";
  const char *p = tmp_path("labels.txt");
  write_bytes(p, "cat\ndog\n", 8);
  char **names = effnet_labels_load(p, 2, err, sizeof err);
  CHECK(names && strcmp(names[1], "dog") == 0, "labels file: %s", err);
  effnet_labels_free(names);
  unlink(p);
  names = effnet_labels_load(p, 2, err, sizeof err);
  CHECK(!names && strstr(err, "no such file"), "missing labels file: '%s'", err);
  /* A FIFO without a writer would block a plain open forever. */
  p = tmp_path("labels.fifo");
  if (mkfifo(p, 0600) == 0) {
    names = effnet_labels_load(p, 2, err, sizeof err);
    CHECK(!names && strstr(err, "is not a regular file"), "labels FIFO: '%s'", err);
    unlink(p);
  } else {
    CHECK(0, "mkfifo: %s", strerror(errno));
  }
  names = effnet_labels_load(scratch, 2, err, sizeof err);
  CHECK(!names && strstr(err, "is not a regular file"), "labels folder: '%s'", err);
}

int main(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(scratch, sizeof scratch, "%s/test_labels.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(scratch) == NULL) {
    perror("test_labels: mkdtemp");
    return 1;
  }
  test_labels();
  test_labels_file();
  rmdir(scratch); /* every test removes its own files */
  if (failures) {
    fprintf(stderr, "test_labels: %d failure(s)\n", failures);
    return 1;
  }
  printf("test_labels: all %d checks passed\n", checks);
  return 0;
}
