/* cache.c — where downloaded weights live (see effnet.h). The names are
 * timm's repositories on the Hugging Face hub: its own B0-B4 weights, and
 * the TensorFlow ports for B5-B7, which timm only publishes as tf_*. The
 * same table is in scripts/fetch_weights.sh; tests/test_cache.sh checks they
 * agree. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "effnet.h"

static const char *const kNames[8] = {
  "efficientnet_b0.ra_in1k",    "efficientnet_b1.ft_in1k",    "efficientnet_b2.ra_in1k",
  "efficientnet_b3.ra2_in1k",   "efficientnet_b4.ra2_in1k",   "tf_efficientnet_b5.aa_in1k",
  "tf_efficientnet_b6.aa_in1k", "tf_efficientnet_b7.aa_in1k",
};

const char *effnet_default_weights_name(int variant) {
  return variant >= 0 && variant < 8 ? kNames[variant] : NULL;
}

int effnet_cache_dir(char *path, size_t len) {
  const char *dir = getenv("EFFNET_CACHE"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  int n;
  if (dir && *dir) n = snprintf(path, len, "%s", dir);
  else if (xdg && *xdg) n = snprintf(path, len, "%s/effnet", xdg);
  else if (home && *home) n = snprintf(path, len, "%s/.cache/effnet", home);
  else return -1;
  return n > 0 && (size_t)n < len ? 0 : -1;
}

int effnet_cached_weights(int variant, char *path, size_t len) {
  const char *name = effnet_default_weights_name(variant);
  char dir[3072], file[4096];
  struct stat sb;
  if (!name || effnet_cache_dir(dir, sizeof dir) != 0) return -1;
  int n = snprintf(path, len, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= len) return -1;
  snprintf(file, sizeof file, "%s/model.safetensors", path);
  return stat(file, &sb) == 0 && S_ISREG(sb.st_mode) ? 1 : 0;
}
