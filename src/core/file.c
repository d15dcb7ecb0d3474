#include "core/file.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crosswatch/error.h"
#include "crosswatch/log.h"

int cw__read_file(const char *module, const char *path, size_t max, char **out, size_t *len)
{
    struct stat st;
    FILE *f;
    char *buf;
    size_t n;
    int err;

    f = fopen(path, "rb");
    if (!f) {
        err = -errno;
        cw_log_error(module, "%s: cannot open: %s", path, strerror(-err));
        return cw_error_from_errno(err);
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        cw_log_error(module, "%s: not a regular file", path);
        err = CW_EINVAL;
        goto out_close;
    }
    if ((size_t)st.st_size > max) {
        cw_log_error(module, "%s: %lld bytes is larger than the %zu allowed", path,
                     (long long)st.st_size, max);
        err = CW_EINVAL;
        goto out_close;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        cw_log_error(module, "%s: out of memory", path);
        err = CW_ENOMEM;
        goto out_close;
    }
    n = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f)) {
        cw_log_error(module, "%s: read failed: %s", path, strerror(errno));
        free(buf);
        err = CW_EIO;
        goto out_close;
    }
    buf[n] = 0;
    *out = buf;
    if (len)
        *len = n;
    err = 0;
out_close:
    fclose(f);
    return err;
}

char *cw__trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}
