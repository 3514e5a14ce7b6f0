/* config.c — see config.h. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "effnet.h"
#include "errors.h"
#include "files.h"
#include "json.h"

/* Bounds a value must lie in to be used; wider than any real model's. */
#define CONFIG_MAX_CLASSES 1000000
#define CONFIG_MIN_INPUT 32
#define CONFIG_MAX_INPUT 2048
#define CONFIG_MAX_ABS_MEAN 1e3

typedef struct {
  const char *name;
  char *err;
  size_t errlen;
} Ctx;

/* Report and fail: the sentence into c's buffer, -1. */
#define fail(c, ...) set_error((c)->err, (c)->errlen, __VA_ARGS__)

/* An integer-valued number in [lo, hi]; 0, or -1 after reporting. */
static int get_int(const Ctx *c, const JsonValue *v, const char *key, long lo, long hi, int *out) {
  if (v->type != JSON_NUMBER || v->number != floor(v->number) || v->number < (double)lo || v->number > (double)hi)
    return fail(c, "%s: '%s' must be a whole number from %ld to %ld", c->name, key, lo, hi);
  *out = (int)v->number;
  return 0;
}

/* An array of exactly n numbers, each in [lo, hi] once rounded to float. */
static int get_floats(const Ctx *c, const JsonValue *v, const char *key, int n, double lo, double hi, float *out) {
  if (v->type != JSON_ARRAY || v->count != (size_t)n)
    return fail(c, "%s: '%s' must be an array of %d numbers", c->name, key, n);
  for (int i = 0; i < n; i++) {
    const JsonValue *x = json_at(v, (size_t)i);
    float f = (float)x->number;
    if (x->type != JSON_NUMBER) return fail(c, "%s: '%s' must be an array of %d numbers", c->name, key, n);
    if (!(f >= lo && f <= hi))
      return fail(c, "%s: '%s'[%d] is %g; it must be from %g to %g", c->name, key, i, x->number, lo, hi);
    out[i] = f;
  }
  return 0;
}

static int get_string(const Ctx *c, const JsonValue *v, const char *key, char *out, size_t outlen) {
  if (v->type != JSON_STRING) return fail(c, "%s: '%s' must be a string", c->name, key);
  if (v->string_len >= outlen || strlen(v->string) != v->string_len)
    return fail(c, "%s: '%s' is not a plausible name (%zu bytes)", c->name, key, v->string_len);
  memcpy(out, v->string, v->string_len + 1);
  return 0;
}

static int read_architecture(const Ctx *c, const JsonValue *arch, ModelConfig *cfg) {
  if (get_string(c, arch, "architecture", cfg->architecture, sizeof cfg->architecture)) return -1;
  const char *b = strstr(cfg->architecture, "efficientnet_b");
  if (!b) return fail(c, "%s: architecture '%s' is not an EfficientNet B0-B7", c->name, cfg->architecture);
  cfg->variant = effnet_variant_from_name(b + 13);
  cfg->tf_padding = strncmp(cfg->architecture, "tf_", 3) == 0;
  return 0;
}

static int read_pretrained(const Ctx *c, const JsonValue *pc, ModelConfig *cfg) {
  const JsonValue *v;
  if ((v = json_get(pc, "input_size")) && v->type != JSON_NULL) {
    float size[3];
    if (get_floats(c, v, "input_size", 3, 1, CONFIG_MAX_INPUT, size)) return -1;
    if (size[0] != 3 || size[1] != size[2] || size[1] != floorf(size[1]) || size[1] < CONFIG_MIN_INPUT)
      return fail(c, "%s: input_size [%g, %g, %g] is not [3, S, S] with S from %d to %d", c->name, (double)size[0],
                  (double)size[1], (double)size[2], CONFIG_MIN_INPUT, CONFIG_MAX_INPUT);
    cfg->input_size = (int)size[1];
  }
  if ((v = json_get(pc, "mean")) && v->type != JSON_NULL) {
    if (get_floats(c, v, "mean", 3, -CONFIG_MAX_ABS_MEAN, CONFIG_MAX_ABS_MEAN, cfg->mean)) return -1;
    cfg->has_mean = 1;
  }
  if ((v = json_get(pc, "std")) && v->type != JSON_NULL) {
    /* Checked as float: 1e-50 is not zero as a double but is as a float. */
    if (get_floats(c, v, "std", 3, EFFNET_STD_MIN, CONFIG_MAX_ABS_MEAN, cfg->std)) return -1;
    cfg->has_std = 1;
  }
  if ((v = json_get(pc, "crop_pct")) && v->type != JSON_NULL) {
    float crop = (float)v->number;
    if (v->type != JSON_NUMBER || !(crop >= EFFNET_CROP_PCT_MIN && crop <= 1.0f))
      return fail(c, "%s: 'crop_pct' must be a number from %g to 1", c->name, (double)EFFNET_CROP_PCT_MIN);
    cfg->crop_pct = crop;
  }
  if ((v = json_get(pc, "interpolation")) && v->type != JSON_NULL &&
      get_string(c, v, "interpolation", cfg->interpolation, sizeof cfg->interpolation))
    return -1;
  if (cfg->num_classes < 0 && (v = json_get(pc, "num_classes")) && v->type != JSON_NULL &&
      get_int(c, v, "num_classes", 1, CONFIG_MAX_CLASSES, &cfg->num_classes))
    return -1;
  return 0;
}

int config_parse(const char *text, size_t len, const char *name, ModelConfig *cfg, char *err, size_t errlen) {
  Ctx c = {name ? name : "config.json", err, errlen};
  memset(cfg, 0, sizeof *cfg);
  cfg->variant = -1;
  cfg->num_classes = -1;
  char jerr[256];
  JsonDoc *doc = json_parse(text, len, jerr, sizeof jerr);
  if (!doc) return fail(&c, "%s: %s", c.name, jerr);
  int rc = -1;
  const JsonValue *root = json_root(doc), *v;
  if (root->type != JSON_OBJECT) {
    fail(&c, "%s: expected a JSON object", c.name);
    goto out;
  }
  if ((v = json_get(root, "architecture")) && v->type != JSON_NULL && read_architecture(&c, v, cfg)) goto out;
  if ((v = json_get(root, "untrained")) && v->type != JSON_NULL) {
    if (v->type != JSON_BOOL) {
      fail(&c, "%s: 'untrained' must be true or false", c.name);
      goto out;
    }
    cfg->untrained = v->number != 0;
  }
  if ((v = json_get(root, "num_classes")) && v->type != JSON_NULL &&
      get_int(&c, v, "num_classes", 1, CONFIG_MAX_CLASSES, &cfg->num_classes))
    goto out;
  if ((v = json_get(root, "pretrained_cfg")) && v->type != JSON_NULL) {
    if (v->type != JSON_OBJECT) {
      fail(&c, "%s: 'pretrained_cfg' must be an object", c.name);
      goto out;
    }
    if (read_pretrained(&c, v, cfg)) goto out;
  }
  rc = 0;
out:
  json_free(doc);
  return rc;
}

int config_read(const char *path, ModelConfig *cfg, char *err, size_t errlen) {
  char *text;
  size_t len;
  int r = files_read_small(path, CONFIG_MAX_BYTES, &text, &len, err, errlen);
  if (r != 0) return r;
  r = config_parse(text, len, path, cfg, err, errlen);
  free(text);
  return r;
}
