/* Internal: whole-file reading with errors that name the file. */
#ifndef CW_CORE_FILE_H
#define CW_CORE_FILE_H

#include <stddef.h>

/* Reads the file at @path (at most @max bytes) into a new NUL-terminated buffer. Logs
 * "<path>: <reason>" under @module and returns CW_ENOENT, CW_EPERM, CW_EIO, CW_EINVAL (too large
 * or not a regular file) or CW_ENOMEM; on success returns 0 and the caller frees *@out. */
int cw__read_file(const char *module, const char *path, size_t max, char **out, size_t *len);

/* Writes @len bytes to @path whole or not at all: into "<path>.part", flushed to the disk, then
 * renamed over @path, so that a crash or a full disk never leaves a torn file under its name. Logs
 * "<path>: <reason>" under @module and returns CW_ENOSPC (disk full), CW_EPERM or CW_EIO. */
int cw__write_file_atomic(const char *module, const char *path, const void *data, size_t len);

/* Makes folder @dir and its parents (mode 0755); an existing one is fine. Returns 0, or -1 with
 * errno set. */
int cw__mkdir_p(const char *dir);

/* Strips leading and trailing white space from @s in place; returns where the text now starts. */
char *cw__trim(char *s);

#endif
