/* files.h — reading the small text files beside a model (config.json, labels)
 * as a host process can afford to: only regular files (a FIFO or a device
 * named by mistake must not hang or flood the caller), at most max_bytes. */
#ifndef EFFNET_FILES_H
#define EFFNET_FILES_H

#include <stddef.h>

/* Reads the whole file into a malloc'd, NUL-terminated buffer (*len excludes
 * the NUL). Returns 0; 1 when the file does not exist (nothing written to
 * err); -1 with a sentence in err (not regular, too large, unreadable). */
int files_read_small(const char *path, size_t max_bytes, char **data, size_t *len, char *err, size_t errlen);

#endif
