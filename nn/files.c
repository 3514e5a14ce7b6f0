/* files.c — see files.h. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

int files_read_small(const char *path, size_t max_bytes, char **data, size_t *len, char *err, size_t errlen) {
  *data = NULL;
  *len = 0;
  /* O_NONBLOCK: opening a FIFO without a writer would otherwise block here. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return 1;
    set_error(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    set_error(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  if (!S_ISREG(sb.st_mode)) {
    set_error(err, errlen, "%s: is not a regular file", path);
    close(fd);
    return -1;
  }
  if ((unsigned long long)sb.st_size > max_bytes) {
    set_error(err, errlen, "%s: is %lld bytes, more than the %zu a file of this kind may have", path,
              (long long)sb.st_size, max_bytes);
    close(fd);
    return -1;
  }
  /* The size may change under us: read at most max_bytes + 1 and judge that. */
  size_t cap = (size_t)sb.st_size + 1, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) {
    set_error(err, errlen, "%s: out of memory reading %zu bytes", path, cap);
    close(fd);
    return -1;
  }
  for (;;) {
    if (n == cap) {
      if (cap > max_bytes) break;
      size_t ncap = cap * 2 > max_bytes + 1 ? max_bytes + 1 : cap * 2;
      char *nb = realloc(buf, ncap + 1);
      if (!nb) {
        set_error(err, errlen, "%s: out of memory reading the file", path);
        goto fail;
      }
      buf = nb;
      cap = ncap;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      set_error(err, errlen, "%s: read failed: %s", path, strerror(errno));
      goto fail;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  if (n > max_bytes) {
    set_error(err, errlen, "%s: grew past the %zu bytes a file of this kind may have", path, max_bytes);
    goto fail;
  }
  close(fd);
  buf[n] = '\0';
  *data = buf;
  *len = n;
  return 0;
fail:
  free(buf);
  close(fd);
  return -1;
}
