/* cache.c — where downloaded weights live (see effnet.h). Each variant's
 * weights name is a column of the variant table in arch.c. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "arch.h"
#include "effnet.h"

const char *effnet_default_weights_name(int variant) {
  const ArchVariant *v = arch_variant(variant);
  return v ? v->weights : NULL;
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
