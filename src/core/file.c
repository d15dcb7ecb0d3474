#include "core/file.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

int cw__write_file_atomic(const char *module, const char *path, const void *data, size_t len)
{
    char part[4096];
    int n = snprintf(part, sizeof(part), "%s.part", path);
    if (n < 0 || (size_t)n >= sizeof(part)) {
        cw_log_error(module, "%s: path too long", path);
        return CW_EINVAL;
    }
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), err = 0;
    if (fd < 0) {
        err = errno;
    } else {
        const char *p = data;
        size_t left = len;
        while (left > 0) {
            ssize_t w = write(fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                err = w < 0 ? errno : EIO;
                break;
            }
            p += w;
            left -= (size_t)w;
        }
        if (!err && fsync(fd) != 0)
            err = errno;
        if (close(fd) != 0 && !err)
            err = errno;
        if (!err && rename(part, path) != 0)
            err = errno;
        if (err)
            unlink(part);
    }
    if (!err)
        return 0;
    cw_log_error(module, "%s: cannot write: %s%s", path, strerror(err),
                 err == ENOSPC ? " (the disk is full: free space or lower the retention)" : "");
    return err == ENOSPC || err == EDQUOT                  ? CW_ENOSPC
           : err == EACCES || err == EPERM || err == EROFS ? CW_EPERM
                                                           : CW_EIO;
}

int cw__mkdir_p(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(path, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}
