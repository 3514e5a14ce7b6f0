/* config.h — what a timm-style config.json beside the weights says, read and
 * range-checked at load (every value a later stage relies on is valid here,
 * or the load fails with a sentence naming the file and the key). */
#ifndef EFFNET_CONFIG_H
#define EFFNET_CONFIG_H

#include <stddef.h>

/* config.json is a few hundred bytes; anything past this is not one. */
#define CONFIG_MAX_BYTES ((size_t)1 << 20)

typedef struct {
  char architecture[128]; /* "" when absent */
  int variant;            /* 0..7 from architecture, -1 when not named */
  int tf_padding;         /* architecture is a tf_ port (TensorFlow SAME padding) */
  int untrained;          /* "untrained": true */
  int num_classes;        /* -1 when absent */
  int input_size;         /* pretrained_cfg.input_size [3, S, S]: S, 0 when absent */
  int has_mean, has_std;
  float mean[3], std[3];
  float crop_pct;         /* 0 when absent */
  char interpolation[32]; /* "" when absent */
} ModelConfig;

/* Interprets the text of a config.json; name is used in messages. Returns 0,
 * or -1 with a sentence in err. Independent of the process's locale. */
int config_parse(const char *text, size_t len, const char *name, ModelConfig *cfg, char *err, size_t errlen);

/* Reads path: 1 when it does not exist (cfg untouched), 0 when read, -1 on
 * error (not a regular file, too large, invalid). */
int config_read(const char *path, ModelConfig *cfg, char *err, size_t errlen);

#endif
