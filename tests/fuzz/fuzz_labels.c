/* fuzz_labels.c — libFuzzer target: the labels-file reader
 * effnet_labels_parse() (nn/labelsfile.c).
 *
 * The first two bytes choose the class count (1..2000), the rest is the text.
 * Accepted names must be exactly `classes` NUL-terminated lines without line
 * ends or control characters; a refusal must come with a sentence. */
#include "effnet.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *why) {
  fprintf(stderr, "fuzz_labels: %s\n", why);
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  int classes = 1 + (int)(((unsigned)data[0] | (unsigned)data[1] << 8) % 2000u);
  /* the text in its own exact-size allocation, so ASan sees a read past it */
  size_t len = size - 2;
  char *text = malloc(len ? len : 1);
  if (!text) abort();
  memcpy(text, data + 2, len);
  char err[EFFNET_ERRLEN];
  err[0] = '\0';
  char **names = effnet_labels_parse(text, len, classes, err, sizeof err);
  if (!names) {
    if (err[0] == '\0') fail("effnet_labels_parse failed without a sentence");
  } else {
    size_t total = 0;
    for (int i = 0; i < classes; i++) {
      if (!names[i]) fail("fewer names than classes");
      for (const unsigned char *c = (const unsigned char *)names[i]; *c; c++)
        if (*c < 0x20 || *c == 0x7F) fail("a name holds a control character");
      total += strlen(names[i]);
    }
    if (names[classes]) fail("the names are not NULL-terminated after `classes` of them");
    if (total > len) fail("the names hold more bytes than the text");
    effnet_labels_free(names);
  }
  free(text);
  return 0;
}
