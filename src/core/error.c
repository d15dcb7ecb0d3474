#include "crosswatch/error.h"

#include <errno.h>

const char *cw_strerror(int err)
{
    switch (err) {
    case CW_OK:
        return "success";
    case CW_EINVAL:
        return "invalid value";
    case CW_ENOMEM:
        return "out of memory";
    case CW_EIO:
        return "input/output error";
    case CW_ENOENT:
        return "not found";
    case CW_EFORMAT:
        return "unreadable format";
    case CW_EUNSUPPORTED:
        return "not supported";
    case CW_EAGAIN:
        return "try again";
    case CW_EOF:
        return "end of stream";
    case CW_ECONNECT:
        return "connection failed";
    case CW_ETIMEDOUT:
        return "timed out";
    case CW_ENOSPC:
        return "no space left";
    case CW_ECANCELED:
        return "canceled";
    case CW_EPERM:
        return "permission denied";
    case CW_EBUSY:
        return "busy";
    }
    return "unknown error";
}

int cw_error_from_errno(int neg_errno)
{
    switch (-neg_errno) {
    case 0:
        return CW_OK;
    case ENOENT:
    case ENOTDIR:
        return CW_ENOENT;
    case ENOMEM:
        return CW_ENOMEM;
    case EACCES:
    case EPERM:
    case EROFS:
        return CW_EPERM;
    case ENOSPC:
    case EDQUOT:
        return CW_ENOSPC;
    case EAGAIN:
        return CW_EAGAIN;
    case ETIMEDOUT:
        return CW_ETIMEDOUT;
    case ECONNREFUSED:
    case ECONNRESET:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EPIPE:
        return CW_ECONNECT;
    case EINVAL:
        return CW_EINVAL;
    case EBUSY:
        return CW_EBUSY;
    case ECANCELED:
    case EINTR:
        return CW_ECANCELED;
    }
    return CW_EIO;
}
